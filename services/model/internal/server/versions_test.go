package server_test

import (
	"context"
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
	"github.com/aim-platform/aim/services/model/internal/catalog"
)

// The counts of the embedded default version, as the issue states them.
var defaultCounts = &modelv1.ContentCounts{
	Categories:             4,
	CapabilityAreas:        12,
	Domains:                9,
	PracticeAreas:          31,
	Practices:              276,
	PracticesWithAiContext: 126,
	AiContextAdditions:     157,
	Views:                  9,
}

// TestDefaultVersionCounts is the count test: the shared default version is
// published sample content with a digest and exactly the stated counts, the
// same for every tenant and role.
func TestDefaultVersionCounts(t *testing.T) {
	f := startCatalog(t)
	for _, tenant := range []string{tenantA, tenantB} {
		for _, role := range auth.KnownRoles() {
			t.Run(tenant+"/"+role, func(t *testing.T) {
				resp, err := f.client.GetModelVersion(f.env.As(t, tenant, role), &modelv1.GetModelVersionRequest{Name: defaultVersion})
				if err != nil {
					t.Fatal(err)
				}
				v := resp.GetModelVersion()
				switch {
				case v.GetName() != defaultVersion:
					t.Fatalf("name = %q", v.GetName())
				case v.GetState() != modelv1.ModelVersion_STATE_PUBLISHED:
					t.Fatalf("state = %v, want PUBLISHED", v.GetState())
				case !v.GetShared() || !v.GetSample():
					t.Fatalf("shared = %v, sample = %v; want both true", v.GetShared(), v.GetSample())
				case !digestPattern.MatchString(v.GetDigest()):
					t.Fatalf("digest = %q, want sha256:<64 hex>", v.GetDigest())
				case v.GetDigest() != catalog.Digest(mustDefaultBundle(t)):
					t.Fatalf("digest = %q, want the digest of the embedded bundle %q", v.GetDigest(), catalog.Digest(mustDefaultBundle(t)))
				case !proto.Equal(v.GetCounts(), defaultCounts):
					t.Fatalf("counts = %v, want %v", v.GetCounts(), defaultCounts)
				case v.GetCreateTime() == nil || v.GetPublishTime() == nil || v.GetDeprecateTime() != nil:
					t.Fatalf("times: create %v, publish %v, deprecate %v", v.GetCreateTime(), v.GetPublishTime(), v.GetDeprecateTime())
				case v.GetEtag() == "" || v.GetEtag() != pstore.ETag(v):
					t.Fatalf("etag = %q, want %q", v.GetEtag(), pstore.ETag(v))
				case v.GetDisplayName() == "" || v.GetDescription() == "":
					t.Fatalf("descriptive fields missing: %v", v)
				}
			})
		}
	}
}

func TestGetModelVersionErrors(t *testing.T) {
	f := startCatalog(t)
	ctx := f.viewer(t, tenantA)
	t.Run("unknown version", func(t *testing.T) {
		_, err := f.client.GetModelVersion(ctx, &modelv1.GetModelVersionRequest{Name: defaultModel + "/versions/9.9"})
		wantNotFound(t, err, "ModelVersion", defaultModel+"/versions/9.9")
	})
	t.Run("unknown model", func(t *testing.T) {
		_, err := f.client.GetModelVersion(ctx, &modelv1.GetModelVersionRequest{Name: "models/nope/versions/3.0-sample"})
		wantNotFound(t, err, "ModelVersion", "models/nope/versions/3.0-sample")
	})
	for _, name := range []string{"", defaultModel, defaultModel + "/versions/", defaultModel + "/versions/3.0_X", "models/CMMI/versions/1", defaultVersion + "/x"} {
		t.Run("invalid name "+name, func(t *testing.T) {
			_, err := f.client.GetModelVersion(ctx, &modelv1.GetModelVersionRequest{Name: name})
			wantViolations(t, err, "name")
		})
	}
}

func TestListModelVersions(t *testing.T) {
	f := startCatalog(t)
	get, err := f.client.GetModelVersion(f.viewer(t, tenantA), &modelv1.GetModelVersionRequest{Name: defaultVersion})
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int32{0, 1, 1000, 5000} {
		resp, err := f.client.ListModelVersions(f.viewer(t, tenantB), &modelv1.ListModelVersionsRequest{Parent: defaultModel, PageSize: size})
		if err != nil {
			t.Fatalf("page_size %d: %v", size, err)
		}
		if len(resp.GetModelVersions()) != 1 || !proto.Equal(resp.GetModelVersions()[0], get.GetModelVersion()) || resp.GetNextPageToken() != "" {
			t.Fatalf("page_size %d: %v", size, resp)
		}
	}

	_, err = f.client.ListModelVersions(f.viewer(t, tenantA), &modelv1.ListModelVersionsRequest{Parent: "models/nope"})
	wantNotFound(t, err, "Model", "models/nope")

	for _, tt := range []struct {
		name  string
		req   *modelv1.ListModelVersionsRequest
		field string
	}{
		{"bad parent", &modelv1.ListModelVersionsRequest{Parent: defaultVersion}, "parent"},
		{"negative page size", &modelv1.ListModelVersionsRequest{Parent: defaultModel, PageSize: -1}, "page_size"},
		{"garbage token", &modelv1.ListModelVersionsRequest{Parent: defaultModel, PageToken: "garbage"}, "page_token"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.ListModelVersions(f.viewer(t, tenantA), tt.req)
			wantViolations(t, err, tt.field)
		})
	}
}

