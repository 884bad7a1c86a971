package server_test

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
)

const rsk31 = defaultVersion + "/practiceAreas/RSK/practices/RSK-3.1"

func TestGetPractice(t *testing.T) {
	f := startCatalog(t)
	ctx := f.viewer(t, tenantA)
	var first *modelv1.Practice
	for _, name := range []string{
		rsk31,
		defaultVersion + "/practiceAreas/-/practices/RSK-3.1",
		defaultVersion + "/practiceAreas/RISK/practices/RISK-3.1",
		defaultVersion + "/practiceAreas/RISK/practices/RSK-3.1",
		defaultVersion + "/practiceAreas/-/practices/RISK-3.1",
		defaultVersion + "/practiceAreas/rsk/practices/rsk-3.1",
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := f.client.GetPractice(ctx, &modelv1.GetPracticeRequest{Name: name})
			if err != nil {
				t.Fatal(err)
			}
			p := resp.GetPractice()
			switch {
			case p.GetName() != rsk31:
				t.Fatalf("name = %q, want %q", p.GetName(), rsk31)
			case p.GetLabel() != "RSK 3.1":
				t.Fatalf("label = %q", p.GetLabel())
			case !slices.Contains(p.GetAliases(), "RISK 3.1"):
				t.Fatalf("aliases = %q", p.GetAliases())
			case p.GetPracticeArea() != defaultVersion+"/practiceAreas/RSK" || p.GetLevel() != 3 || p.GetStatement() == "":
				t.Fatalf("practice = %v", p)
			case len(p.GetAiContext()) != 2 || p.GetAiContext()[0].GetId() != "RSK-3.1-AI-1":
				t.Fatalf("ai_context = %v", p.GetAiContext())
			}
			if first == nil {
				first = p
			} else if !proto.Equal(p, first) {
				t.Fatalf("%s gives %v, want %v", name, p, first)
			}
		})
	}

	for _, tt := range []struct{ name, typ, resource string }{
		{defaultVersion + "/practiceAreas/PLAN/practices/RSK-3.1", "Practice", defaultVersion + "/practiceAreas/PLAN/practices/RSK-3.1"},
		{defaultVersion + "/practiceAreas/RSK/practices/RSK-4.1", "Practice", defaultVersion + "/practiceAreas/RSK/practices/RSK-4.1"},
		{defaultVersion + "/practiceAreas/-/practices/NOPE-1.1", "Practice", defaultVersion + "/practiceAreas/NOPE/practices/NOPE-1.1"},
		{defaultModel + "/versions/9/practiceAreas/RSK/practices/RSK-3.1", "ModelVersion", defaultModel + "/versions/9"},
	} {
		t.Run("not found "+tt.name, func(t *testing.T) {
			_, err := f.client.GetPractice(ctx, &modelv1.GetPracticeRequest{Name: tt.name})
			wantNotFound(t, err, tt.typ, tt.resource)
		})
	}
	for _, name := range []string{
		defaultVersion + "/practiceAreas/RSK/practices/RSK31",
		defaultVersion + "/practiceAreas/RSK/practices/RSK-3.0",
		defaultVersion + "/practiceAreas/RSK/practices/RSK-3.01",
		defaultVersion + "/practiceAreas/RSK",
		defaultVersion + "/practices/RSK-3.1",
	} {
		t.Run("invalid "+name, func(t *testing.T) {
			_, err := f.client.GetPractice(ctx, &modelv1.GetPracticeRequest{Name: name})
			wantViolations(t, err, "name")
		})
	}
}

