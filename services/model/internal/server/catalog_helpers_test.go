package server_test

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/server"
	"github.com/aim-platform/aim/platform/server/servertest"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/model/internal/catalog"
	"github.com/aim-platform/aim/services/model/internal/catalog/defaults"
	mserver "github.com/aim-platform/aim/services/model/internal/server"
	"github.com/aim-platform/aim/services/model/internal/store"
)

const (
	// defaultVersion is the version the store installs, shared and published.
	defaultVersion = defaultModel + "/versions/3.0-sample"
	// acmeModel and acmeV1 are what smallBundle imports.
	acmeModel = "models/acme-ai"
	acmeV1    = acmeModel + "/versions/1.0"
	acmeV11   = acmeModel + "/versions/1.1"
)

var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// startCatalog is start with the model server's search indexes closed when
// the test ends. Cleanups run last-registered first: the server stops, then
// the indexes close, then the store closes.
func startCatalog(t *testing.T) *fixture {
	t.Helper()
	return newCatalog(t, true)
}

// newCatalog is startCatalog; with checkLogs false it leaves the server's
// log alone, for a test that reports internal errors itself.
func newCatalog(t *testing.T, checkLogs bool) *fixture {
	t.Helper()
	st, err := store.Open(pstore.DefaultConfig(filepath.Join(t.TempDir(), "model.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	installDefault(t, st)
	srv := mserver.New(st)
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close search indexes: %v", err)
		}
	})
	env := servertest.Start(t, func(s *server.Server) {
		s.Register(&modelv1.ModelCatalogService_ServiceDesc, srv)
		s.SetServing(serviceName)
	})
	t.Cleanup(func() {
		if logs := env.Logs(); checkLogs && strings.Contains(logs, "internal error") {
			t.Errorf("the server logged an internal error:\n%s", logs)
		}
	})
	return &fixture{env: env, store: st, client: modelv1.NewModelCatalogServiceClient(env.Conn)}
}

// viewer and manager return contexts of a tenant's viewer and content
// manager.
func (f *fixture) viewer(t *testing.T, tenant string) context.Context {
	return f.env.As(t, tenant, auth.RoleViewer)
}

func (f *fixture) manager(t *testing.T, tenant string) context.Context {
	return f.env.As(t, tenant, auth.RoleContentManager)
}

// importBundle imports b into models/{b.model} as tenant's content manager.
func (f *fixture) importBundle(t *testing.T, tenant string, b *modelv1.ModelBundle) *modelv1.ModelVersion {
	t.Helper()
	resp, err := f.client.ImportModelVersion(f.manager(t, tenant), &modelv1.ImportModelVersionRequest{
		Parent: "models/" + b.GetModel(),
		Source: &modelv1.ImportModelVersionRequest_Bundle{Bundle: b},
	})
	if err != nil {
		t.Fatalf("import %s/%s: %v", b.GetModel(), b.GetVersion(), err)
	}
	return resp.GetModelVersion()
}

func (f *fixture) publish(t *testing.T, tenant, name string) *modelv1.ModelVersion {
	t.Helper()
	resp, err := f.client.PublishModelVersion(f.manager(t, tenant), &modelv1.PublishModelVersionRequest{Name: name})
	if err != nil {
		t.Fatalf("publish %s: %v", name, err)
	}
	return resp.GetModelVersion()
}

// listAllPractices pages through ListPractices and returns every practice.
func (f *fixture) listAllPractices(t *testing.T, ctx context.Context, parent, filter string, pageSize int32) []*modelv1.Practice {
	t.Helper()
	var all []*modelv1.Practice
	token := ""
	for range 1000 {
		resp, err := f.client.ListPractices(ctx, &modelv1.ListPracticesRequest{
			Parent: parent, Filter: filter, PageSize: pageSize, PageToken: token,
		})
		if err != nil {
			t.Fatalf("ListPractices(%s, %q): %v", parent, filter, err)
		}
		all = append(all, resp.GetPractices()...)
		if token = resp.GetNextPageToken(); token == "" {
			return all
		}
	}
	t.Fatal("ListPractices does not end")
	return nil
}

// wantReason fails unless err has the code and ErrorInfo reason, and
// returns its status.
func wantReason(t *testing.T, err error, code codes.Code, reason string) *status.Status {
	t.Helper()
	st := wantStatus(t, err, code)
	info := errorInfo(st)
	if info == nil || info.GetReason() != reason || info.GetDomain() != errs.Domain {
		t.Fatalf("ErrorInfo = %v, want reason %s in domain %s (%s)", info, reason, errs.Domain, st.Message())
	}
	return st
}

// wantNotFound fails unless err is NOT_FOUND naming the resource.
func wantNotFound(t *testing.T, err error, resourceType, name string) {
	t.Helper()
	st := wantReason(t, err, codes.NotFound, "RESOURCE_NOT_FOUND")
	ri := resourceInfo(st)
	if ri == nil || ri.GetResourceType() != resourceType || ri.GetResourceName() != name {
		t.Fatalf("ResourceInfo = %v, want %s %q", ri, resourceType, name)
	}
}

