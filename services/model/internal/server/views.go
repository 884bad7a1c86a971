package server

import (
	"context"
	"net/http"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/resource"
	"github.com/aim-platform/aim/platform/server"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/model/internal/catalog"
	"github.com/aim-platform/aim/services/model/internal/store"
)

// GetView returns a built-in view or one of the caller's own.
func (s *Server) GetView(ctx context.Context, req *modelv1.GetViewRequest) (*modelv1.GetViewResponse, error) {
	who, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	model, version, id := childParts(req.GetName())
	v, err := s.store.GetView(who.Tenant, model, version, id)
	if err != nil {
		return nil, err
	}
	return &modelv1.GetViewResponse{View: v}, nil
}

// ListViews lists a version's built-in views and the caller's own.
func (s *Server) ListViews(ctx context.Context, req *modelv1.ListViewsRequest) (*modelv1.ListViewsResponse, error) {
	who, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	query := "ListViews|tenant=" + who.Tenant + "|parent=" + req.GetParent()
	size, after, err := s.store.DB().StartPage(req.GetPageSize(), req.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	model, version := versionParts(req.GetParent())
	views, more, err := s.store.ListViews(who.Tenant, model, version, string(after), size)
	if err != nil {
		return nil, err
	}
	resp := &modelv1.ListViewsResponse{Views: views}
	if more && len(views) > 0 {
		resp.NextPageToken = s.store.DB().EncodePageToken([]byte(resource.ID(views[len(views)-1].GetName())), query)
	}
	return resp, nil
}

// CreateView adds one of the caller's own views to a version.
func (s *Server) CreateView(ctx context.Context, req *modelv1.CreateViewRequest) (*modelv1.CreateViewResponse, error) {
	who, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if req.GetView() == nil {
		return nil, errs.InvalidArgument(errs.Violation("view", "is required"))
	}
	model, version := versionParts(req.GetParent())
	b, _, _, err := s.store.Bundle(who.Tenant, model, version)
	if err != nil {
		return nil, err
	}
	// Validate what the caller sent, so violation paths index its lists;
	// then store the canonical form (aliases resolved, lists sorted).
	if violations := catalog.ValidateView(b, req.GetView()); len(violations) > 0 {
		return nil, errs.InvalidArgument(violations...)
	}
	v := catalog.CanonicalView(b, req.GetView())
	v.Name = store.VersionName(model, version) + "/views/" + req.GetViewId()
	v.BuiltIn = false
	v.Etag = ""
	v.Etag = pstore.ETag(v)
	if err := s.store.CreateView(who.Tenant, model, version, req.GetViewId(), v); err != nil {
		return nil, err
	}
	server.SetHTTPStatus(ctx, http.StatusCreated)
	return &modelv1.CreateViewResponse{View: v}, nil
}

// DeleteView deletes one of the caller's own views.
func (s *Server) DeleteView(ctx context.Context, req *modelv1.DeleteViewRequest) (*modelv1.DeleteViewResponse, error) {
	who, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	model, version, id := childParts(req.GetName())
	if err := s.store.DeleteView(who.Tenant, model, version, id, req.GetEtag()); err != nil {
		return nil, err
	}
	return &modelv1.DeleteViewResponse{}, nil
}

// ResolveView lists what a view selects, whole or up to a maturity level.
func (s *Server) ResolveView(ctx context.Context, req *modelv1.ResolveViewRequest) (*modelv1.ResolveViewResponse, error) {
	who, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	model, version, id := childParts(req.GetName())
	v, err := s.store.GetView(who.Tenant, model, version, id)
	if err != nil {
		return nil, err
	}
	b, _, _, err := s.store.Bundle(who.Tenant, model, version)
	if err != nil {
		return nil, err
	}
	areas, practices, err := catalog.ResolveView(b, v, int(req.GetMaturityLevel()))
	if err != nil {
		return nil, errs.InvalidArgument(errs.Violation("maturity_level", "%s", err.Error()))
	}
	return &modelv1.ResolveViewResponse{PracticeAreas: areas, Practices: practices}, nil
}
