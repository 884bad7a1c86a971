package server_test

import (
	"context"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	"github.com/aim-platform/aim/platform/auth"
	pstore "github.com/aim-platform/aim/platform/store"
)

func TestSampleCrosswalk(t *testing.T) {
	h := newHarness(t)
	for _, tenant := range []string{tenantA, tenantB} {
		t.Run(tenant, func(t *testing.T) {
			cw := h.get(t, tenant, sampleName)
			if !cw.GetShared() || !cw.GetSample() {
				t.Errorf("shared = %v, sample = %v; want both", cw.GetShared(), cw.GetSample())
			}
			if cw.GetSourceFramework() != cmmi || cw.GetTargetFramework() != iso42001 || cw.GetSourceModelVersion() != sampleModelVersion {
				t.Errorf("crosswalk %s -> %s (%s)", cw.GetSourceFramework(), cw.GetTargetFramework(), cw.GetSourceModelVersion())
			}
			if cw.GetMappingCount() != int32(len(seedMappings)) {
				t.Errorf("mapping_count = %d, want %d", cw.GetMappingCount(), len(seedMappings))
			}
			if cw.GetEtag() == "" || cw.GetEtag() != pstore.ETag(cw) {
				t.Errorf("etag %q does not match the crosswalk", cw.GetEtag())
			}
			checkSeedMappings(t, sampleName, h.mappings(t, tenant, sampleName))

			list, err := h.client.ListCrosswalks(h.viewer(t, tenant), &crosswalkv1.ListCrosswalksRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if len(list.GetCrosswalks()) != 1 || !proto.Equal(list.GetCrosswalks()[0], cw) {
				t.Errorf("ListCrosswalks = %v, want only the sample", list.GetCrosswalks())
			}
		})
	}

	t.Run("GetMapping", func(t *testing.T) {
		name := sampleName + "/mappings/" + mappingIDOf("RSK-3.3", "4.1.2.p.1.b")
		resp, err := h.client.GetMapping(h.viewer(t, tenantA), &crosswalkv1.GetMappingRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if m := resp.GetMapping(); m.GetName() != name || m.GetSource() != "RSK-3.3" || m.GetRelationship() != sup || m.GetTarget() != "4.1.2.p.1.b" {
			t.Fatalf("GetMapping = %v", m)
		}
		_, err = h.client.GetMapping(h.viewer(t, tenantA), &crosswalkv1.GetMappingRequest{Name: sampleName + "/mappings/rsk-9-9--4-1"})
		wantStatus(t, err, codes.NotFound)
	})

	t.Run("paging", func(t *testing.T) {
		var all []*crosswalkv1.Mapping
		token := ""
		for pages := 1; ; pages++ {
			resp, err := h.client.ListMappings(h.viewer(t, tenantA), &crosswalkv1.ListMappingsRequest{Parent: sampleName, PageSize: 5, PageToken: token})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, resp.GetMappings()...)
			if token = resp.GetNextPageToken(); token == "" {
				if pages != 3 {
					t.Fatalf("%d pages of 5 for 12 mappings, want 3", pages)
				}
				break
			}
		}
		checkSeedMappings(t, sampleName, all)
	})

	before := h.get(t, tenantA, sampleName)
	t.Run("import refused", func(t *testing.T) {
		for _, role := range []string{auth.RoleContentManager, auth.RoleAdmin} {
			_, err := h.client.ImportCrosswalk(h.env.As(t, tenantA, role), &crosswalkv1.ImportCrosswalkRequest{
				Name: sampleName, Format: crosswalkv1.Format_FORMAT_TSV, Content: seedFixture(t),
			})
			if reason := errorReason(t, err, codes.PermissionDenied); reason != "SHARED_CONTENT" {
				t.Fatalf("reason = %q, want SHARED_CONTENT", reason)
			}
		}
	})
	t.Run("delete refused", func(t *testing.T) {
		for _, role := range []string{auth.RoleContentManager, auth.RoleAdmin} {
			_, err := h.client.DeleteCrosswalk(h.env.As(t, tenantB, role), &crosswalkv1.DeleteCrosswalkRequest{Name: sampleName})
			wantStatus(t, err, codes.PermissionDenied)
		}
	})
	t.Run("create over it refused", func(t *testing.T) {
		_, err := h.client.CreateCrosswalk(h.editor(t, tenantA), &crosswalkv1.CreateCrosswalkRequest{
			CrosswalkId: "cmmi-aim-iso-42001-sample",
			Crosswalk:   &crosswalkv1.Crosswalk{DisplayName: "mine", SourceFramework: cmmi, TargetFramework: iso42001, SourceModelVersion: sampleModelVersion},
		})
		wantStatus(t, err, codes.AlreadyExists)
	})
	if after := h.get(t, tenantB, sampleName); !proto.Equal(after, before) {
		t.Fatalf("the sample changed:\nbefore %v\nafter  %v", before, after)
	}
	checkSeedMappings(t, sampleName, h.mappings(t, tenantB, sampleName))
}

func TestCreateCrosswalk(t *testing.T) {
	h := newHarness(t)
	cw := h.create(t, tenantA, "mine", cmmi, iso42001)
	if cw.GetName() != "crosswalks/mine" || cw.GetShared() || cw.GetSample() || cw.GetMappingCount() != 0 ||
		cw.GetCreateTime() == nil || cw.GetEtag() != pstore.ETag(cw) {
		t.Fatalf("created %v", cw)
	}
	if got := h.get(t, tenantA, "crosswalks/mine"); !proto.Equal(got, cw) {
		t.Fatalf("Get = %v\nCreate = %v", got, cw)
	}
	// Another tenant may use the same id.
	h.create(t, tenantB, "mine", cmmi, iso42001)

	tests := []struct {
		name   string
		id     string
		cw     *crosswalkv1.Crosswalk
		fields []string
	}{
		{"unknown source", "x1", &crosswalkv1.Crosswalk{DisplayName: "x", SourceFramework: "frameworks/nope", TargetFramework: iso42001},
			[]string{"crosswalk.source_framework"}},
		{"unknown target", "x2", &crosswalkv1.Crosswalk{DisplayName: "x", SourceFramework: iso42001, TargetFramework: "frameworks/nope"},
			[]string{"crosswalk.target_framework"}},
		{"maturity model without version", "x3", &crosswalkv1.Crosswalk{DisplayName: "x", SourceFramework: cmmi, TargetFramework: iso42001},
			[]string{"crosswalk.source_model_version"}},
		{"bad id", "Bad_Id", &crosswalkv1.Crosswalk{DisplayName: "x", SourceFramework: iso42001, TargetFramework: iso23894},
			[]string{"crosswalk_id"}},
		{"no display name", "x4", &crosswalkv1.Crosswalk{SourceFramework: iso42001, TargetFramework: iso23894},
			[]string{"crosswalk.display_name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.client.CreateCrosswalk(h.editor(t, tenantA), &crosswalkv1.CreateCrosswalkRequest{Crosswalk: tt.cw, CrosswalkId: tt.id})
			wantViolations(t, err, tt.fields...)
			list, err := h.client.ListCrosswalks(h.viewer(t, tenantA), &crosswalkv1.ListCrosswalksRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(list.GetCrosswalks()); n != 2 {
				t.Fatalf("%d crosswalks after a refused create, want 2", n)
			}
		})
	}
	t.Run("both frameworks unknown", func(t *testing.T) {
		_, err := h.client.CreateCrosswalk(h.editor(t, tenantA), &crosswalkv1.CreateCrosswalkRequest{CrosswalkId: "x5",
			Crosswalk: &crosswalkv1.Crosswalk{DisplayName: "x", SourceFramework: "frameworks/nope", TargetFramework: "frameworks/none"}})
		var fields []string
		for _, v := range violations(t, err) {
			fields = append(fields, v.GetField())
		}
		slices.Sort(fields)
		if want := []string{"crosswalk.source_framework", "crosswalk.target_framework"}; !slices.Equal(fields, want) {
			t.Fatalf("violations = %q, want %q", fields, want)
		}
	})
	t.Run("duplicate", func(t *testing.T) {
		_, err := h.client.CreateCrosswalk(h.editor(t, tenantA), &crosswalkv1.CreateCrosswalkRequest{
			CrosswalkId: "mine", Crosswalk: &crosswalkv1.Crosswalk{DisplayName: "again", SourceFramework: iso42001, TargetFramework: iso23894},
		})
		wantStatus(t, err, codes.AlreadyExists)
		if got := h.get(t, tenantA, "crosswalks/mine"); !proto.Equal(got, cw) {
			t.Fatalf("the crosswalk changed: %v", got)
		}
	})

	list, err := h.client.ListCrosswalks(h.viewer(t, tenantA), &crosswalkv1.ListCrosswalksRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range list.GetCrosswalks() {
		got = append(got, c.GetName())
	}
	if want := []string{sampleName, "crosswalks/mine"}; !slices.Equal(got, want) {
		t.Fatalf("ListCrosswalks = %q, want %q", got, want)
	}
}

func TestDeleteCrosswalk(t *testing.T) {
	h := newHarness(t)
	h.create(t, tenantA, "mine", cmmi, iso42001)
	imported := h.importDoc(t, tenantA, "crosswalks/mine", crosswalkv1.Format_FORMAT_TSV, seedFixture(t)).GetCrosswalk()

	_, err := h.client.DeleteCrosswalk(h.editor(t, tenantA), &crosswalkv1.DeleteCrosswalkRequest{Name: "crosswalks/mine", Etag: `"stale"`})
	wantStatus(t, err, codes.Aborted)
	_, err = h.client.DeleteCrosswalk(h.viewer(t, tenantA), &crosswalkv1.DeleteCrosswalkRequest{Name: "crosswalks/mine"})
	wantStatus(t, err, codes.PermissionDenied)
	if n := len(h.mappings(t, tenantA, "crosswalks/mine")); n != 12 {
		t.Fatalf("%d mappings after refused deletes, want 12", n)
	}

	if _, err := h.client.DeleteCrosswalk(h.editor(t, tenantA), &crosswalkv1.DeleteCrosswalkRequest{Name: "crosswalks/mine", Etag: imported.GetEtag()}); err != nil {
		t.Fatal(err)
	}
	_, err = h.client.GetCrosswalk(h.viewer(t, tenantA), &crosswalkv1.GetCrosswalkRequest{Name: "crosswalks/mine"})
	wantStatus(t, err, codes.NotFound)
	_, err = h.client.ListMappings(h.viewer(t, tenantA), &crosswalkv1.ListMappingsRequest{Parent: "crosswalks/mine"})
	wantStatus(t, err, codes.NotFound)
	_, err = h.client.DeleteCrosswalk(h.editor(t, tenantA), &crosswalkv1.DeleteCrosswalkRequest{Name: "crosswalks/mine"})
	wantStatus(t, err, codes.NotFound)

	// Re-created under the same id, it starts empty.
	h.create(t, tenantA, "mine", cmmi, iso42001)
	if got := h.mappings(t, tenantA, "crosswalks/mine"); len(got) != 0 {
		t.Fatalf("a re-created crosswalk holds %d old mappings", len(got))
	}
	checkSeedMappings(t, sampleName, h.mappings(t, tenantA, sampleName))
}

func TestTenancy(t *testing.T) {
	h := newHarness(t)
	h.create(t, tenantA, "acme-cw", cmmi, iso42001)
	h.importDoc(t, tenantA, "crosswalks/acme-cw", crosswalkv1.Format_FORMAT_TSV, seedFixture(t))
	const name = "crosswalks/acme-cw"

	calls := map[string]func(ctx context.Context) error{
		"GetCrosswalk": func(ctx context.Context) error {
			_, err := h.client.GetCrosswalk(ctx, &crosswalkv1.GetCrosswalkRequest{Name: name})
			return err
		},
		"ListMappings": func(ctx context.Context) error {
			_, err := h.client.ListMappings(ctx, &crosswalkv1.ListMappingsRequest{Parent: name})
			return err
		},
		"GetMapping": func(ctx context.Context) error {
			_, err := h.client.GetMapping(ctx, &crosswalkv1.GetMappingRequest{Name: name + "/mappings/" + mappingIDOf("RSK-3.1", "4.1")})
			return err
		},
		"ExportCrosswalk": func(ctx context.Context) error {
			_, err := h.client.ExportCrosswalk(ctx, &crosswalkv1.ExportCrosswalkRequest{Name: name, Format: crosswalkv1.Format_FORMAT_JSON})
			return err
		},
		"ResolveMappings": func(ctx context.Context) error {
			_, err := h.client.ResolveMappings(ctx, &crosswalkv1.ResolveMappingsRequest{Crosswalk: name, Elements: []string{"RSK-3.1"}})
			return err
		},
		"AnalyzeGaps": func(ctx context.Context) error {
			_, err := h.client.AnalyzeGaps(ctx, &crosswalkv1.AnalyzeGapsRequest{Crosswalk: name, SatisfiedPractices: []string{"RSK-3.1"}})
			return err
		},
		"ExportTraceabilityMatrix": func(ctx context.Context) error {
			_, err := h.client.ExportTraceabilityMatrix(ctx, &crosswalkv1.ExportTraceabilityMatrixRequest{Crosswalk: name})
			return err
		},
		"ImportCrosswalk": func(ctx context.Context) error {
			_, err := h.client.ImportCrosswalk(ctx, &crosswalkv1.ImportCrosswalkRequest{Name: name, Format: crosswalkv1.Format_FORMAT_TSV, Content: seedFixture(t)})
			return err
		},
		"DeleteCrosswalk": func(ctx context.Context) error {
			_, err := h.client.DeleteCrosswalk(ctx, &crosswalkv1.DeleteCrosswalkRequest{Name: name})
			return err
		},
	}
	for method, call := range calls {
		t.Run(method, func(t *testing.T) {
			// Tenant B does not see it, whatever its role.
			wantStatus(t, call(h.env.As(t, tenantB, auth.RoleAdmin)), codes.NotFound)
			// Tenant A's viewer reads but does not write.
			err := call(h.viewer(t, tenantA))
			switch method {
			case "ImportCrosswalk", "DeleteCrosswalk":
				wantStatus(t, err, codes.PermissionDenied)
			default:
				if err != nil {
					t.Fatalf("tenant A's viewer: %v", err)
				}
			}
		})
	}
	list, err := h.client.ListCrosswalks(h.viewer(t, tenantB), &crosswalkv1.ListCrosswalksRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetCrosswalks()) != 1 || list.GetCrosswalks()[0].GetName() != sampleName {
		t.Fatalf("tenant B lists %v, want only the sample", list.GetCrosswalks())
	}
	if n := len(h.mappings(t, tenantA, name)); n != 12 {
		t.Fatalf("tenant A's crosswalk has %d mappings after the refused calls, want 12", n)
	}
}

func TestViewerCannotWrite(t *testing.T) {
	h := newHarness(t)
	h.create(t, tenantA, "mine", cmmi, iso42001)
	for _, role := range []string{auth.RoleViewer, auth.RoleAppraiser, auth.RoleLeadAppraiser} {
		t.Run(role, func(t *testing.T) {
			ctx := h.env.As(t, tenantA, role)
			_, err := h.client.CreateCrosswalk(ctx, &crosswalkv1.CreateCrosswalkRequest{
				CrosswalkId: "other", Crosswalk: &crosswalkv1.Crosswalk{DisplayName: "x", SourceFramework: iso42001, TargetFramework: iso23894},
			})
			if reason := errorReason(t, err, codes.PermissionDenied); reason != "MISSING_ROLE" {
				t.Fatalf("reason = %q", reason)
			}
			_, err = h.client.ImportCrosswalk(ctx, &crosswalkv1.ImportCrosswalkRequest{Name: "crosswalks/mine", Format: crosswalkv1.Format_FORMAT_TSV, Content: seedFixture(t)})
			wantStatus(t, err, codes.PermissionDenied)
		})
	}
	if cw := h.get(t, tenantA, "crosswalks/mine"); cw.GetMappingCount() != 0 {
		t.Fatalf("mapping_count = %d after refused imports", cw.GetMappingCount())
	}
	_, err := h.client.GetCrosswalk(h.viewer(t, tenantA), &crosswalkv1.GetCrosswalkRequest{Name: "crosswalks/other"})
	wantStatus(t, err, codes.NotFound)
	if h.catalog.callCount() != 0 {
		t.Fatalf("the catalog was asked %d times for refused imports", h.catalog.callCount())
	}
	// An admin may write.
	if _, err := h.client.ImportCrosswalk(h.env.As(t, tenantA, auth.RoleAdmin), &crosswalkv1.ImportCrosswalkRequest{
		Name: "crosswalks/mine", Format: crosswalkv1.Format_FORMAT_TSV, Content: seedFixture(t),
	}); err != nil {
		t.Fatal(err)
	}
}

func TestTraceabilityMatrix(t *testing.T) {
	h := newHarness(t)
	resp, err := h.client.ExportTraceabilityMatrix(h.viewer(t, tenantA), &crosswalkv1.ExportTraceabilityMatrixRequest{Crosswalk: sampleName})
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.GetBody().GetContentType(); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("content type %q", ct)
	}
	records, err := csv.NewReader(strings.NewReader(string(resp.GetBody().GetData()))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := []string{"source", "4.1", "4.1.1", "4.1.1.p.1.b", "4.1.2.p.1.a", "4.1.2.p.1.b", "4.1.2.p.1.c",
		"7.2.2", "7.2.2.p.1.a", "8.1", "8.1.p.1.a", "10.2", "10.2.p.1.a"}
	if len(records) == 0 || !slices.Equal(records[0], wantHeader) {
		t.Fatalf("header = %q, want %q", records[0], wantHeader)
	}
	var sources []string
	cells := map[string]string{}
	for _, r := range records[1:] {
		if len(r) != len(wantHeader) {
			t.Fatalf("row %q has %d cells, want %d", r, len(r), len(wantHeader))
		}
		sources = append(sources, r[0])
		for i, c := range r[1:] {
			if c != "" {
				cells[r[0]+" "+wantHeader[i+1]] = c
			}
		}
	}
	if want := []string{"MC-2.4", "PLAN-2.2", "PLAN-2.5", "RSK-3.1", "RSK-3.2", "RSK-3.3"}; !slices.Equal(sources, want) {
		t.Fatalf("rows = %q, want one per source %q", sources, want)
	}
	if len(cells) != len(seedMappings) {
		t.Fatalf("%d filled cells, want %d: %v", len(cells), len(seedMappings), cells)
	}
	for _, m := range seedMappings {
		if got, want := cells[m.source+" "+m.target], strings.TrimPrefix(m.rel.String(), "RELATIONSHIP_"); got != want {
			t.Errorf("cell %s × %s = %q, want %q", m.source, m.target, got, want)
		}
	}
}
