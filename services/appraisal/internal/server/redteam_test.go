package server_test

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/auth"
)

// answer is the whole of what a client hears for an error: the encoded
// google.rpc.Status with its code, message and every detail.
func answer(t *testing.T, err error) []byte {
	t.Helper()
	if err == nil {
		t.Fatal("err = nil, want an error")
	}
	b, merr := proto.MarshalOptions{Deterministic: true}.Marshal(status.Convert(err).Proto())
	if merr != nil {
		t.Fatal(merr)
	}
	return b
}

// sameAnswer fails unless err is, byte for byte, the answer want.
func sameAnswer(t *testing.T, what string, err error, want []byte) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: succeeded, want %v", what, describe(want))
	}
	if got := answer(t, err); !bytes.Equal(got, want) {
		t.Fatalf("%s answered\n  %v\nwant exactly\n  %v", what, describe(got), describe(want))
	}
}

// describe decodes an answer for messages.
func describe(b []byte) string {
	st := &spb.Status{}
	if err := proto.Unmarshal(b, st); err != nil {
		return err.Error()
	}
	return prototext.Format(st)
}

// ledBy creates a DRAFT appraisal led by subject (lead-appraiser and
// appraiser roles, so it may characterize too) and returns its flow, whose
// lead and amy are both that subject.
func (h *harness) ledBy(t *testing.T, ctx context.Context, tenant, id string, edit func(*appraisalv1.Appraisal)) (*flow, error) {
	t.Helper()
	in := draftAppraisal()
	if edit != nil {
		edit(in)
	}
	_, err := h.client.CreateAppraisal(ctx, &appraisalv1.CreateAppraisalRequest{Appraisal: in, AppraisalId: id})
	if err != nil {
		return nil, err
	}
	return &flow{h: h, tenant: tenant, id: id, name: "appraisals/" + id, lead: ctx, amy: ctx}, nil
}

// conductingBy runs a flow of ledBy to CONDUCTING: the lead certified,
// planned, instance i1, started.
func (f *flow) conductingBy(t *testing.T, subject string) {
	t.Helper()
	_, err := f.h.client.UpdateTeamMember(f.lead, &appraisalv1.UpdateTeamMemberRequest{
		TeamMember: &appraisalv1.TeamMember{
			Name:           f.name + "/teamMembers/" + subject,
			Certifications: []appraisalv1.TeamMember_Certification{appraisalv1.TeamMember_CERTIFICATION_LEAD_APPRAISER, appraisalv1.TeamMember_CERTIFICATION_AAIM},
		},
		UpdateMask: mask("certifications"),
	})
	if err != nil {
		t.Fatalf("certify %s: %v", subject, err)
	}
	f.plan(t)
	f.addInstances(t, "i1")
	f.start(t)
}

func apr(prev string) func(*appraisalv1.Appraisal) {
	return func(a *appraisalv1.Appraisal) {
		a.Type = appraisalv1.AppraisalType_APPRAISAL_TYPE_ACTION_PLAN_REASSESSMENT
		a.PreviousAppraisal = prev
	}
}

