package store

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"unicode/utf8"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/aim-platform/aim/platform/errs"
)

// ReasonDamaged marks an error about a data file that is truncated or
// corrupt: its pages do not fit the file, bbolt's consistency check fails,
// or a record does not decode. Such an error names the file.
const ReasonDamaged = "STORE_DAMAGED"

// Layout says what a bucket holds, so that Verify can decode every record
// of a file. A value (a key without a nested bucket) is checked by Value;
// a nested bucket has the layout Buckets gives for its name, or Each when
// its name is not listed (ids chosen by clients). Anything else is
// unexpected, and Verify refuses the file.
type Layout struct {
	// Value checks one value of the bucket; nil means the bucket holds
	// none.
	Value func(key, value []byte) error
	// Buckets are the nested buckets with fixed names.
	Buckets map[string]*Layout
	// Each is the layout of any other nested bucket.
	Each *Layout
}

// ProtoValue returns a Layout.Value that decodes a value as a message of
// m's type.
func ProtoValue(m proto.Message) func(key, value []byte) error {
	return func(_, value []byte) error {
		return proto.Unmarshal(value, m.ProtoReflect().New().Interface())
	}
}

// ProtoLayout is the layout of a collection of messages of m's type.
func ProtoLayout(m proto.Message) *Layout { return &Layout{Value: ProtoValue(m)} }

// AnyValue accepts any value; it suits values that are plain bytes (an
// id, a counter).
func AnyValue(_, _ []byte) error { return nil }

// damaged returns the error of a damaged data file.
func damaged(path, format string, args ...any) error {
	return errs.New(errs.Internal, ReasonDamaged, "%s is damaged: "+format, append([]any{path}, args...)...)
}

// IsDamaged reports whether err says a data file is truncated or corrupt.
func IsDamaged(err error) bool {
	e, ok := errors.AsType[*errs.Error](err)
	return ok && e.Reason == ReasonDamaged
}

// guard runs fn with memory faults turned into panics (bbolt reads the file
// through a memory map, so a page past the end of a truncated file is a
// SIGBUS), and turns a panic into an error that names path. Only the
// calling goroutine is guarded.
func guard(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = damaged(path, "%v", r)
		}
	}()
	return fn()
}

// checkSize refuses a file shorter than the pages its meta page counts:
// reading them would fault.
func checkSize(tx *bbolt.Tx, path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return errs.Wrap(err, "store: %s", path)
	}
	if want := tx.Size(); st.Size() < want {
		return damaged(path, "the file is %d bytes but its meta page counts %d; it was truncated", st.Size(), want)
	}
	return nil
}

// walk reads every bucket and value of the file in the calling goroutine
// (so that a fault is caught by guard) and checks the tenant collections
// against collections, when it is not nil.
func walk(tx *bbolt.Tx, collections map[string]*Layout) error {
	tenants := &Layout{Buckets: map[string]*Layout{
		requestsCollection: {Value: func(_, v []byte) error { _, _, err := decodeRequestRecord(v); return err }},
	}}
	for name, l := range collections {
		tenants.Buckets[name] = l
	}
	root := &Layout{Buckets: map[string]*Layout{
		metaBucket:    {Value: AnyValue},
		tenantsBucket: {Each: tenants},
	}}
	if collections == nil {
		root = nil // read everything, judge nothing
	}
	return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
		return walkBucket(b, layoutOf(root, name), keyString(name))
	})
}

// layoutOf returns the layout of the nested bucket name of a bucket laid
// out as l: nil when l is nil (no judgement), unexpected when l has none.
func layoutOf(l *Layout, name []byte) *Layout {
	if l == nil {
		return nil
	}
	if c, ok := l.Buckets[string(name)]; ok {
		return c
	}
	if l.Each != nil {
		return l.Each
	}
	return unexpected
}

// unexpected is the layout of a bucket no layout names.
var unexpected = &Layout{}

func walkBucket(b *bbolt.Bucket, l *Layout, where string) error {
	if l == unexpected {
		return fmt.Errorf("bucket %s: the schema has no such bucket", where)
	}
	return b.ForEach(func(k, v []byte) error {
		if v == nil && b.Bucket(k) != nil {
			return walkBucket(b.Bucket(k), layoutOf(l, k), where+"/"+keyString(k))
		}
		if l == nil {
			return nil
		}
		if l.Value == nil {
			return fmt.Errorf("bucket %s key %s: the schema has no values there", where, keyString(k))
		}
		if err := l.Value(k, v); err != nil {
			return fmt.Errorf("bucket %s key %s: %w", where, keyString(k), err)
		}
		return nil
	})
}

// keyString shows a key as text when it is printable, else in hex.
func keyString(k []byte) string {
	if utf8.Valid(k) {
		s := string(k)
		if q := strconv.Quote(s); q[1:len(q)-1] == s {
			return s
		}
	}
	return "0x" + hex.EncodeToString(k)
}
