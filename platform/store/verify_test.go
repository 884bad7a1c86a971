package store_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/aim-platform/aim/platform/store"
)

// damagedSchema is testSchema with its records described, for Verify.
var damagedSchema = store.Schema{Name: testSchema.Name, Migrations: testSchema.Migrations,
	Collections: map[string]*store.Layout{"items": store.ProtoLayout(&wrapperspb.StringValue{})}}

// writeStore writes a closed store of about 400 KB (values of 1 KB, so
// most pages are leaves and overflow pages of tenant "a"'s items).
func writeStore(t *testing.T) (string, []byte) {
	t.Helper()
	path := tempPath(t)
	db, err := store.Open(testConfig(path), damagedSchema)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		b := store.TenantBucket(tx, "a", "items")
		for i := range 300 {
			v := wrapperspb.String(fmt.Sprintf("item %d %s", i, strings.Repeat("x", 1000)))
			if err := store.PutProto(b, fmt.Appendf(nil, "k%03d", i), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, raw
}

// TestRedteamM6_DamagedFilesGiveErrors damages a store as the probe did
// (truncated to 8 KiB, missing its last page, cut in half, a page of
// garbage) and expects Inspect, Verify and Open each to return an error
// that names the file: no panic, no SIGBUS.
func TestRedteamM6_DamagedFilesGiveErrors(t *testing.T) {
	path, good := writeStore(t)
	if _, err := store.Verify(path, damagedSchema, time.Second); err != nil {
		t.Fatalf("Verify of a sound store: %v", err)
	}
	// The file grows ahead of its pages; the pages end where its meta page
	// says.
	bdb, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var used int64
	_ = bdb.View(func(tx *bbolt.Tx) error { used = tx.Size(); return nil })
	if err := bdb.Close(); err != nil {
		t.Fatal(err)
	}
	garbage := bytes.Clone(good)
	copy(garbage[len(good)/2:], bytes.Repeat([]byte{0xff}, 4096))
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"truncated to 8 KiB", good[:8192]},
		{"last page missing", good[:used-4096]},
		{"cut in half", good[:used/2]},
		{"a page of garbage", garbage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			check := func(what string, err error) {
				t.Helper()
				if err == nil {
					t.Fatalf("%s accepted the damaged file", what)
				}
				if !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "\n") {
					t.Errorf("%s error is not one line naming %s: %q", what, path, err)
				}
				t.Logf("%s: %v", what, err)
			}
			_, err := store.Inspect(path, time.Second)
			check("Inspect", err)
			if !store.IsDamaged(err) {
				t.Errorf("Inspect error %v is not IsDamaged", err)
			}
			_, err = store.Verify(path, damagedSchema, time.Second)
			check("Verify", err)
			db, err := store.Open(testConfig(path), damagedSchema)
			if err == nil {
				_ = db.Close()
			}
			check("Open", err)
		})
	}
}

// TestVerifyJudgesEveryBucket: Verify accepts the package's request
// records and refuses a bad one, a bucket the layout does not name, and a
// value that does not decode, naming bucket and key.
func TestVerifyJudgesEveryBucket(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(tx *bbolt.Tx) error
		want  string // "" for a sound file
	}{
		{"request record", func(tx *bbolt.Tx) error {
			return store.RecordRequest(tx, "a", "alice", "Create", "r1", "things/1", []byte("fp"))
		}, ""},
		{"bad request record", func(tx *bbolt.Tx) error {
			b, err := store.CreateTenantBucket(tx, "a", "_requests")
			if err != nil {
				return err
			}
			return b.Put([]byte("Create\x00r1"), []byte{9, 9})
		}, "bucket t/a/_requests key 0x437265617465007231"},
		{"unknown collection", func(tx *bbolt.Tx) error {
			_, err := store.CreateTenantBucket(tx, "a", "other")
			return err
		}, "bucket t/a/other: the schema has no such bucket"},
		{"bad value", func(tx *bbolt.Tx) error {
			return store.TenantBucket(tx, "a", "items").Put([]byte("k1"), []byte{0x0a, 0x7f, 'x'})
		}, "bucket t/a/items key k1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tempPath(t)
			db, err := store.Open(testConfig(path), damagedSchema)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(tc.write); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			_, err = store.Verify(path, damagedSchema, time.Second)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Verify: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Verify = %v, want an error with %q", err, tc.want)
			}
		})
	}
}
