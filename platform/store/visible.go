package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/aim-platform/aim/platform/errs"
)

// What a tenant can read of a collection is its own bucket and the shared
// one. These helpers read that union; a tenant's key shadows a shared key of
// the same name.

// GetVisible reads key from the tenant's collection, else from the shared
// collection, into m, and reports whether either held it.
func GetVisible(tx *bbolt.Tx, tenant, collection string, key []byte, m proto.Message) (bool, error) {
	found, err := GetProto(TenantBucket(tx, tenant, collection), key, m)
	if err != nil || found || tenant == SharedTenant {
		return found, err
	}
	return GetProto(TenantBucket(tx, SharedTenant, collection), key, m)
}

// ScanVisible is ScanPage over the union of the tenant's and the shared
// collection, in key order, limited to keys with prefix (nil for all): two
// cursors merged, each started with a Seek, so a page costs the same however
// large the store is.
func ScanVisible(tx *bbolt.Tx, tenant, collection string, prefix, after []byte, limit int, fn func(k, v []byte) (bool, error)) (last []byte, more bool, err error) {
	if tenant == SharedTenant {
		return ScanPage(TenantBucket(tx, tenant, collection), prefix, after, limit, fn)
	}
	own := newSeeker(TenantBucket(tx, tenant, collection), prefix, after)
	shared := newSeeker(TenantBucket(tx, SharedTenant, collection), prefix, after)
	included := 0
	for {
		k, v := own.key, own.val
		switch {
		case own.key == nil && shared.key == nil:
			return last, false, nil
		case own.key == nil:
			k, v = shared.key, shared.val
			shared.next()
		case shared.key == nil:
			own.next()
		default:
			c := bytes.Compare(own.key, shared.key)
			if c == 0 {
				shared.next() // the tenant's own resource shadows the shared one
			}
			if c > 0 {
				k, v = shared.key, shared.val
				shared.next()
			} else {
				own.next()
			}
		}
		if included == limit {
			return last, true, nil
		}
		ok, err := fn(k, v)
		if err != nil {
			return nil, false, err
		}
		if ok {
			included++
			last = append(last[:0:0], k...)
		}
	}
}

// seeker walks the keys with a prefix of one bucket from just after a key;
// a nil bucket is empty.
type seeker struct {
	c        *bbolt.Cursor
	prefix   []byte
	key, val []byte
}

func newSeeker(b *bbolt.Bucket, prefix, after []byte) *seeker {
	s := &seeker{prefix: prefix}
	if b == nil {
		return s
	}
	s.c = b.Cursor()
	switch {
	case after != nil && bytes.Compare(after, prefix) >= 0:
		s.key, s.val = s.c.Seek(after)
		if bytes.Equal(s.key, after) {
			s.key, s.val = s.c.Next()
		}
	case prefix != nil:
		s.key, s.val = s.c.Seek(prefix)
	default:
		s.key, s.val = s.c.First()
	}
	s.settle()
	return s
}

func (s *seeker) next() {
	s.key, s.val = s.c.Next()
	s.settle()
}

// settle steps over nested buckets, whose value is nil, and ends the walk
// past the prefix.
func (s *seeker) settle() {
	for s.key != nil && s.val == nil {
		s.key, s.val = s.c.Next()
	}
	if s.key != nil && !bytes.HasPrefix(s.key, s.prefix) {
		s.key, s.val = nil, nil
	}
}

// UnmarshalProto decodes a stored value into m, as an internal error when
// the bytes are not a valid m.
func UnmarshalProto(raw []byte, m proto.Message) error {
	if err := proto.Unmarshal(raw, m); err != nil {
		return errs.Wrap(err, "store: unmarshal %s", m.ProtoReflect().Descriptor().FullName())
	}
	return nil
}

// Collect returns a ScanPage or ScanVisible callback that decodes every
// value as a T and appends it to list, including each in the page.
func Collect[T any, PT interface {
	*T
	proto.Message
}](list *[]PT) func(k, v []byte) (bool, error) {
	return func(_, v []byte) (bool, error) {
		m := PT(new(T))
		if err := UnmarshalProto(v, m); err != nil {
			return false, err
		}
		*list = append(*list, m)
		return true, nil
	}
}

// ETag returns an entity tag for a resource (AIP-154): a digest of its
// deterministic encoding with its own etag field left out, so the tag
// changes exactly when the content does.
func ETag(m proto.Message) string {
	r := m.ProtoReflect()
	if fd := r.Descriptor().Fields().ByName("etag"); fd != nil && fd.Kind() == protoreflect.StringKind && r.Has(fd) {
		m = proto.Clone(m)
		m.ProtoReflect().Clear(fd)
	}
	raw, _ := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	sum := sha256.Sum256(raw)
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}
