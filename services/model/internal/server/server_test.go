package server_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/server"
	"github.com/aim-platform/aim/platform/server/servertest"
	pstore "github.com/aim-platform/aim/platform/store"
	mserver "github.com/aim-platform/aim/services/model/internal/server"
	"github.com/aim-platform/aim/services/model/internal/store"
)

const (
	serviceName  = "aim.model.v1.ModelCatalogService"
	defaultModel = "models/cmmi-aim"
	tenantA      = "acme"
	tenantB      = "globex"
)

// fixture is a model catalog server over a fresh store holding the defaults.
type fixture struct {
	env    *servertest.Env
	store  *store.Store
	client modelv1.ModelCatalogServiceClient
}

func start(t *testing.T) *fixture {
	t.Helper()
	st, err := store.Open(pstore.DefaultConfig(filepath.Join(t.TempDir(), "model.db")))
	if err != nil {
		t.Fatal(err)
	}
	// Registered before servertest.Start, so it runs after the server stopped.
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	if n, err := st.InstallDefaults(time.Now()); err != nil || n != 1 {
		t.Fatalf("InstallDefaults = %d, %v; want 1, nil", n, err)
	}
	env := servertest.Start(t, func(s *server.Server) {
		s.Register(&modelv1.ModelCatalogService_ServiceDesc, mserver.New(st))
		s.SetServing(serviceName)
	})
	t.Cleanup(func() {
		if logs := env.Logs(); strings.Contains(logs, "internal error") {
			t.Errorf("the server logged an internal error:\n%s", logs)
		}
	})
	return &fixture{env: env, store: st, client: modelv1.NewModelCatalogServiceClient(env.Conn)}
}

// putTenantModel stores a model owned by tenant, the way a tenant's import
// would, bypassing the API (which has no create method yet).
func (f *fixture) putTenantModel(t *testing.T, tenant, id string) *modelv1.Model {
	t.Helper()
	m := &modelv1.Model{
		Name:        "models/" + id,
		DisplayName: "Own model " + id,
		CreateTime:  timestamppb.Now(),
		UpdateTime:  timestamppb.Now(),
	}
	m.Etag = pstore.ETag(m)
	err := f.store.DB().Update(func(tx *bbolt.Tx) error {
		b, err := pstore.CreateTenantBucket(tx, tenant, "models")
		if err != nil {
			return err
		}
		return pstore.PutProto(b, []byte(id), m)
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// wantStatus fails unless err is a status with the given code, and returns it.
func wantStatus(t *testing.T, err error, code codes.Code) *status.Status {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %v", code)
	}
	st, ok := status.FromError(err)
	if !ok {
		t.Fatalf("err = %v, not a gRPC status", err)
	}
	if st.Code() != code {
		t.Fatalf("code = %v (%v), want %v", st.Code(), st.Message(), code)
	}
	return st
}

func violationFields(st *status.Status) []string {
	var fields []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
		}
	}
	return fields
}

func errorInfo(st *status.Status) *errdetails.ErrorInfo {
	for _, d := range st.Details() {
		if d, ok := d.(*errdetails.ErrorInfo); ok {
			return d
		}
	}
	return nil
}

func resourceInfo(st *status.Status) *errdetails.ResourceInfo {
	for _, d := range st.Details() {
		if d, ok := d.(*errdetails.ResourceInfo); ok {
			return d
		}
	}
	return nil
}

// wantViolations fails unless err is INVALID_ARGUMENT whose BadRequest
// names exactly the given fields.
func wantViolations(t *testing.T, err error, fields ...string) {
	t.Helper()
	st := wantStatus(t, err, codes.InvalidArgument)
	got := violationFields(st)
	if !slices.Equal(got, fields) {
		t.Fatalf("violations = %q, want %q (%v)", got, fields, st.Details())
	}
	if info := errorInfo(st); info == nil || info.GetDomain() != errs.Domain || info.GetReason() != "INVALID_ARGUMENT" {
		t.Fatalf("ErrorInfo = %v", info)
	}
}

