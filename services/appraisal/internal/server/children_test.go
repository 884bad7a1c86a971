package server_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/auth"
)

// createKind is one of the child resources created with a request_id (AIP-155),
// each with a way to create one, to change the request and to count them.
type createKind struct {
	name   string
	create func(f *flow, id, requestID, title string) (proto.Message, error)
	count  func(t *testing.T, f *flow) int
}

func childKinds() []createKind {
	return []createKind{
		{
			name: "Instance",
			create: func(f *flow, id, requestID, title string) (proto.Message, error) {
				resp, err := f.h.client.CreateInstance(f.lead, &appraisalv1.CreateInstanceRequest{
					Parent: f.name, InstanceId: id, RequestId: requestID,
					Instance: &appraisalv1.Instance{DisplayName: title, SamplingFactors: map[string]string{"size": "large", "site": "Oslo"}},
				})
				return resp.GetInstance(), err
			},
			count: func(t *testing.T, f *flow) int {
				resp, err := f.h.client.ListInstances(f.lead, &appraisalv1.ListInstancesRequest{Parent: f.name, PageSize: 1000})
				if err != nil {
					t.Fatal(err)
				}
				return len(resp.GetInstances())
			},
		},
		{
			name: "Evidence",
			create: func(f *flow, id, requestID, title string) (proto.Message, error) {
				resp, err := f.h.client.CreateEvidence(f.amy, &appraisalv1.CreateEvidenceRequest{
					Parent: f.name, EvidenceId: id, RequestId: requestID,
					Evidence: &appraisalv1.Evidence{
						Kind: appraisalv1.Evidence_KIND_ARTIFACT, Title: title, Uri: "https://example.com/risks",
						Practices: []string{"RSK-1.1", "RSK-2.1"}, Instances: []string{"i1"},
					},
				})
				return resp.GetEvidence(), err
			},
			count: func(t *testing.T, f *flow) int {
				resp, err := f.h.client.ListEvidence(f.lead, &appraisalv1.ListEvidenceRequest{Parent: f.name, PageSize: 1000})
				if err != nil {
					t.Fatal(err)
				}
				return len(resp.GetEvidence())
			},
		},
		{
			name: "Finding",
			create: func(f *flow, id, requestID, title string) (proto.Message, error) {
				resp, err := f.h.client.CreateFinding(f.amy, &appraisalv1.CreateFindingRequest{
					Parent: f.name, FindingId: id, RequestId: requestID,
					Finding: &appraisalv1.Finding{Kind: appraisalv1.Finding_KIND_STRENGTH, Text: title, Practices: []string{"CM-1.1"}},
				})
				return resp.GetFinding(), err
			},
			count: func(t *testing.T, f *flow) int {
				resp, err := f.h.client.ListFindings(f.lead, &appraisalv1.ListFindingsRequest{Parent: f.name, PageSize: 1000})
				if err != nil {
					t.Fatal(err)
				}
				return len(resp.GetFindings())
			},
		},
	}
}

func nameOf(m proto.Message) string {
	return m.ProtoReflect().Get(m.ProtoReflect().Descriptor().Fields().ByName("name")).String()
}

