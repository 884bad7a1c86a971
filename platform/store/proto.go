package store

import (
	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/aim-platform/aim/platform/errs"
)

// PutProto stores m under key in b, marshalled deterministically so that the
// same message always gives the same bytes.
func PutProto(b *bbolt.Bucket, key []byte, m proto.Message) error {
	if b == nil {
		return faultf("store: put %q: no bucket", key)
	}
	raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return errs.Wrap(err, "store: marshal %q", key)
	}
	if err := b.Put(key, raw); err != nil {
		return errs.Wrap(err, "store: put %q", key)
	}
	return nil
}

// GetProto reads the value under key in b into m and reports whether it was
// there. A nil bucket holds nothing. m owns its data afterwards: nothing in
// it points into the transaction's memory.
func GetProto(b *bbolt.Bucket, key []byte, m proto.Message) (bool, error) {
	if b == nil {
		return false, nil
	}
	raw := b.Get(key)
	if raw == nil {
		return false, nil
	}
	if err := proto.Unmarshal(raw, m); err != nil {
		return false, errs.Wrap(err, "store: unmarshal %q", key)
	}
	return true, nil
}
