package storetest_test

import (
	"testing"

	"go.etcd.io/bbolt"
	"go.uber.org/goleak"

	"github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/platform/store/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestOpen(t *testing.T) {
	ran := 0
	schema := store.Schema{Name: "test", Migrations: []store.Migration{
		{Version: 1, Name: "count", Apply: func(*bbolt.Tx) error { ran++; return nil }},
	}}
	t.Run("open", func(t *testing.T) {
		// Cleanups run last-in first-out: the temporary directory (its
		// removal registered by this first TempDir call) outlives the
		// check below, which runs after storetest closed the store.
		t.TempDir()
		var path string
		t.Cleanup(func() {
			cfg := store.DefaultConfig(path)
			cfg.LockTimeout = storetest.LockTimeout
			db, err := store.Open(cfg, schema)
			if err != nil {
				t.Fatalf("the store is still locked after cleanup: %v", err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if ran != 1 {
				t.Fatalf("migration ran %d times, want 1", ran)
			}
		})
		db := storetest.Open(t, schema)
		path = db.Path()
		if db.SchemaVersion() != 1 || ran != 1 {
			t.Fatalf("version %d, migration ran %d times", db.SchemaVersion(), ran)
		}
	})
}
