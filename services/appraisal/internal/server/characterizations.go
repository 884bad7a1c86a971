package server

import (
	"context"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
	resname "github.com/aim-platform/aim/platform/resource"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/appraisal/internal/appraisal"
	"github.com/aim-platform/aim/services/appraisal/internal/rating"
	"github.com/aim-platform/aim/services/appraisal/internal/store"
)

// charParts splits appraisals/{a}/instances/{i}/characterizations/{p}.
func charParts(name string) (appraisalID, instance, practice string) {
	parts := strings.Split(name, "/")
	if len(parts) != 6 {
		return "", "", ""
	}
	return parts[1], parts[3], parts[5]
}

func charKey(instance, practice string) string { return instance + "/" + practice }

// GetCharacterization returns one characterization.
func (s *Server) GetCharacterization(ctx context.Context, req *appraisalv1.GetCharacterizationRequest) (*appraisalv1.GetCharacterizationResponse, error) {
	who, err := auth.Caller(ctx, auth.KnownRoles()...)
	if err != nil {
		return nil, err
	}
	id, inst, practice := charParts(req.GetName())
	c := &appraisalv1.Characterization{}
	err = s.store.View(who.Tenant, id, func(t *store.Tx) error {
		if _, err := mustRead(t, who); err != nil {
			return err
		}
		found, err := t.Get(store.KindChars, charKey(inst, practice), c)
		if err == nil && !found {
			err = errs.NotFoundError("Characterization", req.GetName())
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &appraisalv1.GetCharacterizationResponse{Characterization: c}, nil
}

// ListCharacterizations lists one instance's characterizations, or all.
func (s *Server) ListCharacterizations(ctx context.Context, req *appraisalv1.ListCharacterizationsRequest) (*appraisalv1.ListCharacterizationsResponse, error) {
	var prefix []byte
	var check func(*store.Tx) error
	if inst := resname.ID(req.GetParent()); inst != "-" {
		prefix = []byte(inst + "/")
		check = func(t *store.Tx) error {
			if !t.Has(store.KindInstances, inst) {
				return errs.NotFoundError("Instance", req.GetParent())
			}
			return nil
		}
	}
	list, next, err := listPage(ctx, s, "ListCharacterizations", req.GetParent(), store.KindChars, prefix, req.GetPageSize(), req.GetPageToken(),
		func() *appraisalv1.Characterization { return &appraisalv1.Characterization{} }, check)
	if err != nil {
		return nil, err
	}
	return &appraisalv1.ListCharacterizationsResponse{Characterizations: list, NextPageToken: next}, nil
}

var charFields = map[string]func(dst, src *appraisalv1.Characterization){
	"value":     func(d, s *appraisalv1.Characterization) { d.Value = s.GetValue() },
	"rationale": func(d, s *appraisalv1.Characterization) { d.Rationale = s.GetRationale() },
	"evidence":  func(d, s *appraisalv1.Characterization) { d.Evidence = s.GetEvidence() },
}

// setCharacterization applies one update inside a transaction; field is
// the request path prefix for violations ("characterization" or
// "requests[3].characterization").
func setCharacterization(t *store.Tx, who auth.Identity, appraisalName string, req *appraisalv1.UpdateCharacterizationRequest, field string, allowMissing bool) (*appraisalv1.Characterization, error) {
	in := req.GetCharacterization()
	if in == nil {
		return nil, errs.InvalidArgument(errs.Violation(field, "is required"))
	}
	id, inst, practice := charParts(in.GetName())
	if appraisal.Name(id) != appraisalName {
		return nil, errs.InvalidArgument(errs.Violation(field+".name", "%q is not a characterization of %s", in.GetName(), appraisalName))
	}
	paths, err := maskPaths(req.GetUpdateMask().GetPaths(), charFields)
	if err != nil {
		return nil, err
	}
	var violations []errs.FieldViolation
	if !t.Has(store.KindInstances, inst) {
		violations = append(violations, errs.Violation(field+".name", "the appraisal has no instance %q", inst))
	}
	if !t.Has(store.KindScope, practice) {
		violations = append(violations, errs.Violation(field+".name", "practice %q is not in the appraisal's scope", practice))
	}
	for i, e := range in.GetEvidence() {
		if !t.Has(store.KindEvidence, e) {
			violations = append(violations, errs.Violation(field+".evidence["+itoa(i)+"]", "the appraisal has no evidence %q", e))
		}
	}
	if len(violations) == 0 {
		if v, err := carriedViolation(t, who, appraisalName, practice, field); err != nil {
			return nil, err
		} else if v != nil {
			violations = append(violations, *v)
		}
	}
	if len(violations) > 0 {
		return nil, errs.InvalidArgument(violations...)
	}
	key := charKey(inst, practice)
	cur := &appraisalv1.Characterization{}
	found, err := t.Get(store.KindChars, key, cur)
	if err != nil {
		return nil, err
	}
	if !found && !allowMissing {
		return nil, errs.NotFoundError("Characterization", in.GetName())
	}
	if found {
		if err := checkEtag(cur.GetEtag(), req.GetEtag(), in.GetName()); err != nil {
			return nil, err
		}
	}
	var before *appraisalv1.Characterization
	if found {
		before = proto.CloneOf(cur)
	}
	for _, p := range paths {
		charFields[p](cur, in)
	}
	if cur.GetValue() == appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_UNSPECIFIED {
		return nil, errs.InvalidArgument(errs.Violation(field+".value", "a characterization needs a value"))
	}
	cur.Name = in.GetName()
	cur.Updater = who.Subject
	cur.UpdateTime = timestampOf(t.Now())
	cur.Etag = ""
	cur.Etag = pstore.ETag(cur)
	if err := t.Put(store.KindChars, key, cur); err != nil {
		return nil, err
	}
	typ := "characterization.updated"
	if before == nil {
		typ = "characterization.created"
	}
	return cur, t.Emit(typ, cur.GetName(), before, cur)
}

// UpdateCharacterization sets one characterization.
func (s *Server) UpdateCharacterization(ctx context.Context, req *appraisalv1.UpdateCharacterizationRequest) (*appraisalv1.UpdateCharacterizationResponse, error) {
	who, err := auth.Caller(ctx, auth.RoleAppraiser, auth.RoleLeadAppraiser)
	if err != nil {
		return nil, err
	}
	id, _, _ := charParts(req.GetCharacterization().GetName())
	var out *appraisalv1.Characterization
	err = s.update(who, id, func(t *store.Tx) error {
		a, err := mustCharacterize(t, who)
		if err != nil {
			return err
		}
		if err := appraisal.Accepts(appraisal.State(a.GetState()), "characterize practices"); err != nil {
			return err
		}
		out, err = setCharacterization(t, who, a.GetName(), req, "characterization", req.GetAllowMissing())
		return err
	})
	if err != nil {
		return nil, err
	}
	return &appraisalv1.UpdateCharacterizationResponse{Characterization: out}, nil
}

// BatchUpdateCharacterizations sets many characterizations atomically.
func (s *Server) BatchUpdateCharacterizations(ctx context.Context, req *appraisalv1.BatchUpdateCharacterizationsRequest) (*appraisalv1.BatchUpdateCharacterizationsResponse, error) {
	who, err := auth.Caller(ctx, auth.RoleAppraiser, auth.RoleLeadAppraiser)
	if err != nil {
		return nil, err
	}
	resp := &appraisalv1.BatchUpdateCharacterizationsResponse{}
	err = s.update(who, appraisalID(req.GetParent()), func(t *store.Tx) error {
		resp.Characterizations = resp.Characterizations[:0]
		a, err := mustCharacterize(t, who)
		if err != nil {
			return err
		}
		if err := appraisal.Accepts(appraisal.State(a.GetState()), "characterize practices"); err != nil {
			return err
		}
		var violations []errs.FieldViolation
		for i, r := range req.GetRequests() {
			c, err := setCharacterization(t, who, a.GetName(), r, "requests["+itoa(i)+"].characterization", r.GetAllowMissing())
			if e, ok := err.(*errs.Error); ok && e.Kind == errs.Invalid {
				violations = append(violations, e.Violations...)
				continue
			}
			if err != nil {
				return err
			}
			resp.Characterizations = append(resp.Characterizations, c)
		}
		if len(violations) > 0 {
			return errs.InvalidArgument(violations...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// RecordTeamDecision records a judgement the ratings ask for.
func (s *Server) RecordTeamDecision(ctx context.Context, req *appraisalv1.RecordTeamDecisionRequest) (*appraisalv1.RecordTeamDecisionResponse, error) {
	who, err := auth.Caller(ctx, auth.RoleAppraiser, auth.RoleLeadAppraiser)
	if err != nil {
		return nil, err
	}
	in := req.GetTeamDecision()
	if in == nil {
		return nil, errs.InvalidArgument(errs.Violation("team_decision", "is required"))
	}
	var out *appraisalv1.TeamDecision
	err = s.update(who, appraisalID(req.GetParent()), func(t *store.Tx) error {
		a, err := mustCharacterize(t, who)
		if err != nil {
			return err
		}
		if err := appraisal.Accepts(appraisal.State(a.GetState()), "record team decisions"); err != nil {
			return err
		}
		res, err := s.compute(t, who, a)
		if err != nil {
			return err
		}
		if err := checkDecision(res.OpenDecisions, in, t); err != nil {
			return err
		}
		before := &appraisalv1.TeamDecision{}
		found, err := t.Get(store.KindDecisions, in.GetKey(), before)
		if err != nil {
			return err
		}
		d := &appraisalv1.TeamDecision{
			Name: a.GetName() + "/teamDecisions/" + decisionID(in.GetKey()), Key: in.GetKey(), Value: in.GetValue(),
			Rationale: in.GetRationale(), Decider: who.Subject, DecideTime: timestampOf(t.Now()),
		}
		if err := t.Put(store.KindDecisions, in.GetKey(), d); err != nil {
			return err
		}
		out = d
		if !found {
			before = nil
		}
		return t.Emit("team_decision.recorded", d.GetName(), before, d)
	})
	if err != nil {
		return nil, err
	}
	return &appraisalv1.RecordTeamDecisionResponse{TeamDecision: out}, nil
}

// decisionID turns a decision key ("par:RSK:3") into a resource id.
func decisionID(key string) string {
	return strings.ToLower(strings.NewReplacer(":", "-", ".", "-").Replace(key))
}

// ListTeamDecisions lists the recorded decisions.
func (s *Server) ListTeamDecisions(ctx context.Context, req *appraisalv1.ListTeamDecisionsRequest) (*appraisalv1.ListTeamDecisionsResponse, error) {
	list, next, err := listPage(ctx, s, "ListTeamDecisions", req.GetParent(), store.KindDecisions, nil, req.GetPageSize(), req.GetPageToken(),
		func() *appraisalv1.TeamDecision { return &appraisalv1.TeamDecision{} }, nil)
	if err != nil {
		return nil, err
	}
	return &appraisalv1.ListTeamDecisionsResponse{TeamDecisions: list, NextPageToken: next}, nil
}

// checkDecision requires the decision to answer an open question of the
// ratings (or to replace a recorded one) with one of its allowed values.
func checkDecision(open []rating.OpenDecision, in *appraisalv1.TeamDecision, t *store.Tx) error {
	var allowed []string
	for _, d := range open {
		if d.Key == in.GetKey() {
			allowed = d.Allowed
		}
	}
	if allowed == nil && t.Has(store.KindDecisions, in.GetKey()) {
		switch {
		case strings.HasPrefix(in.GetKey(), "org:"):
			allowed = []string{rating.ValueLM, rating.ValuePM}
		case strings.HasPrefix(in.GetKey(), "par:"):
			allowed = []string{rating.ValueSatisfied, rating.ValueNotSatisfied}
		}
	}
	if allowed == nil {
		return errs.InvalidArgument(errs.Violation("team_decision.key", "no open team decision has the key %q (see GetRatings)", in.GetKey()))
	}
	if !slices.Contains(allowed, in.GetValue()) {
		return errs.InvalidArgument(errs.Violation("team_decision.value", "%q is not allowed for %s; allowed: %s", in.GetValue(), in.GetKey(), strings.Join(allowed, ", ")))
	}
	return nil
}

// carriedViolation refuses, in an Action Plan Reappraisal, a
// characterization of a practice the reappraisal carries over from the
// appraisal it follows (APR-2): only what failed or was not rated is
// re-rated. Whether a practice is carried says how the previous appraisal
// rated it, so who must be allowed to read that appraisal.
func carriedViolation(t *store.Tx, who auth.Identity, appraisalName, practice, field string) (*errs.FieldViolation, error) {
	a, err := t.Appraisal()
	if err != nil {
		return nil, err
	}
	if a.GetType() != appraisalv1.AppraisalType_APPRAISAL_TYPE_ACTION_PLAN_REASSESSMENT || a.GetPreviousAppraisal() == "" {
		return nil, nil
	}
	prev, err := previousResult(t, who, a)
	if err != nil {
		return nil, err
	}
	p := &modelv1.Practice{}
	if _, err := t.Get(store.KindScope, practice, p); err != nil {
		return nil, err
	}
	area := resname.ID(p.GetPracticeArea())
	for _, al := range rating.ReassessmentScope(*prev) {
		if al.Area == area && al.Level == int(p.GetLevel()) {
			return nil, nil
		}
	}
	v := errs.Violation(field+".name", "practice %q is carried over from %s, which rated its practice group; %s re-rates only what failed or was not rated",
		practice, a.GetPreviousAppraisal(), appraisalName)
	return &v, nil
}
