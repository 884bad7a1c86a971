package server

import (
	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/appraisal/internal/store"
)

// Who may do what, on top of the caller's tenant (every store access is
// scoped to it):
//
//	read         any role; a team member, or a tenant admin
//	characterize appraiser or lead-appraiser role; team role LEAD_APPRAISER or TEAM_MEMBER
//	lead         team role LEAD_APPRAISER (tenant admins too, except to rate and report)
//
// A caller who may not read an appraisal gets NOT_FOUND, exactly as for an
// appraisal of another tenant, so names do not leak.

func isAdmin(who auth.Identity) bool { return who.HasAnyRole(auth.RoleAdmin) }

// member returns the caller's team membership, or nil.
func member(t *store.Tx, who auth.Identity) (*appraisalv1.TeamMember, error) {
	var found *appraisalv1.TeamMember
	err := t.ForEach(store.KindMembers, func(_, v []byte) error {
		if found != nil {
			return nil
		}
		m := &appraisalv1.TeamMember{}
		if err := pstore.UnmarshalProto(v, m); err != nil {
			return err
		}
		if m.GetSubject() == who.Subject {
			found = m
		}
		return nil
	})
	return found, err
}

// canRead reports whether the caller may see the appraisal at all.
func canRead(t *store.Tx, who auth.Identity) (bool, error) {
	if isAdmin(who) {
		return true, nil
	}
	m, err := member(t, who)
	return m != nil, err
}

// mustRead is canRead as an error: NOT_FOUND when the caller may not read.
func mustRead(t *store.Tx, who auth.Identity) (*appraisalv1.Appraisal, error) {
	ok, err := canRead(t, who)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.NotFoundError("Appraisal", t.Name())
	}
	return t.Appraisal()
}

// mustLead checks the caller leads the appraisal (or, with adminToo, is a
// tenant admin) and returns the appraisal.
func mustLead(t *store.Tx, who auth.Identity, adminToo bool) (*appraisalv1.Appraisal, error) {
	a, err := mustRead(t, who)
	if err != nil {
		return nil, err
	}
	if adminToo && isAdmin(who) {
		return a, nil
	}
	m, err := member(t, who)
	if err != nil {
		return nil, err
	}
	if m == nil || m.GetRole() != appraisalv1.TeamMember_ROLE_LEAD_APPRAISER {
		return nil, errs.New(errs.PermissionDenied, "NOT_LEAD_APPRAISER", "only the lead appraiser of %s may do this", t.Name())
	}
	return a, nil
}

// mustCharacterize checks the caller may characterize practices.
func mustCharacterize(t *store.Tx, who auth.Identity) (*appraisalv1.Appraisal, error) {
	a, err := mustRead(t, who)
	if err != nil {
		return nil, err
	}
	if !who.HasAnyRole(auth.RoleAppraiser, auth.RoleLeadAppraiser) {
		return nil, errs.New(errs.PermissionDenied, "NOT_APPRAISER", "characterizing practices needs the appraiser or lead-appraiser role")
	}
	m, err := member(t, who)
	if err != nil {
		return nil, err
	}
	if m == nil || (m.GetRole() != appraisalv1.TeamMember_ROLE_LEAD_APPRAISER && m.GetRole() != appraisalv1.TeamMember_ROLE_TEAM_MEMBER) {
		return nil, errs.New(errs.PermissionDenied, "NOT_ON_TEAM", "only appraisers on the team of %s may characterize its practices", t.Name())
	}
	return a, nil
}