func TestListPractices(t *testing.T) {
	f := startCatalog(t)
	ctx := f.viewer(t, tenantB)
	def := mustDefaultBundle(t)
	areas := defaultPracticeAreas(t)

	t.Run("one practice area in order", func(t *testing.T) {
		want := []string{"RSK-1.1", "RSK-1.2", "RSK-2.1", "RSK-2.2", "RSK-2.3", "RSK-3.1", "RSK-3.2", "RSK-3.3", "RSK-3.4", "RSK-3.5"}
		for _, parent := range []string{"RSK", "RISK", "rsk"} {
			resp, err := f.client.ListPractices(ctx, &modelv1.ListPracticesRequest{Parent: defaultVersion + "/practiceAreas/" + parent})
			if err != nil {
				t.Fatalf("%s: %v", parent, err)
			}
			if got := practiceIDs(resp.GetPractices()); !slices.Equal(got, want) || resp.GetNextPageToken() != "" {
				t.Fatalf("%s lists %q (token %q), want %q", parent, got, resp.GetNextPageToken(), want)
			}
		}
		_, err := f.client.ListPractices(ctx, &modelv1.ListPracticesRequest{Parent: defaultVersion + "/practiceAreas/NOPE"})
		wantNotFound(t, err, "PracticeArea", defaultVersion+"/practiceAreas/NOPE")
	})

	t.Run("numeric order", func(t *testing.T) {
		all := f.listAllPractices(t, ctx, defaultVersion+"/practiceAreas/-", "", 1000)
		ids := practiceIDs(all)
		if len(ids) != 276 || !sortedByKey(t, ids) {
			t.Fatalf("%d practices, sorted %v", len(ids), sortedByKey(t, ids))
		}
		// Every practice of the bundle is served as written.
		byID := map[string]*modelv1.Practice{}
		for _, p := range all {
			byID[lastSegment(p.GetName())] = p
		}
		for _, bp := range def.GetPractices() {
			p := byID[bp.GetId()]
			if p == nil || p.GetStatement() != bp.GetStatement() || p.GetLevel() != bp.GetLevel() ||
				areaOf(p) != bp.GetPracticeArea() || len(p.GetAiContext()) != len(bp.GetAiContext()) {
				t.Fatalf("practice %s = %v, bundle %v", bp.GetId(), p, bp)
			}
		}
	})

	t.Run("paging", func(t *testing.T) {
		seen := map[string]bool{}
		token := ""
		pages := 0
		for {
			resp, err := f.client.ListPractices(ctx, &modelv1.ListPracticesRequest{
				Parent: defaultVersion + "/practiceAreas/-", PageSize: 100, PageToken: token,
			})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(resp.GetPractices()) > 100 {
				t.Fatalf("page of %d", len(resp.GetPractices()))
			}
			for _, id := range practiceIDs(resp.GetPractices()) {
				if seen[id] {
					t.Fatalf("%s on two pages", id)
				}
				seen[id] = true
			}
			if token = resp.GetNextPageToken(); token == "" || pages > 5 {
				break
			}
			// The token is bound to the filter, the parent and the tenant.
			for _, req := range []*modelv1.ListPracticesRequest{
				{Parent: defaultVersion + "/practiceAreas/-", PageSize: 100, PageToken: token, Filter: "level >= 2"},
				{Parent: defaultVersion + "/practiceAreas/RSK", PageSize: 100, PageToken: token},
			} {
				_, err := f.client.ListPractices(ctx, req)
				wantViolations(t, err, "page_token")
			}
			_, err = f.client.ListPractices(f.viewer(t, tenantA), &modelv1.ListPracticesRequest{
				Parent: defaultVersion + "/practiceAreas/-", PageSize: 100, PageToken: token,
			})
			wantViolations(t, err, "page_token")
		}
		if pages != 3 || len(seen) != 276 {
			t.Fatalf("%d pages with %d practices; want 3 pages, 276", pages, len(seen))
		}
	})

	t.Run("filters", func(t *testing.T) {
		tests := []struct {
			filter string
			parent string
			check  func(p *modelv1.Practice) bool
			want   int // -1: count from the bundle with the check
		}{
			{`domain = "data" AND has_ai_context = true`, "-", func(p *modelv1.Practice) bool {
				return (areaOf(p) == "DM" || areaOf(p) == "DQ") && len(p.GetAiContext()) > 0
			}, -1},
			{`level >= 4`, "-", func(p *modelv1.Practice) bool { return p.GetLevel() >= 4 && p.GetLevel() <= 5 }, -1},
			{`level < 2`, "-", func(p *modelv1.Practice) bool { return p.GetLevel() == 1 }, -1},
			{`level = 3 AND practice_area = "RSK"`, "-", func(p *modelv1.Practice) bool { return areaOf(p) == "RSK" && p.GetLevel() == 3 }, 5},
			{`usage_scenario = "FULLY_AUTONOMOUS"`, "-", func(p *modelv1.Practice) bool { return hasScenario(p, autonom) }, -1},
			{`usage_scenario = "AI_USAGE_SCENARIO_FULLY_AUTONOMOUS"`, "-", func(p *modelv1.Practice) bool { return hasScenario(p, autonom) }, -1},
			{`applicability = "ACQUIRING"`, "-", func(p *modelv1.Practice) bool { return hasApplicability(p, acquire) }, -1},
			{`has_ai_context = false`, "-", func(p *modelv1.Practice) bool { return len(p.GetAiContext()) == 0 }, 276 - 126},
			{`has_ai_context = true`, "-", func(p *modelv1.Practice) bool { return len(p.GetAiContext()) > 0 }, 126},
			{`practice_area = "RISK"`, "-", func(p *modelv1.Practice) bool { return areaOf(p) == "RSK" }, 10},
			{`practice_area = "rsk"`, "-", func(p *modelv1.Practice) bool { return areaOf(p) == "RSK" }, 10},
			{`category = "managing"`, "-", func(p *modelv1.Practice) bool {
				return strings.HasSuffix(areaCategory(areas, areaOf(p)), "managing")
			}, -1},
			{`capability_area = "MBR" AND level <= 2`, "-", func(p *modelv1.Practice) bool {
				return areas[areaOf(p)].GetCapabilityArea() == "MBR" && p.GetLevel() <= 2
			}, -1},
			{`has_ai_context = true`, "RISK", func(p *modelv1.Practice) bool { return areaOf(p) == "RSK" && len(p.GetAiContext()) > 0 }, 6},
			{`practice_area = "PLAN"`, "RSK", func(*modelv1.Practice) bool { return false }, 0},
		}
		all := f.listAllPractices(t, ctx, defaultVersion+"/practiceAreas/-", "", 1000)
		for _, tt := range tests {
			t.Run(tt.parent+"/"+tt.filter, func(t *testing.T) {
				got := f.listAllPractices(t, ctx, defaultVersion+"/practiceAreas/"+tt.parent, tt.filter, 7)
				for _, p := range got {
					if !tt.check(p) {
						t.Fatalf("%s gives %s: %v", tt.filter, p.GetName(), p)
					}
				}
				want := tt.want
				if want < 0 {
					want = 0
					for _, p := range all {
						if tt.check(p) {
							want++
						}
					}
				}
				if len(got) != want || (want > 0 && !sortedByKey(t, practiceIDs(got))) {
					t.Fatalf("%s gives %d practices, want %d", tt.filter, len(got), want)
				}
				if tt.want < 0 && want == 0 {
					t.Fatalf("the check of %s selects nothing; the test proves nothing", tt.filter)
				}
			})
		}
	})

	t.Run("bad filters", func(t *testing.T) {
		for _, filter := range []string{
			`usage_scenario = "SOMETIMES"`, `practice_area = "NOPE"`, `level >= "x"`, `has_ai_context = maybe`,
			`statement = "x"`, `level >= 2 OR level <= 1`, `(`,
		} {
			_, err := f.client.ListPractices(ctx, &modelv1.ListPracticesRequest{Parent: defaultVersion + "/practiceAreas/-", Filter: filter})
			wantViolations(t, err, "filter")
		}
		_, err := f.client.ListPractices(ctx, &modelv1.ListPracticesRequest{Parent: defaultVersion + "/practiceAreas/-", PageSize: -1})
		wantViolations(t, err, "page_size")
		_, err = f.client.ListPractices(ctx, &modelv1.ListPracticesRequest{Parent: defaultVersion})
		wantViolations(t, err, "parent")
	})
}