// A tenant's versions list in version id order over several pages, and the
// page tokens are bound to the tenant and the parent.
func TestListModelVersionsPaging(t *testing.T) {
	f := startCatalog(t)
	for _, version := range []string{"2.0", "1.0", "1.1"} {
		b := smallBundle()
		b.Version = version
		f.importBundle(t, tenantA, b)
	}
	var names []string
	token := ""
	for page := 0; ; page++ {
		resp, err := f.client.ListModelVersions(f.viewer(t, tenantA),
			&modelv1.ListModelVersionsRequest{Parent: acmeModel, PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if page > 2 {
			t.Fatal("too many pages")
		}
		for _, v := range resp.GetModelVersions() {
			names = append(names, v.GetName())
			if v.GetShared() || v.GetState() != modelv1.ModelVersion_STATE_DRAFT {
				t.Fatalf("version %v", v)
			}
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
		_, err = f.client.ListModelVersions(f.viewer(t, tenantB),
			&modelv1.ListModelVersionsRequest{Parent: acmeModel, PageSize: 2, PageToken: token})
		wantViolations(t, err, "page_token")
		_, err = f.client.ListModelVersions(f.viewer(t, tenantA),
			&modelv1.ListModelVersionsRequest{Parent: defaultModel, PageSize: 2, PageToken: token})
		wantViolations(t, err, "page_token")
	}
	want := []string{acmeV1, acmeV11, acmeModel + "/versions/2.0"}
	if !slices.Equal(names, want) {
		t.Fatalf("versions = %q, want %q", names, want)
	}
	// The shared model's listing is not affected by the tenant's other model.
	resp, err := f.client.ListModelVersions(f.viewer(t, tenantA), &modelv1.ListModelVersionsRequest{Parent: defaultModel})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetModelVersions()) != 1 || resp.GetModelVersions()[0].GetName() != defaultVersion {
		t.Fatalf("cmmi-aim versions = %v", resp.GetModelVersions())
	}
}

func TestImportModelVersion(t *testing.T) {
	f := startCatalog(t)
	var md metadata.MD
	resp, err := f.client.ImportModelVersion(f.manager(t, tenantA), &modelv1.ImportModelVersionRequest{
		Parent: acmeModel,
		Source: &modelv1.ImportModelVersionRequest_Bundle{Bundle: smallBundle()},
	}, grpc.Header(&md))
	if err != nil {
		t.Fatal(err)
	}
	if got := httpCode(md); got != "201" {
		t.Fatalf("x-http-code = %q, want 201", got)
	}
	v := resp.GetModelVersion()
	switch {
	case v.GetName() != acmeV1:
		t.Fatalf("name = %q", v.GetName())
	case v.GetState() != modelv1.ModelVersion_STATE_DRAFT:
		t.Fatalf("state = %v", v.GetState())
	case v.GetShared() || v.GetSample():
		t.Fatalf("shared = %v, sample = %v", v.GetShared(), v.GetSample())
	case v.GetDigest() != "" || v.GetPublishTime() != nil || v.GetCreateTime() == nil:
		t.Fatalf("a draft has digest %q, publish time %v, create time %v", v.GetDigest(), v.GetPublishTime(), v.GetCreateTime())
	case !proto.Equal(v.GetCounts(), smallCounts):
		t.Fatalf("counts = %v, want %v", v.GetCounts(), smallCounts)
	case v.GetDisplayName() != "Acme AI 1.0" || v.GetDescription() != "Acme's own AI practices.":
		t.Fatalf("descriptive fields: %v", v)
	case v.GetEtag() == "" || v.GetEtag() != pstore.ETag(v):
		t.Fatalf("etag = %q, want %q", v.GetEtag(), pstore.ETag(v))
	}
	got, err := f.client.GetModelVersion(f.viewer(t, tenantA), &modelv1.GetModelVersionRequest{Name: acmeV1})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got.GetModelVersion(), v) {
		t.Fatalf("Get = %v\nImport = %v", got.GetModelVersion(), v)
	}
	// The import created the model for the tenant.
	m, err := f.client.GetModel(f.viewer(t, tenantA), &modelv1.GetModelRequest{Name: acmeModel})
	if err != nil {
		t.Fatal(err)
	}
	if m.GetModel().GetShared() || m.GetModel().GetEtag() != pstore.ETag(m.GetModel()) {
		t.Fatalf("model = %v", m.GetModel())
	}

	// The content is served: practice areas with their counts, practices.
	pa, err := f.client.GetPracticeArea(f.viewer(t, tenantA), &modelv1.GetPracticeAreaRequest{Name: acmeV1 + "/practiceAreas/RISK"})
	if err != nil {
		t.Fatal(err)
	}
	if p := pa.GetPracticeArea(); p.GetName() != acmeV1+"/practiceAreas/RSK" || p.GetPracticeCount() != 3 ||
		p.GetAiContextPracticeCount() != 2 || p.GetMaxLevel() != 3 || p.GetCategory() != acmeV1+"/categories/managing" {
		t.Fatalf("practice area = %v", p)
	}

	// An admin may import too.
	b := smallBundle()
	b.Version = "1.1"
	if _, err := f.client.ImportModelVersion(f.env.As(t, tenantA, auth.RoleAdmin), &modelv1.ImportModelVersionRequest{
		Parent: acmeModel, Source: &modelv1.ImportModelVersionRequest_Bundle{Bundle: b},
	}); err != nil {
		t.Fatalf("admin import: %v", err)
	}
}

// A bundle without a model id takes the parent's.
func TestImportModelFromParent(t *testing.T) {
	f := startCatalog(t)
	b := smallBundle()
	b.Model = ""
	resp, err := f.client.ImportModelVersion(f.manager(t, tenantA), &modelv1.ImportModelVersionRequest{
		Parent: "models/other", Source: &modelv1.ImportModelVersionRequest_Bundle{Bundle: b},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetModelVersion().GetName() != "models/other/versions/1.0" {
		t.Fatalf("name = %q", resp.GetModelVersion().GetName())
	}
}

func TestImportValidateOnly(t *testing.T) {
	f := startCatalog(t)
	var md metadata.MD
	resp, err := f.client.ImportModelVersion(f.manager(t, tenantA), &modelv1.ImportModelVersionRequest{
		Parent:       acmeModel,
		Source:       &modelv1.ImportModelVersionRequest_Bundle{Bundle: smallBundle()},
		ValidateOnly: true,
	}, grpc.Header(&md))
	if err != nil {
		t.Fatal(err)
	}
	v := resp.GetModelVersion()
	if v.GetName() != acmeV1 || v.GetState() != modelv1.ModelVersion_STATE_DRAFT || !proto.Equal(v.GetCounts(), smallCounts) {
		t.Fatalf("validate_only answered %v", v)
	}
	if got := httpCode(md); got == "201" {
		t.Fatal("validate_only answered 201 Created")
	}
	_, err = f.client.GetModelVersion(f.viewer(t, tenantA), &modelv1.GetModelVersionRequest{Name: acmeV1})
	wantNotFound(t, err, "ModelVersion", acmeV1)
	_, err = f.client.GetModel(f.viewer(t, tenantA), &modelv1.GetModelRequest{Name: acmeModel})
	wantNotFound(t, err, "Model", acmeModel)

	// An invalid bundle is reported with validate_only too.
	b := smallBundle()
	b.Practices[0].Level = 9
	_, err = f.client.ImportModelVersion(f.manager(t, tenantA), &modelv1.ImportModelVersionRequest{
		Parent: acmeModel, Source: &modelv1.ImportModelVersionRequest_Bundle{Bundle: b}, ValidateOnly: true,
	})
	wantViolations(t, err, "bundle.practices[0].level")
}

// Every problem of a bundle comes back in one INVALID_ARGUMENT, each under
// "bundle.", and nothing is written.
func TestImportReportsEveryProblem(t *testing.T) {
	f := startCatalog(t)
	b := smallBundle()
	b.Practices[2].Id = b.Practices[1].GetId() // GOV-2.1 twice
	b.Practices[3].PracticeArea = "XYZ"        // no such practice area
	b.Practices[4].Level = 7                   // out of range
	for _, validateOnly := range []bool{false, true} {
		_, err := f.client.ImportModelVersion(f.manager(t, tenantA), &modelv1.ImportModelVersionRequest{
			Parent: acmeModel, Source: &modelv1.ImportModelVersionRequest_Bundle{Bundle: b}, ValidateOnly: validateOnly,
		})
		wantViolations(t, err, "bundle.practices[2].id", "bundle.practices[3].practice_area", "bundle.practices[4].level")
	}
	_, err := f.client.GetModelVersion(f.viewer(t, tenantA), &modelv1.GetModelVersionRequest{Name: acmeV1})
	wantNotFound(t, err, "ModelVersion", acmeV1)
	_, err = f.client.GetModel(f.viewer(t, tenantA), &modelv1.GetModelRequest{Name: acmeModel})
	wantNotFound(t, err, "Model", acmeModel)
	list, err := f.client.ListModels(f.viewer(t, tenantA), &modelv1.ListModelsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetModels()) != 1 {
		t.Fatalf("models = %v", list.GetModels())
	}
}

func TestImportInvalidArguments(t *testing.T) {
	f := startCatalog(t)
	mismatch := smallBundle()
	mismatch.Model = "other"
	noCore := smallBundle()
	noCore.Domains[0].Core = false
	badView := smallBundle()
	badView.Views[0].MaturityLevels[1].Requirements[0].Level = 4
	tests := []struct {
		name   string
		req    *modelv1.ImportModelVersionRequest
		fields []string
	}{
		{"bad YAML", &modelv1.ImportModelVersionRequest{Parent: acmeModel,
			Source: &modelv1.ImportModelVersionRequest_BundleText{BundleText: "model: acme-ai\nversion: [1.0\n"}}, []string{"bundle_text"}},
		{"bad JSON", &modelv1.ImportModelVersionRequest{Parent: acmeModel,
			Source: &modelv1.ImportModelVersionRequest_BundleText{BundleText: `{"model": "acme-ai",`}}, []string{"bundle_text"}},
		{"unknown field", &modelv1.ImportModelVersionRequest{Parent: acmeModel,
			Source: &modelv1.ImportModelVersionRequest_BundleText{BundleText: "model: acme-ai\nversions: x\n"}}, []string{"bundle_text"}},
		{"model mismatch", &modelv1.ImportModelVersionRequest{Parent: acmeModel,
			Source: &modelv1.ImportModelVersionRequest_Bundle{Bundle: mismatch}}, []string{"bundle.model"}},
		{"no core domain", &modelv1.ImportModelVersionRequest{Parent: acmeModel,
			Source: &modelv1.ImportModelVersionRequest_Bundle{Bundle: noCore}}, []string{"bundle.domains"}},
		{"view level above the practice area's", &modelv1.ImportModelVersionRequest{Parent: acmeModel,
			Source: &modelv1.ImportModelVersionRequest_Bundle{Bundle: badView}}, []string{"bundle.views[0].maturity_levels[1].requirements[0].level"}},
		{"bad parent", &modelv1.ImportModelVersionRequest{Parent: "models/Acme",
			Source: &modelv1.ImportModelVersionRequest_Bundle{Bundle: smallBundle()}}, []string{"parent"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.ImportModelVersion(f.manager(t, tenantA), tt.req)
			wantViolations(t, err, tt.fields...)
		})
	}
	t.Run("no bundle", func(t *testing.T) {
		_, err := f.client.ImportModelVersion(f.manager(t, tenantA), &modelv1.ImportModelVersionRequest{Parent: acmeModel})
		wantStatus(t, err, codes.InvalidArgument)
	})
	_, err := f.client.GetModel(f.viewer(t, tenantA), &modelv1.GetModelRequest{Name: acmeModel})
	wantNotFound(t, err, "Model", acmeModel)
}

func TestImportNeedsAWriterRole(t *testing.T) {
	f := startCatalog(t)
	for _, role := range []string{auth.RoleViewer, auth.RoleAppraiser, auth.RoleLeadAppraiser} {
		t.Run(role, func(t *testing.T) {
			_, err := f.client.ImportModelVersion(f.env.As(t, tenantA, role), &modelv1.ImportModelVersionRequest{
				Parent: acmeModel, Source: &modelv1.ImportModelVersionRequest_Bundle{Bundle: smallBundle()},
			})
			wantReason(t, err, codes.PermissionDenied, "MISSING_ROLE")
		})
	}
	_, err := f.client.GetModelVersion(f.env.As(t, tenantA, auth.RoleAdmin), &modelv1.GetModelVersionRequest{Name: acmeV1})
	wantNotFound(t, err, "ModelVersion", acmeV1)
}

func TestImportAlreadyExists(t *testing.T) {
	f := startCatalog(t)
	f.importBundle(t, tenantA, smallBundle())
	_, err := f.client.ImportModelVersion(f.manager(t, tenantA), &modelv1.ImportModelVersionRequest{
		Parent: acmeModel, Source: &modelv1.ImportModelVersionRequest_Bundle{Bundle: smallBundle()},
	})
	wantAlreadyExists(t, err, "ModelVersion", acmeV1)

	// The shared version is visible to the tenant, so its id is taken.
	def := proto.CloneOf(mustDefaultBundle(t))
	_, err = f.client.ImportModelVersion(f.manager(t, tenantA), &modelv1.ImportModelVersionRequest{
		Parent: defaultModel, Source: &modelv1.ImportModelVersionRequest_Bundle{Bundle: def},
	})
	wantAlreadyExists(t, err, "ModelVersion", defaultVersion)

	// Another tenant has its own namespace.
	v := f.importBundle(t, tenantB, smallBundle())
	if v.GetName() != acmeV1 {
		t.Fatalf("tenant B imported %q", v.GetName())
	}
}

// TestTenantIsolation is the isolation test: one tenant's draft (and its
// model, content and views) does not exist for another tenant, whatever
// the method, and stays private once published.
func TestTenantIsolation(t *testing.T) {
	f := startCatalog(t)
	f.importBundle(t, tenantA, smallBundle())
	if _, err := f.client.CreateView(f.manager(t, tenantA), &modelv1.CreateViewRequest{
		Parent: acmeV1, ViewId: "mine",
		View: &modelv1.View{DisplayName: "Mine", PracticeAreas: []string{"RSK"}},
	}); err != nil {
		t.Fatal(err)
	}

	checkIsolated := func(t *testing.T) {
		for _, role := range []string{auth.RoleViewer, auth.RoleContentManager, auth.RoleAdmin} {
			ctx := f.env.As(t, tenantB, role)
			calls := []struct {
				name, typ, resource string
				call                func() error
			}{
				{"GetModel", "Model", acmeModel, func() error {
					_, err := f.client.GetModel(ctx, &modelv1.GetModelRequest{Name: acmeModel})
					return err
				}},
				{"GetModelVersion", "ModelVersion", acmeV1, func() error {
					_, err := f.client.GetModelVersion(ctx, &modelv1.GetModelVersionRequest{Name: acmeV1})
					return err
				}},
				{"ListModelVersions", "Model", acmeModel, func() error {
					_, err := f.client.ListModelVersions(ctx, &modelv1.ListModelVersionsRequest{Parent: acmeModel})
					return err
				}},
				{"ListPractices", "ModelVersion", acmeV1, func() error {
					_, err := f.client.ListPractices(ctx, &modelv1.ListPracticesRequest{Parent: acmeV1 + "/practiceAreas/-"})
					return err
				}},
				{"GetPractice", "ModelVersion", acmeV1, func() error {
					_, err := f.client.GetPractice(ctx, &modelv1.GetPracticeRequest{Name: acmeV1 + "/practiceAreas/RSK/practices/RSK-1.1"})
					return err
				}},
				{"BatchGetPractices", "ModelVersion", acmeV1, func() error {
					_, err := f.client.BatchGetPractices(ctx, &modelv1.BatchGetPracticesRequest{Parent: acmeV1, Names: []string{"RSK-1.1"}})
					return err
				}},
				{"SearchPractices", "ModelVersion", acmeV1, func() error {
					_, err := f.client.SearchPractices(ctx, &modelv1.SearchPracticesRequest{Parent: acmeV1, Query: "risks"})
					return err
				}},
				{"GetPracticeArea", "ModelVersion", acmeV1, func() error {
					_, err := f.client.GetPracticeArea(ctx, &modelv1.GetPracticeAreaRequest{Name: acmeV1 + "/practiceAreas/RSK"})
					return err
				}},
				{"ListPracticeAreas", "ModelVersion", acmeV1, func() error {
					_, err := f.client.ListPracticeAreas(ctx, &modelv1.ListPracticeAreasRequest{Parent: acmeV1})
					return err
				}},
				{"ListCategories", "ModelVersion", acmeV1, func() error {
					_, err := f.client.ListCategories(ctx, &modelv1.ListCategoriesRequest{Parent: acmeV1})
					return err
				}},
				{"GetCapabilityArea", "ModelVersion", acmeV1, func() error {
					_, err := f.client.GetCapabilityArea(ctx, &modelv1.GetCapabilityAreaRequest{Name: acmeV1 + "/capabilityAreas/PMW"})
					return err
				}},
				{"ListDomains", "ModelVersion", acmeV1, func() error {
					_, err := f.client.ListDomains(ctx, &modelv1.ListDomainsRequest{Parent: acmeV1})
					return err
				}},
				{"ListViews", "ModelVersion", acmeV1, func() error {
					_, err := f.client.ListViews(ctx, &modelv1.ListViewsRequest{Parent: acmeV1})
					return err
				}},
				{"GetView", "ModelVersion", acmeV1, func() error {
					_, err := f.client.GetView(ctx, &modelv1.GetViewRequest{Name: acmeV1 + "/views/mine"})
					return err
				}},
				{"ResolveView", "ModelVersion", acmeV1, func() error {
					_, err := f.client.ResolveView(ctx, &modelv1.ResolveViewRequest{Name: acmeV1 + "/views/basic"})
					return err
				}},
				{"ExportModelVersion", "ModelVersion", acmeV1, func() error {
					_, err := f.client.ExportModelVersion(ctx, &modelv1.ExportModelVersionRequest{Name: acmeV1})
					return err
				}},
				{"DiffModelVersions", "ModelVersion", acmeV1, func() error {
					_, err := f.client.DiffModelVersions(ctx, &modelv1.DiffModelVersionsRequest{Name: defaultVersion, OtherVersion: acmeV1})
					return err
				}},
			}
			if role != auth.RoleViewer {
				calls = append(calls, []struct {
					name, typ, resource string
					call                func() error
				}{
					{"PublishModelVersion", "ModelVersion", acmeV1, func() error {
						_, err := f.client.PublishModelVersion(ctx, &modelv1.PublishModelVersionRequest{Name: acmeV1})
						return err
					}},
					{"DeprecateModelVersion", "ModelVersion", acmeV1, func() error {
						_, err := f.client.DeprecateModelVersion(ctx, &modelv1.DeprecateModelVersionRequest{Name: acmeV1})
						return err
					}},
					{"DeleteModelVersion", "ModelVersion", acmeV1, func() error {
						_, err := f.client.DeleteModelVersion(ctx, &modelv1.DeleteModelVersionRequest{Name: acmeV1})
						return err
					}},
					{"CreateView", "ModelVersion", acmeV1, func() error {
						_, err := f.client.CreateView(ctx, &modelv1.CreateViewRequest{Parent: acmeV1, ViewId: "theirs",
							View: &modelv1.View{DisplayName: "Theirs", PracticeAreas: []string{"RSK"}}})
						return err
					}},
					{"DeleteView", "ModelVersion", acmeV1, func() error {
						_, err := f.client.DeleteView(ctx, &modelv1.DeleteViewRequest{Name: acmeV1 + "/views/mine"})
						return err
					}},
				}...)
			}
			for _, c := range calls {
				t.Run(role+"/"+c.name, func(t *testing.T) {
					wantNotFound(t, c.call(), c.typ, c.resource)
				})
			}
		}

		for _, tc := range []struct {
			tenant string
			want   []string
		}{
			{tenantA, []string{acmeModel, defaultModel}},
			{tenantB, []string{defaultModel}},
		} {
			resp, err := f.client.ListModels(f.viewer(t, tc.tenant), &modelv1.ListModelsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, m := range resp.GetModels() {
				names = append(names, m.GetName())
			}
			if !slices.Equal(names, tc.want) {
				t.Fatalf("tenant %s lists models %q, want %q", tc.tenant, names, tc.want)
			}
		}
	}

	t.Run("draft", checkIsolated)
	// The owner still reads everything.
	for _, name := range []string{acmeV1 + "/views/mine", acmeV1 + "/views/basic"} {
		if _, err := f.client.GetView(f.viewer(t, tenantA), &modelv1.GetViewRequest{Name: name}); err != nil {
			t.Fatalf("owner GetView %s: %v", name, err)
		}
	}
	f.publish(t, tenantA, acmeV1)
	t.Run("published", checkIsolated)
}

func TestPublishDeprecateLifecycle(t *testing.T) {
	f := startCatalog(t)
	draft := f.importBundle(t, tenantA, smallBundle())
	ctx := f.manager(t, tenantA)

	_, err := f.client.PublishModelVersion(f.viewer(t, tenantA), &modelv1.PublishModelVersionRequest{Name: acmeV1})
	wantReason(t, err, codes.PermissionDenied, "MISSING_ROLE")
	_, err = f.client.PublishModelVersion(ctx, &modelv1.PublishModelVersionRequest{Name: acmeV1, Etag: "stale"})
	wantReason(t, err, codes.Aborted, "ETAG_MISMATCH")
	_, err = f.client.DeprecateModelVersion(ctx, &modelv1.DeprecateModelVersionRequest{Name: acmeV1})
	wantReason(t, err, codes.FailedPrecondition, "NOT_PUBLISHED")

	resp, err := f.client.PublishModelVersion(ctx, &modelv1.PublishModelVersionRequest{Name: acmeV1, Etag: draft.GetEtag()})
	if err != nil {
		t.Fatal(err)
	}
	pub := resp.GetModelVersion()
	switch {
	case pub.GetState() != modelv1.ModelVersion_STATE_PUBLISHED:
		t.Fatalf("state = %v", pub.GetState())
	case !digestPattern.MatchString(pub.GetDigest()) || pub.GetDigest() != catalog.Digest(smallBundle()):
		t.Fatalf("digest = %q, want %q", pub.GetDigest(), catalog.Digest(smallBundle()))
	case pub.GetPublishTime() == nil || pub.GetDeprecateTime() != nil:
		t.Fatalf("times: publish %v, deprecate %v", pub.GetPublishTime(), pub.GetDeprecateTime())
	case pub.GetEtag() == draft.GetEtag() || pub.GetEtag() != pstore.ETag(pub):
		t.Fatalf("etag = %q (draft %q), want %q", pub.GetEtag(), draft.GetEtag(), pstore.ETag(pub))
	case !proto.Equal(pub.GetCounts(), smallCounts):
		t.Fatalf("counts = %v", pub.GetCounts())
	case pub.GetShared() || !proto.Equal(pub.GetCreateTime(), draft.GetCreateTime()):
		t.Fatalf("published = %v", pub)
	}
	got, err := f.client.GetModelVersion(f.viewer(t, tenantA), &modelv1.GetModelVersionRequest{Name: acmeV1})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got.GetModelVersion(), pub) {
		t.Fatalf("Get = %v\nPublish = %v", got.GetModelVersion(), pub)
	}

	_, err = f.client.PublishModelVersion(ctx, &modelv1.PublishModelVersionRequest{Name: acmeV1})
	wantReason(t, err, codes.FailedPrecondition, "NOT_DRAFT")
	_, err = f.client.DeleteModelVersion(ctx, &modelv1.DeleteModelVersionRequest{Name: acmeV1})
	wantReason(t, err, codes.FailedPrecondition, "NOT_DRAFT")
	_, err = f.client.DeprecateModelVersion(ctx, &modelv1.DeprecateModelVersionRequest{Name: acmeV1, Etag: draft.GetEtag()})
	wantReason(t, err, codes.Aborted, "ETAG_MISMATCH")
	_, err = f.client.DeprecateModelVersion(f.viewer(t, tenantA), &modelv1.DeprecateModelVersionRequest{Name: acmeV1})
	wantReason(t, err, codes.PermissionDenied, "MISSING_ROLE")

	dep, err := f.client.DeprecateModelVersion(ctx, &modelv1.DeprecateModelVersionRequest{Name: acmeV1, Etag: pub.GetEtag()})
	if err != nil {
		t.Fatal(err)
	}
	d := dep.GetModelVersion()
	switch {
	case d.GetState() != modelv1.ModelVersion_STATE_DEPRECATED:
		t.Fatalf("state = %v", d.GetState())
	case d.GetDeprecateTime() == nil || !proto.Equal(d.GetPublishTime(), pub.GetPublishTime()) || d.GetDigest() != pub.GetDigest():
		t.Fatalf("deprecated = %v", d)
	case d.GetEtag() == pub.GetEtag() || d.GetEtag() != pstore.ETag(d):
		t.Fatalf("etag = %q", d.GetEtag())
	}
	_, err = f.client.DeprecateModelVersion(ctx, &modelv1.DeprecateModelVersionRequest{Name: acmeV1})
	wantReason(t, err, codes.FailedPrecondition, "NOT_PUBLISHED")
	_, err = f.client.PublishModelVersion(ctx, &modelv1.PublishModelVersionRequest{Name: acmeV1})
	wantReason(t, err, codes.FailedPrecondition, "NOT_DRAFT")
	_, err = f.client.DeleteModelVersion(ctx, &modelv1.DeleteModelVersionRequest{Name: acmeV1})
	wantReason(t, err, codes.FailedPrecondition, "NOT_DRAFT")

	// A deprecated version stays readable.
	ps := f.listAllPractices(t, f.viewer(t, tenantA), acmeV1+"/practiceAreas/-", "", 0)
	if len(ps) != 6 {
		t.Fatalf("deprecated version lists %d practices", len(ps))
	}
}

// Tenants read the shared default but cannot change it, not even an admin.
func TestSharedVersionIsReadOnly(t *testing.T) {
	f := startCatalog(t)
	for _, role := range []string{auth.RoleContentManager, auth.RoleAdmin} {
		ctx := f.env.As(t, tenantA, role)
		_, err := f.client.PublishModelVersion(ctx, &modelv1.PublishModelVersionRequest{Name: defaultVersion})
		wantReason(t, err, codes.PermissionDenied, "SHARED_CONTENT")
		_, err = f.client.DeprecateModelVersion(ctx, &modelv1.DeprecateModelVersionRequest{Name: defaultVersion})
		wantReason(t, err, codes.PermissionDenied, "SHARED_CONTENT")
		_, err = f.client.DeleteModelVersion(ctx, &modelv1.DeleteModelVersionRequest{Name: defaultVersion})
		wantReason(t, err, codes.PermissionDenied, "SHARED_CONTENT")
	}
	resp, err := f.client.GetModelVersion(f.viewer(t, tenantB), &modelv1.GetModelVersionRequest{Name: defaultVersion})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetModelVersion().GetState() != modelv1.ModelVersion_STATE_PUBLISHED {
		t.Fatalf("state = %v", resp.GetModelVersion().GetState())
	}
}

func TestWritesOnUnknownVersions(t *testing.T) {
	f := startCatalog(t)
	ctx := f.manager(t, tenantA)
	name := defaultModel + "/versions/9.9"
	_, err := f.client.PublishModelVersion(ctx, &modelv1.PublishModelVersionRequest{Name: name})
	wantNotFound(t, err, "ModelVersion", name)
	_, err = f.client.DeprecateModelVersion(ctx, &modelv1.DeprecateModelVersionRequest{Name: name})
	wantNotFound(t, err, "ModelVersion", name)
	_, err = f.client.DeleteModelVersion(ctx, &modelv1.DeleteModelVersionRequest{Name: name})
	wantNotFound(t, err, "ModelVersion", name)
	_, err = f.client.DeleteModelVersion(ctx, &modelv1.DeleteModelVersionRequest{Name: "models/x"})
	wantViolations(t, err, "name")
	_, err = f.client.PublishModelVersion(ctx, &modelv1.PublishModelVersionRequest{Name: acmeV1, Etag: strings.Repeat("e", 65)})
	wantViolations(t, err, "etag")
}

// Deleting a draft removes it with its content, its views and its search
// index: a new import of the same id serves the new content.
func TestDeleteDraft(t *testing.T) {
	f := startCatalog(t)
	draft := f.importBundle(t, tenantA, smallBundle())
	ctx := f.viewer(t, tenantA)
	if _, err := f.client.CreateView(f.manager(t, tenantA), &modelv1.CreateViewRequest{
		Parent: acmeV1, ViewId: "mine", View: &modelv1.View{DisplayName: "Mine", PracticeAreas: []string{"GOV"}},
	}); err != nil {
		t.Fatal(err)
	}
	search := func(query string) (*modelv1.SearchPracticesResponse, error) {
		return f.client.SearchPractices(ctx, &modelv1.SearchPracticesRequest{Parent: acmeV1, Query: query})
	}
	res, err := search("hallucination")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.GetResults()) != 1 || lastSegment(res.GetResults()[0].GetPractice().GetName()) != "RSK-1.1" {
		t.Fatalf("search before delete = %v", res.GetResults())
	}

	_, err = f.client.DeleteModelVersion(f.viewer(t, tenantA), &modelv1.DeleteModelVersionRequest{Name: acmeV1})
	wantReason(t, err, codes.PermissionDenied, "MISSING_ROLE")
	_, err = f.client.DeleteModelVersion(f.manager(t, tenantA), &modelv1.DeleteModelVersionRequest{Name: acmeV1, Etag: "stale"})
	wantReason(t, err, codes.Aborted, "ETAG_MISMATCH")
	if _, err := f.client.DeleteModelVersion(f.manager(t, tenantA), &modelv1.DeleteModelVersionRequest{Name: acmeV1, Etag: draft.GetEtag()}); err != nil {
		t.Fatal(err)
	}

	_, err = f.client.GetModelVersion(ctx, &modelv1.GetModelVersionRequest{Name: acmeV1})
	wantNotFound(t, err, "ModelVersion", acmeV1)
	_, err = f.client.ListPractices(ctx, &modelv1.ListPracticesRequest{Parent: acmeV1 + "/practiceAreas/-"})
	wantNotFound(t, err, "ModelVersion", acmeV1)
	_, err = search("hallucination")
	wantNotFound(t, err, "ModelVersion", acmeV1)
	_, err = f.client.DeleteModelVersion(f.manager(t, tenantA), &modelv1.DeleteModelVersionRequest{Name: acmeV1})
	wantNotFound(t, err, "ModelVersion", acmeV1)
	list, err := f.client.ListModelVersions(ctx, &modelv1.ListModelVersionsRequest{Parent: acmeModel})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetModelVersions()) != 0 {
		t.Fatalf("versions after delete = %v", list.GetModelVersions())
	}

	// The same id imported again is new content: no old view, no old index.
	b := smallBundle()
	b.Practices[3].AiContext[0].Text = "Record the confabulation risks of language models."
	f.importBundle(t, tenantA, b)
	_, err = f.client.GetView(ctx, &modelv1.GetViewRequest{Name: acmeV1 + "/views/mine"})
	wantNotFound(t, err, "View", acmeV1+"/views/mine")
	res, err = search("hallucination")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.GetResults()) != 0 {
		t.Fatalf("search for deleted content = %v", res.GetResults())
	}
	res, err = search("confabulation")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.GetResults()) != 1 || !slices.Equal(res.GetResults()[0].GetMatchedAiContext(), []string{"RSK-1.1-AI-1"}) {
		t.Fatalf("search for new content = %v", res.GetResults())
	}
}

