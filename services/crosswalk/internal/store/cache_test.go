package store_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/types/known/timestamppb"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	"github.com/aim-platform/aim/platform/errs"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/crosswalk/internal/store"
)

// The mapping cache must never answer with mappings the store no longer
// holds. These tests write with one fixed clock, so that two imports of
// the same number of mappings give the crosswalk the same etag and update
// time: only the crosswalk's revision tells them apart.

var fixedNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func createAt(t *testing.T, st *store.Store, tenant, id string) {
	t.Helper()
	ts := timestamppb.New(fixedNow)
	c := &crosswalkv1.Crosswalk{Name: store.CrosswalkName(id), DisplayName: id, SourceFramework: "frameworks/iso-iec-42001-2023",
		TargetFramework: "frameworks/iso-iec-23894-2023", CreateTime: ts, UpdateTime: ts}
	c.Etag = pstore.ETag(c)
	if err := st.CreateCrosswalk(tenant, id, c); err != nil {
		t.Fatal(err)
	}
}

func replaceAt(t *testing.T, st *store.Store, tenant, id string, pairs ...string) *crosswalkv1.Crosswalk {
	t.Helper()
	var ms []*crosswalkv1.Mapping
	for i := 0; i < len(pairs); i += 2 {
		ms = append(ms, mapping(id, pairs[i], pairs[i+1]))
	}
	c, err := st.ReplaceMappings(tenant, id, "", ms, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wantMappings(t *testing.T, st *store.Store, tenant, id string, want ...string) {
	t.Helper()
	if got := mustMappings(t, st, tenant, id); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Fatalf("%s/%s mappings = %q, want %q", tenant, id, got, want)
	}
	idx, err := st.MappingIndex(tenant, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := pairs(idx.All()); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Fatalf("%s/%s indexed mappings = %q, want %q", tenant, id, got, want)
	}
}

func TestMappingCacheWriteThenRead(t *testing.T) {
	st := open(t)
	createAt(t, st, tenantA, "cw")
	first := replaceAt(t, st, tenantA, "cw", "4.1", "6.1", "4.2", "6.2")
	wantMappings(t, st, tenantA, "cw", "4.1>6.1", "4.2>6.2")
	wantMappings(t, st, tenantA, "cw", "4.1>6.1", "4.2>6.2")
	if s := st.CacheStats(); s.Hits == 0 || s.Crosswalks != 1 {
		t.Fatalf("reading twice did not use the cache: %+v", s)
	}

	// The same count at the same time: the etag does not change.
	second := replaceAt(t, st, tenantA, "cw", "5.1", "5.2", "5.3", "5.4")
	if second.GetEtag() != first.GetEtag() {
		t.Logf("note: the etags differ (%s, %s); the case below is then easier than meant", first.GetEtag(), second.GetEtag())
	}
	wantMappings(t, st, tenantA, "cw", "5.1>5.2", "5.3>5.4")

	// Deleted and created again with the same id, content and time.
	if err := st.DeleteCrosswalk(tenantA, "cw", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Mappings(tenantA, "cw"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("Mappings of a deleted crosswalk: %v, want NotFound", err)
	}
	createAt(t, st, tenantA, "cw")
	wantMappings(t, st, tenantA, "cw")
	replaceAt(t, st, tenantA, "cw", "4.1", "6.1", "4.2", "6.2")
	wantMappings(t, st, tenantA, "cw", "4.1>6.1", "4.2>6.2")
	if err := st.DeleteCrosswalk(tenantA, "cw", ""); err != nil {
		t.Fatal(err)
	}
	createAt(t, st, tenantA, "cw")
	replaceAt(t, st, tenantA, "cw", "5.1", "5.2", "5.3", "5.4")
	wantMappings(t, st, tenantA, "cw", "5.1>5.2", "5.3>5.4")

	// An import that fails leaves the cached mappings right.
	huge := mapping("cw", "9.9", string(make([]byte, 40<<10)))
	if _, err := st.ReplaceMappings(tenantA, "cw", "", []*crosswalkv1.Mapping{mapping("cw", "1", "2"), huge}, fixedNow); err == nil {
		t.Fatal("a 40 KiB key was stored")
	}
	wantMappings(t, st, tenantA, "cw", "5.1>5.2", "5.3>5.4")

	// Emptied.
	replaceAt(t, st, tenantA, "cw")
	wantMappings(t, st, tenantA, "cw")
}

func TestMappingCacheTenants(t *testing.T) {
	st := open(t)
	// Two tenants, one crosswalk id, the same time and count.
	for _, tenant := range []string{tenantA, tenantB} {
		createAt(t, st, tenant, "cw")
	}
	replaceAt(t, st, tenantA, "cw", "4.1", "6.1")
	replaceAt(t, st, tenantB, "cw", "7.1", "7.2")
	for range 2 {
		wantMappings(t, st, tenantA, "cw", "4.1>6.1")
		wantMappings(t, st, tenantB, "cw", "7.1>7.2")
	}
	replaceAt(t, st, tenantB, "cw", "8.1", "8.2")
	wantMappings(t, st, tenantA, "cw", "4.1>6.1")
	wantMappings(t, st, tenantB, "cw", "8.1>8.2")
	if err := st.DeleteCrosswalk(tenantB, "cw", ""); err != nil {
		t.Fatal(err)
	}
	wantMappings(t, st, tenantA, "cw", "4.1>6.1")
	if _, err := st.Mappings(tenantB, "cw"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("tenant B reads a deleted crosswalk (or tenant A's): %v", err)
	}

	// A shared crosswalk is one entry for every tenant, and a change to it
	// reaches all of them.
	createAt(t, st, pstore.SharedTenant, "shared")
	replaceAt(t, st, pstore.SharedTenant, "shared", "4.1", "6.1")
	wantMappings(t, st, tenantA, "shared", "4.1>6.1")
	wantMappings(t, st, tenantB, "shared", "4.1>6.1")
	replaceAt(t, st, pstore.SharedTenant, "shared", "4.2", "6.2")
	wantMappings(t, st, tenantA, "shared", "4.2>6.2")
	wantMappings(t, st, tenantB, "shared", "4.2>6.2")
}

func TestMappingCacheBounds(t *testing.T) {
	st := open(t)
	for i := range 3 {
		id := fmt.Sprintf("cw-%d", i)
		createAt(t, st, tenantA, id)
		replaceAt(t, st, tenantA, id, "4.1", fmt.Sprintf("6.%d", i))
	}
	read := func() {
		t.Helper()
		for i := range 3 {
			id := fmt.Sprintf("cw-%d", i)
			wantMappings(t, st, tenantA, id, fmt.Sprintf("4.1>6.%d", i))
		}
	}

	st.SetCacheLimits(2, 1<<30)
	read()
	if s := st.CacheStats(); s.Crosswalks != 2 || s.Bytes <= 0 {
		t.Fatalf("with room for 2 crosswalks the cache holds %+v", s)
	}

	one := st.CacheStats().Bytes / 2 // the three are of one size
	st.SetCacheLimits(100, one*3/2)
	read()
	if s := st.CacheStats(); s.Crosswalks != 1 || s.Bytes > one*3/2 {
		t.Fatalf("with room for %d bytes the cache holds %+v", one*3/2, s)
	}

	st.SetCacheLimits(100, one-1)
	read()
	if s := st.CacheStats(); s.Crosswalks != 0 || s.Bytes != 0 || s.Hits != 0 {
		t.Fatalf("a crosswalk larger than the bound was kept: %+v", s)
	}

	st.SetCacheLimits(0, 0)
	read()
	read()
	if s := st.CacheStats(); s.Crosswalks != 0 || s.Hits != 0 {
		t.Fatalf("the cache was off but held %+v", s)
	}
}

// A store written before crosswalks had revisions reads as revision 0
// until its next change.
func TestMappingCacheStoreWithoutRevisions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crosswalk.db")
	st, err := store.Open(pstore.DefaultConfig(path))
	if err != nil {
		t.Fatal(err)
	}
	createAt(t, st, tenantA, "cw")
	replaceAt(t, st, tenantA, "cw", "4.1", "6.1")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = store.Open(pstore.DefaultConfig(path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.DB().Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("t")).Bucket([]byte(tenantA)).DeleteBucket([]byte("revisions"))
	}); err != nil {
		t.Fatal(err)
	}
	wantMappings(t, st, tenantA, "cw", "4.1>6.1")
	replaceAt(t, st, tenantA, "cw", "5.1", "5.2")
	wantMappings(t, st, tenantA, "cw", "5.1>5.2")
}

// Readers racing a writer see one whole import or the next, never a mix,
// and the writer reads what it wrote (run with -race).
func TestMappingCacheConcurrent(t *testing.T) {
	st := open(t)
	createAt(t, st, tenantA, "cw")
	content := func(round int) []string {
		return []string{fmt.Sprintf("4.%d", round), "6.1", fmt.Sprintf("4.%d", round), "6.2"}
	}
	replaceAt(t, st, tenantA, "cw", content(0)...)
	const rounds = 30
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				ms, err := st.Mappings(tenantA, "cw")
				if err != nil {
					errc <- err
					return
				}
				got := pairs(ms)
				if len(got) != 2 || got[0][:len(got[0])-4] != got[1][:len(got[1])-4] {
					errc <- fmt.Errorf("a read mixes two imports: %q", got)
					return
				}
			}
		})
	}
	for round := 1; round <= rounds; round++ {
		replaceAt(t, st, tenantA, "cw", content(round)...)
		want := content(round)
		wantMappings(t, st, tenantA, "cw", want[0]+">"+want[1], want[2]+">"+want[3])
	}
	close(stop)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}
