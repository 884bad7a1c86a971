package server

import (
	"context"
	"crypto/sha256"
	"net/http"
	"slices"
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

// Roles allowed to create appraisals.
var creatorRoles = []string{auth.RoleLeadAppraiser, auth.RoleAppraiser}

// Server implements aim.appraisal.v1.AppraisalService.
type Server struct {
	appraisalv1.UnimplementedAppraisalServiceServer
	store   *store.Store
	catalog Catalog
	hub     *hub
	scopes  *scopeCache
	now     func() time.Time
	// watchIdle ends a watch that got no event for that long.
	watchIdle time.Duration
}

// DefaultWatchIdleTimeout is how long a watch stream may go without an
// event before it ends (with OK; the client resumes from the last sequence
// it received). It frees the stream slots of clients that went away
// without closing.
const DefaultWatchIdleTimeout = 10 * time.Minute

// Option changes a Server's defaults.
type Option func(*Server)

// WatchIdleTimeout sets how long a watch stream may go without an event;
// zero or less keeps DefaultWatchIdleTimeout.
func WatchIdleTimeout(d time.Duration) Option {
	return func(s *Server) {
		if d > 0 {
			s.watchIdle = d
		}
	}
}

var _ appraisalv1.AppraisalServiceServer = (*Server)(nil)

// New returns a server over st that reads the model catalog through cat.
func New(st *store.Store, cat Catalog, opts ...Option) *Server {
	s := &Server{store: st, catalog: cat, hub: newHub(), scopes: newScopeCache(), now: time.Now, watchIdle: DefaultWatchIdleTimeout}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Close ends every watch stream, at once and with OK. It is safe to call
// more than once: the service calls it when shutdown begins and again when
// it closes.
func (s *Server) Close() { s.hub.close() }

// update runs fn on one appraisal of the caller's tenant and publishes the
// events it emitted to watchers once they are committed.
func (s *Server) update(who auth.Identity, id string, fn func(*store.Tx) error) error {
	events, err := s.store.Update(who.Tenant, id, who.Subject, fn)
	if err != nil {
		return err
	}
	s.hub.publish(who.Tenant, id, events)
	return nil
}

// appraisalID returns the id of an appraisals/{id} name or of any name
// below it.
func appraisalID(name string) string {
	id, _ := appraisal.ParseName(prefixOf(name, 2))
	return id
}

// prefixOf returns the first n segments of a resource name.
func prefixOf(name string, n int) string {
	seen := 0
	for i := range len(name) {
		if name[i] == '/' {
			seen++
			if seen == n {
				return name[:i]
			}
		}
	}
	return name
}

// CreateAppraisal creates a DRAFT appraisal owned by the caller's tenant,
// with the caller on its team.
func (s *Server) CreateAppraisal(ctx context.Context, req *appraisalv1.CreateAppraisalRequest) (*appraisalv1.CreateAppraisalResponse, error) {
	who, err := auth.Caller(ctx, creatorRoles...)
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
	role := appraisalv1.TeamMember_ROLE_TEAM_MEMBER
	if who.HasAnyRole(auth.RoleLeadAppraiser) {
		role = appraisalv1.TeamMember_ROLE_LEAD_APPRAISER
	}
	creator := &appraisalv1.TeamMember{
		Name: a.GetName() + "/teamMembers/" + memberID(who.Subject), Subject: who.Subject,
		DisplayName: who.Subject, Role: role, CreateTime: now,
	}
	creator.Etag = pstore.ETag(creator)
	if err := s.mayReadAppraisal(who, a.GetPreviousAppraisal()); err != nil {
		return nil, err
	}
	stored, replayed, events, err := s.store.Create(who.Tenant, id, who.Subject, req.GetRequestId(), fingerprint(req), a, creator)
	if err != nil {
		return nil, err
	}
	if replayed {
		// The request was this caller's (request ids are per subject), but
		// the caller may have been taken off the appraisal's team since: a
		// replay answers what GetAppraisal would.
		err = s.store.View(who.Tenant, appraisalID(stored.GetName()), func(t *store.Tx) error {
			stored, err = mustRead(t, who)
			return err
		})
		if err != nil {
			return nil, err
		}
		return &appraisalv1.CreateAppraisalResponse{Appraisal: stored}, nil
	}
	s.hub.publish(who.Tenant, id, events)
	server.SetHTTPStatus(ctx, http.StatusCreated)
	return &appraisalv1.CreateAppraisalResponse{Appraisal: stored}, nil
}

// mayReadAppraisal answers, when name is set, exactly what GetAppraisal
// would answer the caller when the caller may not read that appraisal or it
// does not exist: the same NOT_FOUND either way.
func (s *Server) mayReadAppraisal(who auth.Identity, name string) error {
	if name == "" {
		return nil
	}
	return s.store.View(who.Tenant, appraisalID(name), func(t *store.Tx) error {
		_, err := mustRead(t, who)
		return err
	})
}

// createInput returns the fields of an appraisal a client may set; output
// only fields are dropped.
func createInput(req *appraisalv1.CreateAppraisalRequest) *appraisalv1.Appraisal {
	in := req.GetAppraisal()
	return &appraisalv1.Appraisal{
		DisplayName:         in.GetDisplayName(),
		Type:                in.GetType(),
		OrganizationalUnit:  in.GetOrganizationalUnit(),
		View:                in.GetView(),
		TargetMaturityLevel: in.GetTargetMaturityLevel(),
		CapabilityProfile:   in.GetCapabilityProfile(),
		AiUsageScenarios:    in.GetAiUsageScenarios(),
		PreviousAppraisal:   in.GetPreviousAppraisal(),
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

// GetAppraisal returns an appraisal the caller can read.
func (s *Server) GetAppraisal(ctx context.Context, req *appraisalv1.GetAppraisalRequest) (*appraisalv1.GetAppraisalResponse, error) {
	who, err := auth.Caller(ctx, auth.KnownRoles()...)
	if err != nil {
		return nil, err
	}
	var a *appraisalv1.Appraisal
	err = s.store.View(who.Tenant, appraisalID(req.GetName()), func(t *store.Tx) error {
		a, err = mustRead(t, who)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &appraisalv1.GetAppraisalResponse{Appraisal: a}, nil
}

// ListAppraisals lists the appraisals the caller can read, by name.
func (s *Server) ListAppraisals(ctx context.Context, req *appraisalv1.ListAppraisalsRequest) (*appraisalv1.ListAppraisalsResponse, error) {
	who, err := auth.Caller(ctx, auth.KnownRoles()...)
	if err != nil {
		return nil, err
	}
	query := "ListAppraisals|tenant=" + who.Tenant + "|subject=" + who.Subject
	size, after, err := s.store.DB().StartPage(req.GetPageSize(), req.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	// An admin reads every appraisal of the tenant, in id order. Anyone else
	// reads only the appraisals whose team they are on, which the store
	// finds through its team index rather than by opening every appraisal.
	// Each hit is still checked with canRead, so the index can only narrow
	// what a caller sees, never widen it. Either way the token holds an
	// appraisal id.
	var list []*appraisalv1.Appraisal
	var last []byte
	var more bool
	if isAdmin(who) {
		list, last, more, err = s.store.ListAppraisals(who.Tenant, after, size, nil)
	} else {
		keep := func(_ string, _ *appraisalv1.Appraisal, t *store.Tx) bool {
			ok, _ := canRead(t, who)
			return ok
		}
		list, last, more, err = s.store.ListTeamAppraisals(who.Tenant, who.Subject, after, size, keep)
	}
	if err != nil {
		return nil, err
	}
	return &appraisalv1.ListAppraisalsResponse{Appraisals: list, NextPageToken: s.store.DB().NextPageToken(more, last, query)}, nil
}

// UpdateAppraisal changes what a DRAFT appraisal is about.
func (s *Server) UpdateAppraisal(ctx context.Context, req *appraisalv1.UpdateAppraisalRequest) (*appraisalv1.UpdateAppraisalResponse, error) {
	who, err := auth.Caller(ctx, auth.KnownRoles()...)
	if err != nil {
		return nil, err
	}
	in := req.GetAppraisal()
	if in == nil {
		return nil, errs.InvalidArgument(errs.Violation("appraisal", "is required"))
	}
	paths, err := maskPaths(req.GetUpdateMask().GetPaths(), appraisalFields)
	if err != nil {
		return nil, err
	}
	var out *appraisalv1.Appraisal
	err = s.update(who, appraisalID(in.GetName()), func(t *store.Tx) error {
		a, err := mustLead(t, who, true)
		if err != nil {
			return err
		}
		if err := checkEtag(a.GetEtag(), req.GetEtag(), a.GetName()); err != nil {
			return err
		}
		if err := appraisal.Accepts(appraisal.State(a.GetState()), "edit the scope"); err != nil {
			return err
		}
		before := proto.CloneOf(a)
		for _, p := range paths {
			appraisalFields[p](a, in)
		}
		if slices.Contains(paths, "previous_appraisal") && a.GetPreviousAppraisal() != "" {
			if appraisalID(a.GetPreviousAppraisal()) == appraisalID(a.GetName()) {
				return errs.InvalidArgument(errs.Violation("appraisal.previous_appraisal", "an appraisal cannot build on itself"))
			}
			if _, err := previousAppraisal(t, who, a.GetPreviousAppraisal()); err != nil {
				return err
			}
		}
		return s.putAppraisal(t, "appraisal.updated", before, a, &out)
	})
	if err != nil {
		return nil, err
	}
	return &appraisalv1.UpdateAppraisalResponse{Appraisal: out}, nil
}

// appraisalFields are the fields UpdateAppraisal may change, by mask path.
var appraisalFields = map[string]func(dst, src *appraisalv1.Appraisal){
	"display_name":          func(d, s *appraisalv1.Appraisal) { d.DisplayName = s.GetDisplayName() },
	"type":                  func(d, s *appraisalv1.Appraisal) { d.Type = s.GetType() },
	"organizational_unit":   func(d, s *appraisalv1.Appraisal) { d.OrganizationalUnit = s.GetOrganizationalUnit() },
	"view":                  func(d, s *appraisalv1.Appraisal) { d.View = s.GetView() },
	"target_maturity_level": func(d, s *appraisalv1.Appraisal) { d.TargetMaturityLevel = s.GetTargetMaturityLevel() },
	"capability_profile":    func(d, s *appraisalv1.Appraisal) { d.CapabilityProfile = s.GetCapabilityProfile() },
	"ai_usage_scenarios":    func(d, s *appraisalv1.Appraisal) { d.AiUsageScenarios = s.GetAiUsageScenarios() },
	"previous_appraisal":    func(d, s *appraisalv1.Appraisal) { d.PreviousAppraisal = s.GetPreviousAppraisal() },
}

// putAppraisal stamps, stores and audits a changed appraisal.
func (s *Server) putAppraisal(t *store.Tx, event string, before, a *appraisalv1.Appraisal, out **appraisalv1.Appraisal) error {
	a.UpdateTime = timestamppb.New(t.Now())
	a.Etag = ""
	a.Etag = pstore.ETag(a)
	if err := t.PutAppraisal(a); err != nil {
		return err
	}
	*out = a
	return t.Emit(event, a.GetName(), before, a)
}

// checkEtag answers ABORTED when the client sent an etag that is no longer
// current.
func checkEtag(current, sent, name string) error {
	if sent != "" && sent != current {
		return errs.New(errs.Aborted, "ETAG_MISMATCH", "%s changed since etag %q was read; read it again", name, sent)
	}
	return nil
}