// TestRedteamH4_PreviousAppraisalNeedsReadAccess replays finding H4 of the
// red-team report: mallory, a lead appraiser of the tenant who is not on
// victim's team, must learn nothing of victim through previous_appraisal:
// not its carried-over practice values, not which practice groups it
// passed, not its validity, not even whether it exists or is rated. Every
// path answers exactly what GetAppraisal answers her for victim, and for a
// name that does not exist exactly what GetAppraisal answers for that one.
func TestRedteamH4_PreviousAppraisalNeedsReadAccess(t *testing.T) {
	h := newHarness(t)
	// victim (6 letters, as "absent" below) failed RSK level 2 and passed
	// everything else: an Action Plan Reappraisal of it re-rates RSK 2 and
	// carries the rest.
	victim, _ := h.rated(t, tenantA, "victim", nil, func(_, p string) (appraisalv1.CharacterizationValue, bool) {
		return vPM, p == "RSK-2.1"
	})
	const absent = "appraisals/absent"
	mallory := as(t, h.env, "mallory", tenantA, auth.RoleLeadAppraiser, auth.RoleAppraiser)

	_, err := h.client.GetAppraisal(mallory, &appraisalv1.GetAppraisalRequest{Name: victim.name})
	wantStatus(t, err, codes.NotFound)
	hidden := answer(t, err)
	_, err = h.client.GetAppraisal(mallory, &appraisalv1.GetAppraisalRequest{Name: absent})
	missing := answer(t, err)
	// GetAppraisal itself tells the two apart by nothing but the name.
	if !bytes.Equal(bytes.ReplaceAll(hidden, []byte(victim.name), []byte(absent)), missing) {
		t.Fatalf("GetAppraisal answers differ beyond the name:\n  %v\n  %v", describe(hidden), describe(missing))
	}

	t.Run("create", func(t *testing.T) {
		for _, prev := range []struct {
			name string
			want []byte
		}{{victim.name, hidden}, {absent, missing}} {
			for _, typ := range []appraisalv1.AppraisalType{appraisalv1.AppraisalType_APPRAISAL_TYPE_ACTION_PLAN_REASSESSMENT, appraisalv1.AppraisalType_APPRAISAL_TYPE_SUSTAINMENT} {
				_, err := h.ledBy(t, mallory, tenantA, "mal-create", func(a *appraisalv1.Appraisal) {
					a.Type, a.PreviousAppraisal = typ, prev.name
				})
				sameAnswer(t, "CreateAppraisal "+typ.String()+" of "+prev.name, err, prev.want)
			}
		}
		_, err := h.client.GetAppraisal(mallory, &appraisalv1.GetAppraisalRequest{Name: "appraisals/mal-create"})
		wantStatus(t, err, codes.NotFound)
	})

	t.Run("update", func(t *testing.T) {
		f, err := h.ledBy(t, mallory, tenantA, "mal-update", apr(""))
		if err != nil {
			t.Fatal(err)
		}
		for _, prev := range []struct {
			name string
			want []byte
		}{{victim.name, hidden}, {absent, missing}} {
			_, err := h.client.UpdateAppraisal(mallory, &appraisalv1.UpdateAppraisalRequest{
				Appraisal: &appraisalv1.Appraisal{Name: f.name, PreviousAppraisal: prev.name}, UpdateMask: mask("previous_appraisal"),
			})
			sameAnswer(t, "UpdateAppraisal previous_appraisal="+prev.name, err, prev.want)
		}
		if got := f.get(t).GetPreviousAppraisal(); got != "" {
			t.Fatalf("previous_appraisal = %q after refused updates", got)
		}
	})

	// mallory was on victim's team (an observer) when she set up her
	// appraisals on it, and was then taken off. A reference grants nothing:
	// every read through it checks her access again.
	t.Run("taken off the team later", func(t *testing.T) {
		addTo := func() {
			t.Helper()
			if _, err := h.client.CreateTeamMember(victim.lead, &appraisalv1.CreateTeamMemberRequest{
				Parent: victim.name, TeamMember: &appraisalv1.TeamMember{Subject: "mallory", DisplayName: "Mallory", Role: appraisalv1.TeamMember_ROLE_OBSERVER},
			}); err != nil {
				t.Fatalf("add mallory to victim's team: %v", err)
			}
		}
		removeFrom := func() {
			t.Helper()
			if _, err := h.client.DeleteTeamMember(victim.lead, &appraisalv1.DeleteTeamMemberRequest{Name: victim.name + "/teamMembers/mallory"}); err != nil {
				t.Fatalf("take mallory off victim's team: %v", err)
			}
		}
		addTo()
		reappraisal, err := h.ledBy(t, mallory, tenantA, "mal-apr", apr(victim.name))
		if err != nil {
			t.Fatalf("create a reappraisal of an appraisal she may read: %v", err)
		}
		reappraisal.conductingBy(t, "mallory")
		sustainment, err := h.ledBy(t, mallory, tenantA, "mal-sus", func(a *appraisalv1.Appraisal) {
			a.Type, a.PreviousAppraisal = appraisalv1.AppraisalType_APPRAISAL_TYPE_SUSTAINMENT, victim.name
		})
		if err != nil {
			t.Fatal(err)
		}
		sustainment.conductingBy(t, "mallory")
		sustainment.characterizeAll(t, vFM, nil)
		unplanned, err := h.ledBy(t, mallory, tenantA, "mal-plan", apr(victim.name))
		if err != nil {
			t.Fatal(err)
		}
		carried := false
		for _, p := range reappraisal.ratings(t).GetPractices() {
			carried = carried || p.GetRule() == "APR-2"
		}
		if !carried {
			t.Fatal("while on victim's team the reappraisal carries no practice (rule APR-2); the flow is wrong")
		}
		removeFrom()

		charOf := func(practice string) *appraisalv1.UpdateCharacterizationRequest {
			return &appraisalv1.UpdateCharacterizationRequest{
				Characterization: &appraisalv1.Characterization{Name: reappraisal.charName("i1", practice), Value: vFM}, AllowMissing: true,
			}
		}
		calls := []struct {
			what string
			call func() error
		}{
			{"GetRatings", func() error {
				_, err := h.client.GetRatings(mallory, &appraisalv1.GetRatingsRequest{Name: reappraisal.name + "/ratings"})
				return err
			}},
			{"GetAppraisalReport", func() error {
				_, err := h.client.GetAppraisalReport(mallory, &appraisalv1.GetAppraisalReportRequest{Name: reappraisal.name})
				return err
			}},
			{"UpdateCharacterization of a carried practice", func() error {
				_, err := h.client.UpdateCharacterization(mallory, charOf("CM-1.1"))
				return err
			}},
			{"UpdateCharacterization of a re-rated practice", func() error {
				_, err := h.client.UpdateCharacterization(mallory, charOf("RSK-2.1"))
				return err
			}},
			{"BatchUpdateCharacterizations", func() error {
				_, err := h.client.BatchUpdateCharacterizations(mallory, &appraisalv1.BatchUpdateCharacterizationsRequest{
					Parent: reappraisal.name, Requests: []*appraisalv1.UpdateCharacterizationRequest{charOf("CM-1.1")},
				})
				return err
			}},
			{"RecordTeamDecision", func() error {
				_, err := h.client.RecordTeamDecision(mallory, &appraisalv1.RecordTeamDecisionRequest{
					Parent: reappraisal.name, TeamDecision: &appraisalv1.TeamDecision{Key: "par:RSK:2", Value: "SATISFIED", Rationale: "seen"},
				})
				return err
			}},
			{"RateAppraisal of the reappraisal", func() error {
				_, err := h.client.RateAppraisal(mallory, &appraisalv1.RateAppraisalRequest{Name: reappraisal.name})
				return err
			}},
			{"RateAppraisal of the sustainment (validity)", func() error {
				_, err := h.client.RateAppraisal(mallory, &appraisalv1.RateAppraisalRequest{Name: sustainment.name})
				return err
			}},
			{"PlanAppraisal", func() error {
				_, err := h.client.PlanAppraisal(mallory, &appraisalv1.PlanAppraisalRequest{Name: unplanned.name})
				return err
			}},
		}
		for _, c := range calls {
			sameAnswer(t, c.what, c.call(), hidden)
		}
		if s := sustainment.get(t).GetState(); s != appraisalv1.Appraisal_STATE_CONDUCTING {
			t.Fatalf("sustainment state = %v after the refused rating", s)
		}

		// Back on the team, the same calls work again: what decides is the
		// caller's access now.
		addTo()
		if r := reappraisal.ratings(t); len(r.GetPractices()) == 0 {
			t.Fatalf("ratings back on the team: %v", r)
		}
		sustainment.rate(t)
	})
}