// A retry with the same request_id and the same id returns the first
// call's resource; reusing the request_id for another request is refused.
func TestCreateChildIdempotent(t *testing.T) {
	h := newHarness(t)
	f := h.conducting(t, tenantA, "idem", nil, "i1")
	for _, k := range childKinds() {
		t.Run(k.name, func(t *testing.T) {
			before := k.count(t, f)
			events := len(f.events(t))
			first, err := k.create(f, "with-id", "req-"+k.name, "first")
			if err != nil {
				t.Fatal(err)
			}
			second, err := k.create(f, "with-id", "req-"+k.name, "first")
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			if !proto.Equal(first, second) {
				t.Fatalf("retry returned %v, first call %v", second, first)
			}
			if n := k.count(t, f); n != before+1 {
				t.Fatalf("%d %s after a retried create, want %d", n, k.name, before+1)
			}
			if n := len(f.events(t)); n != events+1 {
				t.Fatalf("%d events after a retried create, want %d", n, events+1)
			}

			// AIP-155: the same request_id for a different request.
			_, err = k.create(f, "with-id", "req-"+k.name, "changed")
			wantViolations(t, err, "request_id")
			_, err = k.create(f, "other-id", "req-"+k.name, "first")
			wantViolations(t, err, "request_id")
			if n := k.count(t, f); n != before+1 {
				t.Fatalf("%d %s after a refused reuse, want %d", n, k.name, before+1)
			}

			// Without a request_id, the same id again is a duplicate.
			_, err = k.create(f, "with-id", "", "first")
			wantStatus(t, err, codes.AlreadyExists)

			// The request id belongs to the tenant and the subject: tenant B
			// may use it.
			g := h.conducting(t, tenantB, "idem-"+strings.ToLower(k.name), nil, "i1")
			other, err := k.create(g, "with-id", "req-"+k.name, "changed")
			if err != nil {
				t.Fatal(err)
			}
			if nameOf(other) != g.name+"/"+collectionOf(k.name)+"/with-id" {
				t.Fatalf("tenant B created %v", other)
			}
		})
	}
}

// A retry of a create that let the server choose the id (no instance_id,
// evidence_id or finding_id) must also return the first call's resource:
// the client cannot know the id to resend.
func TestCreateChildIdempotentGeneratedID(t *testing.T) {
	h := newHarness(t)
	f := h.conducting(t, tenantA, "idem-gen", nil, "i1")
	for _, k := range childKinds() {
		t.Run(k.name, func(t *testing.T) {
			before := k.count(t, f)
			first, err := k.create(f, "", "gen-"+k.name, "first")
			if err != nil {
				t.Fatal(err)
			}
			second, err := k.create(f, "", "gen-"+k.name, "first")
			if err != nil {
				t.Fatalf("retry of a create without id: %v", err)
			}
			if nameOf(first) != nameOf(second) || !proto.Equal(first, second) {
				t.Fatalf("retry returned %v, first call %v", second, first)
			}
			if n := k.count(t, f); n != before+1 {
				t.Fatalf("%d %s, want %d", n, k.name, before+1)
			}
		})
	}
}

