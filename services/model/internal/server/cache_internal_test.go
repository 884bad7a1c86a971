package server

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/model/internal/catalog"
	"github.com/aim-platform/aim/services/model/internal/store"
)

// tinyBundle is a valid bundle of one practice.
func tinyBundle(version, statement string) *modelv1.ModelBundle {
	return catalog.Canonicalize(&modelv1.ModelBundle{
		Model: "tiny", Version: version, DisplayName: "Tiny " + version,
		Categories:      []*modelv1.BundleCategory{{Id: "managing", DisplayName: "Managing"}},
		CapabilityAreas: []*modelv1.BundleCapabilityArea{{Id: "PMW", DisplayName: "Work", Category: "managing"}},
		Domains:         []*modelv1.BundleDomain{{Id: "core", DisplayName: "Core", Core: true}},
		PracticeAreas:   []*modelv1.BundlePracticeArea{{Id: "RSK", DisplayName: "Risk", CapabilityArea: "PMW", Domain: "core"}},
		Practices:       []*modelv1.BundlePractice{{Id: "RSK-1.1", PracticeArea: "RSK", Level: 1, Statement: statement}},
	})
}

func openTestStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(pstore.DefaultConfig(filepath.Join(t.TempDir(), "model.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// The cache holds at most its bound of versions, evicting the least
// recently read, and an evicted version's search index is closed once no
// search holds it. (TestMain's leak check fails the run if an index is
// never closed.)
func TestVersionCacheBound(t *testing.T) {
	st := openTestStore(t)
	const tenant = "acme"
	for i := range 4 {
		if _, err := st.Import(tenant, tinyBundle(fmt.Sprintf("%d.0", i), "Note risks."), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	c := newVersionCache(st, 2)
	t.Cleanup(func() {
		if err := c.close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	read := func(version string) *versionContent {
		t.Helper()
		vc, err := c.content(tenant, "tiny", version)
		if err != nil {
			t.Fatal(err)
		}
		return vc
	}
	cached := func() []string {
		c.mu.Lock()
		defer c.mu.Unlock()
		var out []string
		for k := range c.entries {
			out = append(out, k.version)
		}
		return out
	}

	// A search holds 0.0's index while 0.0 is evicted.
	hold, err := c.search(tenant, "tiny", "0.0")
	if err != nil {
		t.Fatal(err)
	}
	ix, err := hold.index()
	if err != nil {
		t.Fatal(err)
	}
	first := read("0.0")
	if again := read("0.0"); again != first {
		t.Fatal("a second read decoded the version again")
	}
	read("1.0")
	read("0.0") // 1.0 is now the least recently read
	read("2.0")
	if got := cached(); len(got) != 2 || !slices.Contains(got, "0.0") || !slices.Contains(got, "2.0") {
		t.Fatalf("cached = %v, want 0.0 and 2.0", got)
	}
	read("3.0")
	read("1.0")
	if got := cached(); len(got) != 2 || !slices.Contains(got, "3.0") || !slices.Contains(got, "1.0") {
		t.Fatalf("cached = %v, want 3.0 and 1.0", got)
	}
	if _, err := ix.Search("risks", 10, nil); err != nil {
		t.Fatalf("the held index was closed under its search: %v", err)
	}
	hold.release()
	if _, err := ix.Search("risks", 10, nil); err == nil {
		t.Fatal("the evicted index is still open after its last search")
	}

	// An index built and then evicted with no search holding it closes
	// at once.
	hold, err = c.search(tenant, "tiny", "3.0")
	if err != nil {
		t.Fatal(err)
	}
	if ix, err = hold.index(); err != nil {
		t.Fatal(err)
	}
	hold.release()
	read("1.0")
	read("2.0")
	if _, err := ix.Search("risks", 10, nil); err == nil {
		t.Fatal("the evicted index is still open")
	}
}

// A new generation of a version replaces the entry of the old one.
func TestVersionCacheDropsOldGenerations(t *testing.T) {
	st := openTestStore(t)
	const tenant = "acme"
	c := newVersionCache(st, 8)
	t.Cleanup(func() { _ = c.close() })
	for i := range 3 {
		statement := fmt.Sprintf("Statement %d.", i)
		if _, err := st.Import(tenant, tinyBundle("1.0", statement), time.Now()); err != nil {
			t.Fatal(err)
		}
		vc, err := c.content(tenant, "tiny", "1.0")
		if err != nil {
			t.Fatal(err)
		}
		if got := vc.practices[0].GetStatement(); got != statement {
			t.Fatalf("statement = %q, want %q", got, statement)
		}
		if n := len(c.entries); n != 1 {
			t.Fatalf("%d entries for one version", n)
		}
		if err := st.Delete(tenant, "tiny", "1.0", ""); err != nil {
			t.Fatal(err)
		}
	}
}
