package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/server"
	"github.com/aim-platform/aim/platform/server/servertest"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/crosswalk/internal/samples"
	cserver "github.com/aim-platform/aim/services/crosswalk/internal/server"
	"github.com/aim-platform/aim/services/crosswalk/internal/store"
)

// Names used throughout.
const (
	cmmi       = "frameworks/cmmi-aim"
	iso42001   = "frameworks/iso-iec-42001-2023"
	iso23894   = "frameworks/iso-iec-23894-2023"
	sampleName = "crosswalks/" + samples.CrosswalkID
)

// harness is a crosswalk server with the default frameworks, the sample
// crosswalk and fake catalog and appraisal clients.
type harness struct {
	env        *servertest.Env
	client     crosswalkv1.CrosswalkServiceClient
	store      *store.Store
	catalog    *fakeCatalog
	appraisals *fakeAppraisals
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	st, err := store.Open(pstore.DefaultConfig(filepath.Join(t.TempDir(), "crosswalk.db")))
	if err != nil {
		t.Fatal(err)
	}
	// Registered before servertest.Start, so it runs after the server stopped.
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	now := time.Now()
	if _, err := st.InstallDefaults(now); err != nil {
		t.Fatal(err)
	}
	if installed, err := cserver.InstallSample(st, now); err != nil || !installed {
		t.Fatalf("InstallSample = %v, %v; want true, nil", installed, err)
	}
	if installed, err := cserver.InstallSample(st, now); err != nil || installed {
		t.Fatalf("InstallSample again = %v, %v; want false, nil", installed, err)
	}
	h := &harness{store: st, catalog: newFakeCatalog(), appraisals: &fakeAppraisals{}}
	srv, err := cserver.New(st, h.catalog, h.appraisals)
	if err != nil {
		t.Fatal(err)
	}
	h.env = servertest.Start(t, func(s *server.Server) {
		s.Register(&crosswalkv1.CrosswalkService_ServiceDesc, srv)
		s.SetServing(serviceName)
	})
	t.Cleanup(func() {
		if logs := h.env.Logs(); strings.Contains(logs, "internal error") {
			t.Errorf("the server logged an internal error:\n%s", logs)
		}
	})
	h.client = crosswalkv1.NewCrosswalkServiceClient(h.env.Conn)
	return h
}

// editor and viewer return contexts of a tenant's content manager and
// viewer.
func (h *harness) editor(t *testing.T, tenant string) context.Context {
	return h.env.As(t, tenant, auth.RoleContentManager)
}

func (h *harness) viewer(t *testing.T, tenant string) context.Context {
	return h.env.As(t, tenant, auth.RoleViewer)
}

// create creates a crosswalk of tenant between two frameworks; a source of
// cmmi gets the sample model version.
func (h *harness) create(t *testing.T, tenant, id, source, target string) *crosswalkv1.Crosswalk {
	t.Helper()
	cw := &crosswalkv1.Crosswalk{DisplayName: "Test " + id, SourceFramework: source, TargetFramework: target}
	if source == cmmi {
		cw.SourceModelVersion = sampleModelVersion
	}
	resp, err := h.client.CreateCrosswalk(h.editor(t, tenant), &crosswalkv1.CreateCrosswalkRequest{Crosswalk: cw, CrosswalkId: id})
	if err != nil {
		t.Fatalf("CreateCrosswalk %s: %v", id, err)
	}
	return resp.GetCrosswalk()
}

// importDoc imports content into a crosswalk and fails the test on error.
func (h *harness) importDoc(t *testing.T, tenant, name string, format crosswalkv1.Format, content string) *crosswalkv1.ImportCrosswalkResponse {
	t.Helper()
	resp, err := h.client.ImportCrosswalk(h.editor(t, tenant), &crosswalkv1.ImportCrosswalkRequest{Name: name, Format: format, Content: content})
	if err != nil {
		t.Fatalf("ImportCrosswalk %s (%v): %v", name, format, err)
	}
	return resp
}

// mappings lists every mapping of a crosswalk, walking all pages.
func (h *harness) mappings(t *testing.T, tenant, name string) []*crosswalkv1.Mapping {
	t.Helper()
	var out []*crosswalkv1.Mapping
	token := ""
	for range 100 {
		resp, err := h.client.ListMappings(h.viewer(t, tenant), &crosswalkv1.ListMappingsRequest{Parent: name, PageToken: token})
		if err != nil {
			t.Fatalf("ListMappings %s: %v", name, err)
		}
		out = append(out, resp.GetMappings()...)
		if token = resp.GetNextPageToken(); token == "" {
			return out
		}
	}
	t.Fatal("ListMappings paging does not end")
	return nil
}

func (h *harness) get(t *testing.T, tenant, name string) *crosswalkv1.Crosswalk {
	t.Helper()
	resp, err := h.client.GetCrosswalk(h.viewer(t, tenant), &crosswalkv1.GetCrosswalkRequest{Name: name})
	if err != nil {
		t.Fatalf("GetCrosswalk %s: %v", name, err)
	}
	return resp.GetCrosswalk()
}