func TestTeamMembers(t *testing.T) {
	h := newHarness(t)
	f := h.draft(t, tenantA, "team", nil)
	c := h.client

	// A subject is on a team once.
	_, err := c.CreateTeamMember(f.lead, &appraisalv1.CreateTeamMemberRequest{Parent: f.name, TeamMemberId: "amy-again", TeamMember: &appraisalv1.TeamMember{
		Subject: "amy", DisplayName: "Amy", Role: appraisalv1.TeamMember_ROLE_OBSERVER,
	}})
	wantReason(t, err, codes.AlreadyExists, "SUBJECT_ON_TEAM")
	// Only the lead (or an admin) changes the team.
	_, err = c.CreateTeamMember(f.amy, &appraisalv1.CreateTeamMemberRequest{Parent: f.name, TeamMember: &appraisalv1.TeamMember{
		Subject: "bob", DisplayName: "Bob", Role: appraisalv1.TeamMember_ROLE_TEAM_MEMBER,
	}})
	wantReason(t, err, codes.PermissionDenied, "NOT_LEAD_APPRAISER")
	admin := as(t, h.env, "root", tenantA, auth.RoleAdmin)
	bob, err := c.CreateTeamMember(admin, &appraisalv1.CreateTeamMemberRequest{Parent: f.name, TeamMember: &appraisalv1.TeamMember{
		Subject: "Bob@Example.com", DisplayName: "Bob", Role: appraisalv1.TeamMember_ROLE_SPONSOR,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := bob.GetTeamMember().GetName(); !strings.HasPrefix(got, f.name+"/teamMembers/bob-example-com-") {
		t.Fatalf("generated member name %q", got)
	}
	// The sponsor reads the appraisal under their own subject.
	sponsor := as(t, h.env, "Bob@Example.com", tenantA, auth.RoleViewer)
	if _, err := c.GetAppraisal(sponsor, &appraisalv1.GetAppraisalRequest{Name: f.name}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteTeamMember(f.lead, &appraisalv1.DeleteTeamMemberRequest{Name: bob.GetTeamMember().GetName()}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetAppraisal(sponsor, &appraisalv1.GetAppraisalRequest{Name: f.name})
	wantStatus(t, err, codes.NotFound)

	// Without a lead appraiser the appraisal cannot be planned.
	g := h.draft(t, tenantA, "leaderless", func(a *appraisalv1.Appraisal) { a.AiUsageScenarios = nil })
	if _, err := c.UpdateTeamMember(g.lead, &appraisalv1.UpdateTeamMemberRequest{
		TeamMember: &appraisalv1.TeamMember{Name: g.name + "/teamMembers/lead", Role: appraisalv1.TeamMember_ROLE_TEAM_MEMBER}, UpdateMask: mask("role"),
	}); err != nil {
		t.Fatal(err)
	}
	_, err = c.PlanAppraisal(admin, &appraisalv1.PlanAppraisalRequest{Name: g.name})
	wantReason(t, err, codes.FailedPrecondition, "NO_LEAD_APPRAISER")
}

func collectionOf(kind string) string {
	switch kind {
	case "Instance":
		return "instances"
	case "Finding":
		return "findings"
	}
	return "evidence"
}

// Evidence.instances and Characterization.evidence name resources that
// "must exist"; deleting what they name must not leave them dangling
// (DeleteInstance already refuses an instance with characterizations).
func TestDeletesKeepReferencesValid(t *testing.T) {
	h := newHarness(t)
	f := h.conducting(t, tenantA, "refs", nil, "i1", "i2")
	c := h.client
	if _, err := c.CreateEvidence(f.amy, &appraisalv1.CreateEvidenceRequest{Parent: f.name, EvidenceId: "e1", Evidence: &appraisalv1.Evidence{
		Kind: appraisalv1.Evidence_KIND_ARTIFACT, Title: "Risk register", Practices: []string{"RSK-1.1"}, Instances: []string{"i2"},
	}}); err != nil {
		t.Fatal(err)
	}
	charName := f.charName("i1", "RSK-1.1")
	if _, err := c.UpdateCharacterization(f.amy, &appraisalv1.UpdateCharacterizationRequest{
		Characterization: &appraisalv1.Characterization{Name: charName, Value: vFM, Evidence: []string{"e1"}}, AllowMissing: true,
	}); err != nil {
		t.Fatal(err)
	}

	t.Run("instance named by evidence", func(t *testing.T) {
		if _, err := c.DeleteInstance(f.lead, &appraisalv1.DeleteInstanceRequest{Name: f.name + "/instances/i2"}); err != nil {
			wantStatus(t, err, codes.FailedPrecondition)
			return
		}
		e, err := c.GetEvidence(f.amy, &appraisalv1.GetEvidenceRequest{Name: f.name + "/evidence/e1"})
		if err == nil && slices.Contains(e.GetEvidence().GetInstances(), "i2") {
			t.Fatalf("instance i2 was deleted, evidence %v still names it", e.GetEvidence())
		}
	})
	t.Run("evidence named by a characterization", func(t *testing.T) {
		if _, err := c.DeleteEvidence(f.amy, &appraisalv1.DeleteEvidenceRequest{Name: f.name + "/evidence/e1"}); err != nil {
			wantStatus(t, err, codes.FailedPrecondition)
			return
		}
		ch, err := c.GetCharacterization(f.amy, &appraisalv1.GetCharacterizationRequest{Name: charName})
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(ch.GetCharacterization().GetEvidence(), "e1") {
			t.Fatalf("evidence e1 was deleted, %s still rests on it: %v", charName, ch.GetCharacterization())
		}
	})
}
