package server_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/services/model/internal/catalog"
)

// export returns the body and content type of an export.
func (f *fixture) export(t *testing.T, tenant, name string, format modelv1.ExportModelVersionRequest_ExportFormat) (string, string) {
	t.Helper()
	resp, err := f.client.ExportModelVersion(f.viewer(t, tenant), &modelv1.ExportModelVersionRequest{Name: name, Format: format})
	if err != nil {
		t.Fatalf("export %s as %v: %v", name, format, err)
	}
	return string(resp.GetBody().GetData()), resp.GetBody().GetContentType()
}

var (
	jsonModelLine   = regexp.MustCompile(`(?m)^  "model": ".*",$`)
	jsonVersionLine = regexp.MustCompile(`(?m)^  "version": ".*",$`)
	yamlModelLine   = regexp.MustCompile(`(?m)^model: .*$`)
	yamlVersionLine = regexp.MustCompile(`(?m)^version: .*$`)
)

// replaceOnce replaces the one match of re in s, failing unless there is
// exactly one.
func replaceOnce(t *testing.T, re *regexp.Regexp, s, with string) string {
	t.Helper()
	if n := len(re.FindAllStringIndex(s, -1)); n != 1 {
		t.Fatalf("%s matches %d times, want once", re, n)
	}
	return re.ReplaceAllLiteralString(s, with)
}

// renamed returns the default bundle with another model and version id.
func renamed(t *testing.T, model, version string) *modelv1.ModelBundle {
	t.Helper()
	b := proto.CloneOf(mustDefaultBundle(t))
	b.Model, b.Version = model, version
	return b
}

