package server

import (
	"context"
	"sort"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/services/appraisal/internal/store"
)

// finalRatings reads the stored ratings of a rated appraisal the caller
// can read.
func (s *Server) finalRatings(who auth.Identity, name string) (*appraisalv1.Ratings, error) {
	r := &appraisalv1.Ratings{}
	err := s.store.View(who.Tenant, appraisalID(name), func(t *store.Tx) error {
		if _, err := mustRead(t, who); err != nil {
			return err
		}
		found, err := t.Get(store.KindRatings, finalRatingsKey, r)
		if err == nil && !found {
			err = errs.New(errs.FailedPrecondition, "NOT_RATED", "%s is not rated yet", name)
		}
		return err
	})
	return r, err
}

// CompareAppraisals compares two rated appraisals per practice area
// (capability level) and per domain (the sum of its areas' capability
// levels).
func (s *Server) CompareAppraisals(ctx context.Context, req *appraisalv1.CompareAppraisalsRequest) (*appraisalv1.CompareAppraisalsResponse, error) {
	who, err := auth.Caller(ctx, auth.KnownRoles()...)
	if err != nil {
		return nil, err
	}
	later, err := s.finalRatings(who, req.GetName())
	if err != nil {
		return nil, err
	}
	earlier, err := s.finalRatings(who, req.GetOtherAppraisal())
	if err != nil {
		return nil, err
	}
	type levels struct {
		now, before     int32
		inNow, inBefore bool
		domain          string
	}
	areas := map[string]*levels{}
	for _, pa := range later.GetPracticeAreas() {
		areas[pa.GetPracticeArea()] = &levels{now: pa.GetCapabilityLevel(), inNow: true, domain: pa.GetDomain()}
	}
	for _, pa := range earlier.GetPracticeAreas() {
		l := areas[pa.GetPracticeArea()]
		if l == nil {
			l = &levels{domain: pa.GetDomain()}
			areas[pa.GetPracticeArea()] = l
		}
		l.before, l.inBefore = pa.GetCapabilityLevel(), true
	}
	domains := map[string]*levels{}
	resp := &appraisalv1.CompareAppraisalsResponse{MaturityLevel: later.GetMaturityLevel(), OtherMaturityLevel: earlier.GetMaturityLevel()}
	for key, l := range areas {
		resp.PracticeAreas = append(resp.PracticeAreas, comparison(key, l.now, l.before, l.inNow, l.inBefore))
		d := domains[l.domain]
		if d == nil {
			d = &levels{}
			domains[l.domain] = d
		}
		d.now += l.now
		d.before += l.before
		d.inNow = d.inNow || l.inNow
		d.inBefore = d.inBefore || l.inBefore
	}
	for key, d := range domains {
		resp.Domains = append(resp.Domains, comparison(key, d.now, d.before, d.inNow, d.inBefore))
	}
	sort.Slice(resp.PracticeAreas, func(i, j int) bool { return resp.PracticeAreas[i].GetKey() < resp.PracticeAreas[j].GetKey() })
	sort.Slice(resp.Domains, func(i, j int) bool { return resp.Domains[i].GetKey() < resp.Domains[j].GetKey() })
	return resp, nil
}

func comparison(key string, now, before int32, inNow, inBefore bool) *appraisalv1.Comparison {
	c := &appraisalv1.Comparison{Key: key, Level: now, OtherLevel: before}
	switch {
	case !inBefore:
		c.Change = appraisalv1.Comparison_CHANGE_ADDED
	case !inNow:
		c.Change = appraisalv1.Comparison_CHANGE_REMOVED
	case now > before:
		c.Change = appraisalv1.Comparison_CHANGE_IMPROVED
	case now < before:
		c.Change = appraisalv1.Comparison_CHANGE_REGRESSED
	default:
		c.Change = appraisalv1.Comparison_CHANGE_UNCHANGED
	}
	return c
}
