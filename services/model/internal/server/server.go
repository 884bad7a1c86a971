package server

import (
	"context"
	"net/http"
	"time"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/server"
	"github.com/aim-platform/aim/services/model/internal/catalog"
	"github.com/aim-platform/aim/services/model/internal/store"
)

// writerRoles may change catalog content.
var writerRoles = []string{auth.RoleContentManager}

// Server implements aim.model.v1.ModelCatalogService.
type Server struct {
	modelv1.UnimplementedModelCatalogServiceServer
	store *store.Store
	// versions caches the decoded content and search index of versions.
	versions *versionCache
	now      func() time.Time
}

var _ modelv1.ModelCatalogServiceServer = (*Server)(nil)

// New returns a server over st.
func New(st *store.Store) *Server {
	return &Server{store: st, versions: newVersionCache(st, maxCachedVersions), now: time.Now}
}

// Close releases the search indexes.
func (s *Server) Close() error { return s.versions.close() }

// reader returns the caller; reading the catalog needs no particular role.
func reader(ctx context.Context) (auth.Identity, error) {
	return auth.Caller(ctx, auth.KnownRoles()...)
}

// writer returns the caller after checking it may change content.
func writer(ctx context.Context) (auth.Identity, error) {
	return auth.Caller(ctx, writerRoles...)
}

// GetModel returns a model the caller can read.
func (s *Server) GetModel(ctx context.Context, req *modelv1.GetModelRequest) (*modelv1.GetModelResponse, error) {
	id, err := reader(ctx)
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
	id, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	query := "ListModels|tenant=" + id.Tenant
	size, after, err := s.store.DB().StartPage(req.GetPageSize(), req.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	models, last, more, err := s.store.ListModels(id.Tenant, after, size)
	if err != nil {
		return nil, err
	}
	return &modelv1.ListModelsResponse{Models: models, NextPageToken: s.store.DB().NextPageToken(more, last, query)}, nil
}

// GetModelVersion returns a version the caller can read.
func (s *Server) GetModelVersion(ctx context.Context, req *modelv1.GetModelVersionRequest) (*modelv1.GetModelVersionResponse, error) {
	who, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	model, version := versionParts(req.GetName())
	v, _, err := s.store.GetVersion(who.Tenant, model, version)
	if err != nil {
		return nil, err
	}
	return &modelv1.GetModelVersionResponse{ModelVersion: v}, nil
}

// ListModelVersions lists a model's versions the caller can read.
func (s *Server) ListModelVersions(ctx context.Context, req *modelv1.ListModelVersionsRequest) (*modelv1.ListModelVersionsResponse, error) {
	who, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	query := "ListModelVersions|tenant=" + who.Tenant + "|parent=" + req.GetParent()
	size, after, err := s.store.DB().StartPage(req.GetPageSize(), req.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	model := modelID(req.GetParent())
	if after == nil {
		after = []byte(model + "/")
	}
	list, last, more, err := s.store.ListVersions(who.Tenant, model, after, size)
	if err != nil {
		return nil, err
	}
	return &modelv1.ListModelVersionsResponse{ModelVersions: list, NextPageToken: s.store.DB().NextPageToken(more, last, query)}, nil
}

// ImportModelVersion checks a bundle and stores it as a DRAFT.
func (s *Server) ImportModelVersion(ctx context.Context, req *modelv1.ImportModelVersionRequest) (*modelv1.ImportModelVersionResponse, error) {
	who, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	b := req.GetBundle()
	if req.GetBundleText() != "" {
		if b, err = catalog.ParseBundleText([]byte(req.GetBundleText())); err != nil {
			return nil, err
		}
	}
	if b == nil {
		return nil, errs.InvalidArgument(errs.Violation("bundle", "a bundle or bundle_text is required"))
	}
	model := modelID(req.GetParent())
	var violations []errs.FieldViolation
	switch b.GetModel() {
	case "":
		b.Model = model
	case model:
	default:
		violations = append(violations, errs.Violation("bundle.model", "the bundle is for model %q but is imported into %q", b.GetModel(), req.GetParent()))
	}
	for _, v := range catalog.ValidateBundle(b) {
		v.Field = "bundle." + v.Field
		violations = append(violations, v)
	}
	if len(violations) > 0 {
		return nil, errs.InvalidArgument(violations...)
	}
	canonical := catalog.Canonicalize(b)
	if req.GetValidateOnly() {
		// Report what the import would answer, without writing.
		if _, _, err := s.store.GetVersion(who.Tenant, canonical.GetModel(), canonical.GetVersion()); err == nil {
			return nil, errs.AlreadyExistsError("ModelVersion", store.VersionName(canonical.GetModel(), canonical.GetVersion()))
		}
		return &modelv1.ImportModelVersionResponse{ModelVersion: &modelv1.ModelVersion{
			Name:  store.VersionName(canonical.GetModel(), canonical.GetVersion()),
			State: modelv1.ModelVersion_STATE_DRAFT, DisplayName: canonical.GetDisplayName(),
			Description: canonical.GetDescription(), Sample: canonical.GetSample(), Counts: catalog.Counts(canonical),
		}}, nil
	}
	v, err := s.store.Import(who.Tenant, canonical, s.now())
	if err != nil {
		return nil, err
	}
	server.SetHTTPStatus(ctx, http.StatusCreated)
	return &modelv1.ImportModelVersionResponse{ModelVersion: v}, nil
}

// PublishModelVersion freezes one of the caller's drafts.
func (s *Server) PublishModelVersion(ctx context.Context, req *modelv1.PublishModelVersionRequest) (*modelv1.PublishModelVersionResponse, error) {
	who, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	model, version := versionParts(req.GetName())
	v, err := s.store.Publish(who.Tenant, model, version, req.GetEtag(), s.now())
	if err != nil {
		return nil, err
	}
	return &modelv1.PublishModelVersionResponse{ModelVersion: v}, nil
}

// DeprecateModelVersion marks one of the caller's published versions as
// superseded.
func (s *Server) DeprecateModelVersion(ctx context.Context, req *modelv1.DeprecateModelVersionRequest) (*modelv1.DeprecateModelVersionResponse, error) {
	who, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	model, version := versionParts(req.GetName())
	v, err := s.store.Deprecate(who.Tenant, model, version, req.GetEtag(), s.now())
	if err != nil {
		return nil, err
	}
	return &modelv1.DeprecateModelVersionResponse{ModelVersion: v}, nil
}

// DeleteModelVersion deletes one of the caller's drafts.
func (s *Server) DeleteModelVersion(ctx context.Context, req *modelv1.DeleteModelVersionRequest) (*modelv1.DeleteModelVersionResponse, error) {
	who, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	model, version := versionParts(req.GetName())
	if err := s.store.Delete(who.Tenant, model, version, req.GetEtag()); err != nil {
		return nil, err
	}
	s.versions.drop(who.Tenant, model, version)
	return &modelv1.DeleteModelVersionResponse{}, nil
}

// DiffModelVersions compares two versions the caller can read.
func (s *Server) DiffModelVersions(ctx context.Context, req *modelv1.DiffModelVersionsRequest) (*modelv1.DiffModelVersionsResponse, error) {
	who, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	model, version := versionParts(req.GetName())
	newer, _, _, err := s.store.Bundle(who.Tenant, model, version)
	if err != nil {
		return nil, err
	}
	model, version = versionParts(req.GetOtherVersion())
	older, _, _, err := s.store.Bundle(who.Tenant, model, version)
	if err != nil {
		return nil, err
	}
	return catalog.Diff(newer, older), nil
}