func TestExportDefault(t *testing.T) {
	f := startCatalog(t)
	stored := mustDefaultBundle(t)

	t.Run("bundle JSON", func(t *testing.T) {
		body, contentType := f.export(t, tenantA, defaultVersion, modelv1.ExportModelVersionRequest_EXPORT_FORMAT_BUNDLE_JSON)
		if contentType != "application/json" {
			t.Fatalf("content type %q", contentType)
		}
		parsed, err := catalog.ParseBundleText([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(catalog.Canonicalize(parsed), stored) {
			t.Fatal("the JSON export does not parse back to the stored bundle")
		}
		if !proto.Equal(parsed, stored) {
			t.Fatal("the JSON export is not in canonical order")
		}
		// The default format is the JSON bundle, byte for byte.
		def, _ := f.export(t, tenantB, defaultVersion, modelv1.ExportModelVersionRequest_EXPORT_FORMAT_UNSPECIFIED)
		if def != body {
			t.Fatal("the unspecified format differs from EXPORT_FORMAT_BUNDLE_JSON")
		}
	})

	t.Run("bundle YAML", func(t *testing.T) {
		body, contentType := f.export(t, tenantA, defaultVersion, modelv1.ExportModelVersionRequest_EXPORT_FORMAT_BUNDLE_YAML)
		if contentType != "application/yaml" {
			t.Fatalf("content type %q", contentType)
		}
		if strings.HasPrefix(strings.TrimSpace(body), "{") {
			t.Fatal("the YAML export is JSON")
		}
		parsed, err := catalog.ParseBundleText([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(catalog.Canonicalize(parsed), stored) {
			t.Fatal("the YAML export does not parse back to the stored bundle")
		}
	})

	t.Run("OSCAL catalog", func(t *testing.T) {
		body, contentType := f.export(t, tenantA, defaultVersion, modelv1.ExportModelVersionRequest_EXPORT_FORMAT_OSCAL_CATALOG_JSON)
		if contentType != "application/json" {
			t.Fatalf("content type %q", contentType)
		}
		var doc struct {
			Catalog struct {
				UUID     string `json:"uuid"`
				Metadata struct {
					Title        string `json:"title"`
					LastModified string `json:"last-modified"`
					Version      string `json:"version"`
					OSCALVersion string `json:"oscal-version"`
				} `json:"metadata"`
				Groups []struct {
					ID       string `json:"id"`
					Class    string `json:"class"`
					Controls []struct {
						ID    string `json:"id"`
						Title string `json:"title"`
						Parts []struct {
							Name  string `json:"name"`
							Class string `json:"class"`
						} `json:"parts"`
					} `json:"controls"`
				} `json:"groups"`
			} `json:"catalog"`
		}
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatal(err)
		}
		c := doc.Catalog
		if len(c.Groups) != 31 {
			t.Fatalf("%d groups, want 31", len(c.Groups))
		}
		controls, aiParts := 0, 0
		var groupIDs []string
		for _, g := range c.Groups {
			groupIDs = append(groupIDs, g.ID)
			if g.Class != "practice-area" || len(g.Controls) == 0 {
				t.Fatalf("group %s: class %q, %d controls", g.ID, g.Class, len(g.Controls))
			}
			controls += len(g.Controls)
			for _, ctl := range g.Controls {
				for _, p := range ctl.Parts {
					if p.Class == "ai-context" {
						aiParts++
					}
				}
			}
		}
		if controls != 276 || aiParts != 157 {
			t.Fatalf("%d controls with %d AI context parts, want 276 with 157", controls, aiParts)
		}
		if !slices.Contains(groupIDs, "rsk") || c.Metadata.Version != "3.0-sample" || c.Metadata.OSCALVersion != catalog.OSCALVersion ||
			c.Metadata.Title == "" || c.Metadata.LastModified == "" || c.UUID == "" {
			t.Fatalf("catalog: uuid %q, metadata %+v, groups %q", c.UUID, c.Metadata, groupIDs)
		}
		// The same content exports to the same bytes.
		again, _ := f.export(t, tenantB, defaultVersion, modelv1.ExportModelVersionRequest_EXPORT_FORMAT_OSCAL_CATALOG_JSON)
		if again != body {
			t.Fatal("two OSCAL exports of the same version differ")
		}
	})

	t.Run("errors", func(t *testing.T) {
		_, err := f.client.ExportModelVersion(f.viewer(t, tenantA), &modelv1.ExportModelVersionRequest{Name: defaultVersion, Format: 99})
		wantViolations(t, err, "format")
		_, err = f.client.ExportModelVersion(f.viewer(t, tenantA), &modelv1.ExportModelVersionRequest{Name: defaultModel + "/versions/9"})
		wantNotFound(t, err, "ModelVersion", defaultModel+"/versions/9")
		_, err = f.client.ExportModelVersion(f.viewer(t, tenantA), &modelv1.ExportModelVersionRequest{Name: defaultModel})
		wantViolations(t, err, "name")
	})
}

// The default's exports import again under other ids: as a tenant's own
// version of the shared model (JSON) and as a new model (YAML).
func TestExportReimport(t *testing.T) {
	f := startCatalog(t)
	ctx := f.manager(t, tenantA)
	copyName := defaultModel + "/versions/3.0-copy"

	body, _ := f.export(t, tenantA, defaultVersion, modelv1.ExportModelVersionRequest_EXPORT_FORMAT_BUNDLE_JSON)
	text := replaceOnce(t, jsonVersionLine, body, `  "version": "3.0-copy",`)
	resp, err := f.client.ImportModelVersion(ctx, &modelv1.ImportModelVersionRequest{
		Parent: defaultModel, Source: &modelv1.ImportModelVersionRequest_BundleText{BundleText: text},
	})
	if err != nil {
		t.Fatal(err)
	}
	v := resp.GetModelVersion()
	if v.GetName() != copyName || v.GetState() != modelv1.ModelVersion_STATE_DRAFT || v.GetShared() || !v.GetSample() ||
		!proto.Equal(v.GetCounts(), defaultCounts) {
		t.Fatalf("imported %v", v)
	}

	// The tenant's version lists next to the shared one, for that tenant.
	var names []string
	token := ""
	for range 5 {
		list, err := f.client.ListModelVersions(f.viewer(t, tenantA), &modelv1.ListModelVersionsRequest{Parent: defaultModel, PageSize: 1, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, mv := range list.GetModelVersions() {
			names = append(names, mv.GetName())
		}
		if token = list.GetNextPageToken(); token == "" {
			break
		}
	}
	if want := []string{copyName, defaultVersion}; !slices.Equal(names, want) {
		t.Fatalf("tenant A lists %q, want %q", names, want)
	}
	list, err := f.client.ListModelVersions(f.viewer(t, tenantB), &modelv1.ListModelVersionsRequest{Parent: defaultModel})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetModelVersions()) != 1 || list.GetModelVersions()[0].GetName() != defaultVersion {
		t.Fatalf("tenant B lists %v", list.GetModelVersions())
	}
	// The shared model stays the one model.
	models, err := f.client.ListModels(f.viewer(t, tenantA), &modelv1.ListModelsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(models.GetModels()) != 1 || !models.GetModels()[0].GetShared() {
		t.Fatalf("models = %v", models.GetModels())
	}

	// Its content is the default's: no differences, and every practice.
	diff, err := f.client.DiffModelVersions(f.viewer(t, tenantA), &modelv1.DiffModelVersionsRequest{Name: copyName, OtherVersion: defaultVersion})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(diff, &modelv1.DiffModelVersionsResponse{}) {
		t.Fatalf("diff = %v", diff)
	}
	if ps := f.listAllPractices(t, f.viewer(t, tenantA), copyName+"/practiceAreas/-", "", 1000); len(ps) != 276 {
		t.Fatalf("%d practices", len(ps))
	}
	copyBody, _ := f.export(t, tenantA, copyName, modelv1.ExportModelVersionRequest_EXPORT_FORMAT_BUNDLE_JSON)
	if copyBody != text {
		t.Fatal("the copy exports differently from what was imported")
	}

	// Published, its digest is that of the renamed content.
	pub := f.publish(t, tenantA, copyName)
	if want := catalog.Digest(renamed(t, "cmmi-aim", "3.0-copy")); pub.GetDigest() != want || pub.GetDigest() == catalog.Digest(mustDefaultBundle(t)) {
		t.Fatalf("digest = %q, want %q", pub.GetDigest(), want)
	}

	// The YAML export imports as a new model of the tenant's.
	yamlBody, _ := f.export(t, tenantA, defaultVersion, modelv1.ExportModelVersionRequest_EXPORT_FORMAT_BUNDLE_YAML)
	yamlText := replaceOnce(t, yamlModelLine, yamlBody, "model: cmmi-yaml")
	yamlText = replaceOnce(t, yamlVersionLine, yamlText, `version: "1.0"`)
	resp, err = f.client.ImportModelVersion(ctx, &modelv1.ImportModelVersionRequest{
		Parent: "models/cmmi-yaml", Source: &modelv1.ImportModelVersionRequest_BundleText{BundleText: yamlText},
	})
	if err != nil {
		t.Fatal(err)
	}
	if v := resp.GetModelVersion(); v.GetName() != "models/cmmi-yaml/versions/1.0" || !proto.Equal(v.GetCounts(), defaultCounts) {
		t.Fatalf("imported %v", v)
	}
	exported, _ := f.export(t, tenantA, "models/cmmi-yaml/versions/1.0", modelv1.ExportModelVersionRequest_EXPORT_FORMAT_BUNDLE_JSON)
	parsed, err := catalog.ParseBundleText([]byte(exported))
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(parsed, renamed(t, "cmmi-yaml", "1.0")) {
		t.Fatal("the YAML import does not hold the default's content")
	}
	models, err = f.client.ListModels(f.viewer(t, tenantA), &modelv1.ListModelsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(models.GetModels()) != 2 || models.GetModels()[1].GetName() != "models/cmmi-yaml" || models.GetModels()[1].GetShared() {
		t.Fatalf("models = %v", models.GetModels())
	}

	// Importing the export unchanged is the shared version's id: taken.
	_, err = f.client.ImportModelVersion(ctx, &modelv1.ImportModelVersionRequest{
		Parent: defaultModel, Source: &modelv1.ImportModelVersionRequest_BundleText{BundleText: body},
	})
	wantAlreadyExists(t, err, "ModelVersion", defaultVersion)
	// Into another model, the bundle's model id does not match.
	_, err = f.client.ImportModelVersion(ctx, &modelv1.ImportModelVersionRequest{
		Parent: "models/elsewhere", Source: &modelv1.ImportModelVersionRequest_BundleText{BundleText: body},
	})
	wantViolations(t, err, "bundle.model")
}

// A draft exports too; its OSCAL catalog is dated by its import.
func TestExportDraft(t *testing.T) {
	f := startCatalog(t)
	v := f.importBundle(t, tenantA, shuffled(smallBundle()))
	body, _ := f.export(t, tenantA, acmeV1, modelv1.ExportModelVersionRequest_EXPORT_FORMAT_BUNDLE_JSON)
	parsed, err := catalog.ParseBundleText([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(parsed, catalog.Canonicalize(smallBundle())) {
		t.Fatalf("export = %v", parsed)
	}
	body, _ = f.export(t, tenantA, acmeV1, modelv1.ExportModelVersionRequest_EXPORT_FORMAT_OSCAL_CATALOG_JSON)
	var doc struct {
		Catalog struct {
			Metadata struct {
				LastModified string `json:"last-modified"`
				Version      string `json:"version"`
				Title        string `json:"title"`
			} `json:"metadata"`
			Groups []struct {
				ID       string            `json:"id"`
				Controls []json.RawMessage `json:"controls"`
			} `json:"groups"`
		} `json:"catalog"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	m := doc.Catalog.Metadata
	if m.Version != "1.0" || m.Title != "Acme AI 1.0" || m.LastModified != v.GetCreateTime().AsTime().UTC().Format("2006-01-02T15:04:05Z07:00") {
		t.Fatalf("metadata = %+v (created %v)", m, v.GetCreateTime().AsTime())
	}
	if len(doc.Catalog.Groups) != 2 || doc.Catalog.Groups[0].ID != "gov" || len(doc.Catalog.Groups[0].Controls) != 3 || len(doc.Catalog.Groups[1].Controls) != 3 {
		t.Fatalf("groups = %+v", doc.Catalog.Groups)
	}
}
