package store_test

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/appraisal/internal/store"
)

// TestRedteamM6_VerifyDecodesEveryRecord flips one byte of a record's
// length in a closed store, as the probe did: bbolt's check passes, but
// Verify decodes every record and names the bucket and key of the bad one.
func TestRedteamM6_VerifyDecodesEveryRecord(t *testing.T) {
	st := openStore(t)
	create(t, st, tenantA, "a1")
	create(t, st, tenantB, "b1")
	path := st.DB().Path()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := pstore.Verify(path, store.Schema, time.Second); err != nil {
		t.Fatalf("Verify of a sound store: %v", err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The appraisal record's display name "A b1" is field 2 (tag 0x12) of
	// 4 bytes; claim 0x7f bytes instead.
	at := bytes.Index(raw, []byte("\x12\x04A b1"))
	if at < 0 {
		t.Fatal("the appraisal record is not in the file")
	}
	raw[at+1] = 0x7f
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := pstore.Inspect(path, time.Second); err != nil {
		t.Fatalf("Inspect (bbolt's check only) = %v; the flip should pass it, or this test proves nothing", err)
	}
	_, err = pstore.Verify(path, store.Schema, time.Second)
	if err == nil || !pstore.IsDamaged(err) {
		t.Fatalf("Verify of a store with a bad record = %v, want a damaged error", err)
	}
	for _, want := range []string{path, "t/globex/appraisals", "key b1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Verify error %q does not name %q", err, want)
		}
	}
}
