package store_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"go.uber.org/goleak"

	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testSchema has one migration that creates the "items" bucket of tenant "a".
var testSchema = store.Schema{Name: "test", Migrations: []store.Migration{
	{Version: 1, Name: "items", Apply: func(tx *bbolt.Tx) error {
		_, err := store.CreateTenantBucket(tx, "a", "items")
		return err
	}},
}}

// testConfig returns a config for path with a short lock timeout.
func testConfig(path string) store.Config {
	cfg := store.DefaultConfig(path)
	cfg.LockTimeout = 200 * time.Millisecond
	return cfg
}

// openAt opens path and closes it when the test ends.
func openAt(t *testing.T, path string, schema store.Schema) *store.DB {
	t.Helper()
	db, err := store.Open(testConfig(path), schema)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func tempPath(t *testing.T) string { return filepath.Join(t.TempDir(), "test.db") }

// reasonOf returns the reason of the first *errs.Error in err's chain.
func reasonOf(err error) string {
	if e, ok := errors.AsType[*errs.Error](err); ok {
		return e.Reason
	}
	return ""
}

// violationField returns the field of err's only violation, or "".
func violationField(err error) string {
	e, ok := errors.AsType[*errs.Error](err)
	if !ok || e.Kind != errs.Invalid || len(e.Violations) != 1 {
		return ""
	}
	return e.Violations[0].Field
}