func checkDefaultModel(t *testing.T, m *modelv1.Model) {
	t.Helper()
	switch {
	case m.GetName() != defaultModel:
		t.Fatalf("name = %q, want %q", m.GetName(), defaultModel)
	case !m.GetShared() || !m.GetSample():
		t.Fatalf("shared = %v, sample = %v; want both true", m.GetShared(), m.GetSample())
	case m.GetEtag() == "":
		t.Fatal("etag is empty")
	case m.GetEtag() != pstore.ETag(m):
		t.Fatalf("etag = %q, does not match the content (%q)", m.GetEtag(), pstore.ETag(m))
	case m.GetDisplayName() == "" || m.GetPublisher() == "" || m.GetDescription() == "":
		t.Fatalf("descriptive fields missing: %v", m)
	case m.GetCreateTime() == nil || m.GetUpdateTime() == nil:
		t.Fatalf("times missing: %v", m)
	}
}

func TestListModelsDefaultForEveryone(t *testing.T) {
	f := start(t)
	for _, tenant := range []string{tenantA, tenantB} {
		for _, role := range auth.KnownRoles() {
			t.Run(tenant+"/"+role, func(t *testing.T) {
				resp, err := f.client.ListModels(f.env.As(t, tenant, role), &modelv1.ListModelsRequest{})
				if err != nil {
					t.Fatal(err)
				}
				if len(resp.GetModels()) != 1 {
					t.Fatalf("got %d models, want 1: %v", len(resp.GetModels()), resp.GetModels())
				}
				checkDefaultModel(t, resp.GetModels()[0])
				if resp.GetNextPageToken() != "" {
					t.Fatalf("next_page_token = %q on the only page", resp.GetNextPageToken())
				}
			})
		}
	}
}

func TestGetModel(t *testing.T) {
	f := start(t)
	list, err := f.client.ListModels(f.env.As(t, tenantA, auth.RoleViewer), &modelv1.ListModelsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range auth.KnownRoles() {
		t.Run(role, func(t *testing.T) {
			resp, err := f.client.GetModel(f.env.As(t, tenantB, role), &modelv1.GetModelRequest{Name: defaultModel})
			if err != nil {
				t.Fatal(err)
			}
			checkDefaultModel(t, resp.GetModel())
			if !proto.Equal(resp.GetModel(), list.GetModels()[0]) {
				t.Fatalf("Get = %v\nList = %v", resp.GetModel(), list.GetModels()[0])
			}
		})
	}
}

func TestGetModelNotFound(t *testing.T) {
	f := start(t)
	_, err := f.client.GetModel(f.env.As(t, tenantA, auth.RoleViewer), &modelv1.GetModelRequest{Name: "models/nope"})
	st := wantStatus(t, err, codes.NotFound)
	ri := resourceInfo(st)
	if ri == nil || ri.GetResourceName() != "models/nope" || ri.GetResourceType() != "Model" {
		t.Fatalf("ResourceInfo = %v", ri)
	}
	if info := errorInfo(st); info == nil || info.GetReason() != "RESOURCE_NOT_FOUND" {
		t.Fatalf("ErrorInfo = %v", info)
	}
}

func TestGetModelInvalidName(t *testing.T) {
	f := start(t)
	for _, name := range []string{"models/BAD", "x/y", "", "models/", "models/-x", "models/cmmi-aim/versions/1", "cmmi-aim"} {
		t.Run(name, func(t *testing.T) {
			_, err := f.client.GetModel(f.env.As(t, tenantA, auth.RoleViewer), &modelv1.GetModelRequest{Name: name})
			wantViolations(t, err, "name")
		})
	}
}

func TestListModelsInvalidArguments(t *testing.T) {
	f := start(t)
	tests := []struct {
		name  string
		req   *modelv1.ListModelsRequest
		field string
	}{
		{"negative page size", &modelv1.ListModelsRequest{PageSize: -1}, "page_size"},
		{"garbage token", &modelv1.ListModelsRequest{PageToken: "garbage"}, "page_token"},
		{"not base64", &modelv1.ListModelsRequest{PageToken: "!!!"}, "page_token"},
		{"too long token", &modelv1.ListModelsRequest{PageToken: strings.Repeat("a", 1025)}, "page_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.ListModels(f.env.As(t, tenantA, auth.RoleViewer), tt.req)
			wantViolations(t, err, tt.field)
		})
	}
}

func TestListModelsPageSizes(t *testing.T) {
	f := start(t)
	for _, size := range []int32{0, 1, 1000, 5000} {
		resp, err := f.client.ListModels(f.env.As(t, tenantA, auth.RoleViewer), &modelv1.ListModelsRequest{PageSize: size})
		if err != nil {
			t.Fatalf("page_size %d: %v", size, err)
		}
		if len(resp.GetModels()) != 1 || resp.GetNextPageToken() != "" {
			t.Fatalf("page_size %d: %d models, token %q", size, len(resp.GetModels()), resp.GetNextPageToken())
		}
	}
}