// wantAlreadyExists fails unless err is ALREADY_EXISTS naming the resource.
func wantAlreadyExists(t *testing.T, err error, resourceType, name string) {
	t.Helper()
	st := wantReason(t, err, codes.AlreadyExists, "RESOURCE_ALREADY_EXISTS")
	ri := resourceInfo(st)
	if ri == nil || ri.GetResourceType() != resourceType || ri.GetResourceName() != name {
		t.Fatalf("ResourceInfo = %v, want %s %q", ri, resourceType, name)
	}
}

// httpCode returns the x-http-code response header of a call.
func httpCode(md metadata.MD) string {
	if v := md.Get(server.HTTPStatusHeader); len(v) > 0 {
		return v[0]
	}
	return ""
}

// parsedDefault is the embedded default bundle as InstallDefaults reads it:
// parsed and checked. Parsing the YAML takes the better part of a second
// under the race detector, so the tests do it once. Callers must not change
// the bundle.
var parsedDefault = sync.OnceValues(func() (*modelv1.ModelBundle, error) {
	b, err := catalog.ParseBundleText(defaults.SampleBundle())
	if err != nil {
		return nil, err
	}
	if v := catalog.ValidateBundle(b); len(v) > 0 {
		return nil, fmt.Errorf("the default bundle is invalid: %v", v)
	}
	return b, nil
})

// defaultBundle returns the embedded default bundle in canonical form, as
// the store keeps it. Callers must not change it.
var defaultBundle = sync.OnceValues(func() (*modelv1.ModelBundle, error) {
	b, err := parsedDefault()
	if err != nil {
		return nil, err
	}
	return catalog.Canonicalize(b), nil
})

// installDefault does what st.InstallDefaults does, with the bundle parsed
// once for all tests: it installs the default model's version as shared,
// published content. (start in server_test.go and the store tests use
// InstallDefaults itself; TestInstallDefaultsMatchesFixture in the store
// package shows both give the same version.)
func installDefault(t *testing.T, st *store.Store) {
	t.Helper()
	b, err := parsedDefault()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range catalog.DefaultModels() {
		if m.ID != b.GetModel() {
			continue
		}
		model := &modelv1.Model{Name: m.Name(), DisplayName: m.DisplayName, Description: m.Description, Publisher: m.Publisher, Sample: m.Sample}
		if ok, err := st.InstallDefault(model, b, time.Now()); err != nil || !ok {
			t.Fatalf("InstallDefault = %v, %v; want true, nil", ok, err)
		}
		return
	}
	t.Fatalf("no default model %q", b.GetModel())
}

func mustDefaultBundle(t *testing.T) *modelv1.ModelBundle {
	t.Helper()
	b, err := defaultBundle()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// defaultPracticeAreas maps the default bundle's practice areas by id.
func defaultPracticeAreas(t *testing.T) map[string]*modelv1.BundlePracticeArea {
	t.Helper()
	m := map[string]*modelv1.BundlePracticeArea{}
	for _, pa := range mustDefaultBundle(t).GetPracticeAreas() {
		m[pa.GetId()] = pa
	}
	return m
}

// practiceIDs returns the last segment of each practice's name.
func practiceIDs(ps []*modelv1.Practice) []string {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = lastSegment(p.GetName())
	}
	return ids
}

func lastSegment(name string) string { return name[strings.LastIndexByte(name, '/')+1:] }

// areaOf returns the practice area acronym of a practice.
func areaOf(p *modelv1.Practice) string { return lastSegment(p.GetPracticeArea()) }

// sortedByKey reports whether practice ids are in practice id order.
func sortedByKey(t *testing.T, ids []string) bool {
	t.Helper()
	return slices.IsSortedFunc(ids, func(a, b string) int {
		pa, err := catalog.ParsePracticeID(a)
		if err != nil {
			t.Fatal(err)
		}
		pb, err := catalog.ParsePracticeID(b)
		if err != nil {
			t.Fatal(err)
		}
		return pa.Compare(pb)
	})
}

// Shorter names for the enum values.
const (
	support  = modelv1.AiUsageScenario_AI_USAGE_SCENARIO_SUPPORT_AUGMENTATION
	verified = modelv1.AiUsageScenario_AI_USAGE_SCENARIO_VERIFIED_AUGMENTATION
	autonom  = modelv1.AiUsageScenario_AI_USAGE_SCENARIO_FULLY_AUTONOMOUS
	building = modelv1.AiApplicability_AI_APPLICABILITY_BUILDING
	acquire  = modelv1.AiApplicability_AI_APPLICABILITY_ACQUIRING
)

