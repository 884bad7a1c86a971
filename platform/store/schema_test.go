package store_test

import (
	"errors"
	"slices"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/aim-platform/aim/platform/store"
)

// recordingSchema returns a schema of n migrations that append their version
// to *ran and each create a bucket named after it.
func recordingSchema(name string, n int, ran *[]int) store.Schema {
	s := store.Schema{Name: name}
	for v := 1; v <= n; v++ {
		s.Migrations = append(s.Migrations, store.Migration{
			Version: v,
			Name:    "step",
			Apply: func(tx *bbolt.Tx) error {
				*ran = append(*ran, v)
				_, err := store.CreateTenantBucket(tx, store.SharedTenant, "m"+string(rune('0'+v)))
				return err
			},
		})
	}
	return s
}

func reopen(t *testing.T, path string, schema store.Schema) (*store.DB, error) {
	t.Helper()
	db, err := store.Open(testConfig(path), schema)
	if err == nil {
		t.Cleanup(func() { _ = db.Close() })
	}
	return db, err
}

func TestMigrationsRunOnceInOrder(t *testing.T) {
	path := tempPath(t)
	var ran []int

	steps := []struct {
		name       string
		migrations int
		wantRan    []int
	}{
		{"new file", 3, []int{1, 2, 3}},
		{"reopen", 3, nil},
		{"one more", 4, []int{4}},
		{"reopen again", 4, nil},
	}
	for _, st := range steps {
		ran = nil
		db, err := reopen(t, path, recordingSchema("test", st.migrations, &ran))
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if !slices.Equal(ran, st.wantRan) {
			t.Fatalf("%s: migrations ran %v, want %v", st.name, ran, st.wantRan)
		}
		if db.SchemaVersion() != st.migrations {
			t.Fatalf("%s: SchemaVersion = %d, want %d", st.name, db.SchemaVersion(), st.migrations)
		}
		if err := db.View(func(tx *bbolt.Tx) error {
			for v := 1; v <= st.migrations; v++ {
				if store.TenantBucket(tx, store.SharedTenant, "m"+string(rune('0'+v))) == nil {
					t.Errorf("%s: bucket of migration %d missing", st.name, v)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMigrationFailureRollsBack(t *testing.T) {
	path := tempPath(t)
	boom := errors.New("boom")
	fail := true
	schema := store.Schema{Name: "test", Migrations: []store.Migration{
		{Version: 1, Name: "ok", Apply: func(*bbolt.Tx) error { return nil }},
		{Version: 2, Name: "flaky", Apply: func(tx *bbolt.Tx) error {
			if _, err := tx.CreateBucket([]byte("half")); err != nil {
				return err
			}
			if fail {
				return boom
			}
			return nil
		}},
	}}
	if _, err := reopen(t, path, schema); !errors.Is(err, boom) {
		t.Fatalf("Open with a failing migration: %v", err)
	}
	fail = false
	db, err := reopen(t, path, schema)
	if err != nil {
		t.Fatalf("Open after fixing the migration: %v", err)
	}
	if db.SchemaVersion() != 2 {
		t.Fatalf("SchemaVersion = %d, want 2", db.SchemaVersion())
	}
}

func TestOpenRefusesOtherSchemas(t *testing.T) {
	path := tempPath(t)
	var ran []int
	db, err := reopen(t, path, recordingSchema("model", 3, &ran))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		schema     store.Schema
		wantReason string
	}{
		{"older binary", recordingSchema("model", 2, &ran), store.ReasonSchemaTooNew},
		{"no migrations", store.Schema{Name: "model"}, store.ReasonSchemaTooNew},
		{"other service", recordingSchema("appraisal", 3, &ran), store.ReasonSchemaMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ran = nil
			_, err := reopen(t, path, tt.schema)
			if reasonOf(err) != tt.wantReason {
				t.Fatalf("Open: %v, want reason %s", err, tt.wantReason)
			}
			if len(ran) != 0 {
				t.Fatalf("migrations ran: %v", ran)
			}
		})
	}
}

func TestOpenRejectsBadSchema(t *testing.T) {
	noop := func(*bbolt.Tx) error { return nil }
	tests := []struct {
		name     string
		schema   store.Schema
		versions []int
	}{
		{"no name", store.Schema{}, nil},
		{"starts at 0", store.Schema{Name: "x"}, []int{0, 1}},
		{"starts at 2", store.Schema{Name: "x"}, []int{2}},
		{"gap", store.Schema{Name: "x"}, []int{1, 3}},
		{"duplicate", store.Schema{Name: "x"}, []int{1, 1}},
		{"descending", store.Schema{Name: "x"}, []int{2, 1}},
		{"nil apply", store.Schema{Name: "x", Migrations: []store.Migration{{Version: 1}}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, v := range tt.versions {
				tt.schema.Migrations = append(tt.schema.Migrations, store.Migration{Version: v, Apply: noop})
			}
			path := tempPath(t)
			if _, err := reopen(t, path, tt.schema); reasonOf(err) != store.ReasonSchemaInvalid {
				t.Fatalf("Open: %v", err)
			}
		})
	}
}
