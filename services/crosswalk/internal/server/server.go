package server

import (
	"context"
	"time"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/services/crosswalk/internal/framework"
	"github.com/aim-platform/aim/services/crosswalk/internal/store"
)

// Server implements aim.crosswalk.v1.CrosswalkService.
type Server struct {
	crosswalkv1.UnimplementedCrosswalkServiceServer
	store      *store.Store
	trees      *trees
	catalog    Catalog
	appraisals Appraisals
	now        func() time.Time
}

var _ crosswalkv1.CrosswalkServiceServer = (*Server)(nil)

// New returns a server over st that checks practices with cat and reads
// appraisal ratings through ap (either may be nil in tests that do not
// need them).
func New(st *store.Store, cat Catalog, ap Appraisals) (*Server, error) {
	t, err := loadTrees()
	if err != nil {
		return nil, err
	}
	return &Server{store: st, trees: t, catalog: cat, appraisals: ap, now: time.Now}, nil
}

// reader returns the caller; reading frameworks needs no particular role.
func reader(ctx context.Context) (auth.Identity, error) {
	return auth.Caller(ctx, auth.KnownRoles()...)
}

// GetFramework returns a framework the caller can read.
func (s *Server) GetFramework(ctx context.Context, req *crosswalkv1.GetFrameworkRequest) (*crosswalkv1.GetFrameworkResponse, error) {
	who, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	id, err := framework.ParseName(req.GetName())
	if err != nil {
		return nil, errs.InvalidArgument(errs.Violation("name", "%s", err.Error()))
	}
	f, err := s.store.GetFramework(who.Tenant, id)
	if err != nil {
		return nil, err
	}
	return &crosswalkv1.GetFrameworkResponse{Framework: f}, nil
}

// ListFrameworks lists the shared frameworks and the caller's own, by name.
func (s *Server) ListFrameworks(ctx context.Context, req *crosswalkv1.ListFrameworksRequest) (*crosswalkv1.ListFrameworksResponse, error) {
	who, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	query := "ListFrameworks|tenant=" + who.Tenant
	size, after, err := s.store.DB().StartPage(req.GetPageSize(), req.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	list, last, more, err := s.store.ListFrameworks(who.Tenant, after, size)
	if err != nil {
		return nil, err
	}
	return &crosswalkv1.ListFrameworksResponse{Frameworks: list, NextPageToken: s.store.DB().NextPageToken(more, last, query)}, nil
}