func ai(id, text string, s []modelv1.AiUsageScenario, a ...modelv1.AiApplicability) *modelv1.AiContextAddition {
	return &modelv1.AiContextAddition{Id: id, Text: text, UsageScenarios: s, Applicability: a}
}

func practice(id, area string, level int32, statement string, adds ...*modelv1.AiContextAddition) *modelv1.BundlePractice {
	return &modelv1.BundlePractice{Id: id, PracticeArea: area, Level: level, Statement: statement, AiContext: adds}
}

// smallBundle returns a fresh, valid bundle for models/acme-ai/versions/1.0:
// one category, one capability area, a core domain, two practice areas
// (GOV and RSK, alias RISK), six practices, four of them with AI context
// (five additions), and one view with maturity levels 2 and 3. The
// practices are listed in canonical order.
func smallBundle() *modelv1.ModelBundle {
	return &modelv1.ModelBundle{
		Model:       "acme-ai",
		Version:     "1.0",
		DisplayName: "Acme AI 1.0",
		Description: "Acme's own AI practices.",
		Categories:  []*modelv1.BundleCategory{{Id: "managing", DisplayName: "Managing"}},
		CapabilityAreas: []*modelv1.BundleCapabilityArea{
			{Id: "PMW", DisplayName: "Planning and Managing Work", Category: "managing", Aliases: []string{"PLW", "PMX"}},
		},
		Domains: []*modelv1.BundleDomain{{Id: "core", DisplayName: "Core", Core: true}},
		PracticeAreas: []*modelv1.BundlePracticeArea{
			{Id: "GOV", DisplayName: "Governance", CapabilityArea: "PMW", Domain: "core"},
			{Id: "RSK", DisplayName: "Risk Management", CapabilityArea: "PMW", Domain: "core", Aliases: []string{"RISK"}},
		},
		Practices: []*modelv1.BundlePractice{
			practice("GOV-1.1", "GOV", 1, "Set direction for the use of machine learning.",
				ai("GOV-1.1-AI-1", "Name an owner for every model in production.", []modelv1.AiUsageScenario{support, verified}, building)),
			practice("GOV-2.1", "GOV", 2, "Review governance yearly."),
			practice("GOV-2.2", "GOV", 2, "Fund the governance work.",
				ai("GOV-2.2-AI-1", "Budget for model monitoring.", nil, acquire)),
			practice("RSK-1.1", "RSK", 1, "Write down risks.",
				ai("RSK-1.1-AI-1", "Record hallucination risks of language models.", []modelv1.AiUsageScenario{autonom}, building, acquire),
				ai("RSK-1.1-AI-2", "Record supplier model changes.", []modelv1.AiUsageScenario{verified}, acquire)),
			practice("RSK-2.1", "RSK", 2, "Analyze risks."),
			practice("RSK-3.1", "RSK", 3, "Define a risk strategy.",
				ai("RSK-3.1-AI-1", "Include autonomous agents in the strategy.", []modelv1.AiUsageScenario{autonom})),
		},
		Views: []*modelv1.BundleView{{
			Id:            "basic",
			DisplayName:   "Basic View",
			PracticeAreas: []string{"GOV", "RSK"},
			MaturityLevels: []*modelv1.MaturityLevelRequirement{
				{MaturityLevel: 2, Requirements: []*modelv1.PracticeAreaLevel{{PracticeArea: "GOV", Level: 2}, {PracticeArea: "RSK", Level: 2}}},
				{MaturityLevel: 3, Requirements: []*modelv1.PracticeAreaLevel{{PracticeArea: "RSK", Level: 3}}},
			},
		}},
	}
}

// smallCounts are the counts of smallBundle.
var smallCounts = &modelv1.ContentCounts{
	Categories: 1, CapabilityAreas: 1, Domains: 1, PracticeAreas: 2,
	Practices: 6, PracticesWithAiContext: 4, AiContextAdditions: 5, Views: 1,
}

// shuffled returns a copy of b with every collection in reverse order: the
// same content, listed differently.
func shuffled(b *modelv1.ModelBundle) *modelv1.ModelBundle {
	c := proto.CloneOf(b)
	slices.Reverse(c.Categories)
	slices.Reverse(c.CapabilityAreas)
	for _, ca := range c.CapabilityAreas {
		slices.Reverse(ca.Aliases)
	}
	slices.Reverse(c.Domains)
	slices.Reverse(c.PracticeAreas)
	slices.Reverse(c.Practices)
	for _, p := range c.Practices {
		slices.Reverse(p.AiContext)
		for _, a := range p.AiContext {
			slices.Reverse(a.UsageScenarios)
			slices.Reverse(a.Applicability)
		}
	}
	slices.Reverse(c.Views)
	for _, v := range c.Views {
		slices.Reverse(v.PracticeAreas)
		slices.Reverse(v.MaturityLevels)
		for _, ml := range v.MaturityLevels {
			slices.Reverse(ml.Requirements)
		}
	}
	return c
}
