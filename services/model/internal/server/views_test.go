package server_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/auth"
	pstore "github.com/aim-platform/aim/platform/store"
)

const aimView = defaultVersion + "/views/aim"

func TestBuiltInViews(t *testing.T) {
	f := startCatalog(t)
	ctx := f.viewer(t, tenantA)

	resp, err := f.client.ListViews(ctx, &modelv1.ListViewsRequest{Parent: defaultVersion})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range resp.GetViews() {
		ids = append(ids, lastSegment(v.GetName()))
		if !v.GetBuiltIn() || v.GetDisplayName() == "" || len(v.GetPracticeAreas()) == 0 || !strings.HasPrefix(v.GetName(), defaultVersion+"/views/") {
			t.Fatalf("view %v", v)
		}
	}
	want := []string{"aim", "data", "development", "people", "safety", "security", "services", "suppliers", "virtual"}
	if !slices.Equal(ids, want) || resp.GetNextPageToken() != "" {
		t.Fatalf("views = %q (token %q), want %q", ids, resp.GetNextPageToken(), want)
	}

	var paged []string
	token := ""
	for pages := 1; ; pages++ {
		page, err := f.client.ListViews(ctx, &modelv1.ListViewsRequest{Parent: defaultVersion, PageSize: 4, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.GetViews() {
			paged = append(paged, lastSegment(v.GetName()))
		}
		if token = page.GetNextPageToken(); token == "" {
			if pages != 3 {
				t.Fatalf("%d pages of 4 for 9 views", pages)
			}
			break
		}
		_, err = f.client.ListViews(f.viewer(t, tenantB), &modelv1.ListViewsRequest{Parent: defaultVersion, PageSize: 4, PageToken: token})
		wantViolations(t, err, "page_token")
	}
	if !slices.Equal(paged, want) {
		t.Fatalf("paged views = %q", paged)
	}

	got, err := f.client.GetView(ctx, &modelv1.GetViewRequest{Name: aimView})
	if err != nil {
		t.Fatal(err)
	}
	v := got.GetView()
	if !proto.Equal(v, resp.GetViews()[0]) {
		t.Fatalf("Get = %v\nList = %v", v, resp.GetViews()[0])
	}
	var levels []int32
	for _, ml := range v.GetMaturityLevels() {
		levels = append(levels, ml.GetMaturityLevel())
	}
	if len(v.GetPracticeAreas()) != 31 || !slices.Equal(levels, []int32{2, 3, 4, 5}) || !v.GetBuiltIn() || v.GetDisplayName() != "AIM View" {
		t.Fatalf("aim view: %d practice areas, maturity levels %v, built_in %v", len(v.GetPracticeAreas()), levels, v.GetBuiltIn())
	}

	_, err = f.client.GetView(ctx, &modelv1.GetViewRequest{Name: defaultVersion + "/views/nope"})
	wantNotFound(t, err, "View", defaultVersion+"/views/nope")
	_, err = f.client.ListViews(ctx, &modelv1.ListViewsRequest{Parent: defaultModel + "/versions/9"})
	wantNotFound(t, err, "ModelVersion", defaultModel+"/versions/9")
}

func TestResolveView(t *testing.T) {
	f := startCatalog(t)
	ctx := f.viewer(t, tenantB)
	all := f.listAllPractices(t, ctx, defaultVersion+"/practiceAreas/-", "", 1000)
	maxLevel := map[string]int32{}
	for _, p := range all {
		maxLevel[areaOf(p)] = max(maxLevel[areaOf(p)], p.GetLevel())
	}
	resolve := func(t *testing.T, level int32) *modelv1.ResolveViewResponse {
		t.Helper()
		resp, err := f.client.ResolveView(ctx, &modelv1.ResolveViewRequest{Name: aimView, MaturityLevel: level})
		if err != nil {
			t.Fatal(err)
		}
		if !sortedByKey(t, resp.GetPractices()) {
			t.Fatalf("level %d: practices not in id order", level)
		}
		var areas []string
		for _, a := range resp.GetPracticeAreas() {
			areas = append(areas, a.GetPracticeArea())
		}
		if !slices.IsSorted(areas) {
			t.Fatalf("level %d: practice areas not sorted: %q", level, areas)
		}
		return resp
	}
	// wantPractices lists the default's practices that the areas select at
	// their levels, in id order.
	wantPractices := func(levels map[string]int32) []string {
		var out []string
		for _, p := range all {
			if l, ok := levels[areaOf(p)]; ok && p.GetLevel() <= l {
				out = append(out, lastSegment(p.GetName()))
			}
		}
		return out
	}
	areaLevels := func(resp *modelv1.ResolveViewResponse) map[string]int32 {
		m := map[string]int32{}
		for _, a := range resp.GetPracticeAreas() {
			m[a.GetPracticeArea()] = a.GetLevel()
		}
		return m
	}

	t.Run("whole view", func(t *testing.T) {
		resp := resolve(t, 0)
		if len(resp.GetPractices()) != 276 || len(resp.GetPracticeAreas()) != 31 {
			t.Fatalf("%d practices in %d practice areas; want 276 in 31", len(resp.GetPractices()), len(resp.GetPracticeAreas()))
		}
		for area, level := range areaLevels(resp) {
			if level != maxLevel[area] {
				t.Fatalf("%s resolved to level %d, its highest is %d", area, level, maxLevel[area])
			}
		}
	})

	t.Run("maturity level 2", func(t *testing.T) {
		resp := resolve(t, 2)
		want := map[string]int32{"EST": 2, "PLAN": 2, "MC": 2, "MPM": 2, "PQA": 2, "CM": 2, "RDM": 2, "SAM": 2, "GOV": 2, "II": 2}
		if got := areaLevels(resp); !mapsEqual(got, want) {
			t.Fatalf("practice areas = %v, want %v", got, want)
		}
		if got := resp.GetPractices(); !slices.Equal(got, wantPractices(want)) || len(got) == 0 {
			t.Fatalf("practices = %q, want %q", got, wantPractices(want))
		}
	})

	t.Run("maturity level 3", func(t *testing.T) {
		resp := resolve(t, 3)
		got := areaLevels(resp)
		if len(got) != 31 {
			t.Fatalf("%d practice areas, want 31", len(got))
		}
		for area, level := range got {
			if level > 3 || level < 2 || (area == "CM" && level != 2) {
				t.Fatalf("%s resolved to level %d", area, level)
			}
		}
		if !slices.Equal(resp.GetPractices(), wantPractices(got)) {
			t.Fatalf("practices = %q", resp.GetPractices())
		}
		for _, id := range resp.GetPractices() {
			if strings.Contains(id, "-4.") || strings.Contains(id, "-5.") {
				t.Fatalf("level 3 selects %s", id)
			}
		}
	})

	t.Run("maturity level 5", func(t *testing.T) {
		resp := resolve(t, 5)
		got := areaLevels(resp)
		if got["CAR"] != 5 || got["PCM"] != 5 || got["MPM"] != 5 || got["PLAN"] != 4 || got["RSK"] != 3 || len(got) != 31 {
			t.Fatalf("practice areas = %v", got)
		}
		if !slices.Equal(resp.GetPractices(), wantPractices(got)) {
			t.Fatalf("practices = %q", resp.GetPractices())
		}
	})

	t.Run("invalid", func(t *testing.T) {
		for _, level := range []int32{1, 6, -2} {
			_, err := f.client.ResolveView(ctx, &modelv1.ResolveViewRequest{Name: aimView, MaturityLevel: level})
			wantViolations(t, err, "maturity_level")
		}
		_, err := f.client.ResolveView(ctx, &modelv1.ResolveViewRequest{Name: defaultVersion + "/views/nope"})
		wantNotFound(t, err, "View", defaultVersion+"/views/nope")
	})
}

func mapsEqual(a, b map[string]int32) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestTenantViews(t *testing.T) {
	f := startCatalog(t)
	acme := f.manager(t, tenantA)
	view := &modelv1.View{
		DisplayName:   "Acme risk view",
		Description:   "Planning and risk.",
		PracticeAreas: []string{"risk", "PLAN"},
		MaturityLevels: []*modelv1.MaturityLevelRequirement{{
			MaturityLevel: 2,
			Requirements:  []*modelv1.PracticeAreaLevel{{PracticeArea: "RISK", Level: 2}, {PracticeArea: "PLAN", Level: 2}},
		}},
		BuiltIn: true,     // output only: ignored
		Etag:    "forged", // output only: ignored
	}
	var md metadata.MD
	resp, err := f.client.CreateView(acme, &modelv1.CreateViewRequest{Parent: defaultVersion, ViewId: "acme-risk", View: view}, grpc.Header(&md))
	if err != nil {
		t.Fatal(err)
	}
	if got := httpCode(md); got != "201" {
		t.Fatalf("x-http-code = %q, want 201", got)
	}
	created := resp.GetView()
	wantView := &modelv1.View{
		Name:          defaultVersion + "/views/acme-risk",
		DisplayName:   "Acme risk view",
		Description:   "Planning and risk.",
		PracticeAreas: []string{"PLAN", "RSK"},
		MaturityLevels: []*modelv1.MaturityLevelRequirement{{
			MaturityLevel: 2,
			Requirements:  []*modelv1.PracticeAreaLevel{{PracticeArea: "PLAN", Level: 2}, {PracticeArea: "RSK", Level: 2}},
		}},
		Etag: created.GetEtag(),
	}
	if !proto.Equal(created, wantView) {
		t.Fatalf("created %v\nwant %v", created, wantView)
	}
	if created.GetEtag() == "" || created.GetEtag() == "forged" || created.GetEtag() != pstore.ETag(created) {
		t.Fatalf("etag = %q, want %q", created.GetEtag(), pstore.ETag(created))
	}

	// The owner sees it next to the built-in views.
	got, err := f.client.GetView(f.viewer(t, tenantA), &modelv1.GetViewRequest{Name: created.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got.GetView(), created) {
		t.Fatalf("Get = %v", got.GetView())
	}
	list, err := f.client.ListViews(f.viewer(t, tenantA), &modelv1.ListViewsRequest{Parent: defaultVersion})
	if err != nil {
		t.Fatal(err)
	}
	// "acme-risk" sorts before "aim".
	if len(list.GetViews()) != 10 || !proto.Equal(list.GetViews()[0], created) || !list.GetViews()[1].GetBuiltIn() {
		var names []string
		for _, v := range list.GetViews() {
			names = append(names, v.GetName())
		}
		t.Fatalf("tenant A lists %d views: %q", len(names), names)
	}
	res, err := f.client.ResolveView(f.viewer(t, tenantA), &modelv1.ResolveViewRequest{Name: created.GetName(), MaturityLevel: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range res.GetPractices() {
		if !(strings.HasPrefix(id, "PLAN-1.") || strings.HasPrefix(id, "PLAN-2.") || strings.HasPrefix(id, "RSK-1.") || strings.HasPrefix(id, "RSK-2.")) {
			t.Fatalf("own view at level 2 selects %s", id)
		}
	}
	if len(res.GetPractices()) == 0 || len(res.GetPracticeAreas()) != 2 {
		t.Fatalf("resolved %v", res)
	}
	_, err = f.client.ResolveView(f.viewer(t, tenantA), &modelv1.ResolveViewRequest{Name: created.GetName(), MaturityLevel: 3})
	wantViolations(t, err, "maturity_level")

	// Another tenant does not.
	globex := f.viewer(t, tenantB)
	_, err = f.client.GetView(globex, &modelv1.GetViewRequest{Name: created.GetName()})
	wantNotFound(t, err, "View", created.GetName())
	_, err = f.client.ResolveView(globex, &modelv1.ResolveViewRequest{Name: created.GetName()})
	wantNotFound(t, err, "View", created.GetName())
	list, err = f.client.ListViews(globex, &modelv1.ListViewsRequest{Parent: defaultVersion})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetViews()) != 9 {
		t.Fatalf("tenant B lists %d views", len(list.GetViews()))
	}
	_, err = f.client.DeleteView(f.manager(t, tenantB), &modelv1.DeleteViewRequest{Name: created.GetName()})
	wantNotFound(t, err, "View", created.GetName())
	// ... and may use the same id for its own view.
	if _, err := f.client.CreateView(f.manager(t, tenantB), &modelv1.CreateViewRequest{Parent: defaultVersion, ViewId: "acme-risk",
		View: &modelv1.View{DisplayName: "Globex's", PracticeAreas: []string{"DQ"}}}); err != nil {
		t.Fatalf("tenant B, same id: %v", err)
	}

	t.Run("already exists", func(t *testing.T) {
		_, err := f.client.CreateView(acme, &modelv1.CreateViewRequest{Parent: defaultVersion, ViewId: "acme-risk", View: view})
		wantAlreadyExists(t, err, "View", created.GetName())
		_, err = f.client.CreateView(acme, &modelv1.CreateViewRequest{Parent: defaultVersion, ViewId: "aim", View: view})
		wantAlreadyExists(t, err, "View", aimView)
	})

	t.Run("roles", func(t *testing.T) {
		for _, role := range []string{auth.RoleViewer, auth.RoleAppraiser, auth.RoleLeadAppraiser} {
			ctx := f.env.As(t, tenantA, role)
			_, err := f.client.CreateView(ctx, &modelv1.CreateViewRequest{Parent: defaultVersion, ViewId: "other", View: view})
			wantReason(t, err, codes.PermissionDenied, "MISSING_ROLE")
			_, err = f.client.DeleteView(ctx, &modelv1.DeleteViewRequest{Name: created.GetName()})
			wantReason(t, err, codes.PermissionDenied, "MISSING_ROLE")
		}
		if _, err := f.client.CreateView(f.env.As(t, tenantA, auth.RoleAdmin), &modelv1.CreateViewRequest{
			Parent: defaultVersion, ViewId: "by-admin", View: view}); err != nil {
			t.Fatalf("admin: %v", err)
		}
	})

	t.Run("invalid", func(t *testing.T) {
		tests := []struct {
			name   string
			req    *modelv1.CreateViewRequest
			fields []string
		}{
			{"unknown practice area and level above the highest", &modelv1.CreateViewRequest{Parent: defaultVersion, ViewId: "bad", View: &modelv1.View{
				DisplayName:   "Bad",
				PracticeAreas: []string{"NOPE", "RSK"},
				MaturityLevels: []*modelv1.MaturityLevelRequirement{{
					MaturityLevel: 2, Requirements: []*modelv1.PracticeAreaLevel{{PracticeArea: "RSK", Level: 4}},
				}},
			}}, []string{"view.practice_areas[0]", "view.maturity_levels[0].requirements[0].level"}},
			{"repeated practice area by alias", &modelv1.CreateViewRequest{Parent: defaultVersion, ViewId: "bad", View: &modelv1.View{
				DisplayName: "Bad", PracticeAreas: []string{"RSK", "PLAN", "RISK"},
			}}, []string{"view.practice_areas[2]"}},
			{"requirement outside the view, bad maturity level", &modelv1.CreateViewRequest{Parent: defaultVersion, ViewId: "bad", View: &modelv1.View{
				DisplayName: "", PracticeAreas: []string{"RSK"},
				MaturityLevels: []*modelv1.MaturityLevelRequirement{{
					MaturityLevel: 1, Requirements: []*modelv1.PracticeAreaLevel{{PracticeArea: "PLAN", Level: 0}},
				}},
			}}, []string{"view.display_name", "view.maturity_levels[0].maturity_level",
				"view.maturity_levels[0].requirements[0].practice_area", "view.maturity_levels[0].requirements[0].level"}},
			{"no practice areas", &modelv1.CreateViewRequest{Parent: defaultVersion, ViewId: "bad", View: &modelv1.View{DisplayName: "Empty"}},
				[]string{"view.practice_areas"}},
			{"no view", &modelv1.CreateViewRequest{Parent: defaultVersion, ViewId: "bad"}, []string{"view"}},
			{"bad view id", &modelv1.CreateViewRequest{Parent: defaultVersion, ViewId: "Bad_Id", View: view}, []string{"view_id"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := f.client.CreateView(acme, tt.req)
				wantViolations(t, err, tt.fields...)
			})
		}
		_, err := f.client.GetView(f.viewer(t, tenantA), &modelv1.GetViewRequest{Name: defaultVersion + "/views/bad"})
		wantNotFound(t, err, "View", defaultVersion+"/views/bad")
		_, err = f.client.CreateView(acme, &modelv1.CreateViewRequest{Parent: defaultModel + "/versions/9", ViewId: "x", View: view})
		wantNotFound(t, err, "ModelVersion", defaultModel+"/versions/9")
	})

	t.Run("delete", func(t *testing.T) {
		_, err := f.client.DeleteView(acme, &modelv1.DeleteViewRequest{Name: aimView})
		wantReason(t, err, codes.FailedPrecondition, "BUILT_IN_VIEW")
		_, err = f.client.DeleteView(f.env.As(t, tenantA, auth.RoleAdmin), &modelv1.DeleteViewRequest{Name: aimView})
		wantReason(t, err, codes.FailedPrecondition, "BUILT_IN_VIEW")
		_, err = f.client.DeleteView(acme, &modelv1.DeleteViewRequest{Name: created.GetName(), Etag: "stale"})
		wantReason(t, err, codes.Aborted, "ETAG_MISMATCH")
		if _, err := f.client.DeleteView(acme, &modelv1.DeleteViewRequest{Name: created.GetName(), Etag: created.GetEtag()}); err != nil {
			t.Fatal(err)
		}
		_, err = f.client.GetView(f.viewer(t, tenantA), &modelv1.GetViewRequest{Name: created.GetName()})
		wantNotFound(t, err, "View", created.GetName())
		_, err = f.client.DeleteView(acme, &modelv1.DeleteViewRequest{Name: created.GetName()})
		wantNotFound(t, err, "View", created.GetName())
		// Tenant B's view of the same id is untouched.
		if _, err := f.client.GetView(globex, &modelv1.GetViewRequest{Name: created.GetName()}); err != nil {
			t.Fatalf("tenant B's own view: %v", err)
		}
		if _, err := f.client.GetView(f.viewer(t, tenantA), &modelv1.GetViewRequest{Name: aimView}); err != nil {
			t.Fatalf("built-in view: %v", err)
		}
		// Without an etag the delete is unconditional.
		if _, err := f.client.DeleteView(acme, &modelv1.DeleteViewRequest{Name: defaultVersion + "/views/by-admin"}); err != nil {
			t.Fatal(err)
		}
	})
}

// The field paths of CreateView's violations index the view as the request
// wrote it, not a sorted copy of it: the unknown second practice area is
// view.practice_areas[1], and the bad second requirement of the first
// maturity level listed is view.maturity_levels[0].requirements[1].
func TestCreateViewViolationPathsIndexTheRequest(t *testing.T) {
	f := startCatalog(t)
	_, err := f.client.CreateView(f.manager(t, tenantA), &modelv1.CreateViewRequest{Parent: defaultVersion, ViewId: "bad", View: &modelv1.View{
		DisplayName:   "Bad",
		PracticeAreas: []string{"RSK", "NOPE", "PLAN"},
		MaturityLevels: []*modelv1.MaturityLevelRequirement{
			{MaturityLevel: 3, Requirements: []*modelv1.PracticeAreaLevel{{PracticeArea: "RSK", Level: 3}, {PracticeArea: "PLAN", Level: 9}}},
			{MaturityLevel: 2, Requirements: []*modelv1.PracticeAreaLevel{{PracticeArea: "RSK", Level: 2}}},
		},
	}})
	wantViolations(t, err, "view.practice_areas[1]", "view.maturity_levels[0].requirements[1].level")
}
