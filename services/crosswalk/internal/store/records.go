package store

import (
	"fmt"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	pstore "github.com/aim-platform/aim/platform/store"
)

// collections lays out a tenant's collections for pstore.Verify: the
// message type each bucket holds (see the table in crosswalks.go).
func collections() map[string]*pstore.Layout {
	return map[string]*pstore.Layout{
		collFrameworks: pstore.ProtoLayout(&crosswalkv1.Framework{}),
		collCrosswalks: pstore.ProtoLayout(&crosswalkv1.Crosswalk{}),
		collMappings:   pstore.ProtoLayout(&crosswalkv1.Mapping{}),
		collRevisions: {Value: func(_, v []byte) error {
			if len(v) != 8 {
				return fmt.Errorf("a revision is 8 bytes, got %d", len(v))
			}
			return nil
		}},
	}
}
