package server

import (
	"context"

	"google.golang.org/protobuf/proto"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/model/internal/store"
)

// getContent reads one item of a version's content for the caller.
func getContent[T proto.Message](ctx context.Context, s *Server, name, kind string, m T) (T, error) {
	who, err := reader(ctx)
	if err != nil {
		return m, err
	}
	model, version, id := childParts(name)
	_, err = s.store.Get(who.Tenant, model, version, kind, id, m)
	return m, err
}

// listContent reads one page of one kind of a version's content, keeping
// the items keep accepts (nil keeps all). query binds the page token to the
// request's other fields.
func listContent[T proto.Message](ctx context.Context, s *Server, method, parent, kind string, pageSize int32, pageToken, filter string,
	newT func() T, keep func(T) bool,
) ([]T, string, error) {
	who, err := reader(ctx)
	if err != nil {
		return nil, "", err
	}
	query := method + "|tenant=" + who.Tenant + "|parent=" + parent + "|filter=" + filter
	size, after, err := s.store.DB().StartPage(pageSize, pageToken, query)
	if err != nil {
		return nil, "", err
	}
	model, version := versionParts(parent)
	var items []T
	last, more, err := s.store.List(who.Tenant, model, version, kind, nil, after, size, func(_, v []byte) (bool, error) {
		m := newT()
		if err := pstore.UnmarshalProto(v, m); err != nil {
			return false, err
		}
		if keep != nil && !keep(m) {
			return false, nil
		}
		items = append(items, m)
		return true, nil
	})
	if err != nil {
		return nil, "", err
	}
	return items, s.store.DB().NextPageToken(more, last, query), nil
}

// GetCategory returns one category.
func (s *Server) GetCategory(ctx context.Context, req *modelv1.GetCategoryRequest) (*modelv1.GetCategoryResponse, error) {
	c, err := getContent(ctx, s, req.GetName(), store.KindCategory, &modelv1.Category{})
	if err != nil {
		return nil, err
	}
	return &modelv1.GetCategoryResponse{Category: c}, nil
}

// ListCategories lists a version's categories.
func (s *Server) ListCategories(ctx context.Context, req *modelv1.ListCategoriesRequest) (*modelv1.ListCategoriesResponse, error) {
	list, next, err := listContent(ctx, s, "ListCategories", req.GetParent(), store.KindCategory, req.GetPageSize(), req.GetPageToken(), "",
		func() *modelv1.Category { return &modelv1.Category{} }, nil)
	if err != nil {
		return nil, err
	}
	return &modelv1.ListCategoriesResponse{Categories: list, NextPageToken: next}, nil
}

// GetCapabilityArea returns one capability area; aliases resolve.
func (s *Server) GetCapabilityArea(ctx context.Context, req *modelv1.GetCapabilityAreaRequest) (*modelv1.GetCapabilityAreaResponse, error) {
	c, err := getContent(ctx, s, req.GetName(), store.KindCapabilityArea, &modelv1.CapabilityArea{})
	if err != nil {
		return nil, err
	}
	return &modelv1.GetCapabilityAreaResponse{CapabilityArea: c}, nil
}

// ListCapabilityAreas lists a version's capability areas.
func (s *Server) ListCapabilityAreas(ctx context.Context, req *modelv1.ListCapabilityAreasRequest) (*modelv1.ListCapabilityAreasResponse, error) {
	list, next, err := listContent(ctx, s, "ListCapabilityAreas", req.GetParent(), store.KindCapabilityArea, req.GetPageSize(), req.GetPageToken(), "",
		func() *modelv1.CapabilityArea { return &modelv1.CapabilityArea{} }, nil)
	if err != nil {
		return nil, err
	}
	return &modelv1.ListCapabilityAreasResponse{CapabilityAreas: list, NextPageToken: next}, nil
}

// GetDomain returns one domain.
func (s *Server) GetDomain(ctx context.Context, req *modelv1.GetDomainRequest) (*modelv1.GetDomainResponse, error) {
	d, err := getContent(ctx, s, req.GetName(), store.KindDomain, &modelv1.Domain{})
	if err != nil {
		return nil, err
	}
	return &modelv1.GetDomainResponse{Domain: d}, nil
}

// ListDomains lists a version's domains.
func (s *Server) ListDomains(ctx context.Context, req *modelv1.ListDomainsRequest) (*modelv1.ListDomainsResponse, error) {
	list, next, err := listContent(ctx, s, "ListDomains", req.GetParent(), store.KindDomain, req.GetPageSize(), req.GetPageToken(), "",
		func() *modelv1.Domain { return &modelv1.Domain{} }, nil)
	if err != nil {
		return nil, err
	}
	return &modelv1.ListDomainsResponse{Domains: list, NextPageToken: next}, nil
}

// GetPracticeArea returns one practice area; aliases resolve.
func (s *Server) GetPracticeArea(ctx context.Context, req *modelv1.GetPracticeAreaRequest) (*modelv1.GetPracticeAreaResponse, error) {
	pa, err := getContent(ctx, s, req.GetName(), store.KindPracticeArea, &modelv1.PracticeArea{})
	if err != nil {
		return nil, err
	}
	return &modelv1.GetPracticeAreaResponse{PracticeArea: pa}, nil
}

// ListPracticeAreas lists a version's practice areas, filtered.
func (s *Server) ListPracticeAreas(ctx context.Context, req *modelv1.ListPracticeAreasRequest) (*modelv1.ListPracticeAreasResponse, error) {
	who, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	model, version := versionParts(req.GetParent())
	vc, err := s.versions.content(who.Tenant, model, version)
	if err != nil {
		return nil, err
	}
	f, err := vc.practiceAreaFilter(req.GetFilter())
	if err != nil {
		return nil, err
	}
	var keep func(*modelv1.PracticeArea) bool
	if !f.empty() {
		keep = f.matchArea
	}
	list, next, err := listContent(ctx, s, "ListPracticeAreas", req.GetParent(), store.KindPracticeArea, req.GetPageSize(), req.GetPageToken(), f.canonical,
		func() *modelv1.PracticeArea { return &modelv1.PracticeArea{} }, keep)
	if err != nil {
		return nil, err
	}
	return &modelv1.ListPracticeAreasResponse{PracticeAreas: list, NextPageToken: next}, nil
}
