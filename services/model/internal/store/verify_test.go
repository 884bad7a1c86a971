package store_test

import (
	"path/filepath"
	"testing"
	"time"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/model/internal/store"
)

// TestStoreVerifies checks that Verify, which restores run, decodes every
// record of a store holding the defaults, a tenant's imported versions and
// its own views.
func TestStoreVerifies(t *testing.T) {
	st := open(t)
	if _, err := st.InstallDefaults(time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Import(tenantA, bundle("acme-ai", "1.0"), time.Now()); err != nil {
		t.Fatal(err)
	}
	v := &modelv1.View{Name: "models/acme-ai/versions/1.0/views/mine", DisplayName: "mine", PracticeAreas: []string{"RSK"}}
	v.Etag = pstore.ETag(v)
	if err := st.CreateView(tenantA, "acme-ai", "1.0", "mine", v); err != nil {
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
