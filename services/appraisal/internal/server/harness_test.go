package server_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/server"
	"github.com/aim-platform/aim/platform/server/servertest"
	pstore "github.com/aim-platform/aim/platform/store"
	aserver "github.com/aim-platform/aim/services/appraisal/internal/server"
	"github.com/aim-platform/aim/services/appraisal/internal/store"
)

// Characterization values, short.
const (
	vFM = appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_FULLY_MEETS
	vLM = appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_LARGELY_MEETS
	vPM = appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_PARTIALLY_MEETS
)

// harness is an appraisal server over a fresh store and a fake catalog,
// with the store at hand for tampering.
type harness struct {
	env    *servertest.Env
	client appraisalv1.AppraisalServiceClient
	store  *store.Store
	cat    *fakeCatalog
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, server.Config{ShutdownTimeout: 2 * time.Second})
}

// newHarnessWith is newHarness with the platform server's configuration and
// the appraisal server's options.
func newHarnessWith(t *testing.T, cfg server.Config, opts ...aserver.Option) *harness {
	t.Helper()
	st, err := store.Open(pstore.DefaultConfig(filepath.Join(t.TempDir(), "appraisal.db")))
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-registered first: the store closes after the server
	// stopped, the server stops after its watch streams ended.
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	cat := &fakeCatalog{}
	srv := aserver.New(st, cat, opts...)
	env := servertest.StartWith(t, cfg, func(s *server.Server) {
		s.Register(&appraisalv1.AppraisalService_ServiceDesc, srv)
		s.SetServing(serviceName)
	})
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		if logs := env.Logs(); strings.Contains(logs, "internal error") {
			t.Errorf("the server logged an internal error:\n%s", logs)
		}
	})
	return &harness{env: env, client: appraisalv1.NewAppraisalServiceClient(env.Conn), store: st, cat: cat}
}

// as returns a context whose calls carry a token for subject in tenant
// with roles.
func as(t testing.TB, env *servertest.Env, subject, tenant string, roles ...string) context.Context {
	t.Helper()
	tok, err := env.Signer.Mint(subject, tenant, roles, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+tok)
}

// wantReason fails unless err has the code and the ErrorInfo reason.
func wantReason(t *testing.T, err error, code codes.Code, reason string) {
	t.Helper()
	st := wantStatus(t, err, code)
	if info := errorInfo(st); info == nil || info.GetReason() != reason {
		t.Fatalf("ErrorInfo = %v, want reason %s (%s)", info, reason, st.Message())
	}
}

func mask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }

// draftAppraisal is what the flows create: a benchmark of the fake view
// aiming at maturity level 2 with AI support augmentation in scope.
func draftAppraisal() *appraisalv1.Appraisal {
	return &appraisalv1.Appraisal{
		DisplayName: "Acme Payments ML2 benchmark", Type: appraisalv1.AppraisalType_APPRAISAL_TYPE_BENCHMARK,
		OrganizationalUnit: "Payments", View: fakeView, TargetMaturityLevel: 2,
		AiUsageScenarios: []modelv1.AiUsageScenario{scSupport},
	}
}

// flow drives one appraisal of one tenant: "lead" (lead-appraiser role)
// creates and leads it, "amy" (appraiser role) is a team member.
type flow struct {
	h         *harness
	tenant    string
	id, name  string
	lead, amy context.Context
	instances []string
}

// draft creates a DRAFT appraisal with amy on its team; edit may change
// what is created.
func (h *harness) draft(t *testing.T, tenant, id string, edit func(*appraisalv1.Appraisal)) *flow {
	t.Helper()
	f := &flow{
		h: h, tenant: tenant, id: id, name: "appraisals/" + id,
		lead: as(t, h.env, "lead", tenant, auth.RoleLeadAppraiser),
		amy:  as(t, h.env, "amy", tenant, auth.RoleAppraiser),
	}
	in := draftAppraisal()
	if edit != nil {
		edit(in)
	}
	if _, err := h.client.CreateAppraisal(f.lead, &appraisalv1.CreateAppraisalRequest{Appraisal: in, AppraisalId: id}); err != nil {
		t.Fatalf("CreateAppraisal %s: %v", id, err)
	}
	f.addMember(t, "amy", appraisalv1.TeamMember_ROLE_TEAM_MEMBER)
	return f
}