// TestRedteamH4_PreviousAppraisalErrorsNeedReadAccess: "does not exist" and
// "has no rating" told apart appraisals that do not exist, exist unrated,
// and are rated. An appraisal the caller may not read now answers as one
// that does not exist; one the caller may read still says it has no
// rating.
func TestRedteamH4_PreviousAppraisalErrorsNeedReadAccess(t *testing.T) {
	h := newHarness(t)
	unrated := h.draft(t, tenantA, "unrated", nil)
	carol := as(t, h.env, "carol", tenantA, auth.RoleLeadAppraiser, auth.RoleAppraiser)
	f, err := h.ledBy(t, carol, tenantA, "carol-apr", apr(""))
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.client.GetAppraisal(carol, &appraisalv1.GetAppraisalRequest{Name: unrated.name})
	hidden := answer(t, err)
	_, err = h.client.UpdateAppraisal(carol, &appraisalv1.UpdateAppraisalRequest{
		Appraisal: &appraisalv1.Appraisal{Name: f.name, PreviousAppraisal: unrated.name}, UpdateMask: mask("previous_appraisal"),
	})
	sameAnswer(t, "UpdateAppraisal to an unrated appraisal she may not read", err, hidden)

	// On its team, carol may build on it, and hears that it has no rating.
	unrated.addMember(t, "carol", appraisalv1.TeamMember_ROLE_OBSERVER)
	if _, err := h.client.UpdateAppraisal(carol, &appraisalv1.UpdateAppraisalRequest{
		Appraisal: &appraisalv1.Appraisal{Name: f.name, PreviousAppraisal: unrated.name}, UpdateMask: mask("previous_appraisal"),
	}); err != nil {
		t.Fatal(err)
	}
	f.conductingBy(t, "carol")
	_, err = h.client.GetRatings(carol, &appraisalv1.GetRatingsRequest{Name: f.name + "/ratings"})
	wantReason(t, err, codes.FailedPrecondition, "PREVIOUS_NOT_RATED")

	// An appraisal cannot build on itself.
	g, err := h.ledBy(t, carol, tenantA, "carol-self", apr(""))
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.client.UpdateAppraisal(carol, &appraisalv1.UpdateAppraisalRequest{
		Appraisal: &appraisalv1.Appraisal{Name: g.name, PreviousAppraisal: g.name}, UpdateMask: mask("previous_appraisal"),
	})
	wantViolations(t, err, "appraisal.previous_appraisal")
}

