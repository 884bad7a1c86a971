package server

import (
	"context"
	"strings"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/resource"
	"github.com/aim-platform/aim/services/model/internal/catalog"
	"github.com/aim-platform/aim/services/model/internal/store"
)

// anyArea is the practice area segment that stands for all of them.
const anyArea = "-"

// GetPractice returns one practice. The practice area segment may be "-"
// or an alias, and the practice id may use an alias (RISK-3.1).
func (s *Server) GetPractice(ctx context.Context, req *modelv1.GetPracticeRequest) (*modelv1.GetPracticeResponse, error) {
	who, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	model, version, area, id, err := practiceParts("name", req.GetName())
	if err != nil {
		return nil, err
	}
	vc, err := s.versions.content(who.Tenant, model, version)
	if err != nil {
		return nil, err
	}
	p, err := vc.practice(id)
	if err != nil {
		return nil, err
	}
	if area != anyArea && vc.canonicalArea(area) != resource.ID(p.GetPracticeArea()) {
		return nil, errs.NotFoundError("Practice", req.GetName())
	}
	return &modelv1.GetPracticeResponse{Practice: p}, nil
}

// ListPractices lists the practices of a practice area, or of all of them,
// in practice id order, filtered. A practice area, from the parent or from
// a practice_area = "X" term, narrows the scan to that area's key range.
func (s *Server) ListPractices(ctx context.Context, req *modelv1.ListPracticesRequest) (*modelv1.ListPracticesResponse, error) {
	who, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	model, version := versionParts(req.GetParent())
	area := strings.ToUpper(resource.ID(req.GetParent()))
	vc, err := s.versions.content(who.Tenant, model, version)
	if err != nil {
		return nil, err
	}
	f, err := vc.practiceFilter(req.GetFilter())
	if err != nil {
		return nil, err
	}
	if area == anyArea {
		area = f.area()
	} else if canonical := vc.canonicalArea(area); vc.areas[canonical] == nil {
		return nil, errs.NotFoundError("PracticeArea", req.GetParent())
	} else {
		area = canonical
	}
	query := "ListPractices|tenant=" + who.Tenant + "|parent=" + req.GetParent() + "|filter=" + f.canonical
	size, after, err := s.store.DB().StartPage(req.GetPageSize(), req.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	var prefix []byte
	if area != "" {
		prefix = catalog.AreaPrefix(area)
	}
	var match func(int) bool
	if !f.empty() {
		match = f.matchPractice
	}
	practices, last, more := vc.page(prefix, after, size, match)
	return &modelv1.ListPracticesResponse{Practices: practices, NextPageToken: s.store.DB().NextPageToken(more, last, query)}, nil
}

// practiceRef parses what BatchGetPractices accepts for one practice: an
// id, a label or a full resource name of the same version. It returns the
// practice area segment of a full name ("-" otherwise).
func practiceRef(field, parent, ref string) (catalog.PracticeID, string, error) {
	if strings.Contains(ref, "/") {
		model, version, area, id, err := practiceParts(field, ref)
		if err != nil {
			return catalog.PracticeID{}, "", err
		}
		if store.VersionName(model, version) != parent {
			return catalog.PracticeID{}, "", errs.InvalidArgument(errs.Violation(field, "%q is not a practice of %s", ref, parent))
		}
		return id, area, nil
	}
	id, err := catalog.ParsePracticeID(ref)
	if err != nil {
		return catalog.PracticeID{}, "", errs.InvalidArgument(errs.Violation(field, "%s", err.Error()))
	}
	return id, anyArea, nil
}

// BatchGetPractices returns several practices in the order asked.
func (s *Server) BatchGetPractices(ctx context.Context, req *modelv1.BatchGetPracticesRequest) (*modelv1.BatchGetPracticesResponse, error) {
	who, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]catalog.PracticeID, 0, len(req.GetNames()))
	areas := make([]string, 0, len(req.GetNames()))
	var violations []errs.FieldViolation
	for i, ref := range req.GetNames() {
		id, area, err := practiceRef(fieldIndex("names", i), req.GetParent(), ref)
		if e, ok := err.(*errs.Error); ok {
			violations = append(violations, e.Violations...)
			continue
		}
		ids = append(ids, id)
		areas = append(areas, area)
	}
	if len(violations) > 0 {
		return nil, errs.InvalidArgument(violations...)
	}
	model, version := versionParts(req.GetParent())
	vc, err := s.versions.content(who.Tenant, model, version)
	if err != nil {
		return nil, err
	}
	practices := make([]*modelv1.Practice, len(ids))
	for i, id := range ids {
		if practices[i], err = vc.practice(id); err != nil {
			return nil, err
		}
	}
	// A full name's practice area must be the practice's own (or an alias).
	for i, area := range areas {
		if area != anyArea && vc.canonicalArea(area) != resource.ID(practices[i].GetPracticeArea()) {
			return nil, errs.NotFoundError("Practice", req.GetNames()[i])
		}
	}
	return &modelv1.BatchGetPracticesResponse{Practices: practices}, nil
}

// SearchPractices ranks a version's practices for a query.
func (s *Server) SearchPractices(ctx context.Context, req *modelv1.SearchPracticesRequest) (*modelv1.SearchPracticesResponse, error) {
	who, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	model, version := versionParts(req.GetParent())
	hold, err := s.versions.search(who.Tenant, model, version)
	if err != nil {
		return nil, err
	}
	defer hold.release()
	vc := hold.content
	f, err := vc.practiceFilter(req.GetFilter())
	if err != nil {
		return nil, err
	}
	ix, err := hold.index()
	if err != nil {
		return nil, err
	}
	limit := int(req.GetPageSize())
	if limit == 0 {
		limit = 20
	}
	var keep func(string) bool
	if !f.empty() {
		keep = func(practice string) bool {
			i, ok := vc.byName[practice]
			return ok && f.matchPractice(i)
		}
	}
	hits, err := ix.Search(req.GetQuery(), limit, keep)
	if err != nil {
		return nil, errs.Wrap(err, "search %s", req.GetParent())
	}
	resp := &modelv1.SearchPracticesResponse{}
	for _, h := range hits {
		resp.Results = append(resp.Results, &modelv1.SearchResult{
			Practice: vc.practices[vc.byName[h.Practice]], Score: h.Score, MatchedAiContext: h.MatchedAIContext,
		})
	}
	return resp, nil
}
