package store

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/aim-platform/aim/platform/errs"
)

func TestInspect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := Open(DefaultConfig(path), Schema{Name: "things", Migrations: []Migration{
		{Version: 1, Name: "one", Apply: func(*bbolt.Tx) error { return nil }},
		{Version: 2, Name: "two", Apply: func(*bbolt.Tx) error { return nil }},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Inspect(path, 100*time.Millisecond); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("Inspect of a file in use = %v, want Unavailable", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	info, err := Inspect(path, time.Second)
	if err != nil || info.Schema != "things" || info.Version != 2 || info.Size == 0 {
		t.Fatalf("Inspect = %+v, %v", info, err)
	}
	junk := filepath.Join(t.TempDir(), "junk.db")
	if err := os.WriteFile(junk, []byte("not a database at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Inspect(junk, time.Second); err == nil {
		t.Fatal("Inspect accepted junk")
	}
}
