package server

import (
	"context"

	"google.golang.org/protobuf/proto"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
	resname "github.com/aim-platform/aim/platform/resource"
	"github.com/aim-platform/aim/services/appraisal/internal/appraisal"
	"github.com/aim-platform/aim/services/appraisal/internal/store"
)

// transition moves an appraisal to a new state after guard has checked
// what that state needs.
func (s *Server) transition(ctx context.Context, name, etag string, to appraisalv1.Appraisal_State, leadOnly, adminToo bool,
	guard func(t *store.Tx, who auth.Identity, a *appraisalv1.Appraisal) error,
) (*appraisalv1.Appraisal, error) {
	who, err := auth.Caller(ctx, auth.KnownRoles()...)
	if err != nil {
		return nil, err
	}
	var out *appraisalv1.Appraisal
	err = s.update(who, appraisalID(name), func(t *store.Tx) error {
		var a *appraisalv1.Appraisal
		var err error
		if leadOnly {
			a, err = mustLead(t, who, adminToo)
		} else {
			a, err = mustRead(t, who)
		}
		if err != nil {
			return err
		}
		if err := checkEtag(a.GetEtag(), etag, a.GetName()); err != nil {
			return err
		}
		if err := appraisal.Transition(appraisal.State(a.GetState()), appraisal.State(to)); err != nil {
			return err
		}
		before := proto.CloneOf(a)
		if guard != nil {
			if err := guard(t, who, a); err != nil {
				return err
			}
		}
		a.State = to
		return s.putAppraisal(t, "appraisal."+stateEvent(to), before, a, &out)
	})
	return out, err
}

func stateEvent(s appraisalv1.Appraisal_State) string {
	switch s {
	case appraisalv1.Appraisal_STATE_PLANNED:
		return "planned"
	case appraisalv1.Appraisal_STATE_CONDUCTING:
		return "started"
	case appraisalv1.Appraisal_STATE_RATED:
		return "rated"
	case appraisalv1.Appraisal_STATE_REPORTED:
		return "reported"
	case appraisalv1.Appraisal_STATE_CLOSED:
		return "closed"
	case appraisalv1.Appraisal_STATE_CANCELLED:
		return "cancelled"
	}
	return "changed"
}

