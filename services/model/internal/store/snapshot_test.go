package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/aim-platform/aim/platform/errs"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/model/internal/store"
)

// A version's generation names its content: it stays across publishing,
// and a draft deleted and imported again gets a new one even when nothing
// else about it differs (the same bundle at the same time).
func TestContentGenerations(t *testing.T) {
	st := open(t)
	now := time.Unix(1700000000, 0)
	b := bundle("acme-ai", "1.0")
	if _, err := st.Import(tenantA, b, now); err != nil {
		t.Fatal(err)
	}
	ref, gen, err := st.Locate(tenantA, "acme-ai", "1.0")
	if err != nil {
		t.Fatal(err)
	}
	if ref.Owner != tenantA || ref.Name() != "models/acme-ai/versions/1.0" {
		t.Fatalf("Locate = %+v", ref)
	}
	c, err := st.LoadContent(ref, gen)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Practices) != 4 || len(c.PracticeKeys) != 4 || len(c.PracticeAreas) != 2 || c.Aliases["pa:RISK"] != "RSK" || c.Aliases["ca:MIR"] != "MBR" {
		t.Fatalf("content = %d practices, %d keys, %d areas, aliases %v", len(c.Practices), len(c.PracticeKeys), len(c.PracticeAreas), c.Aliases)
	}
	if c.Practices[0].GetLabel() != "PLAN 1.1" || c.PracticeAreas[0].GetAcronym() != "PLAN" {
		t.Fatalf("not in key order: %s, %s", c.Practices[0].GetLabel(), c.PracticeAreas[0].GetAcronym())
	}

	// Another tenant does not see the draft.
	if _, _, err := st.Locate(tenantB, "acme-ai", "1.0"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("Locate by another tenant: %v", err)
	}

	// Deleted: NOT_FOUND; imported again: a new generation, and the old one
	// is refused.
	if err := st.Delete(tenantA, "acme-ai", "1.0", ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Locate(tenantA, "acme-ai", "1.0"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("Locate after delete: %v", err)
	}
	if _, err := st.LoadContent(ref, gen); !errs.Is(err, errs.NotFound) {
		t.Fatalf("LoadContent after delete: %v", err)
	}
	v, err := st.Import(tenantA, b, now)
	if err != nil {
		t.Fatal(err)
	}
	ref2, gen2, err := st.Locate(tenantA, "acme-ai", "1.0")
	if err != nil || ref2 != ref || gen2 <= gen {
		t.Fatalf("after re-import: %+v gen %d, %v; before %+v gen %d", ref2, gen2, err, ref, gen)
	}
	if _, err := st.LoadContent(ref, gen); !errors.Is(err, store.ErrContentChanged) {
		t.Fatalf("LoadContent of the old generation: %v", err)
	}

	// Publishing keeps the content and its generation.
	if _, err := st.Publish(tenantA, "acme-ai", "1.0", v.GetEtag(), now); err != nil {
		t.Fatal(err)
	}
	if _, gen3, err := st.Locate(tenantA, "acme-ai", "1.0"); err != nil || gen3 != gen2 {
		t.Fatalf("after publish: gen %d, %v; want %d", gen3, err, gen2)
	}

	// The same name under another tenant is another owner's content.
	if _, err := st.Import(tenantB, bundle("acme-ai", "1.0"), now); err != nil {
		t.Fatal(err)
	}
	if refB, _, err := st.Locate(tenantB, "acme-ai", "1.0"); err != nil || refB.Owner != tenantB {
		t.Fatalf("tenant B: %+v, %v", refB, err)
	}

	// Shared content resolves for everyone.
	if _, err := st.InstallDefaults(now); err != nil {
		t.Fatal(err)
	}
	if refS, _, err := st.Locate(tenantB, "cmmi-aim", "3.0-sample"); err != nil || refS.Owner != pstore.SharedTenant {
		t.Fatalf("shared: %+v, %v", refS, err)
	}
}