// The digest is a property of the content: the same bundle listed in
// another order publishes with the same digest, and a changed statement
// changes it.
func TestDigestIgnoresOrder(t *testing.T) {
	f := startCatalog(t)
	f.importBundle(t, tenantA, smallBundle())
	f.importBundle(t, tenantB, shuffled(smallBundle()))
	a := f.publish(t, tenantA, acmeV1)
	b := f.publish(t, tenantB, acmeV1)
	if a.GetDigest() != b.GetDigest() || !digestPattern.MatchString(a.GetDigest()) {
		t.Fatalf("digests %q and %q, want equal", a.GetDigest(), b.GetDigest())
	}
	if !proto.Equal(a.GetCounts(), b.GetCounts()) {
		t.Fatalf("counts %v and %v", a.GetCounts(), b.GetCounts())
	}
	// The stored content is the same canonical bundle: the exports agree.
	export := func(tenant string) string {
		resp, err := f.client.ExportModelVersion(f.viewer(t, tenant), &modelv1.ExportModelVersionRequest{Name: acmeV1})
		if err != nil {
			t.Fatal(err)
		}
		return string(resp.GetBody().GetData())
	}
	if export(tenantA) != export(tenantB) {
		t.Fatal("the exports of the same content differ")
	}

	// Version 1.1 with the same content but one statement: another digest
	// than the unchanged 1.1 would have.
	unchanged := smallBundle()
	unchanged.Version = "1.1"
	changed := shuffled(unchanged)
	changed.Practices[0].Statement += " Now."
	f.importBundle(t, tenantB, changed)
	c := f.publish(t, tenantB, acmeV11)
	if c.GetDigest() != catalog.Digest(changed) || c.GetDigest() == catalog.Digest(unchanged) {
		t.Fatalf("digest %q; a changed statement must change it", c.GetDigest())
	}
}

