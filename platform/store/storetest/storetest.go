package storetest

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/aim-platform/aim/platform/store"
)

// LockTimeout is the lock timeout of the stores Open returns, short so that
// a test that forgets to close a store fails fast.
const LockTimeout = 200 * time.Millisecond

// Open opens a new store with schema in tb.TempDir(), applying its
// migrations, and closes it when the test and its subtests have finished.
// It fails the test when the store cannot be opened or closed.
func Open(tb testing.TB, schema store.Schema) *store.DB {
	tb.Helper()
	cfg := store.DefaultConfig(filepath.Join(tb.TempDir(), "store.db"))
	cfg.LockTimeout = LockTimeout
	db, err := store.Open(cfg, schema)
	if err != nil {
		tb.Fatalf("storetest: open store: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("storetest: close store: %v", err)
		}
	})
	return db
}
