package store_test

import (
	"path/filepath"
	"testing"
	"time"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/crosswalk/internal/store"
)

// TestStoreVerifies checks that Verify, which restores run, decodes every
// record of a store holding the default frameworks, a tenant's crosswalk,
// its mappings and revisions.
func TestStoreVerifies(t *testing.T) {
	st := open(t)
	if _, err := st.InstallDefaults(time.Now()); err != nil {
		t.Fatal(err)
	}
	c := newCrosswalk(t, st, tenantA, "cw")
	if _, err := st.ReplaceMappings(tenantA, "cw", c.GetEtag(), []*crosswalkv1.Mapping{mapping("cw", "4.1", "6.1")}, time.Now()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := st.DB().BackupToFile(path); err != nil {
		t.Fatal(err)
	}
	if _, err := pstore.Verify(path, store.Schema, time.Second); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}
