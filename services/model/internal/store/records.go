package store

import (
	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	pstore "github.com/aim-platform/aim/platform/store"
)

// collections lays out a tenant's collections for pstore.Verify: the
// message type each bucket holds, as the table at the top of store.go says.
func collections() map[string]*pstore.Layout {
	return map[string]*pstore.Layout{
		collModels:   pstore.ProtoLayout(&modelv1.Model{}),
		collVersions: pstore.ProtoLayout(&modelv1.ModelVersion{}),
		collContent: {Each: &pstore.Layout{Buckets: map[string]*pstore.Layout{
			KindCategory:       pstore.ProtoLayout(&modelv1.Category{}),
			KindCapabilityArea: pstore.ProtoLayout(&modelv1.CapabilityArea{}),
			KindDomain:         pstore.ProtoLayout(&modelv1.Domain{}),
			KindPracticeArea:   pstore.ProtoLayout(&modelv1.PracticeArea{}),
			KindPractice:       pstore.ProtoLayout(&modelv1.Practice{}),
			KindView:           pstore.ProtoLayout(&modelv1.View{}),
			kindAlias:          {Value: pstore.AnyValue},
			kindBundle:         pstore.ProtoLayout(&modelv1.ModelBundle{}),
		}}},
		collViews: pstore.ProtoLayout(&modelv1.View{}),
	}
}