// PlanAppraisal checks the team and scope, copies the scope from the
// catalog and moves the appraisal to PLANNED.
func (s *Server) PlanAppraisal(ctx context.Context, req *appraisalv1.PlanAppraisalRequest) (*appraisalv1.PlanAppraisalResponse, error) {
	who, err := auth.Caller(ctx, auth.KnownRoles()...)
	if err != nil {
		return nil, err
	}
	// Read what planning needs first, outside the write: the catalog call
	// must not hold the store, and a catalog outage must change nothing.
	var current *appraisalv1.Appraisal
	err = s.store.View(who.Tenant, appraisalID(req.GetName()), func(t *store.Tx) error {
		current, err = mustLead(t, who, true)
		if err == nil {
			err = mayBuildOn(t, who, current)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := appraisal.Transition(appraisal.State(current.GetState()), appraisal.StatePlanned); err != nil {
		return nil, err
	}
	if current.GetView() == "" {
		return nil, errs.New(errs.FailedPrecondition, "NO_SCOPE", "set the appraisal's view before planning it")
	}
	settings, err := s.store.Settings(who.Tenant)
	if err != nil {
		return nil, err
	}
	scope, err := s.catalog.Scope(ctx, current.GetView(), current.GetTargetMaturityLevel())
	if err != nil {
		return nil, err
	}
	practices := profileFilter(scope.Practices, current.GetCapabilityProfile())
	if len(practices) == 0 {
		return nil, errs.New(errs.FailedPrecondition, "EMPTY_SCOPE", "the view and targets of %s select no practice", current.GetName())
	}
	a, err := s.transition(ctx, req.GetName(), req.GetEtag(), appraisalv1.Appraisal_STATE_PLANNED, true, true, func(t *store.Tx, who auth.Identity, a *appraisalv1.Appraisal) error {
		if a.GetView() != current.GetView() || a.GetTargetMaturityLevel() != current.GetTargetMaturityLevel() {
			return errs.New(errs.Aborted, "SCOPE_CHANGED", "the scope of %s changed while it was being planned; retry", a.GetName())
		}
		if err := mayBuildOn(t, who, a); err != nil {
			return err
		}
		if err := checkLead(t, a, settings.GetAllowUncertifiedAiLead()); err != nil {
			return err
		}
		for _, p := range practices {
			if err := t.Put(store.KindScope, resname.ID(p.GetName()), p); err != nil {
				return err
			}
		}
		for _, pa := range scope.Areas {
			if err := t.Put(store.KindScopeAreas, pa.GetAcronym(), pa); err != nil {
				return err
			}
		}
		if err := t.Put(store.KindScopeView, "view", scope.View); err != nil {
			return err
		}
		a.ModelVersion = prefixOf(a.GetView(), 4)
		a.ScopedPracticeCount = int32(len(practices))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &appraisalv1.PlanAppraisalResponse{Appraisal: a}, nil
}

// mayBuildOn requires, when the appraisal names a previous appraisal, that
// the caller may read it (see previousAppraisal): planning fixes what the
// appraisal builds on.
func mayBuildOn(t *store.Tx, who auth.Identity, a *appraisalv1.Appraisal) error {
	if a.GetPreviousAppraisal() == "" {
		return nil
	}
	_, err := previousAppraisal(t, who, a.GetPreviousAppraisal())
	return err
}

// profileFilter keeps, when a capability profile is set, the practices of
// its practice areas up to each area's target level.
func profileFilter(practices []*modelv1.Practice, profile []*modelv1.PracticeAreaLevel) []*modelv1.Practice {
	if len(profile) == 0 {
		return practices
	}
	target := map[string]int32{}
	for _, p := range profile {
		target[p.GetPracticeArea()] = p.GetLevel()
	}
	var out []*modelv1.Practice
	for _, p := range practices {
		if lvl, ok := target[resname.ID(p.GetPracticeArea())]; ok && p.GetLevel() <= lvl {
			out = append(out, p)
		}
	}
	return out
}

// checkLead requires a lead appraiser on the team and, when AI usage
// scenarios are in scope, that lead's AI appraisal certification (unless
// the tenant allows otherwise).
func checkLead(t *store.Tx, a *appraisalv1.Appraisal, allowUncertified bool) error {
	var leads []*appraisalv1.TeamMember
	err := forEachMember(t, func(m *appraisalv1.TeamMember) {
		if m.GetRole() == appraisalv1.TeamMember_ROLE_LEAD_APPRAISER {
			leads = append(leads, m)
		}
	})
	if err != nil {
		return err
	}
	if len(leads) == 0 {
		return errs.New(errs.FailedPrecondition, "NO_LEAD_APPRAISER", "%s needs a lead appraiser on its team before it can be planned", a.GetName())
	}
	if len(a.GetAiUsageScenarios()) == 0 || allowUncertified {
		return nil
	}
	for _, m := range leads {
		for _, c := range m.GetCertifications() {
			if c == appraisalv1.TeamMember_CERTIFICATION_AAIM {
				return nil
			}
		}
	}
	return errs.New(errs.FailedPrecondition, "LEAD_NOT_AI_CERTIFIED",
		"%s covers AI usage scenarios, so its lead appraiser needs the AI appraisal certification (AAIM); the tenant's settings require it", a.GetName())
}

// StartAppraisal moves a PLANNED appraisal with instances to CONDUCTING.
func (s *Server) StartAppraisal(ctx context.Context, req *appraisalv1.StartAppraisalRequest) (*appraisalv1.StartAppraisalResponse, error) {
	a, err := s.transition(ctx, req.GetName(), req.GetEtag(), appraisalv1.Appraisal_STATE_CONDUCTING, true, true, func(t *store.Tx, _ auth.Identity, a *appraisalv1.Appraisal) error {
		if t.Count(store.KindInstances) == 0 {
			return errs.New(errs.FailedPrecondition, "NO_INSTANCES", "add the sampled instances of %s before starting it", a.GetName())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &appraisalv1.StartAppraisalResponse{Appraisal: a}, nil
}

// RateAppraisal computes and stores the ratings of a complete appraisal.
func (s *Server) RateAppraisal(ctx context.Context, req *appraisalv1.RateAppraisalRequest) (*appraisalv1.RateAppraisalResponse, error) {
	a, err := s.transition(ctx, req.GetName(), req.GetEtag(), appraisalv1.Appraisal_STATE_RATED, true, false, func(t *store.Tx, who auth.Identity, a *appraisalv1.Appraisal) error {
		return s.rate(t, who, a)
	})
	if err != nil {
		return nil, err
	}
	return &appraisalv1.RateAppraisalResponse{Appraisal: a}, nil
}

// ReportAppraisal makes a RATED appraisal's results final and read-only.
func (s *Server) ReportAppraisal(ctx context.Context, req *appraisalv1.ReportAppraisalRequest) (*appraisalv1.ReportAppraisalResponse, error) {
	a, err := s.transition(ctx, req.GetName(), req.GetEtag(), appraisalv1.Appraisal_STATE_REPORTED, true, false, func(t *store.Tx, _ auth.Identity, a *appraisalv1.Appraisal) error {
		a.ReportTime = timestampOf(t.Now())
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &appraisalv1.ReportAppraisalResponse{Appraisal: a}, nil
}

// CloseAppraisal closes a REPORTED appraisal.
func (s *Server) CloseAppraisal(ctx context.Context, req *appraisalv1.CloseAppraisalRequest) (*appraisalv1.CloseAppraisalResponse, error) {
	a, err := s.transition(ctx, req.GetName(), req.GetEtag(), appraisalv1.Appraisal_STATE_CLOSED, true, false, nil)
	if err != nil {
		return nil, err
	}
	return &appraisalv1.CloseAppraisalResponse{Appraisal: a}, nil
}

// CancelAppraisal abandons an appraisal before it is reported.
func (s *Server) CancelAppraisal(ctx context.Context, req *appraisalv1.CancelAppraisalRequest) (*appraisalv1.CancelAppraisalResponse, error) {
	a, err := s.transition(ctx, req.GetName(), req.GetEtag(), appraisalv1.Appraisal_STATE_CANCELLED, true, true, nil)
	if err != nil {
		return nil, err
	}
	return &appraisalv1.CancelAppraisalResponse{Appraisal: a}, nil
}