func (f *flow) addMember(t *testing.T, subject string, role appraisalv1.TeamMember_Role) *appraisalv1.TeamMember {
	t.Helper()
	resp, err := f.h.client.CreateTeamMember(f.lead, &appraisalv1.CreateTeamMemberRequest{
		Parent: f.name, TeamMember: &appraisalv1.TeamMember{Subject: subject, DisplayName: strings.ToUpper(subject[:1]) + subject[1:], Role: role},
	})
	if err != nil {
		t.Fatalf("CreateTeamMember %s: %v", subject, err)
	}
	return resp.GetTeamMember()
}

// certifyLead gives the lead the AI appraisal certification.
func (f *flow) certifyLead(t *testing.T) {
	t.Helper()
	_, err := f.h.client.UpdateTeamMember(f.lead, &appraisalv1.UpdateTeamMemberRequest{
		TeamMember: &appraisalv1.TeamMember{
			Name:           f.name + "/teamMembers/lead",
			Certifications: []appraisalv1.TeamMember_Certification{appraisalv1.TeamMember_CERTIFICATION_LEAD_APPRAISER, appraisalv1.TeamMember_CERTIFICATION_AAIM},
		},
		UpdateMask: mask("certifications"),
	})
	if err != nil {
		t.Fatalf("UpdateTeamMember: %v", err)
	}
}

func (f *flow) plan(t *testing.T) *appraisalv1.Appraisal {
	t.Helper()
	resp, err := f.h.client.PlanAppraisal(f.lead, &appraisalv1.PlanAppraisalRequest{Name: f.name})
	if err != nil {
		t.Fatalf("PlanAppraisal %s: %v", f.name, err)
	}
	return resp.GetAppraisal()
}

func (f *flow) addInstances(t *testing.T, ids ...string) {
	t.Helper()
	for i, id := range ids {
		in := &appraisalv1.Instance{DisplayName: "Project " + id, Subgroup: "sg-" + fmt.Sprint(i%2)}
		if i%2 == 0 {
			in.AiUsageScenario = scSupport
		}
		if _, err := f.h.client.CreateInstance(f.lead, &appraisalv1.CreateInstanceRequest{Parent: f.name, InstanceId: id, Instance: in}); err != nil {
			t.Fatalf("CreateInstance %s: %v", id, err)
		}
		f.instances = append(f.instances, id)
	}
}

func (f *flow) start(t *testing.T) *appraisalv1.Appraisal {
	t.Helper()
	resp, err := f.h.client.StartAppraisal(f.lead, &appraisalv1.StartAppraisalRequest{Name: f.name})
	if err != nil {
		t.Fatalf("StartAppraisal %s: %v", f.name, err)
	}
	return resp.GetAppraisal()
}

// conducting is draft, certifyLead, plan, addInstances and start.
func (h *harness) conducting(t *testing.T, tenant, id string, edit func(*appraisalv1.Appraisal), instances ...string) *flow {
	t.Helper()
	f := h.draft(t, tenant, id, edit)
	f.certifyLead(t)
	f.plan(t)
	f.addInstances(t, instances...)
	f.start(t)
	return f
}

func (f *flow) charName(instance, practice string) string {
	return f.name + "/instances/" + instance + "/characterizations/" + practice
}

// scope returns the practice ids the flow's appraisal covers.
func (f *flow) scope(t *testing.T) []string {
	t.Helper()
	a := f.get(t)
	return practicesUpTo(a.GetTargetMaturityLevel())
}