// TestRedteamL3_ReplayedRequestIDNeedsReadAccess replays finding L3: bob
// sent the same CreateAppraisal, request_id included, that alice had sent,
// and got alice's appraisal as it is now, rename and all, although
// GetAppraisal gave him NOT_FOUND. Request ids are now the caller's own:
// bob's request is his, and makes his own appraisal. A replay by the
// caller who made the request answers what GetAppraisal would answer them
// now.
func TestRedteamL3_ReplayedRequestIDNeedsReadAccess(t *testing.T) {
	h := newHarness(t)
	alice := as(t, h.env, "alice", tenantA, auth.RoleLeadAppraiser)
	bob := as(t, h.env, "bob", tenantA, auth.RoleLeadAppraiser)
	admin := as(t, h.env, "root", tenantA, auth.RoleAdmin)
	const requestID = "6f1c2a34-9d2b-4f0e-8f3e-1b2c3d4e5f60"
	req := &appraisalv1.CreateAppraisalRequest{Appraisal: draftAppraisal(), RequestId: requestID}
	req.Appraisal.DisplayName = "Project Falcon"

	created, err := h.client.CreateAppraisal(alice, req)
	if err != nil {
		t.Fatal(err)
	}
	mine := created.GetAppraisal()
	if _, err := h.client.UpdateAppraisal(alice, &appraisalv1.UpdateAppraisalRequest{
		Appraisal: &appraisalv1.Appraisal{Name: mine.GetName(), DisplayName: "RENAMED: Project Falcon (confidential)"}, UpdateMask: mask("display_name"),
	}); err != nil {
		t.Fatal(err)
	}

	t.Run("another caller's request id", func(t *testing.T) {
		_, err := h.client.GetAppraisal(bob, &appraisalv1.GetAppraisalRequest{Name: mine.GetName()})
		wantStatus(t, err, codes.NotFound)
		resp, err := h.client.CreateAppraisal(bob, req)
		if err != nil {
			t.Fatalf("bob's create with alice's request id: %v", err)
		}
		got := resp.GetAppraisal()
		if got.GetName() == mine.GetName() || got.GetDisplayName() != "Project Falcon" {
			t.Fatalf("bob's create with alice's request id returned %v; want an appraisal of his own", got)
		}
		// Bob's retry is a replay of his own request.
		again, err := h.client.CreateAppraisal(bob, req)
		if err != nil || !proto.Equal(again.GetAppraisal(), got) {
			t.Fatalf("bob's retry = %v, %v; want %v", again.GetAppraisal(), err, got)
		}
	})

	t.Run("another caller's child request id", func(t *testing.T) {
		aliceOwn, err := h.ledBy(t, alice, tenantA, "alice-kids", nil)
		if err != nil {
			t.Fatal(err)
		}
		bobOwn, err := h.ledBy(t, bob, tenantA, "bob-kids", nil)
		if err != nil {
			t.Fatal(err)
		}
		instance := func(ctx context.Context, parent string) (*appraisalv1.Instance, error) {
			resp, err := h.client.CreateInstance(ctx, &appraisalv1.CreateInstanceRequest{
				Parent: parent, InstanceId: "i9", RequestId: "r-inst", Instance: &appraisalv1.Instance{DisplayName: "Falcon team"},
			})
			return resp.GetInstance(), err
		}
		if _, err := instance(alice, aliceOwn.name); err != nil {
			t.Fatal(err)
		}
		// Before, the record of alice's request answered NOT_FOUND naming
		// her appraisal's instance.
		got, err := instance(bob, bobOwn.name)
		if err != nil || got.GetName() != bobOwn.name+"/instances/i9" {
			t.Fatalf("bob's CreateInstance with alice's request id = %v, %v; want his own instance", got, err)
		}
		// Alice's own request id under another appraisal is a reuse, not a
		// replay of the first appraisal's instance.
		other, err := h.ledBy(t, alice, tenantA, "alice-kids-2", nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = instance(alice, other.name)
		wantViolations(t, err, "request_id")
	})

	t.Run("the caller taken off the team", func(t *testing.T) {
		if _, err := h.client.DeleteTeamMember(admin, &appraisalv1.DeleteTeamMemberRequest{Name: mine.GetName() + "/teamMembers/alice"}); err != nil {
			t.Fatal(err)
		}
		_, err := h.client.GetAppraisal(alice, &appraisalv1.GetAppraisalRequest{Name: mine.GetName()})
		hidden := answer(t, err)
		_, err = h.client.CreateAppraisal(alice, req)
		sameAnswer(t, "alice's replay after she left the team", err, hidden)
	})
}

// TestRedteamH4_EveryReferenceAnswersAsAMissingAppraisal is the audit of
// issue 12 item 6 kept as a test: every request field of the appraisal API
// that names an appraisal, or anything inside one, answers a tenant member
// who is not on that appraisal's team exactly as it answers for an
// appraisal that does not exist (the same bytes, but for the name). Every
// method of the service is either in the table or listed as naming no
// appraisal, so a new method must be classified here.
func TestRedteamH4_EveryReferenceAnswersAsAMissingAppraisal(t *testing.T) {
	h := newHarness(t)
	victim, _ := h.rated(t, tenantA, "victim", nil, nil)
	const absent = "appraisals/absent" // as long as victim.name
	// mallory holds every role but admin, and leads a rated appraisal of
	// her own to compare with and to build on.
	mallory := as(t, h.env, "mallory", tenantA, auth.RoleLeadAppraiser, auth.RoleAppraiser, auth.RoleViewer, auth.RoleContentManager)
	own, err := h.ledBy(t, mallory, tenantA, "mal-own", nil)
	if err != nil {
		t.Fatal(err)
	}
	own.conductingBy(t, "mallory")
	own.characterizeAll(t, vFM, nil)
	own.rate(t)
	draft, err := h.ledBy(t, mallory, tenantA, "mal-draft", apr(""))
	if err != nil {
		t.Fatal(err)
	}

	c := h.client
	calls := map[string]func(a string) error{
		"CreateAppraisal": func(a string) error {
			_, err := h.ledBy(t, mallory, tenantA, "mal-new", apr(a))
			return err
		},
		"GetAppraisal": func(a string) error {
			_, err := c.GetAppraisal(mallory, &appraisalv1.GetAppraisalRequest{Name: a})
			return err
		},
		"UpdateAppraisal": func(a string) error {
			_, err := c.UpdateAppraisal(mallory, &appraisalv1.UpdateAppraisalRequest{Appraisal: &appraisalv1.Appraisal{Name: a, DisplayName: "x"}, UpdateMask: mask("display_name")})
			return err
		},
		"UpdateAppraisal previous_appraisal": func(a string) error {
			_, err := c.UpdateAppraisal(mallory, &appraisalv1.UpdateAppraisalRequest{Appraisal: &appraisalv1.Appraisal{Name: draft.name, PreviousAppraisal: a}, UpdateMask: mask("previous_appraisal")})
			return err
		},
		"PlanAppraisal": func(a string) error {
			_, err := c.PlanAppraisal(mallory, &appraisalv1.PlanAppraisalRequest{Name: a})
			return err
		},
		"StartAppraisal": func(a string) error {
			_, err := c.StartAppraisal(mallory, &appraisalv1.StartAppraisalRequest{Name: a})
			return err
		},
		"RateAppraisal": func(a string) error {
			_, err := c.RateAppraisal(mallory, &appraisalv1.RateAppraisalRequest{Name: a})
			return err
		},
		"ReportAppraisal": func(a string) error {
			_, err := c.ReportAppraisal(mallory, &appraisalv1.ReportAppraisalRequest{Name: a})
			return err
		},
		"CloseAppraisal": func(a string) error {
			_, err := c.CloseAppraisal(mallory, &appraisalv1.CloseAppraisalRequest{Name: a})
			return err
		},
		"CancelAppraisal": func(a string) error {
			_, err := c.CancelAppraisal(mallory, &appraisalv1.CancelAppraisalRequest{Name: a})
			return err
		},
		"CreateTeamMember": func(a string) error {
			_, err := c.CreateTeamMember(mallory, &appraisalv1.CreateTeamMemberRequest{Parent: a, TeamMember: &appraisalv1.TeamMember{Subject: "mallory", DisplayName: "M", Role: appraisalv1.TeamMember_ROLE_OBSERVER}})
			return err
		},
		"GetTeamMember": func(a string) error {
			_, err := c.GetTeamMember(mallory, &appraisalv1.GetTeamMemberRequest{Name: a + "/teamMembers/lead"})
			return err
		},
		"ListTeamMembers": func(a string) error {
			_, err := c.ListTeamMembers(mallory, &appraisalv1.ListTeamMembersRequest{Parent: a})
			return err
		},
		"UpdateTeamMember": func(a string) error {
			_, err := c.UpdateTeamMember(mallory, &appraisalv1.UpdateTeamMemberRequest{TeamMember: &appraisalv1.TeamMember{Name: a + "/teamMembers/lead", DisplayName: "x"}, UpdateMask: mask("display_name")})
			return err
		},
		"DeleteTeamMember": func(a string) error {
			_, err := c.DeleteTeamMember(mallory, &appraisalv1.DeleteTeamMemberRequest{Name: a + "/teamMembers/amy"})
			return err
		},
		"CreateInstance": func(a string) error {
			_, err := c.CreateInstance(mallory, &appraisalv1.CreateInstanceRequest{Parent: a, InstanceId: "i1", Instance: &appraisalv1.Instance{DisplayName: "x"}})
			return err
		},
		"GetInstance": func(a string) error {
			_, err := c.GetInstance(mallory, &appraisalv1.GetInstanceRequest{Name: a + "/instances/i1"})
			return err
		},
		"ListInstances": func(a string) error {
			_, err := c.ListInstances(mallory, &appraisalv1.ListInstancesRequest{Parent: a})
			return err
		},
		"DeleteInstance": func(a string) error {
			_, err := c.DeleteInstance(mallory, &appraisalv1.DeleteInstanceRequest{Name: a + "/instances/i1"})
			return err
		},
		"CreateEvidence": func(a string) error {
			_, err := c.CreateEvidence(mallory, &appraisalv1.CreateEvidenceRequest{Parent: a, Evidence: &appraisalv1.Evidence{
				Kind: appraisalv1.Evidence_KIND_ARTIFACT, Title: "x", Practices: []string{"CM-1.1"}, Instances: []string{"i1"},
			}})
			return err
		},
		"GetEvidence": func(a string) error {
			_, err := c.GetEvidence(mallory, &appraisalv1.GetEvidenceRequest{Name: a + "/evidence/e1"})
			return err
		},
		"ListEvidence": func(a string) error {
			_, err := c.ListEvidence(mallory, &appraisalv1.ListEvidenceRequest{Parent: a})
			return err
		},
		"DeleteEvidence": func(a string) error {
			_, err := c.DeleteEvidence(mallory, &appraisalv1.DeleteEvidenceRequest{Name: a + "/evidence/e1"})
			return err
		},
		"CreateFinding": func(a string) error {
			_, err := c.CreateFinding(mallory, &appraisalv1.CreateFindingRequest{Parent: a, Finding: &appraisalv1.Finding{
				Kind: appraisalv1.Finding_KIND_STRENGTH, Text: "x", Practices: []string{"CM-1.1"},
			}})
			return err
		},
		"GetFinding": func(a string) error {
			_, err := c.GetFinding(mallory, &appraisalv1.GetFindingRequest{Name: a + "/findings/f1"})
			return err
		},
		"ListFindings": func(a string) error {
			_, err := c.ListFindings(mallory, &appraisalv1.ListFindingsRequest{Parent: a})
			return err
		},
		"UpdateFinding": func(a string) error {
			_, err := c.UpdateFinding(mallory, &appraisalv1.UpdateFindingRequest{Finding: &appraisalv1.Finding{Name: a + "/findings/f1", Text: "x"}, UpdateMask: mask("text")})
			return err
		},
		"DeleteFinding": func(a string) error {
			_, err := c.DeleteFinding(mallory, &appraisalv1.DeleteFindingRequest{Name: a + "/findings/f1"})
			return err
		},
		"GetCharacterization": func(a string) error {
			_, err := c.GetCharacterization(mallory, &appraisalv1.GetCharacterizationRequest{Name: a + "/instances/i1/characterizations/CM-1.1"})
			return err
		},
		"ListCharacterizations": func(a string) error {
			_, err := c.ListCharacterizations(mallory, &appraisalv1.ListCharacterizationsRequest{Parent: a + "/instances/i1"})
			return err
		},
		"UpdateCharacterization": func(a string) error {
			_, err := c.UpdateCharacterization(mallory, &appraisalv1.UpdateCharacterizationRequest{
				Characterization: &appraisalv1.Characterization{Name: a + "/instances/i1/characterizations/CM-1.1", Value: vFM, Evidence: []string{"e1"}}, AllowMissing: true,
			})
			return err
		},
		"BatchUpdateCharacterizations": func(a string) error {
			_, err := c.BatchUpdateCharacterizations(mallory, &appraisalv1.BatchUpdateCharacterizationsRequest{Parent: a, Requests: []*appraisalv1.UpdateCharacterizationRequest{{
				Characterization: &appraisalv1.Characterization{Name: a + "/instances/i1/characterizations/CM-1.1", Value: vFM}, AllowMissing: true,
			}}})
			return err
		},
		"RecordTeamDecision": func(a string) error {
			_, err := c.RecordTeamDecision(mallory, &appraisalv1.RecordTeamDecisionRequest{Parent: a, TeamDecision: &appraisalv1.TeamDecision{Key: "par:RSK:2", Value: "SATISFIED", Rationale: "x"}})
			return err
		},
		"ListTeamDecisions": func(a string) error {
			_, err := c.ListTeamDecisions(mallory, &appraisalv1.ListTeamDecisionsRequest{Parent: a})
			return err
		},
		"GetRatings": func(a string) error {
			_, err := c.GetRatings(mallory, &appraisalv1.GetRatingsRequest{Name: a + "/ratings"})
			return err
		},
		"GetAppraisalReport": func(a string) error {
			_, err := c.GetAppraisalReport(mallory, &appraisalv1.GetAppraisalReportRequest{Name: a})
			return err
		},
		"CompareAppraisals": func(a string) error {
			_, err := c.CompareAppraisals(mallory, &appraisalv1.CompareAppraisalsRequest{Name: a, OtherAppraisal: own.name})
			return err
		},
		"CompareAppraisals other_appraisal": func(a string) error {
			_, err := c.CompareAppraisals(mallory, &appraisalv1.CompareAppraisalsRequest{Name: own.name, OtherAppraisal: a})
			return err
		},
		"ListAppraisalEvents": func(a string) error {
			_, err := c.ListAppraisalEvents(mallory, &appraisalv1.ListAppraisalEventsRequest{Parent: a})
			return err
		},
		"VerifyAuditTrail": func(a string) error {
			_, err := c.VerifyAuditTrail(mallory, &appraisalv1.VerifyAuditTrailRequest{Name: a})
			return err
		},
		"WatchAppraisal": func(a string) error {
			stream, err := c.WatchAppraisal(mallory, &appraisalv1.WatchAppraisalRequest{Name: a})
			if err != nil {
				return err
			}
			_, err = stream.Recv()
			return err
		},
	}
	// Methods that name no appraisal: the caller's own list and the
	// tenant's settings.
	noReference := []string{"ListAppraisals", "GetSettings", "UpdateSettings"}

	for _, m := range appraisalv1.AppraisalService_ServiceDesc.Methods {
		if _, ok := calls[m.MethodName]; !ok && !slices.Contains(noReference, m.MethodName) {
			t.Errorf("%s is not classified: add it to the table or to noReference", m.MethodName)
		}
	}
	for _, s := range appraisalv1.AppraisalService_ServiceDesc.Streams {
		if _, ok := calls[s.StreamName]; !ok && !slices.Contains(noReference, s.StreamName) {
			t.Errorf("%s is not classified: add it to the table or to noReference", s.StreamName)
		}
	}
	for _, what := range slices.Sorted(maps.Keys(calls)) {
		call := calls[what]
		t.Run(what, func(t *testing.T) {
			hiddenErr := call(victim.name)
			st := wantStatus(t, hiddenErr, codes.NotFound)
			if strings.Contains(st.Message(), "mal-") {
				t.Fatalf("the answer is about mallory's own appraisal, not the reference: %v", st)
			}
			want := bytes.ReplaceAll(answer(t, hiddenErr), []byte(victim.name), []byte(absent))
			sameAnswer(t, what+" of a missing appraisal", call(absent), want)
		})
	}
	// Nothing of victim changed.
	if a := victim.get(t); a.GetState() != appraisalv1.Appraisal_STATE_RATED || a.GetDisplayName() != draftAppraisal().GetDisplayName() {
		t.Fatalf("victim changed: %v", a)
	}
}

// TestRedteamH4_SustainmentChainNeedsReadAccess: a sustainment's validity
// counts the sustainments before it, reading every appraisal of the chain,
// so the caller must be able to read each of them, not only the one it
// names.
func TestRedteamH4_SustainmentChainNeedsReadAccess(t *testing.T) {
	h := newHarness(t)
	bench, _ := h.rated(t, tenantA, "bench", nil, nil)
	first, _ := h.rated(t, tenantA, "sustain-1", func(a *appraisalv1.Appraisal) {
		a.Type, a.PreviousAppraisal = appraisalv1.AppraisalType_APPRAISAL_TYPE_SUSTAINMENT, bench.name
	}, nil)
	first.addMember(t, "mallory", appraisalv1.TeamMember_ROLE_OBSERVER)
	mallory := as(t, h.env, "mallory", tenantA, auth.RoleLeadAppraiser, auth.RoleAppraiser)
	second, err := h.ledBy(t, mallory, tenantA, "sustain-2", func(a *appraisalv1.Appraisal) {
		a.Type, a.PreviousAppraisal = appraisalv1.AppraisalType_APPRAISAL_TYPE_SUSTAINMENT, first.name
	})
	if err != nil {
		t.Fatal(err)
	}
	second.conductingBy(t, "mallory")
	second.characterizeAll(t, vFM, nil)
	_, err = h.client.GetAppraisal(mallory, &appraisalv1.GetAppraisalRequest{Name: bench.name})
	hidden := answer(t, err)
	_, err = h.client.RateAppraisal(mallory, &appraisalv1.RateAppraisalRequest{Name: second.name})
	sameAnswer(t, "RateAppraisal of a sustainment whose chain she may not read", err, hidden)

	bench.addMember(t, "mallory", appraisalv1.TeamMember_ROLE_OBSERVER)
	if a := second.rate(t); a.GetMaturityLevel() != 2 || !a.GetRatingOfRecord() {
		t.Fatalf("sustainment rated %v", a)
	}
}