// A tenant's own models appear to it alone, merged with the shared ones in
// name order, and its page tokens are bound to it.
func TestTenantModels(t *testing.T) {
	f := start(t)
	own := []*modelv1.Model{f.putTenantModel(t, tenantA, "aaa"), f.putTenantModel(t, tenantA, "zzz")}

	var names []string
	var token string
	for range 10 {
		resp, err := f.client.ListModels(f.env.As(t, tenantA, auth.RoleViewer),
			&modelv1.ListModelsRequest{PageSize: 1, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range resp.GetModels() {
			names = append(names, m.GetName())
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
		// Another tenant cannot use the token.
		_, err = f.client.ListModels(f.env.As(t, tenantB, auth.RoleViewer),
			&modelv1.ListModelsRequest{PageSize: 1, PageToken: token})
		wantViolations(t, err, "page_token")
	}
	if want := []string{"models/aaa", defaultModel, "models/zzz"}; !slices.Equal(names, want) {
		t.Fatalf("tenant A lists %q, want %q", names, want)
	}

	resp, err := f.client.GetModel(f.env.As(t, tenantA, auth.RoleViewer), &modelv1.GetModelRequest{Name: "models/aaa"})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(resp.GetModel(), own[0]) || resp.GetModel().GetShared() {
		t.Fatalf("Get = %v, want %v", resp.GetModel(), own[0])
	}

	// Tenant B sees only the shared model.
	list, err := f.client.ListModels(f.env.As(t, tenantB, auth.RoleViewer), &modelv1.ListModelsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetModels()) != 1 || list.GetModels()[0].GetName() != defaultModel {
		t.Fatalf("tenant B lists %v", list.GetModels())
	}
	_, err = f.client.GetModel(f.env.As(t, tenantB, auth.RoleViewer), &modelv1.GetModelRequest{Name: "models/aaa"})
	wantStatus(t, err, codes.NotFound)
}

// A tenant's own model shadows a shared model of the same id, for that
// tenant only.
func TestTenantModelShadowsShared(t *testing.T) {
	f := start(t)
	own := f.putTenantModel(t, tenantA, "cmmi-aim")
	for _, size := range []int32{0, 1} {
		resp, err := f.client.ListModels(f.env.As(t, tenantA, auth.RoleViewer), &modelv1.ListModelsRequest{PageSize: size})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetModels()) != 1 || !proto.Equal(resp.GetModels()[0], own) || resp.GetNextPageToken() != "" {
			t.Fatalf("page_size %d: tenant A lists %v", size, resp)
		}
	}
	got, err := f.client.GetModel(f.env.As(t, tenantA, auth.RoleViewer), &modelv1.GetModelRequest{Name: defaultModel})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got.GetModel(), own) {
		t.Fatalf("tenant A gets %v, want its own %v", got.GetModel(), own)
	}
	shared, err := f.client.GetModel(f.env.As(t, tenantB, auth.RoleViewer), &modelv1.GetModelRequest{Name: defaultModel})
	if err != nil {
		t.Fatal(err)
	}
	checkDefaultModel(t, shared.GetModel())
}

func TestAuthentication(t *testing.T) {
	f := start(t)
	calls := map[string]func(ctx context.Context) error{
		"GetModel": func(ctx context.Context) error {
			_, err := f.client.GetModel(ctx, &modelv1.GetModelRequest{Name: defaultModel})
			return err
		},
		"ListModels": func(ctx context.Context) error {
			_, err := f.client.ListModels(ctx, &modelv1.ListModelsRequest{})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name+"/no credentials", func(t *testing.T) {
			st := wantStatus(t, call(t.Context()), codes.Unauthenticated)
			if info := errorInfo(st); info == nil || info.GetReason() != "MISSING_CREDENTIALS" {
				t.Fatalf("ErrorInfo = %v", info)
			}
		})
		t.Run(name+"/bad token", func(t *testing.T) {
			ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer not-a-token")
			wantStatus(t, call(ctx), codes.Unauthenticated)
		})
		t.Run(name+"/no role", func(t *testing.T) {
			st := wantStatus(t, call(f.env.As(t, tenantA)), codes.PermissionDenied)
			if info := errorInfo(st); info == nil || info.GetReason() != "MISSING_ROLE" {
				t.Fatalf("ErrorInfo = %v", info)
			}
		})
	}
}
