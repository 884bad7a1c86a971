package server_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
)

// The store caches each crosswalk's decoded mappings. Every read below
// goes through that cache (resolution, gap analysis, GetMapping, the
// exports); each must see the last import of the caller's own crosswalk,
// and a tenant must never see another's crosswalk of the same id.

// reads is what the cached read paths say about tenant's crosswalk mine
// for one practice.
type reads struct {
	resolved  string // targets reached from practice, one hop
	mapping   bool   // whether GetMapping finds practice -> target
	coverage  crosswalkv1.ClauseCoverage_Coverage
	exported  bool // whether the JSON export names target
	matrixHas bool // whether the traceability matrix has a column for target
}

func readAll(t *testing.T, h *harness, tenant, practice, target string) reads {
	t.Helper()
	ctx := h.viewer(t, tenant)
	var r reads
	res, err := h.client.ResolveMappings(ctx, &crosswalkv1.ResolveMappingsRequest{Crosswalk: mine, Elements: []string{practice}, Direction: forward, MaxHops: 1})
	if err != nil {
		t.Fatalf("ResolveMappings: %v", err)
	}
	var to []string
	for _, x := range res.GetResults() {
		to = append(to, x.GetTo())
	}
	r.resolved = strings.Join(to, ",")
	_, err = h.client.GetMapping(ctx, &crosswalkv1.GetMappingRequest{Name: mine + "/mappings/" + mappingIDOf(practice, target)})
	switch {
	case err == nil:
		r.mapping = true
	default:
		wantStatus(t, err, codes.NotFound)
	}
	gaps, err := h.client.AnalyzeGaps(ctx, &crosswalkv1.AnalyzeGapsRequest{Crosswalk: mine, SatisfiedPractices: []string{practice}})
	if err != nil {
		t.Fatalf("AnalyzeGaps: %v", err)
	}
	r.coverage = coverageByClause(gaps)[target].GetCoverage()
	exp, err := h.client.ExportCrosswalk(ctx, &crosswalkv1.ExportCrosswalkRequest{Name: mine, Format: crosswalkv1.Format_FORMAT_JSON})
	if err != nil {
		t.Fatalf("ExportCrosswalk: %v", err)
	}
	r.exported = strings.Contains(string(exp.GetBody().GetData()), `"`+target+`"`)
	matrix, err := h.client.ExportTraceabilityMatrix(ctx, &crosswalkv1.ExportTraceabilityMatrixRequest{Crosswalk: mine})
	if err != nil {
		t.Fatalf("ExportTraceabilityMatrix: %v", err)
	}
	header, _, _ := strings.Cut(string(matrix.GetBody().GetData()), "\n")
	r.matrixHas = strings.Contains(","+header+",", ","+target+",")
	return r
}

func importOne(t *testing.T, h *harness, tenant, practice, target, rel string) {
	t.Helper()
	h.importDoc(t, tenant, mine, crosswalkv1.Format_FORMAT_JSON,
		`{"mappings": [{"source": "`+practice+`", "target": "`+target+`", "relationship": "RELATIONSHIP_`+rel+`"}]}`)
}

func TestCachedReadsFollowWrites(t *testing.T) {
	h := newHarness(t)
	for _, tenant := range []string{tenantA, tenantB} {
		h.create(t, tenant, "mine", cmmi, iso42001)
	}
	importOne(t, h, tenantA, "RSK-3.1", "6.1", "EQUAL")
	importOne(t, h, tenantB, "PLAN-2.2", "7.2", "SUBSET_OF")

	covered, notMapped, partly := crosswalkv1.ClauseCoverage_COVERAGE_COVERED, crosswalkv1.ClauseCoverage_COVERAGE_NOT_MAPPED, crosswalkv1.ClauseCoverage_COVERAGE_PARTIALLY_COVERED
	check := func(step, tenant, practice, target string, want reads) {
		t.Helper()
		for range 2 { // the second read is served from the cache
			if got := readAll(t, h, tenant, practice, target); got != want {
				t.Fatalf("%s: %s reads %+v for %s -> %s, want %+v", step, tenant, got, practice, target, want)
			}
		}
	}
	check("first imports", tenantA, "RSK-3.1", "6.1", reads{"6.1", true, covered, true, true})
	check("first imports", tenantB, "PLAN-2.2", "7.2", reads{"7.2", true, partly, true, true})
	// Neither tenant sees the other's mappings under the same crosswalk id.
	check("first imports", tenantB, "RSK-3.1", "6.1", reads{"", false, notMapped, false, false})
	check("first imports", tenantA, "PLAN-2.2", "7.2", reads{"", false, notMapped, false, false})

	// Tenant A imports again: its reads move, tenant B's stay.
	importOne(t, h, tenantA, "RSK-3.1", "9.1", "INTERSECTS_WITH")
	check("re-import", tenantA, "RSK-3.1", "6.1", reads{"9.1", false, notMapped, false, false})
	check("re-import", tenantA, "RSK-3.1", "9.1", reads{"9.1", true, partly, true, true})
	check("re-import", tenantB, "PLAN-2.2", "7.2", reads{"7.2", true, partly, true, true})

	// Deleted and created again under the same id: empty, then imported.
	if _, err := h.client.DeleteCrosswalk(h.editor(t, tenantA), &crosswalkv1.DeleteCrosswalkRequest{Name: mine}); err != nil {
		t.Fatal(err)
	}
	_, err := h.client.ResolveMappings(h.viewer(t, tenantA), &crosswalkv1.ResolveMappingsRequest{Crosswalk: mine, Elements: []string{"RSK-3.1"}, Direction: forward})
	wantStatus(t, err, codes.NotFound)
	h.create(t, tenantA, "mine", cmmi, iso42001)
	check("re-created", tenantA, "RSK-3.1", "9.1", reads{"", false, notMapped, false, false})
	importOne(t, h, tenantA, "RSK-3.1", "6.1", "EQUAL")
	check("re-created and imported", tenantA, "RSK-3.1", "6.1", reads{"6.1", true, covered, true, true})
	check("re-created and imported", tenantB, "PLAN-2.2", "7.2", reads{"7.2", true, partly, true, true})
}
