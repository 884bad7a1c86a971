package server

import (
	"context"
	"crypto/sha256"
	"net/http"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/server"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/appraisal/internal/appraisal"
	"github.com/aim-platform/aim/services/appraisal/internal/store"
)

// Page sizes of the List methods (AIP-158).
const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// Roles allowed to create appraisals.
var creatorRoles = []string{auth.RoleLeadAppraiser, auth.RoleAppraiser}

// Server implements aim.appraisal.v1.AppraisalService.
type Server struct {
	appraisalv1.UnimplementedAppraisalServiceServer
	store *store.Store
	now   func() time.Time
}

var _ appraisalv1.AppraisalServiceServer = (*Server)(nil)

// New returns a server over st.
func New(st *store.Store) *Server { return &Server{store: st, now: time.Now} }

// caller returns the identity after checking it holds one of roles.
func caller(ctx context.Context, roles ...string) (auth.Identity, error) {
	if err := auth.Require(ctx, roles...); err != nil {
		return auth.Identity{}, err
	}
	id, _ := auth.FromContext(ctx)
	return id, nil
}

// CreateAppraisal creates a DRAFT appraisal owned by the caller's tenant.
func (s *Server) CreateAppraisal(ctx context.Context, req *appraisalv1.CreateAppraisalRequest) (*appraisalv1.CreateAppraisalResponse, error) {
	who, err := caller(ctx, creatorRoles...)
	if err != nil {
		return nil, err
	}
	if req.GetAppraisal() == nil {
		return nil, errs.InvalidArgument(errs.Violation("appraisal", "is required"))
	}
	id := req.GetAppraisalId()
	if id == "" {
		id = appraisal.NewID()
	}
	now := timestamppb.New(s.now())
	a := createInput(req)
	a.Name = appraisal.Name(id)
	a.State = appraisalv1.Appraisal_STATE_DRAFT
	a.CreateTime, a.UpdateTime = now, now
	a.Etag = pstore.ETag(a)
	stored, replayed, err := s.store.Create(who.Tenant, id, req.GetRequestId(), fingerprint(req), a)
	if err != nil {
		return nil, err
	}
	if !replayed {
		server.SetHTTPStatus(ctx, http.StatusCreated)
	}
	return &appraisalv1.CreateAppraisalResponse{Appraisal: stored}, nil
}

// createInput returns the fields of a create request's appraisal that the
// client may set; output-only fields are dropped.
func createInput(req *appraisalv1.CreateAppraisalRequest) *appraisalv1.Appraisal {
	in := req.GetAppraisal()
	return &appraisalv1.Appraisal{
		DisplayName:        in.GetDisplayName(),
		Type:               in.GetType(),
		OrganizationalUnit: in.GetOrganizationalUnit(),
		ModelVersion:       in.GetModelVersion(),
	}
}

// fingerprint identifies a create request by what the create uses, so a
// request id reused for a different request is caught while a retry that
// differs only in ignored output-only fields is not.
func fingerprint(req *appraisalv1.CreateAppraisalRequest) []byte {
	used := &appraisalv1.CreateAppraisalRequest{AppraisalId: req.GetAppraisalId(), Appraisal: createInput(req)}
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(used)
	sum := sha256.Sum256(b)
	return sum[:]
}

// GetAppraisal returns one of the caller's tenant's appraisals.
func (s *Server) GetAppraisal(ctx context.Context, req *appraisalv1.GetAppraisalRequest) (*appraisalv1.GetAppraisalResponse, error) {
	who, err := caller(ctx, auth.KnownRoles()...)
	if err != nil {
		return nil, err
	}
	a, err := s.store.Get(who.Tenant, req.GetName())
	if err != nil {
		return nil, err
	}
	return &appraisalv1.GetAppraisalResponse{Appraisal: a}, nil
}

// ListAppraisals lists the caller's tenant's appraisals by name.
func (s *Server) ListAppraisals(ctx context.Context, req *appraisalv1.ListAppraisalsRequest) (*appraisalv1.ListAppraisalsResponse, error) {
	who, err := caller(ctx, auth.KnownRoles()...)
	if err != nil {
		return nil, err
	}
	size, err := pstore.PageSize(req.GetPageSize(), defaultPageSize, maxPageSize)
	if err != nil {
		return nil, err
	}
	query := "ListAppraisals|tenant=" + who.Tenant
	after, err := s.store.DB().DecodePageToken(req.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	list, last, more, err := s.store.List(who.Tenant, after, size)
	if err != nil {
		return nil, err
	}
	resp := &appraisalv1.ListAppraisalsResponse{Appraisals: list}
	if more {
		resp.NextPageToken = s.store.DB().EncodePageToken(last, query)
	}
	return resp, nil
}
