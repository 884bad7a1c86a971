package server_test

import (
	"path/filepath"
	"testing"
	"time"

	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/appraisal/internal/store"
)

// TestRatedAppraisalStoreVerifies backs up a store that went through a
// whole appraisal (team, instances, scope, characterizations, ratings and
// the engine's JSON result, events, request ids) and checks that Verify,
// which restores run, decodes every record of it.
func TestRatedAppraisalStoreVerifies(t *testing.T) {
	h := newHarness(t)
	h.rated(t, "acme", "a1", nil, nil)
	h.draft(t, "globex", "g1", nil)
	copyPath := filepath.Join(t.TempDir(), "copy.db")
	if err := h.store.DB().BackupToFile(copyPath); err != nil {
		t.Fatal(err)
	}
	info, err := pstore.Verify(copyPath, store.Schema, time.Second)
	if err != nil {
		t.Fatalf("Verify of a rated appraisal's store: %v", err)
	}
	if info.Schema != "appraisal" {
		t.Fatalf("Verify = %+v", info)
	}
}
