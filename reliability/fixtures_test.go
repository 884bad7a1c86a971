//go:build linux

package reliability

import (
	"context"
	"testing"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
)

// The embedded default model and its AIM View, which every fresh data dir
// holds.
const (
	modelVersion = "models/cmmi-aim/versions/3.0-sample"
	aimView      = modelVersion + "/views/aim"
)

// pair is one (instance, practice) an appraisal characterizes.
type pair struct{ instance, practice string }

// charName is the pair's characterization name in appraisal.
func (p pair) charName(appraisal string) string {
	return appraisal + "/instances/" + p.instance + "/characterizations/" + p.practice
}

// newDraft creates a DRAFT appraisal on the AIM View targeting maturity
// level 2, with no AI usage scenario in scope (so planning needs no lead
// holding the AI appraisal certification). The caller, a lead appraiser,
// becomes its lead.
func newDraft(t *testing.T, ctx context.Context, ac appraisalv1.AppraisalServiceClient, id string) *appraisalv1.Appraisal {
	t.Helper()
	resp, err := ac.CreateAppraisal(ctx, &appraisalv1.CreateAppraisalRequest{
		AppraisalId: id,
		Appraisal: &appraisalv1.Appraisal{
			DisplayName: "Reliability " + id, Type: appraisalv1.AppraisalType_APPRAISAL_TYPE_BENCHMARK,
			OrganizationalUnit: "Reliability lab", View: aimView, TargetMaturityLevel: 2,
		},
	})
	if err != nil {
		t.Fatalf("create %s: %v", id, err)
	}
	return resp.GetAppraisal()
}

// conductingAppraisal creates an appraisal with instances, plans it (the
// scope comes from the model catalog) and starts it; it returns the
// appraisal and every pair its ratings list as missing.
func conductingAppraisal(t *testing.T, ctx context.Context, ac appraisalv1.AppraisalServiceClient, id string, instances []string) (*appraisalv1.Appraisal, []pair) {
	t.Helper()
	a := newDraft(t, ctx, ac, id)
	for _, inst := range instances {
		if _, err := ac.CreateInstance(ctx, &appraisalv1.CreateInstanceRequest{
			Parent: a.GetName(), InstanceId: inst, Instance: &appraisalv1.Instance{DisplayName: "Instance " + inst},
		}); err != nil {
			t.Fatalf("create instance %s of %s: %v", inst, id, err)
		}
	}
	if _, err := ac.PlanAppraisal(ctx, &appraisalv1.PlanAppraisalRequest{Name: a.GetName()}); err != nil {
		t.Fatalf("plan %s: %v", id, err)
	}
	started, err := ac.StartAppraisal(ctx, &appraisalv1.StartAppraisalRequest{Name: a.GetName()})
	if err != nil {
		t.Fatalf("start %s: %v", id, err)
	}
	if s := started.GetAppraisal().GetState(); s != appraisalv1.Appraisal_STATE_CONDUCTING {
		t.Fatalf("%s started in state %s", id, s)
	}
	ratings, err := ac.GetRatings(ctx, &appraisalv1.GetRatingsRequest{Name: a.GetName() + "/ratings"})
	if err != nil {
		t.Fatalf("ratings of %s: %v", id, err)
	}
	var pairs []pair
	for _, m := range ratings.GetRatings().GetMissing() {
		pairs = append(pairs, pair{instance: m.GetInstance(), practice: m.GetPractice()})
	}
	if len(pairs) < len(instances) {
		t.Fatalf("%s has %d pairs to characterize", id, len(pairs))
	}
	return started.GetAppraisal(), pairs
}

// listEvents returns an appraisal's whole audit trail.
func listEvents(ctx context.Context, ac appraisalv1.AppraisalServiceClient, appraisal string) ([]*appraisalv1.AuditEvent, error) {
	var out []*appraisalv1.AuditEvent
	token := ""
	for {
		resp, err := ac.ListAppraisalEvents(ctx, &appraisalv1.ListAppraisalEventsRequest{Parent: appraisal, PageSize: 1000, PageToken: token})
		if err != nil {
			return nil, err
		}
		out = append(out, resp.GetEvents()...)
		if token = resp.GetNextPageToken(); token == "" {
			return out, nil
		}
	}
}

// listChars returns every characterization of an appraisal.
func listChars(ctx context.Context, ac appraisalv1.AppraisalServiceClient, appraisal string) ([]*appraisalv1.Characterization, error) {
	var out []*appraisalv1.Characterization
	token := ""
	for {
		resp, err := ac.ListCharacterizations(ctx, &appraisalv1.ListCharacterizationsRequest{Parent: appraisal + "/instances/-", PageSize: 1000, PageToken: token})
		if err != nil {
			return nil, err
		}
		out = append(out, resp.GetCharacterizations()...)
		if token = resp.GetNextPageToken(); token == "" {
			return out, nil
		}
	}
}

// listEvidence returns every piece of evidence of an appraisal.
func listEvidence(ctx context.Context, ac appraisalv1.AppraisalServiceClient, appraisal string) ([]*appraisalv1.Evidence, error) {
	var out []*appraisalv1.Evidence
	token := ""
	for {
		resp, err := ac.ListEvidence(ctx, &appraisalv1.ListEvidenceRequest{Parent: appraisal, PageSize: 1000, PageToken: token})
		if err != nil {
			return nil, err
		}
		out = append(out, resp.GetEvidence()...)
		if token = resp.GetNextPageToken(); token == "" {
			return out, nil
		}
	}
}

// listAppraisals returns every appraisal the caller can read.
func listAppraisals(ctx context.Context, ac appraisalv1.AppraisalServiceClient) ([]*appraisalv1.Appraisal, error) {
	var out []*appraisalv1.Appraisal
	token := ""
	for {
		resp, err := ac.ListAppraisals(ctx, &appraisalv1.ListAppraisalsRequest{PageSize: 1000, PageToken: token})
		if err != nil {
			return nil, err
		}
		out = append(out, resp.GetAppraisals()...)
		if token = resp.GetNextPageToken(); token == "" {
			return out, nil
		}
	}
}

// trailIndex maps each after_digest of a trail to the resources whose
// events carry it.
func trailIndex(events []*appraisalv1.AuditEvent) map[string][]string {
	idx := make(map[string][]string, len(events))
	for _, e := range events {
		if d := e.GetAfterDigest(); d != "" {
			idx[d] = append(idx[d], e.GetResource())
		}
	}
	return idx
}

// inTrail reports whether idx has an event on resource with after digest d.
func inTrail(idx map[string][]string, d, resource string) bool {
	for _, r := range idx[d] {
		if r == resource {
			return true
		}
	}
	return false
}