// version11 is smallBundle as version 1.1 with one practice added (with an
// AI addition), one removed, one statement changed and one AI addition
// changed.
func version11() *modelv1.ModelBundle {
	b := smallBundle()
	b.Version = "1.1"
	b.DisplayName = "Acme AI 1.1"
	b.Practices = slices.Delete(b.Practices, 1, 2)              // GOV-2.1 removed
	b.Practices[3].Statement = "Analyze and rank risks."        // RSK-2.1
	b.Practices[2].AiContext[0].Text = "Record hallucinations." // RSK-1.1-AI-1
	b.Practices = append(b.Practices, practice("RSK-3.2", "RSK", 3, "Keep risk records.",
		ai("RSK-3.2-AI-1", "Keep records of model incidents.", nil)))
	return b
}

func TestDiffModelVersions(t *testing.T) {
	f := startCatalog(t)
	f.importBundle(t, tenantA, smallBundle())
	f.importBundle(t, tenantA, version11())
	ctx := f.viewer(t, tenantA)

	want := &modelv1.DiffModelVersionsResponse{
		AddedPractices:   []string{"RSK-3.2"},
		RemovedPractices: []string{"GOV-2.1"},
		ChangedPractices: []*modelv1.PracticeChange{
			{Practice: "RSK-1.1", Fields: []string{"ai_context"}},
			{Practice: "RSK-2.1", Fields: []string{"statement"}},
		},
		AddedAiContext:   []string{"RSK-3.2-AI-1"},
		ChangedAiContext: []string{"RSK-1.1-AI-1"},
	}
	got, err := f.client.DiffModelVersions(ctx, &modelv1.DiffModelVersionsRequest{Name: acmeV11, OtherVersion: acmeV1})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, want) {
		t.Fatalf("diff 1.1 against 1.0 = %v\nwant %v", got, want)
	}

	reverse := &modelv1.DiffModelVersionsResponse{
		AddedPractices:   []string{"GOV-2.1"},
		RemovedPractices: []string{"RSK-3.2"},
		ChangedPractices: want.GetChangedPractices(),
		RemovedAiContext: []string{"RSK-3.2-AI-1"},
		ChangedAiContext: []string{"RSK-1.1-AI-1"},
	}
	got, err = f.client.DiffModelVersions(ctx, &modelv1.DiffModelVersionsRequest{Name: acmeV1, OtherVersion: acmeV11})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, reverse) {
		t.Fatalf("diff 1.0 against 1.1 = %v\nwant %v", got, reverse)
	}

	// A version against itself, the default included, has no differences.
	for _, name := range []string{defaultVersion, acmeV1} {
		got, err := f.client.DiffModelVersions(ctx, &modelv1.DiffModelVersionsRequest{Name: name, OtherVersion: name})
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(got, &modelv1.DiffModelVersionsResponse{}) {
			t.Fatalf("diff of %s against itself = %v", name, got)
		}
	}

	// Across models: the default's other 29 practice areas are removed.
	got, err = f.client.DiffModelVersions(ctx, &modelv1.DiffModelVersionsRequest{Name: acmeV1, OtherVersion: defaultVersion})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.GetAddedPracticeAreas()) != 0 || len(got.GetRemovedPracticeAreas()) != 29 ||
		slices.Contains(got.GetRemovedPracticeAreas(), "RSK") || !slices.IsSorted(got.GetRemovedPracticeAreas()) {
		t.Fatalf("diff against the default: added %q, removed %q", got.GetAddedPracticeAreas(), got.GetRemovedPracticeAreas())
	}

	_, err = f.client.DiffModelVersions(ctx, &modelv1.DiffModelVersionsRequest{Name: acmeV1, OtherVersion: acmeModel + "/versions/9"})
	wantNotFound(t, err, "ModelVersion", acmeModel+"/versions/9")
	_, err = f.client.DiffModelVersions(ctx, &modelv1.DiffModelVersionsRequest{Name: acmeV1})
	wantViolations(t, err, "other_version")
}