// characterizeAll sets every instance and practice pair in one batch, as
// amy: value unless override gives another one (unspecified: skip the pair).
func (f *flow) characterizeAll(t *testing.T, value appraisalv1.CharacterizationValue, override func(instance, practice string) (appraisalv1.CharacterizationValue, bool)) []*appraisalv1.Characterization {
	t.Helper()
	req := &appraisalv1.BatchUpdateCharacterizationsRequest{Parent: f.name}
	scope := f.scope(t)
	for _, inst := range f.instances {
		for _, p := range scope {
			v := value
			if override != nil {
				if o, ok := override(inst, p); ok {
					v = o
				}
			}
			if v == appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_UNSPECIFIED {
				continue
			}
			req.Requests = append(req.Requests, &appraisalv1.UpdateCharacterizationRequest{
				Characterization: &appraisalv1.Characterization{Name: f.charName(inst, p), Value: v, Rationale: "seen in " + inst},
				AllowMissing:     true,
			})
		}
	}
	resp, err := f.h.client.BatchUpdateCharacterizations(f.amy, req)
	if err != nil {
		t.Fatalf("BatchUpdateCharacterizations: %v", err)
	}
	return resp.GetCharacterizations()
}

func (f *flow) rate(t *testing.T) *appraisalv1.Appraisal {
	t.Helper()
	resp, err := f.h.client.RateAppraisal(f.lead, &appraisalv1.RateAppraisalRequest{Name: f.name})
	if err != nil {
		t.Fatalf("RateAppraisal %s: %v", f.name, err)
	}
	return resp.GetAppraisal()
}

// rated runs a flow to RATED with two instances, every pair FM unless
// override says otherwise.
func (h *harness) rated(t *testing.T, tenant, id string, edit func(*appraisalv1.Appraisal), override func(instance, practice string) (appraisalv1.CharacterizationValue, bool)) (*flow, *appraisalv1.Appraisal) {
	t.Helper()
	f := h.conducting(t, tenant, id, edit, "i1", "i2")
	f.characterizeAll(t, vFM, override)
	return f, f.rate(t)
}

func (f *flow) get(t *testing.T) *appraisalv1.Appraisal {
	t.Helper()
	resp, err := f.h.client.GetAppraisal(f.lead, &appraisalv1.GetAppraisalRequest{Name: f.name})
	if err != nil {
		t.Fatalf("GetAppraisal %s: %v", f.name, err)
	}
	return resp.GetAppraisal()
}

func (f *flow) ratings(t *testing.T) *appraisalv1.Ratings {
	t.Helper()
	resp, err := f.h.client.GetRatings(f.lead, &appraisalv1.GetRatingsRequest{Name: f.name + "/ratings"})
	if err != nil {
		t.Fatalf("GetRatings %s: %v", f.name, err)
	}
	return resp.GetRatings()
}

// events returns the whole audit trail.
func (f *flow) events(t *testing.T) []*appraisalv1.AuditEvent {
	t.Helper()
	var out []*appraisalv1.AuditEvent
	token := ""
	for range 1000 {
		resp, err := f.h.client.ListAppraisalEvents(f.lead, &appraisalv1.ListAppraisalEventsRequest{Parent: f.name, PageSize: 1000, PageToken: token})
		if err != nil {
			t.Fatalf("ListAppraisalEvents: %v", err)
		}
		out = append(out, resp.GetEvents()...)
		if token = resp.GetNextPageToken(); token == "" {
			return out
		}
	}
	t.Fatal("event paging does not end")
	return nil
}

// chars returns every characterization of the appraisal.
func (f *flow) chars(t *testing.T) []*appraisalv1.Characterization {
	t.Helper()
	resp, err := f.h.client.ListCharacterizations(f.lead, &appraisalv1.ListCharacterizationsRequest{Parent: f.name + "/instances/-", PageSize: 1000})
	if err != nil {
		t.Fatalf("ListCharacterizations: %v", err)
	}
	return resp.GetCharacterizations()
}

func (f *flow) verify(t *testing.T) *appraisalv1.VerifyAuditTrailResponse {
	t.Helper()
	resp, err := f.h.client.VerifyAuditTrail(f.lead, &appraisalv1.VerifyAuditTrailRequest{Name: f.name})
	if err != nil {
		t.Fatalf("VerifyAuditTrail: %v", err)
	}
	return resp
}
