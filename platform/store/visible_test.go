package store

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func openVisibleTest(t *testing.T) *DB {
	t.Helper()
	cfg := DefaultConfig(filepath.Join(t.TempDir(), "v.db"))
	db, err := Open(cfg, Schema{Name: "visible"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestScanVisible pages through a tenant's view of shared and own keys, in
// key order, with a tenant's key shadowing the shared one of the same name.
func TestScanVisible(t *testing.T) {
	db := openVisibleTest(t)
	var want []string
	err := db.Update(func(tx *bbolt.Tx) error {
		put := func(tenant, key, val string) {
			b, err := CreateTenantBucket(tx, tenant, "things")
			if err != nil {
				t.Fatal(err)
			}
			if err := PutProto(b, []byte(key), wrapperspb.String(val)); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 30 {
			k := fmt.Sprintf("k%03d", i)
			switch {
			case i%3 == 0:
				put(SharedTenant, k, "shared")
				want = append(want, k+"=shared")
			case i%3 == 1:
				put("acme", k, "acme")
				want = append(want, k+"=acme")
			default: // both: the tenant's shadows the shared
				put(SharedTenant, k, "shared")
				put("acme", k, "acme")
				want = append(want, k+"=acme")
			}
			put("other", k, "other")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{1, 4, 29, 30, 31} {
		var got []string
		var after []byte
		for pages := 0; ; pages++ {
			if pages > 31 {
				t.Fatalf("size %d: too many pages", size)
			}
			var last []byte
			var more bool
			err := db.View(func(tx *bbolt.Tx) error {
				var err error
				last, more, err = ScanVisible(tx, "acme", "things", nil, after, size, func(k, v []byte) (bool, error) {
					w := &wrapperspb.StringValue{}
					if err := UnmarshalProto(v, w); err != nil {
						return false, err
					}
					got = append(got, string(k)+"="+w.GetValue())
					return true, nil
				})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if !more {
				break
			}
			after = last
		}
		if !slices.Equal(got, want) {
			t.Fatalf("size %d:\n got %v\nwant %v", size, got, want)
		}
	}

	// A tenant with nothing of its own sees the shared keys only.
	var n int
	err = db.View(func(tx *bbolt.Tx) error {
		_, _, err := ScanVisible(tx, "newcomer", "things", nil, nil, 100, func(_, _ []byte) (bool, error) { n++; return true, nil })
		return err
	})
	if err != nil || n != 20 {
		t.Fatalf("newcomer sees %d, %v; want 20 shared", n, err)
	}

	// A prefix bounds the walk: k01x is k010..k019.
	var inRange []string
	err = db.View(func(tx *bbolt.Tx) error {
		_, more, err := ScanVisible(tx, "acme", "things", []byte("k01"), []byte("k012"), 10, func(k, _ []byte) (bool, error) {
			inRange = append(inRange, string(k))
			return true, nil
		})
		if more {
			t.Error("more after the last key of the prefix range")
		}
		return err
	})
	if err != nil || !slices.Equal(inRange, []string{"k013", "k014", "k015", "k016", "k017", "k018", "k019"}) {
		t.Fatalf("prefix scan = %v, %v", inRange, err)
	}

	m := &wrapperspb.StringValue{}
	err = db.View(func(tx *bbolt.Tx) error {
		found, err := GetVisible(tx, "acme", "things", []byte("k002"), m)
		if !found || m.GetValue() != "acme" {
			t.Errorf("GetVisible k002 = %v %q; want the tenant's own", found, m.GetValue())
		}
		found, _ = GetVisible(tx, "newcomer", "things", []byte("k001"), m)
		if found {
			t.Error("a tenant read another tenant's key")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCollect decodes a page of stored messages into a typed list and
// refuses a value that is not one.
func TestCollect(t *testing.T) {
	db := openVisibleTest(t)
	err := db.Update(func(tx *bbolt.Tx) error {
		b, err := CreateTenantBucket(tx, "acme", "things")
		if err != nil {
			return err
		}
		for _, v := range []string{"a", "b", "c"} {
			if err := PutProto(b, []byte(v), wrapperspb.String("value "+v)); err != nil {
				return err
			}
		}
		return b.Put([]byte("z"), []byte{0xff})
	})
	if err != nil {
		t.Fatal(err)
	}
	var list []*wrapperspb.StringValue
	err = db.View(func(tx *bbolt.Tx) error {
		_, _, err := ScanPage(TenantBucket(tx, "acme", "things"), nil, nil, 3, Collect(&list))
		return err
	})
	var got []string
	for _, m := range list {
		got = append(got, m.GetValue())
	}
	if err != nil || !slices.Equal(got, []string{"value a", "value b", "value c"}) {
		t.Fatalf("Collect = %q, %v", got, err)
	}
	list = nil
	err = db.View(func(tx *bbolt.Tx) error {
		_, _, err := ScanPage(TenantBucket(tx, "acme", "things"), []byte("z"), nil, 3, Collect(&list))
		return err
	})
	if err == nil || len(list) != 0 {
		t.Fatalf("Collect of a value that is not a message = %d items, %v; want an error", len(list), err)
	}
}

func TestETag(t *testing.T) {
	a := wrapperspb.String("x")
	if ETag(a) != ETag(wrapperspb.String("x")) || ETag(a) == ETag(wrapperspb.String("y")) {
		t.Fatal("ETag must follow content")
	}
}
