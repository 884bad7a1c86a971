package server

import (
	"context"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/auth"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/model/internal/catalog"
	"github.com/aim-platform/aim/services/model/internal/store"
)

// Page sizes of the List methods (AIP-158).
const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// Server implements aim.model.v1.ModelCatalogService.
type Server struct {
	modelv1.UnimplementedModelCatalogServiceServer
	store *store.Store
}

var _ modelv1.ModelCatalogServiceServer = (*Server)(nil)

// New returns a server over st.
func New(st *store.Store) *Server { return &Server{store: st} }

// caller returns the authenticated identity; every method needs one, and
// reading the catalog needs no particular role.
func caller(ctx context.Context) (auth.Identity, error) {
	if err := auth.Require(ctx, auth.KnownRoles()...); err != nil {
		return auth.Identity{}, err
	}
	id, _ := auth.FromContext(ctx)
	return id, nil
}

// GetModel returns a model the caller can read.
func (s *Server) GetModel(ctx context.Context, req *modelv1.GetModelRequest) (*modelv1.GetModelResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	modelID, err := catalog.ParseModelName(req.GetName())
	if err != nil {
		return nil, invalidName(err)
	}
	m, err := s.store.GetModel(id.Tenant, modelID)
	if err != nil {
		return nil, err
	}
	return &modelv1.GetModelResponse{Model: m}, nil
}

// ListModels lists the shared models and the caller's own, by name.
func (s *Server) ListModels(ctx context.Context, req *modelv1.ListModelsRequest) (*modelv1.ListModelsResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	size, err := pstore.PageSize(req.GetPageSize(), defaultPageSize, maxPageSize)
	if err != nil {
		return nil, err
	}
	query := "ListModels|tenant=" + id.Tenant
	after, err := s.store.DB().DecodePageToken(req.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	models, last, more, err := s.store.ListModels(id.Tenant, after, size)
	if err != nil {
		return nil, err
	}
	resp := &modelv1.ListModelsResponse{Models: models}
	if more {
		resp.NextPageToken = s.store.DB().EncodePageToken(last, query)
	}
	return resp, nil
}
