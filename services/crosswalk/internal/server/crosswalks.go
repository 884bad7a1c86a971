package server

import (
	"context"
	"net/http"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/server"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/crosswalk/internal/framework"
	"github.com/aim-platform/aim/services/crosswalk/internal/store"
)

// writer returns the caller after checking it may change content.
func writer(ctx context.Context) (auth.Identity, error) {
	return auth.Caller(ctx, auth.RoleContentManager)
}

// crosswalkID returns the id of crosswalks/{id}[/...].
func crosswalkID(name string) string {
	id := strings.TrimPrefix(name, "crosswalks/")
	if i := strings.IndexByte(id, '/'); i >= 0 {
		id = id[:i]
	}
	return id
}

// CreateCrosswalk creates an empty crosswalk between two frameworks the
// caller can read.
func (s *Server) CreateCrosswalk(ctx context.Context, req *crosswalkv1.CreateCrosswalkRequest) (*crosswalkv1.CreateCrosswalkResponse, error) {
	who, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	in := req.GetCrosswalk()
	if in == nil {
		return nil, errs.InvalidArgument(errs.Violation("crosswalk", "is required"))
	}
	var violations []errs.FieldViolation
	frameworks := map[string]*crosswalkv1.Framework{}
	for _, end := range []struct{ field, name string }{
		{"crosswalk.source_framework", in.GetSourceFramework()}, {"crosswalk.target_framework", in.GetTargetFramework()},
	} {
		field, name := end.field, end.name
		id, _ := framework.ParseName(name)
		f, err := s.store.GetFramework(who.Tenant, id)
		if errs.Is(err, errs.NotFound) {
			violations = append(violations, errs.Violation(field, "no framework %q", name))
			continue
		}
		if err != nil {
			return nil, err
		}
		frameworks[field] = f
	}
	if src := frameworks["crosswalk.source_framework"]; src != nil && src.GetKind() == crosswalkv1.Framework_KIND_MATURITY_MODEL && in.GetSourceModelVersion() == "" {
		violations = append(violations, errs.Violation("crosswalk.source_model_version", "a crosswalk from a maturity model names the model version its practices come from"))
	}
	if len(violations) > 0 {
		return nil, errs.InvalidArgument(violations...)
	}
	now := timestamppb.New(s.now())
	c := &crosswalkv1.Crosswalk{
		Name: store.CrosswalkName(req.GetCrosswalkId()), DisplayName: in.GetDisplayName(), Description: in.GetDescription(),
		SourceFramework: in.GetSourceFramework(), TargetFramework: in.GetTargetFramework(),
		SourceModelVersion: in.GetSourceModelVersion(), CreateTime: now, UpdateTime: now,
	}
	c.Etag = pstore.ETag(c)
	if err := s.store.CreateCrosswalk(who.Tenant, req.GetCrosswalkId(), c); err != nil {
		return nil, err
	}
	server.SetHTTPStatus(ctx, http.StatusCreated)
	return &crosswalkv1.CreateCrosswalkResponse{Crosswalk: c}, nil
}

// GetCrosswalk returns a crosswalk the caller can read.
func (s *Server) GetCrosswalk(ctx context.Context, req *crosswalkv1.GetCrosswalkRequest) (*crosswalkv1.GetCrosswalkResponse, error) {
	who, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	c, _, err := s.store.GetCrosswalk(who.Tenant, crosswalkID(req.GetName()))
	if err != nil {
		return nil, err
	}
	return &crosswalkv1.GetCrosswalkResponse{Crosswalk: c}, nil
}

// ListCrosswalks lists the shared crosswalks and the caller's own.
func (s *Server) ListCrosswalks(ctx context.Context, req *crosswalkv1.ListCrosswalksRequest) (*crosswalkv1.ListCrosswalksResponse, error) {
	who, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	query := "ListCrosswalks|tenant=" + who.Tenant
	size, after, err := s.store.DB().StartPage(req.GetPageSize(), req.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	list, last, more, err := s.store.ListCrosswalks(who.Tenant, after, size)
	if err != nil {
		return nil, err
	}
	return &crosswalkv1.ListCrosswalksResponse{Crosswalks: list, NextPageToken: s.store.DB().NextPageToken(more, last, query)}, nil
}

// DeleteCrosswalk deletes one of the caller's crosswalks.
func (s *Server) DeleteCrosswalk(ctx context.Context, req *crosswalkv1.DeleteCrosswalkRequest) (*crosswalkv1.DeleteCrosswalkResponse, error) {
	who, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.store.DeleteCrosswalk(who.Tenant, crosswalkID(req.GetName()), req.GetEtag()); err != nil {
		return nil, err
	}
	return &crosswalkv1.DeleteCrosswalkResponse{}, nil
}

// mappingID derives a mapping's resource id from its source and target:
// lower-case, every other character a hyphen, "--" between the two
// ("rsk-3-1--4-1-2-p-1-a"). Distinct pairs of one crosswalk give distinct
// ids because element ids are letters, digits, dots and dashes.
func mappingID(source, target string) string {
	slug := func(s string) string {
		var b strings.Builder
		for _, r := range strings.ToLower(s) {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				b.WriteRune(r)
			} else {
				b.WriteByte('-')
			}
		}
		return b.String()
	}
	return slug(source) + "--" + slug(target)
}

// GetMapping returns one mapping.
func (s *Server) GetMapping(ctx context.Context, req *crosswalkv1.GetMappingRequest) (*crosswalkv1.GetMappingResponse, error) {
	who, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	idx, err := s.store.MappingIndex(who.Tenant, crosswalkID(req.GetName()))
	if err != nil {
		return nil, err
	}
	if m, ok := idx.ByName(req.GetName()); ok {
		return &crosswalkv1.GetMappingResponse{Mapping: m}, nil
	}
	return nil, errs.NotFoundError("Mapping", req.GetName())
}

// ListMappings lists a crosswalk's mappings by source then target.
func (s *Server) ListMappings(ctx context.Context, req *crosswalkv1.ListMappingsRequest) (*crosswalkv1.ListMappingsResponse, error) {
	who, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	query := "ListMappings|tenant=" + who.Tenant + "|parent=" + req.GetParent()
	size, after, err := s.store.DB().StartPage(req.GetPageSize(), req.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	list, last, more, err := s.store.ListMappings(who.Tenant, crosswalkID(req.GetParent()), after, size)
	if err != nil {
		return nil, err
	}
	return &crosswalkv1.ListMappingsResponse{Mappings: list, NextPageToken: s.store.DB().NextPageToken(more, last, query)}, nil
}