// seedFixture is the seed's table as the table package's tests hold it.
func seedFixture(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "table", "testdata", "seed-excerpt.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// seedMapping is one mapping of the seed's excerpt.
type seedMapping struct {
	source string
	rel    crosswalkv1.Relationship
	target string
	note   string
}

const (
	eq    = crosswalkv1.Relationship_RELATIONSHIP_EQUAL
	sub   = crosswalkv1.Relationship_RELATIONSHIP_SUBSET_OF
	sup   = crosswalkv1.Relationship_RELATIONSHIP_SUPERSET_OF
	inter = crosswalkv1.Relationship_RELATIONSHIP_INTERSECTS_WITH
	none  = crosswalkv1.Relationship_RELATIONSHIP_NO_RELATIONSHIP
	ind   = crosswalkv1.Relationship_RELATIONSHIP_INDETERMINATE
)

// seedMappings are the seed's 12 mappings in ListMappings order (source,
// then target, bytewise).
var seedMappings = []seedMapping{
	{"MC-2.4", inter, "10.2", "Improvement: Performance measurement and corrective action"},
	{"MC-2.4", inter, "10.2.p.1.a", "Improvement: Performance measurement and corrective action"},
	{"PLAN-2.2", sup, "7.2.2", "Sustaining Competence"},
	{"PLAN-2.2", sup, "7.2.2.p.1.a", "Operation: Operational planning and control"},
	{"PLAN-2.5", inter, "8.1", "Operation: Operational planning and control"},
	{"PLAN-2.5", inter, "8.1.p.1.a", "Improvement: Performance measurement and corrective action"},
	{"RSK-3.1", inter, "4.1", "Understanding the organization and its context"},
	{"RSK-3.1", inter, "4.1.1", "Planning processes to address risks and opportunities"},
	{"RSK-3.2", sub, "4.1.1.p.1.b", "Planning processes to address risks and opportunities"},
	{"RSK-3.2", sub, "4.1.2.p.1.a", "Planning AI risk assessment processes"},
	{"RSK-3.3", sup, "4.1.2.p.1.b", "Planning AI risk assessment processes"},
	{"RSK-3.3", sup, "4.1.2.p.1.c", "Planning AI risk assessment processes"},
}

// seedWarnings are the seed's target ids the 42001 clause tree lacks.
var seedWarnings = []string{
	"10.2.p.1.a", "4.1.1", "4.1.1.p.1.b", "4.1.2.p.1.a", "4.1.2.p.1.b", "4.1.2.p.1.c", "7.2.2", "7.2.2.p.1.a", "8.1.p.1.a",
}

// mappingIDOf is the resource id the service derives for a pair.
func mappingIDOf(source, target string) string {
	slug := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				return r
			}
			return '-'
		}, strings.ToLower(s))
	}
	return slug(source) + "--" + slug(target)
}

// checkSeedMappings checks that a crosswalk holds exactly the seed's
// mappings, in order, named under it.
func checkSeedMappings(t *testing.T, crosswalk string, got []*crosswalkv1.Mapping) {
	t.Helper()
	if len(got) != len(seedMappings) {
		t.Fatalf("%d mappings, want %d:\n%s", len(got), len(seedMappings), strings.Join(describe(got), "\n"))
	}
	for i, w := range seedMappings {
		m := got[i]
		name := crosswalk + "/mappings/" + mappingIDOf(w.source, w.target)
		if m.GetSource() != w.source || m.GetRelationship() != w.rel || m.GetTarget() != w.target || m.GetNote() != w.note ||
			m.GetName() != name || m.GetStrength() != 0 {
			t.Errorf("mapping %d = %s (%s, note %q); want %s %v %s as %s, note %q", i, m.GetSource()+" "+m.GetRelationship().String()+" "+m.GetTarget(),
				m.GetName(), m.GetNote(), w.source, w.rel, w.target, name, w.note)
		}
	}
}

// describe renders mappings as comparable lines (no names).
func describe(ms []*crosswalkv1.Mapping) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%s|%s|%s|%d|%q|%q", m.GetSource(), m.GetRelationship(), m.GetTarget(), m.GetStrength(), m.GetNote(), m.GetRationale()))
	}
	slices.Sort(out)
	return out
}

// violations returns the BadRequest field violations of an
// INVALID_ARGUMENT error as field -> description.
func violations(t *testing.T, err error) []*errdetails.BadRequest_FieldViolation {
	t.Helper()
	st := wantStatus(t, err, codes.InvalidArgument)
	var out []*errdetails.BadRequest_FieldViolation
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			out = append(out, br.GetFieldViolations()...)
		}
	}
	return out
}

// errorReason returns the ErrorInfo reason of an error's status.
func errorReason(t *testing.T, err error, code codes.Code) string {
	t.Helper()
	st := wantStatus(t, err, code)
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}
