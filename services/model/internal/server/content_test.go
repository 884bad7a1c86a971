package server_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
)

// TestCategoriesCapabilityAreasDomains covers the three small collections of
// the default version: list, get, aliases and errors.
func TestCategoriesCapabilityAreasDomains(t *testing.T) {
	f := startCatalog(t)
	ctx := f.viewer(t, tenantA)

	t.Run("categories", func(t *testing.T) {
		resp, err := f.client.ListCategories(ctx, &modelv1.ListCategoriesRequest{Parent: defaultVersion})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range resp.GetCategories() {
			ids = append(ids, lastSegment(c.GetName()))
			if c.GetDisplayName() == "" || c.GetDescription() == "" || !strings.HasPrefix(c.GetName(), defaultVersion+"/categories/") {
				t.Fatalf("category %v", c)
			}
		}
		if want := []string{"doing", "enabling", "improving", "managing"}; !slices.Equal(ids, want) || resp.GetNextPageToken() != "" {
			t.Fatalf("categories = %q (token %q), want %q in id order", ids, resp.GetNextPageToken(), want)
		}
		got, err := f.client.GetCategory(ctx, &modelv1.GetCategoryRequest{Name: defaultVersion + "/categories/managing"})
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(got.GetCategory(), resp.GetCategories()[3]) || got.GetCategory().GetDisplayName() != "Managing" {
			t.Fatalf("Get = %v", got.GetCategory())
		}
		_, err = f.client.GetCategory(ctx, &modelv1.GetCategoryRequest{Name: defaultVersion + "/categories/nope"})
		wantNotFound(t, err, "Category", defaultVersion+"/categories/nope")
		_, err = f.client.GetCategory(ctx, &modelv1.GetCategoryRequest{Name: defaultVersion + "/categoryz/managing"})
		wantViolations(t, err, "name")
	})

	t.Run("capability areas", func(t *testing.T) {
		resp, err := f.client.ListCapabilityAreas(ctx, &modelv1.ListCapabilityAreasRequest{Parent: defaultVersion})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, ca := range resp.GetCapabilityAreas() {
			ids = append(ids, lastSegment(ca.GetName()))
			if !strings.HasPrefix(ca.GetCategory(), defaultVersion+"/categories/") || ca.GetDisplayName() == "" {
				t.Fatalf("capability area %v", ca)
			}
		}
		if len(ids) != 12 || !slices.IsSorted(ids) || resp.GetNextPageToken() != "" {
			t.Fatalf("capability areas = %q (token %q), want 12 in id order", ids, resp.GetNextPageToken())
		}
		for _, name := range []string{"MBR", "MIR"} {
			got, err := f.client.GetCapabilityArea(ctx, &modelv1.GetCapabilityAreaRequest{Name: defaultVersion + "/capabilityAreas/" + name})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			ca := got.GetCapabilityArea()
			if !strings.HasSuffix(ca.GetName(), "/capabilityAreas/MBR") || ca.GetCategory() != defaultVersion+"/categories/managing" ||
				!slices.Equal(ca.GetAliases(), []string{"MIR"}) {
				t.Fatalf("%s gives %v", name, ca)
			}
		}
		_, err = f.client.GetCapabilityArea(ctx, &modelv1.GetCapabilityAreaRequest{Name: defaultVersion + "/capabilityAreas/XYZ"})
		wantNotFound(t, err, "CapabilityArea", defaultVersion+"/capabilityAreas/XYZ")
	})

	t.Run("domains", func(t *testing.T) {
		resp, err := f.client.ListDomains(ctx, &modelv1.ListDomainsRequest{Parent: defaultVersion})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		cores := 0
		for _, d := range resp.GetDomains() {
			ids = append(ids, lastSegment(d.GetName()))
			if d.GetCore() {
				cores++
			}
		}
		if len(ids) != 9 || !slices.IsSorted(ids) || cores != 1 {
			t.Fatalf("domains = %q with %d core", ids, cores)
		}
		got, err := f.client.GetDomain(ctx, &modelv1.GetDomainRequest{Name: defaultVersion + "/domains/core"})
		if err != nil {
			t.Fatal(err)
		}
		if !got.GetDomain().GetCore() || got.GetDomain().GetDisplayName() != "Core" {
			t.Fatalf("core = %v", got.GetDomain())
		}
		data, err := f.client.GetDomain(ctx, &modelv1.GetDomainRequest{Name: defaultVersion + "/domains/data"})
		if err != nil {
			t.Fatal(err)
		}
		if data.GetDomain().GetCore() || data.GetDomain().GetName() != defaultVersion+"/domains/data" {
			t.Fatalf("data = %v", data.GetDomain())
		}
		_, err = f.client.GetDomain(ctx, &modelv1.GetDomainRequest{Name: defaultVersion + "/domains/space"})
		wantNotFound(t, err, "Domain", defaultVersion+"/domains/space")
	})

	t.Run("paging", func(t *testing.T) {
		var ids []string
		token := ""
		for page := 0; ; page++ {
			if page > 9 {
				t.Fatal("too many pages")
			}
			resp, err := f.client.ListDomains(ctx, &modelv1.ListDomainsRequest{Parent: defaultVersion, PageSize: 4, PageToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range resp.GetDomains() {
				ids = append(ids, lastSegment(d.GetName()))
			}
			if token = resp.GetNextPageToken(); token == "" {
				if page != 2 {
					t.Fatalf("%d pages of 4 for 9 domains", page+1)
				}
				break
			}
			// The token belongs to ListDomains of this version and tenant.
			_, err = f.client.ListCategories(ctx, &modelv1.ListCategoriesRequest{Parent: defaultVersion, PageToken: token})
			wantViolations(t, err, "page_token")
			_, err = f.client.ListDomains(f.viewer(t, tenantB), &modelv1.ListDomainsRequest{Parent: defaultVersion, PageToken: token})
			wantViolations(t, err, "page_token")
		}
		if len(ids) != 9 || !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != 9 {
			t.Fatalf("paged domains = %q", ids)
		}
	})

	t.Run("unknown version", func(t *testing.T) {
		name := defaultModel + "/versions/0.1"
		_, err := f.client.ListCategories(ctx, &modelv1.ListCategoriesRequest{Parent: name})
		wantNotFound(t, err, "ModelVersion", name)
		_, err = f.client.ListCapabilityAreas(ctx, &modelv1.ListCapabilityAreasRequest{Parent: name})
		wantNotFound(t, err, "ModelVersion", name)
		_, err = f.client.ListDomains(ctx, &modelv1.ListDomainsRequest{Parent: name})
		wantNotFound(t, err, "ModelVersion", name)
		_, err = f.client.GetDomain(ctx, &modelv1.GetDomainRequest{Name: name + "/domains/core"})
		wantNotFound(t, err, "ModelVersion", name)
		_, err = f.client.ListDomains(ctx, &modelv1.ListDomainsRequest{Parent: defaultVersion, PageSize: -3})
		wantViolations(t, err, "page_size")
	})
}

func TestPracticeAreas(t *testing.T) {
	f := startCatalog(t)
	ctx := f.viewer(t, tenantB)
	want := defaultPracticeAreas(t)

	list := func(t *testing.T, filter string, size int32) []*modelv1.PracticeArea {
		t.Helper()
		var all []*modelv1.PracticeArea
		token := ""
		for range 100 {
			resp, err := f.client.ListPracticeAreas(ctx, &modelv1.ListPracticeAreasRequest{
				Parent: defaultVersion, Filter: filter, PageSize: size, PageToken: token,
			})
			if err != nil {
				t.Fatal(err)
			}
			if size > 0 && len(resp.GetPracticeAreas()) > int(size) {
				t.Fatalf("page of %d for page_size %d", len(resp.GetPracticeAreas()), size)
			}
			all = append(all, resp.GetPracticeAreas()...)
			if token = resp.GetNextPageToken(); token == "" {
				return all
			}
		}
		t.Fatal("no end")
		return nil
	}
	acronyms := func(pas []*modelv1.PracticeArea) []string {
		var out []string
		for _, pa := range pas {
			out = append(out, pa.GetAcronym())
		}
		return out
	}

	t.Run("one page of 50", func(t *testing.T) {
		resp, err := f.client.ListPracticeAreas(ctx, &modelv1.ListPracticeAreasRequest{Parent: defaultVersion, PageSize: 50})
		if err != nil {
			t.Fatal(err)
		}
		got := acronyms(resp.GetPracticeAreas())
		if len(got) != 31 || resp.GetNextPageToken() != "" || !slices.IsSorted(got) {
			t.Fatalf("%d practice areas, token %q: %q", len(got), resp.GetNextPageToken(), got)
		}
		for _, pa := range resp.GetPracticeAreas() {
			b := want[pa.GetAcronym()]
			if b == nil || pa.GetName() != defaultVersion+"/practiceAreas/"+pa.GetAcronym() || pa.GetDisplayName() != b.GetDisplayName() ||
				pa.GetDomain() != defaultVersion+"/domains/"+b.GetDomain() || pa.GetCapabilityArea() != defaultVersion+"/capabilityAreas/"+b.GetCapabilityArea() ||
				pa.GetPracticeCount() == 0 || pa.GetMaxLevel() < 1 || pa.GetMaxLevel() > 5 {
				t.Fatalf("practice area %v", pa)
			}
		}
	})

	t.Run("pages of 10", func(t *testing.T) {
		var pages int
		var got []string
		token := ""
		for {
			resp, err := f.client.ListPracticeAreas(ctx, &modelv1.ListPracticeAreasRequest{Parent: defaultVersion, PageSize: 10, PageToken: token})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			got = append(got, acronyms(resp.GetPracticeAreas())...)
			if token = resp.GetNextPageToken(); token == "" || pages > 10 {
				break
			}
		}
		unique := slices.Compact(slices.Sorted(slices.Values(got)))
		if pages != 4 || len(got) != 31 || len(unique) != 31 || !slices.IsSorted(got) {
			t.Fatalf("%d pages with %d practice areas (%d unique): %q", pages, len(got), len(unique), got)
		}
	})

	t.Run("filters", func(t *testing.T) {
		tests := []struct {
			filter string
			want   []string
		}{
			{`domain = "data"`, []string{"DM", "DQ"}},
			{`domain = "DATA"`, []string{"DM", "DQ"}},
			{`category = "managing"`, []string{"CONT", "EST", "EVW", "IRP", "MC", "OT", "PLAN", "RSK", "WE"}},
			{`capability_area = "MBR"`, []string{"CONT", "IRP", "RSK"}},
			{`category = "managing" AND domain = "core"`, []string{"EST", "MC", "OT", "PLAN", "RSK"}},
			{`domain != "core"`, nil}, // checked below
		}
		for _, tt := range tests {
			t.Run(tt.filter, func(t *testing.T) {
				got := list(t, tt.filter, 2)
				if tt.want == nil {
					for _, pa := range got {
						if strings.HasSuffix(pa.GetDomain(), "/core") {
							t.Fatalf("%s gives %v", tt.filter, pa)
						}
					}
					nonCore := 0
					for _, pa := range want {
						if pa.GetDomain() != "core" {
							nonCore++
						}
					}
					if len(got) != nonCore || nonCore != 14 {
						t.Fatalf("%s gives %d practice areas, want %d (14)", tt.filter, len(got), nonCore)
					}
					return
				}
				if !slices.Equal(acronyms(got), tt.want) {
					t.Fatalf("%s gives %q, want %q", tt.filter, acronyms(got), tt.want)
				}
			})
		}
	})

	t.Run("bad filters", func(t *testing.T) {
		for _, filter := range []string{`level >= 2`, `practice_area = "RSK"`, `domain = "space"`, `domain =`, `nonsense`} {
			_, err := f.client.ListPracticeAreas(ctx, &modelv1.ListPracticeAreasRequest{Parent: defaultVersion, Filter: filter})
			wantViolations(t, err, "filter")
		}
	})

	t.Run("page token bound to filter", func(t *testing.T) {
		resp, err := f.client.ListPracticeAreas(ctx, &modelv1.ListPracticeAreasRequest{Parent: defaultVersion, Filter: `domain = "core"`, PageSize: 3})
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetNextPageToken() == "" {
			t.Fatal("no next page")
		}
		_, err = f.client.ListPracticeAreas(ctx, &modelv1.ListPracticeAreasRequest{
			Parent: defaultVersion, Filter: `domain = "data"`, PageSize: 3, PageToken: resp.GetNextPageToken(),
		})
		wantViolations(t, err, "page_token")
		// The same filter spelled differently is the same query.
		if _, err = f.client.ListPracticeAreas(ctx, &modelv1.ListPracticeAreasRequest{
			Parent: defaultVersion, Filter: `domain="CORE"`, PageSize: 3, PageToken: resp.GetNextPageToken(),
		}); err != nil {
			t.Fatalf("an equivalent filter: %v", err)
		}
	})

	t.Run("get with alias", func(t *testing.T) {
		for _, name := range []string{"RSK", "RISK"} {
			resp, err := f.client.GetPracticeArea(ctx, &modelv1.GetPracticeAreaRequest{Name: defaultVersion + "/practiceAreas/" + name})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			pa := resp.GetPracticeArea()
			if pa.GetName() != defaultVersion+"/practiceAreas/RSK" || pa.GetAcronym() != "RSK" || !slices.Equal(pa.GetAliases(), []string{"RISK"}) ||
				pa.GetCapabilityArea() != defaultVersion+"/capabilityAreas/MBR" || pa.GetCategory() != defaultVersion+"/categories/managing" ||
				pa.GetDomain() != defaultVersion+"/domains/core" {
				t.Fatalf("%s gives %v", name, pa)
			}
			if pa.GetPracticeCount() != 10 || pa.GetAiContextPracticeCount() != 6 || pa.GetMaxLevel() != 3 {
				t.Fatalf("RSK counts: practices %d, with AI context %d, max level %d; want 10, 6, 3",
					pa.GetPracticeCount(), pa.GetAiContextPracticeCount(), pa.GetMaxLevel())
			}
		}
		_, err := f.client.GetPracticeArea(ctx, &modelv1.GetPracticeAreaRequest{Name: defaultVersion + "/practiceAreas/NOPE"})
		wantNotFound(t, err, "PracticeArea", defaultVersion+"/practiceAreas/NOPE")
		_, err = f.client.GetPracticeArea(ctx, &modelv1.GetPracticeAreaRequest{Name: defaultVersion + "/practiceAreas/-"})
		wantViolations(t, err, "name")
	})

	t.Run("counts agree with practices", func(t *testing.T) {
		var practices, withAI int32
		for _, pa := range list(t, "", 0) {
			practices += pa.GetPracticeCount()
			withAI += pa.GetAiContextPracticeCount()
		}
		if practices != 276 || withAI != 126 {
			t.Fatalf("practice areas count %d practices, %d with AI context; want 276, 126", practices, withAI)
		}
	})
}
