package store_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	"github.com/aim-platform/aim/platform/errs"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/crosswalk/internal/store"
)

const (
	tenantA = "acme"
	tenantB = "globex"
)

func open(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(pstore.DefaultConfig(filepath.Join(t.TempDir(), "crosswalk.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	if _, err := st.InstallDefaults(time.Now()); err != nil {
		t.Fatal(err)
	}
	return st
}

func newCrosswalk(t *testing.T, st *store.Store, tenant, id string) *crosswalkv1.Crosswalk {
	t.Helper()
	now := timestamppb.Now()
	c := &crosswalkv1.Crosswalk{
		Name: store.CrosswalkName(id), DisplayName: id, SourceFramework: "frameworks/iso-iec-42001-2023",
		TargetFramework: "frameworks/iso-iec-23894-2023", CreateTime: now, UpdateTime: now,
	}
	c.Etag = pstore.ETag(c)
	if err := st.CreateCrosswalk(tenant, id, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func mapping(crosswalk, source, target string) *crosswalkv1.Mapping {
	return &crosswalkv1.Mapping{
		Name:   store.CrosswalkName(crosswalk) + "/mappings/" + strings.ToLower(source+"--"+target),
		Source: source, Target: target, Relationship: crosswalkv1.Relationship_RELATIONSHIP_EQUAL,
	}
}

func pairs(ms []*crosswalkv1.Mapping) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.GetSource()+">"+m.GetTarget())
	}
	return out
}

func mustMappings(t *testing.T, st *store.Store, tenant, id string) []string {
	t.Helper()
	ms, err := st.Mappings(tenant, id)
	if err != nil {
		t.Fatal(err)
	}
	return pairs(ms)
}

func TestReplaceMappings(t *testing.T) {
	st := open(t)
	created := newCrosswalk(t, st, tenantA, "cw")
	// A crosswalk whose id extends the first one's must not be touched.
	newCrosswalk(t, st, tenantA, "cw-2")
	if _, err := st.ReplaceMappings(tenantA, "cw-2", "", []*crosswalkv1.Mapping{mapping("cw-2", "9.1", "6.1")}, time.Now()); err != nil {
		t.Fatal(err)
	}

	t0 := time.Now()
	first, err := st.ReplaceMappings(tenantA, "cw", created.GetEtag(), []*crosswalkv1.Mapping{
		mapping("cw", "4.1", "6.1"), mapping("cw", "4.2", "6.2"), mapping("cw", "4.1", "6.3"),
	}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if first.GetMappingCount() != 3 || first.GetEtag() == created.GetEtag() || first.GetEtag() != pstore.ETag(first) ||
		!first.GetUpdateTime().AsTime().Equal(t0) || !proto.Equal(first.GetCreateTime(), created.GetCreateTime()) {
		t.Fatalf("after the first replace: %v", first)
	}
	if got, want := mustMappings(t, st, tenantA, "cw"), []string{"4.1>6.1", "4.1>6.3", "4.2>6.2"}; !slices.Equal(got, want) {
		t.Fatalf("mappings = %q, want %q", got, want)
	}

	second, err := st.ReplaceMappings(tenantA, "cw", first.GetEtag(), []*crosswalkv1.Mapping{mapping("cw", "5.1", "5.2")}, t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if second.GetMappingCount() != 1 || second.GetEtag() == first.GetEtag() {
		t.Fatalf("after the second replace: %v", second)
	}
	if got := mustMappings(t, st, tenantA, "cw"); !slices.Equal(got, []string{"5.1>5.2"}) {
		t.Fatalf("old mappings survive the replace: %q", got)
	}
	stored, _, err := st.GetCrosswalk(tenantA, "cw")
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(stored, second) {
		t.Fatalf("stored %v\nreturned %v", stored, second)
	}
	if got := mustMappings(t, st, tenantA, "cw-2"); !slices.Equal(got, []string{"9.1>6.1"}) {
		t.Fatalf("cw-2 mappings = %q", got)
	}

	// Paging sees the same mappings.
	var paged []string
	var after []byte
	for {
		list, last, more, err := st.ListMappings(tenantA, "cw", after, 1)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, pairs(list)...)
		if !more {
			break
		}
		after = last
	}
	if !slices.Equal(paged, []string{"5.1>5.2"}) {
		t.Fatalf("paged = %q", paged)
	}

	// Replacing with nothing empties the crosswalk.
	empty, err := st.ReplaceMappings(tenantA, "cw", "", nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if empty.GetMappingCount() != 0 || len(mustMappings(t, st, tenantA, "cw")) != 0 {
		t.Fatalf("after replacing with nothing: %v", empty)
	}
}

// A replace that fails leaves everything as it was: the old mappings, the
// count, the etag.
func TestReplaceMappingsAtomic(t *testing.T) {
	st := open(t)
	newCrosswalk(t, st, tenantA, "cw")
	before, err := st.ReplaceMappings(tenantA, "cw", "", []*crosswalkv1.Mapping{mapping("cw", "4.1", "6.1"), mapping("cw", "4.2", "6.2")}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	unchanged := func(t *testing.T) {
		t.Helper()
		got, _, err := st.GetCrosswalk(tenantA, "cw")
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(got, before) {
			t.Fatalf("the crosswalk changed:\nbefore %v\nafter  %v", before, got)
		}
		if ms := mustMappings(t, st, tenantA, "cw"); !slices.Equal(ms, []string{"4.1>6.1", "4.2>6.2"}) {
			t.Fatalf("mappings = %q", ms)
		}
	}

	t.Run("stale etag", func(t *testing.T) {
		_, err := st.ReplaceMappings(tenantA, "cw", `"stale"`, []*crosswalkv1.Mapping{mapping("cw", "5.1", "5.2")}, time.Now())
		if !errs.Is(err, errs.Aborted) {
			t.Fatalf("err = %v, want Aborted", err)
		}
		unchanged(t)
	})
	t.Run("write fails midway", func(t *testing.T) {
		// bbolt refuses a key over 32 KiB: the third mapping fails after the
		// old ones were deleted and two new ones written.
		huge := mapping("cw", "5.3", strings.Repeat("9", 40<<10))
		_, err := st.ReplaceMappings(tenantA, "cw", "", []*crosswalkv1.Mapping{mapping("cw", "5.1", "5.2"), mapping("cw", "5.2", "5.3"), huge}, time.Now())
		if err == nil {
			t.Fatal("a mapping with a 40 KiB key was stored")
		}
		unchanged(t)
	})
	t.Run("another tenant", func(t *testing.T) {
		_, err := st.ReplaceMappings(tenantB, "cw", "", []*crosswalkv1.Mapping{mapping("cw", "5.1", "5.2")}, time.Now())
		if !errs.Is(err, errs.NotFound) {
			t.Fatalf("err = %v, want NotFound", err)
		}
		unchanged(t)
		if _, err := st.Mappings(tenantB, "cw"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("tenant B reads tenant A's mappings: %v", err)
		}
	})
	t.Run("shared content", func(t *testing.T) {
		newCrosswalk(t, st, pstore.SharedTenant, "shared")
		if _, err := st.ReplaceMappings(pstore.SharedTenant, "shared", "", []*crosswalkv1.Mapping{mapping("shared", "4.1", "6.1")}, time.Now()); err != nil {
			t.Fatal(err)
		}
		_, err := st.ReplaceMappings(tenantA, "shared", "", nil, time.Now())
		if !errs.Is(err, errs.PermissionDenied) {
			t.Fatalf("err = %v, want PermissionDenied", err)
		}
		if got := mustMappings(t, st, tenantB, "shared"); !slices.Equal(got, []string{"4.1>6.1"}) {
			t.Fatalf("shared mappings = %q", got)
		}
		if err := st.DeleteCrosswalk(tenantA, "shared", ""); !errs.Is(err, errs.PermissionDenied) {
			t.Fatalf("delete shared: %v, want PermissionDenied", err)
		}
	})
}

func TestDeleteCrosswalk(t *testing.T) {
	st := open(t)
	for _, id := range []string{"cw", "cw-2"} {
		newCrosswalk(t, st, tenantA, id)
		if _, err := st.ReplaceMappings(tenantA, id, "", []*crosswalkv1.Mapping{mapping(id, "4.1", "6.1"), mapping(id, "4.2", "6.2")}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	// Tenant B's crosswalk of the same id is its own.
	newCrosswalk(t, st, tenantB, "cw")
	if _, err := st.ReplaceMappings(tenantB, "cw", "", []*crosswalkv1.Mapping{mapping("cw", "7.1", "7.2")}, time.Now()); err != nil {
		t.Fatal(err)
	}

	cw, _, err := st.GetCrosswalk(tenantA, "cw")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteCrosswalk(tenantA, "cw", `"stale"`); !errs.Is(err, errs.Aborted) {
		t.Fatalf("stale etag: %v, want Aborted", err)
	}
	if err := st.DeleteCrosswalk(tenantA, "cw", cw.GetEtag()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.GetCrosswalk(tenantA, "cw"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("Get after delete: %v", err)
	}
	if _, err := st.Mappings(tenantA, "cw"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("Mappings after delete: %v", err)
	}
	if err := st.DeleteCrosswalk(tenantA, "cw", ""); !errs.Is(err, errs.NotFound) {
		t.Fatalf("delete again: %v, want NotFound", err)
	}

	// Re-created, it holds no old mapping.
	newCrosswalk(t, st, tenantA, "cw")
	if got := mustMappings(t, st, tenantA, "cw"); len(got) != 0 {
		t.Fatalf("a re-created crosswalk holds %q", got)
	}
	if got := mustMappings(t, st, tenantA, "cw-2"); !slices.Equal(got, []string{"4.1>6.1", "4.2>6.2"}) {
		t.Fatalf("cw-2 lost its mappings: %q", got)
	}
	if got := mustMappings(t, st, tenantB, "cw"); !slices.Equal(got, []string{"7.1>7.2"}) {
		t.Fatalf("tenant B's cw lost its mappings: %q", got)
	}
	all, err := st.AllCrosswalks(tenantA)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Fatalf("tenant A has %d crosswalks, want 2", len(all))
	}
}

func TestCreateCrosswalkConflicts(t *testing.T) {
	st := open(t)
	newCrosswalk(t, st, pstore.SharedTenant, "shared")
	c := &crosswalkv1.Crosswalk{Name: store.CrosswalkName("shared"), DisplayName: "mine"}
	if err := st.CreateCrosswalk(tenantA, "shared", c); !errs.Is(err, errs.AlreadyExists) {
		t.Fatalf("creating over a shared id: %v, want AlreadyExists", err)
	}
	newCrosswalk(t, st, tenantA, "x")
	if err := st.CreateCrosswalk(tenantA, "x", c); !errs.Is(err, errs.AlreadyExists) {
		t.Fatalf("creating twice: %v, want AlreadyExists", err)
	}
	newCrosswalk(t, st, tenantB, "x")
	all, err := st.AllCrosswalks(tenantB)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range all {
		names = append(names, c.GetName())
	}
	if !slices.Equal(names, []string{"crosswalks/shared", "crosswalks/x"}) {
		t.Fatalf("tenant B sees %q", names)
	}
}