// Every method needs credentials.
func TestCatalogAuthentication(t *testing.T) {
	f := startCatalog(t)
	calls := map[string]func(ctx context.Context) error{
		"GetModelVersion": func(ctx context.Context) error {
			_, err := f.client.GetModelVersion(ctx, &modelv1.GetModelVersionRequest{Name: defaultVersion})
			return err
		},
		"ListPractices": func(ctx context.Context) error {
			_, err := f.client.ListPractices(ctx, &modelv1.ListPracticesRequest{Parent: defaultVersion + "/practiceAreas/-"})
			return err
		},
		"SearchPractices": func(ctx context.Context) error {
			_, err := f.client.SearchPractices(ctx, &modelv1.SearchPracticesRequest{Parent: defaultVersion, Query: "risk"})
			return err
		},
		"ImportModelVersion": func(ctx context.Context) error {
			_, err := f.client.ImportModelVersion(ctx, &modelv1.ImportModelVersionRequest{
				Parent: acmeModel, Source: &modelv1.ImportModelVersionRequest_Bundle{Bundle: smallBundle()}})
			return err
		},
		"CreateView": func(ctx context.Context) error {
			_, err := f.client.CreateView(ctx, &modelv1.CreateViewRequest{Parent: defaultVersion, ViewId: "x",
				View: &modelv1.View{DisplayName: "X", PracticeAreas: []string{"RSK"}}})
			return err
		},
		"ExportModelVersion": func(ctx context.Context) error {
			_, err := f.client.ExportModelVersion(ctx, &modelv1.ExportModelVersionRequest{Name: defaultVersion})
			return err
		},
		"ResolveView": func(ctx context.Context) error {
			_, err := f.client.ResolveView(ctx, &modelv1.ResolveViewRequest{Name: defaultVersion + "/views/aim"})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name+"/no credentials", func(t *testing.T) {
			wantReason(t, call(t.Context()), codes.Unauthenticated, "MISSING_CREDENTIALS")
		})
		t.Run(name+"/bad token", func(t *testing.T) {
			ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer not-a-token")
			wantStatus(t, call(ctx), codes.Unauthenticated)
		})
		t.Run(name+"/no role", func(t *testing.T) {
			wantReason(t, call(f.env.As(t, tenantA)), codes.PermissionDenied, "MISSING_ROLE")
		})
	}
	// Nothing was written by the rejected calls.
	_, err := f.client.GetModelVersion(f.viewer(t, tenantA), &modelv1.GetModelVersionRequest{Name: acmeV1})
	wantNotFound(t, err, "ModelVersion", acmeV1)
}