func hasScenario(p *modelv1.Practice, s modelv1.AiUsageScenario) bool {
	for _, a := range p.GetAiContext() {
		if slices.Contains(a.GetUsageScenarios(), s) {
			return true
		}
	}
	return false
}

func hasApplicability(p *modelv1.Practice, ap modelv1.AiApplicability) bool {
	for _, a := range p.GetAiContext() {
		if slices.Contains(a.GetApplicability(), ap) {
			return true
		}
	}
	return false
}

// areaCategory returns the category id of a default practice area.
func areaCategory(areas map[string]*modelv1.BundlePracticeArea, area string) string {
	ca := areas[area].GetCapabilityArea()
	b, _ := defaultBundle()
	for _, c := range b.GetCapabilityAreas() {
		if c.GetId() == ca {
			return c.GetCategory()
		}
	}
	return ""
}

func TestBatchGetPractices(t *testing.T) {
	f := startCatalog(t)
	ctx := f.viewer(t, tenantA)

	resp, err := f.client.BatchGetPractices(ctx, &modelv1.BatchGetPracticesRequest{
		Parent: defaultVersion,
		Names: []string{
			"PLAN-2.1",
			"RISK 3.1",
			defaultVersion + "/practiceAreas/DQ/practices/DQ-1.1",
			"rsk-1.1",
			defaultVersion + "/practiceAreas/-/practices/RISK-3.2",
			"RSK-3.1",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"PLAN-2.1", "RSK-3.1", "DQ-1.1", "RSK-1.1", "RSK-3.2", "RSK-3.1"}
	if got := practiceIDs(resp.GetPractices()); !slices.Equal(got, want) {
		t.Fatalf("practices = %q, want %q", got, want)
	}
	get, err := f.client.GetPractice(ctx, &modelv1.GetPracticeRequest{Name: rsk31})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(resp.GetPractices()[1], get.GetPractice()) {
		t.Fatalf("batch = %v, get = %v", resp.GetPractices()[1], get.GetPractice())
	}

	t.Run("unknown practice", func(t *testing.T) {
		_, err := f.client.BatchGetPractices(ctx, &modelv1.BatchGetPracticesRequest{
			Parent: defaultVersion, Names: []string{"RSK-3.1", "RSK-4.1", "PLAN-9.9"},
		})
		wantNotFound(t, err, "Practice", defaultVersion+"/practiceAreas/RSK/practices/RSK-4.1")
	})
	t.Run("unknown version", func(t *testing.T) {
		_, err := f.client.BatchGetPractices(ctx, &modelv1.BatchGetPracticesRequest{Parent: defaultModel + "/versions/9", Names: []string{"RSK-3.1"}})
		wantNotFound(t, err, "ModelVersion", defaultModel+"/versions/9")
	})
	tests := []struct {
		name   string
		names  []string
		fields []string
	}{
		{"malformed", []string{"RSK-3.1", "not a practice"}, []string{"names[1]"}},
		{"every malformed one", []string{"RSK", "RSK-3.1", "RSK-3.x", "3.1"}, []string{"names[0]", "names[2]", "names[3]"}},
		{"another version", []string{defaultModel + "/versions/2.0/practiceAreas/RSK/practices/RSK-3.1"}, []string{"names[0]"}},
		{"another model", []string{"RSK-3.1", acmeV1 + "/practiceAreas/RSK/practices/RSK-3.1"}, []string{"names[1]"}},
		{"a practice area name", []string{defaultVersion + "/practiceAreas/RSK"}, []string{"names[0]"}},
		{"none", nil, []string{"names"}},
		{"empty", []string{""}, []string{"names[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.BatchGetPractices(ctx, &modelv1.BatchGetPracticesRequest{Parent: defaultVersion, Names: tt.names})
			wantViolations(t, err, tt.fields...)
		})
	}
	t.Run("too many", func(t *testing.T) {
		names := make([]string, 1001)
		for i := range names {
			names[i] = "RSK-3.1"
		}
		_, err := f.client.BatchGetPractices(ctx, &modelv1.BatchGetPracticesRequest{Parent: defaultVersion, Names: names})
		wantViolations(t, err, "names")
	})
}

// A full resource name in BatchGetPractices is a resource name like any
// other: one whose practice area segment is not the practice's does not
// name the practice, as GetPractice answers for it.
func TestBatchGetPracticesWrongPracticeArea(t *testing.T) {
	f := startCatalog(t)
	ctx := f.viewer(t, tenantA)
	name := defaultVersion + "/practiceAreas/PLAN/practices/RSK-3.1"
	_, err := f.client.GetPractice(ctx, &modelv1.GetPracticeRequest{Name: name})
	wantNotFound(t, err, "Practice", name)
	resp, err := f.client.BatchGetPractices(ctx, &modelv1.BatchGetPracticesRequest{Parent: defaultVersion, Names: []string{name}})
	if err == nil {
		t.Fatalf("BatchGetPractices(%s) = %q; GetPractice of the same name is NOT_FOUND", name, practiceIDs(resp.GetPractices()))
	}
	wantNotFound(t, err, "Practice", name)
}

func TestSearchPractices(t *testing.T) {
	f := startCatalog(t)
	ctx := f.viewer(t, tenantA)

	t.Run("bias in training data", func(t *testing.T) {
		resp, err := f.client.SearchPractices(ctx, &modelv1.SearchPracticesRequest{Parent: defaultVersion, Query: "bias in training data"})
		if err != nil {
			t.Fatal(err)
		}
		res := resp.GetResults()
		if len(res) < 5 || len(res) > 20 {
			t.Fatalf("%d results, want 5 to 20 (the default page size)", len(res))
		}
		for i, r := range res[:5] {
			p := r.GetPractice()
			if len(p.GetAiContext()) == 0 || len(r.GetMatchedAiContext()) == 0 {
				t.Fatalf("result %d, %s: ai_context %d, matched %q", i, p.GetName(), len(p.GetAiContext()), r.GetMatchedAiContext())
			}
			var ids []string
			for _, a := range p.GetAiContext() {
				ids = append(ids, a.GetId())
			}
			for _, m := range r.GetMatchedAiContext() {
				if !slices.Contains(ids, m) {
					t.Fatalf("result %d matched %s, not an addition of %s (%q)", i, m, p.GetName(), ids)
				}
			}
		}
		checkRanked(t, res)
	})

	// TestIntegrator_ExactPhraseRanksFirst: RSK 3.1's AI context holds the
	// exact words "bias in training data"; it ranked fifth, behind texts
	// that hold the words apart.
	t.Run("Integrator_ExactPhraseRanksFirst", func(t *testing.T) {
		resp, err := f.client.SearchPractices(ctx, &modelv1.SearchPracticesRequest{Parent: defaultVersion, Query: "bias in training data"})
		if err != nil {
			t.Fatal(err)
		}
		if res := resp.GetResults(); len(res) == 0 || !strings.HasSuffix(res[0].GetPractice().GetName(), "/RSK-3.1") {
			var names []string
			for _, r := range res {
				names = append(names, r.GetPractice().GetName())
			}
			t.Fatalf("first results %q; want RSK-3.1, whose text holds the phrase, first", names[:min(5, len(names))])
		}
	})

	t.Run("page size", func(t *testing.T) {
		for _, size := range []int32{1, 3, 100} {
			resp, err := f.client.SearchPractices(ctx, &modelv1.SearchPracticesRequest{Parent: defaultVersion, Query: "risk", PageSize: size})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(resp.GetResults()); n == 0 || n > int(size) || (size < 100 && n != int(size)) {
				t.Fatalf("page_size %d gives %d results", size, n)
			}
			checkRanked(t, resp.GetResults())
		}
	})

	t.Run("filter", func(t *testing.T) {
		resp, err := f.client.SearchPractices(ctx, &modelv1.SearchPracticesRequest{
			Parent: defaultVersion, Query: "bias in training data", Filter: `domain = "data"`, PageSize: 100,
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetResults()) == 0 {
			t.Fatal("no results")
		}
		for _, r := range resp.GetResults() {
			if a := areaOf(r.GetPractice()); a != "DM" && a != "DQ" {
				t.Fatalf("domain = data gives %s", r.GetPractice().GetName())
			}
		}
		checkRanked(t, resp.GetResults())

		// The filter applies before the page size.
		few, err := f.client.SearchPractices(ctx, &modelv1.SearchPracticesRequest{
			Parent: defaultVersion, Query: "bias in training data", Filter: `domain = "data"`, PageSize: 2,
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetResults()) >= 2 && (len(few.GetResults()) != 2 || !proto.Equal(few.GetResults()[0], resp.GetResults()[0])) {
			t.Fatalf("page_size 2 with a filter gives %d results", len(few.GetResults()))
		}

		resp, err = f.client.SearchPractices(ctx, &modelv1.SearchPracticesRequest{
			Parent: defaultVersion, Query: "risk", Filter: `practice_area = "RISK" AND level = 3`, PageSize: 100,
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range resp.GetResults() {
			if p := r.GetPractice(); areaOf(p) != "RSK" || p.GetLevel() != 3 {
				t.Fatalf("filter gives %s", p.GetName())
			}
		}
		if len(resp.GetResults()) == 0 {
			t.Fatal("no RSK level 3 result for risk")
		}
	})

	t.Run("no match", func(t *testing.T) {
		resp, err := f.client.SearchPractices(ctx, &modelv1.SearchPracticesRequest{Parent: defaultVersion, Query: "xylophone"})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetResults()) != 0 {
			t.Fatalf("results = %v", resp.GetResults())
		}
	})

	t.Run("invalid", func(t *testing.T) {
		tests := []struct {
			name  string
			req   *modelv1.SearchPracticesRequest
			field string
		}{
			{"empty query", &modelv1.SearchPracticesRequest{Parent: defaultVersion}, "query"},
			{"long query", &modelv1.SearchPracticesRequest{Parent: defaultVersion, Query: strings.Repeat("a", 501)}, "query"},
			{"page size above 100", &modelv1.SearchPracticesRequest{Parent: defaultVersion, Query: "risk", PageSize: 101}, "page_size"},
			{"negative page size", &modelv1.SearchPracticesRequest{Parent: defaultVersion, Query: "risk", PageSize: -1}, "page_size"},
			{"bad filter", &modelv1.SearchPracticesRequest{Parent: defaultVersion, Query: "risk", Filter: `level ~ 3`}, "filter"},
			{"bad parent", &modelv1.SearchPracticesRequest{Parent: defaultModel, Query: "risk"}, "parent"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := f.client.SearchPractices(ctx, tt.req)
				wantViolations(t, err, tt.field)
			})
		}
		_, err := f.client.SearchPractices(ctx, &modelv1.SearchPracticesRequest{Parent: defaultModel + "/versions/9", Query: "risk"})
		wantNotFound(t, err, "ModelVersion", defaultModel+"/versions/9")
	})

	t.Run("concurrent first searches", func(t *testing.T) {
		b := smallBundle()
		b.Version = "2.0"
		f.importBundle(t, tenantA, b)
		results := make([]*modelv1.SearchPracticesResponse, 8)
		errors := make([]error, 8)
		var wg sync.WaitGroup
		for i := range results {
			wg.Go(func() {
				results[i], errors[i] = f.client.SearchPractices(ctx, &modelv1.SearchPracticesRequest{Parent: acmeModel + "/versions/2.0", Query: "risks"})
			})
		}
		wg.Wait()
		for i := range results {
			if errors[i] != nil {
				t.Fatal(errors[i])
			}
			if len(results[i].GetResults()) == 0 || !proto.Equal(results[i], results[0]) {
				t.Fatalf("search %d = %v, search 0 = %v", i, results[i], results[0])
			}
		}
	})

	t.Run("a tenant's draft", func(t *testing.T) {
		f.importBundle(t, tenantA, smallBundle())
		resp, err := f.client.SearchPractices(ctx, &modelv1.SearchPracticesRequest{Parent: acmeV1, Query: "autonomous agents"})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetResults()) == 0 || lastSegment(resp.GetResults()[0].GetPractice().GetName()) != "RSK-3.1" ||
			!slices.Equal(resp.GetResults()[0].GetMatchedAiContext(), []string{"RSK-3.1-AI-1"}) {
			t.Fatalf("results = %v", resp.GetResults())
		}
		// The draft's words are not in the shared version's index.
		resp, err = f.client.SearchPractices(ctx, &modelv1.SearchPracticesRequest{Parent: defaultVersion, Query: "hallucination"})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetResults()) != 0 {
			t.Fatalf("shared results = %v", resp.GetResults())
		}
	})
}

// checkRanked fails unless results have non-increasing positive scores and
// distinct practices.
func checkRanked(t *testing.T, res []*modelv1.SearchResult) {
	t.Helper()
	seen := map[string]bool{}
	for i, r := range res {
		if r.GetScore() <= 0 {
			t.Fatalf("result %d has score %v", i, r.GetScore())
		}
		if i > 0 && r.GetScore() > res[i-1].GetScore() {
			t.Fatalf("score %v after %v", r.GetScore(), res[i-1].GetScore())
		}
		if seen[r.GetPractice().GetName()] {
			t.Fatalf("%s twice", r.GetPractice().GetName())
		}
		seen[r.GetPractice().GetName()] = true
	}
}

// logError matches the cause of an internal error in the server's log.
var logError = regexp.MustCompile(`"msg":"internal error".*?"error":"([^"]*)"`)

// Searching a draft while it is deleted answers with results or NOT_FOUND,
// never an internal error; and the search index of a version imported again
// under the same id works. (A search that resolved the version just before
// the delete must not build an index from the deleted content, nor use an
// index the delete closed.)
func TestSearchWhileDeletingDraft(t *testing.T) {
	f := newCatalog(t, false)
	ctx := f.viewer(t, tenantA)
	var mu sync.Mutex
	got := map[codes.Code]int{}
	for range 40 {
		f.importBundle(t, tenantA, smallBundle())
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				_, err := f.client.SearchPractices(ctx, &modelv1.SearchPracticesRequest{Parent: acmeV1, Query: "risks"})
				mu.Lock()
				defer mu.Unlock()
				got[status.Code(err)]++
			})
		}
		if _, err := f.client.DeleteModelVersion(f.manager(t, tenantA), &modelv1.DeleteModelVersionRequest{Name: acmeV1}); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
	}
	for code := range got {
		if code != codes.OK && code != codes.NotFound {
			causes := map[string]bool{}
			for _, m := range logError.FindAllStringSubmatch(f.env.Logs(), -1) {
				causes[m[1]] = true
			}
			t.Errorf("searches racing a delete answered %v; want only OK and NOT_FOUND; the server logged: %q",
				got, slices.Sorted(maps.Keys(causes)))
			break
		}
	}
	// Imported again, the version searches normally.
	f.importBundle(t, tenantA, smallBundle())
	resp, err := f.client.SearchPractices(ctx, &modelv1.SearchPracticesRequest{Parent: acmeV1, Query: "hallucination"})
	if err != nil || len(resp.GetResults()) != 1 {
		t.Fatalf("search after the races = %v, %v", resp.GetResults(), err)
	}
}
