package server_test

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/server"
	"github.com/aim-platform/aim/platform/server/servertest"
	pstore "github.com/aim-platform/aim/platform/store"
	aserver "github.com/aim-platform/aim/services/appraisal/internal/server"
	"github.com/aim-platform/aim/services/appraisal/internal/store"
)

const (
	serviceName = "aim.appraisal.v1.AppraisalService"
	tenantA     = "acme"
	tenantB     = "globex"
)

var generatedName = regexp.MustCompile(`^appraisals/a[a-z0-9]{15}$`)

type fixture struct {
	env    *servertest.Env
	client appraisalv1.AppraisalServiceClient
}

// start serves an appraisal server over a fresh, empty store.
func start(t *testing.T) *fixture {
	t.Helper()
	st, err := store.Open(pstore.DefaultConfig(filepath.Join(t.TempDir(), "appraisal.db")))
	if err != nil {
		t.Fatal(err)
	}
	// Registered before servertest.Start, so it runs after the server stopped.
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	env := servertest.Start(t, func(s *server.Server) {
		s.Register(&appraisalv1.AppraisalService_ServiceDesc, aserver.New(st, nil))
		s.SetServing(serviceName)
	})
	t.Cleanup(func() {
		if logs := env.Logs(); strings.Contains(logs, "internal error") {
			t.Errorf("the server logged an internal error:\n%s", logs)
		}
	})
	return &fixture{env: env, client: appraisalv1.NewAppraisalServiceClient(env.Conn)}
}

// lead is a context of a lead appraiser of tenant.
func (f *fixture) lead(t *testing.T, tenant string) context.Context {
	return f.env.As(t, tenant, auth.RoleLeadAppraiser)
}

func validAppraisal() *appraisalv1.Appraisal {
	return &appraisalv1.Appraisal{
		DisplayName:        "Acme Payments ML2 benchmark 2026",
		Type:               appraisalv1.AppraisalType_APPRAISAL_TYPE_BENCHMARK,
		OrganizationalUnit: "Payments",
	}
}

func (f *fixture) create(t *testing.T, ctx context.Context, req *appraisalv1.CreateAppraisalRequest) *appraisalv1.Appraisal {
	t.Helper()
	resp, err := f.client.CreateAppraisal(ctx, req)
	if err != nil {
		t.Fatalf("CreateAppraisal(%v): %v", req, err)
	}
	return resp.GetAppraisal()
}

// listAll walks every page as a viewer of tenant and returns the pages.
func (f *fixture) listAll(t *testing.T, tenant string, pageSize int32) [][]*appraisalv1.Appraisal {
	t.Helper()
	var pages [][]*appraisalv1.Appraisal
	token := ""
	for range 100 {
		resp, err := f.client.ListAppraisals(f.env.As(t, tenant, auth.RoleViewer),
			&appraisalv1.ListAppraisalsRequest{PageSize: pageSize, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, resp.GetAppraisals())
		if token = resp.GetNextPageToken(); token == "" {
			return pages
		}
	}
	t.Fatal("paging does not end")
	return nil
}

func names(as []*appraisalv1.Appraisal) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, a.GetName())
	}
	return out
}

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

func errorInfo(st *status.Status) *errdetails.ErrorInfo {
	for _, d := range st.Details() {
		if d, ok := d.(*errdetails.ErrorInfo); ok {
			return d
		}
	}
	return nil
}

// wantViolations fails unless err is one INVALID_ARGUMENT whose BadRequest
// names exactly the given fields, in any order.
func wantViolations(t *testing.T, err error, fields ...string) {
	t.Helper()
	st := wantStatus(t, err, codes.InvalidArgument)
	var got []string
	brs := 0
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			brs++
			for _, v := range br.GetFieldViolations() {
				got = append(got, v.GetField())
				if v.GetDescription() == "" {
					t.Errorf("violation of %q has no description", v.GetField())
				}
			}
		}
	}
	if brs != 1 {
		t.Fatalf("%d BadRequest details, want 1: %v", brs, st.Details())
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(fields))
	if !slices.Equal(got, want) {
		t.Fatalf("violations = %q, want %q (%v)", got, want, st.Details())
	}
	if info := errorInfo(st); info == nil || info.GetDomain() != errs.Domain || info.GetReason() != "INVALID_ARGUMENT" {
		t.Fatalf("ErrorInfo = %v", info)
	}
}

func TestCreateAppraisalRoles(t *testing.T) {
	f := start(t)
	tests := []struct {
		role string
		code codes.Code
	}{
		{auth.RoleLeadAppraiser, codes.OK},
		{auth.RoleAppraiser, codes.OK},
		{auth.RoleAdmin, codes.OK},
		{auth.RoleViewer, codes.PermissionDenied},
		{auth.RoleContentManager, codes.PermissionDenied},
	}
	created := 0
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			_, err := f.client.CreateAppraisal(f.env.As(t, tenantA, tt.role),
				&appraisalv1.CreateAppraisalRequest{Appraisal: validAppraisal()})
			if tt.code == codes.OK {
				if err != nil {
					t.Fatal(err)
				}
				created++
				return
			}
			st := wantStatus(t, err, tt.code)
			if info := errorInfo(st); info == nil || info.GetReason() != "MISSING_ROLE" {
				t.Fatalf("ErrorInfo = %v", info)
			}
		})
	}
	t.Run("no role", func(t *testing.T) {
		_, err := f.client.CreateAppraisal(f.env.As(t, tenantA), &appraisalv1.CreateAppraisalRequest{Appraisal: validAppraisal()})
		wantStatus(t, err, codes.PermissionDenied)
	})
	t.Run("no credentials", func(t *testing.T) {
		_, err := f.client.CreateAppraisal(t.Context(), &appraisalv1.CreateAppraisalRequest{Appraisal: validAppraisal()})
		wantStatus(t, err, codes.Unauthenticated)
	})
	if got := len(slices.Concat(f.listAll(t, tenantA, 0)...)); got != created {
		t.Fatalf("%d appraisals listed, want %d (the refused ones must not be stored)", got, created)
	}
}

func checkCreated(t *testing.T, a *appraisalv1.Appraisal, before time.Time) {
	t.Helper()
	if a.GetState() != appraisalv1.Appraisal_STATE_DRAFT {
		t.Errorf("state = %v, want STATE_DRAFT", a.GetState())
	}
	if a.GetEtag() == "" || a.GetEtag() != pstore.ETag(a) {
		t.Errorf("etag = %q, want the content's %q", a.GetEtag(), pstore.ETag(a))
	}
	ct, ut := a.GetCreateTime(), a.GetUpdateTime()
	if ct == nil || ut == nil || !proto.Equal(ct, ut) {
		t.Errorf("create_time = %v, update_time = %v; want both set and equal", ct, ut)
	}
	if c := ct.AsTime(); c.Before(before.Add(-time.Second)) || c.After(time.Now().Add(time.Second)) {
		t.Errorf("create_time = %v, not about now (%v)", c, before)
	}
}

func TestCreateAppraisal(t *testing.T) {
	f := start(t)
	before := time.Now()
	in := validAppraisal()
	in.View = "models/cmmi-aim/versions/3.0-sample/views/aim"
	in.ModelVersion = "models/ignored/versions/1" // output only: pinned when planned

	t.Run("with id", func(t *testing.T) {
		a := f.create(t, f.lead(t, tenantA), &appraisalv1.CreateAppraisalRequest{Appraisal: in, AppraisalId: "payments-2026"})
		if a.GetName() != "appraisals/payments-2026" {
			t.Fatalf("name = %q", a.GetName())
		}
		checkCreated(t, a, before)
		if a.GetDisplayName() != in.GetDisplayName() || a.GetType() != in.GetType() ||
			a.GetOrganizationalUnit() != in.GetOrganizationalUnit() || a.GetView() != in.GetView() || a.GetModelVersion() != "" {
			t.Fatalf("created %v from %v", a, in)
		}
		got, err := f.client.GetAppraisal(f.env.As(t, tenantA, auth.RoleViewer), &appraisalv1.GetAppraisalRequest{Name: a.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(got.GetAppraisal(), a) {
			t.Fatalf("Get = %v\nCreate = %v", got.GetAppraisal(), a)
		}
	})
	t.Run("generated id", func(t *testing.T) {
		a := f.create(t, f.lead(t, tenantA), &appraisalv1.CreateAppraisalRequest{Appraisal: in})
		b := f.create(t, f.lead(t, tenantA), &appraisalv1.CreateAppraisalRequest{Appraisal: in})
		for _, x := range []*appraisalv1.Appraisal{a, b} {
			if !generatedName.MatchString(x.GetName()) {
				t.Fatalf("name = %q, want a match of %v", x.GetName(), generatedName)
			}
			checkCreated(t, x, before)
		}
		if a.GetName() == b.GetName() {
			t.Fatalf("two creates without id got the same name %q", a.GetName())
		}
	})
}

func TestCreateAppraisalOutputOnlyIgnored(t *testing.T) {
	f := start(t)
	before := time.Now()
	in := validAppraisal()
	in.Name = "appraisals/chosen-by-client"
	in.State = appraisalv1.Appraisal_STATE_CLOSED
	in.Etag = "client-etag"
	in.CreateTime = timestamppb.New(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
	in.UpdateTime = timestamppb.New(time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC))
	a := f.create(t, f.lead(t, tenantA), &appraisalv1.CreateAppraisalRequest{Appraisal: in, AppraisalId: "ignored-fields"})
	if a.GetName() != "appraisals/ignored-fields" {
		t.Fatalf("name = %q, want appraisals/ignored-fields", a.GetName())
	}
	if a.GetEtag() == "client-etag" {
		t.Fatal("the client's etag was kept")
	}
	checkCreated(t, a, before)
}

func TestCreateAppraisalInvalid(t *testing.T) {
	f := start(t)
	tests := []struct {
		name   string
		req    *appraisalv1.CreateAppraisalRequest
		fields []string
	}{
		{
			"all required fields missing",
			&appraisalv1.CreateAppraisalRequest{Appraisal: &appraisalv1.Appraisal{}},
			[]string{"appraisal.display_name", "appraisal.type", "appraisal.organizational_unit"},
		},
		{
			"display name too long",
			&appraisalv1.CreateAppraisalRequest{Appraisal: func() *appraisalv1.Appraisal {
				a := validAppraisal()
				a.DisplayName = strings.Repeat("x", 201)
				return a
			}()},
			[]string{"appraisal.display_name"},
		},
		{
			"undefined type",
			&appraisalv1.CreateAppraisalRequest{Appraisal: func() *appraisalv1.Appraisal {
				a := validAppraisal()
				a.Type = 99
				return a
			}()},
			[]string{"appraisal.type"},
		},
		{"no appraisal", &appraisalv1.CreateAppraisalRequest{}, []string{"appraisal"}},
		{"bad id", &appraisalv1.CreateAppraisalRequest{Appraisal: validAppraisal(), AppraisalId: "Bad_Id"}, []string{"appraisal_id"}},
		{"id starts with digit", &appraisalv1.CreateAppraisalRequest{Appraisal: validAppraisal(), AppraisalId: "1abc"}, []string{"appraisal_id"}},
		{"id too long", &appraisalv1.CreateAppraisalRequest{Appraisal: validAppraisal(), AppraisalId: "a" + strings.Repeat("b", 63)}, []string{"appraisal_id"}},
		{"request id too long", &appraisalv1.CreateAppraisalRequest{Appraisal: validAppraisal(), RequestId: strings.Repeat("r", 65)}, []string{"request_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.CreateAppraisal(f.lead(t, tenantA), tt.req)
			wantViolations(t, err, tt.fields...)
		})
	}
	if n := len(slices.Concat(f.listAll(t, tenantA, 0)...)); n != 0 {
		t.Fatalf("%d appraisals stored by invalid requests", n)
	}
}

func TestCreateAppraisalAlreadyExists(t *testing.T) {
	f := start(t)
	req := &appraisalv1.CreateAppraisalRequest{Appraisal: validAppraisal(), AppraisalId: "dup"}
	first := f.create(t, f.lead(t, tenantA), req)

	other := validAppraisal()
	other.DisplayName = "Another one"
	_, err := f.client.CreateAppraisal(f.lead(t, tenantA), &appraisalv1.CreateAppraisalRequest{Appraisal: other, AppraisalId: "dup"})
	st := wantStatus(t, err, codes.AlreadyExists)
	var ri *errdetails.ResourceInfo
	for _, d := range st.Details() {
		if d, ok := d.(*errdetails.ResourceInfo); ok {
			ri = d
		}
	}
	if ri == nil || ri.GetResourceName() != "appraisals/dup" || ri.GetResourceType() != "Appraisal" {
		t.Fatalf("ResourceInfo = %v", ri)
	}
	// Resending the same request without a request_id is a duplicate too.
	_, err = f.client.CreateAppraisal(f.lead(t, tenantA), req)
	wantStatus(t, err, codes.AlreadyExists)

	got, err := f.client.GetAppraisal(f.lead(t, tenantA), &appraisalv1.GetAppraisalRequest{Name: "appraisals/dup"})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got.GetAppraisal(), first) {
		t.Fatalf("the duplicate changed the appraisal: %v, was %v", got.GetAppraisal(), first)
	}

	// The same id in another tenant is a different appraisal.
	f.create(t, f.lead(t, tenantB), req)
}

func TestCreateAppraisalIdempotent(t *testing.T) {
	f := start(t)
	for _, id := range []string{"", "with-id"} {
		t.Run("appraisal_id="+id, func(t *testing.T) {
			tenant := tenantA
			if id != "" {
				tenant = tenantB
			}
			req := &appraisalv1.CreateAppraisalRequest{Appraisal: validAppraisal(), AppraisalId: id, RequestId: "6f1c2a34-9d2b-4f0e-8f3e-1b2c3d4e5f60"}
			first := f.create(t, f.lead(t, tenant), req)
			time.Sleep(10 * time.Millisecond) // a second create would get another time and etag
			// A retry by the same subject with another token (here another role)
			// gets the same result.
			second := f.create(t, f.env.As(t, tenant, auth.RoleAppraiser), req)
			if second.GetName() != first.GetName() || second.GetEtag() != first.GetEtag() || !proto.Equal(first, second) {
				t.Fatalf("retry returned %v, first call %v", second, first)
			}
			all := slices.Concat(f.listAll(t, tenant, 0)...)
			if len(all) != 1 || !proto.Equal(all[0], first) {
				t.Fatalf("listed %v, want only %v", all, first)
			}

			// Output-only fields are ignored, so a retry that differs only
			// in them is the same request.
			noisy := proto.CloneOf(req)
			noisy.Appraisal.State = appraisalv1.Appraisal_STATE_CLOSED
			noisy.Appraisal.Etag = "client-made-up"
			if third := f.create(t, f.lead(t, tenant), noisy); !proto.Equal(third, first) {
				t.Fatalf("retry with output-only noise returned %v, want %v", third, first)
			}

			changed := proto.CloneOf(req)
			changed.Appraisal.DisplayName = "Something else"
			_, err := f.client.CreateAppraisal(f.lead(t, tenant), changed)
			wantViolations(t, err, "request_id")
			if n := len(slices.Concat(f.listAll(t, tenant, 0)...)); n != 1 {
				t.Fatalf("%d appraisals after the refused reuse, want 1", n)
			}

			// The request id belongs to the tenant and the subject: another
			// tenant may use it (another subject too, see TestRedteamL3_...).
			otherTenant := "initech-" + fmt.Sprint(len(id))
			other := f.create(t, f.lead(t, otherTenant), changed)
			if other.GetDisplayName() != "Something else" {
				t.Fatalf("other tenant got %v", other)
			}
		})
	}
}

// Concurrent retries of one request create one appraisal; concurrent
// distinct creates all succeed.
func TestCreateAppraisalConcurrent(t *testing.T) {
	f := start(t)
	const n = 16
	var wg sync.WaitGroup
	retries := make([]*appraisalv1.Appraisal, n)
	distinct := make([]*appraisalv1.Appraisal, n)
	errc := make(chan error, 2*n)
	ctx := f.lead(t, tenantA)
	for i := range n {
		wg.Go(func() {
			resp, err := f.client.CreateAppraisal(ctx, &appraisalv1.CreateAppraisalRequest{Appraisal: validAppraisal(), RequestId: "same-request"})
			if err != nil {
				errc <- err
				return
			}
			retries[i] = resp.GetAppraisal()
		})
		wg.Go(func() {
			resp, err := f.client.CreateAppraisal(ctx, &appraisalv1.CreateAppraisalRequest{Appraisal: validAppraisal(), AppraisalId: fmt.Sprintf("c-%02d", i)})
			if err != nil {
				errc <- err
				return
			}
			distinct[i] = resp.GetAppraisal()
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	for _, a := range retries[1:] {
		if !proto.Equal(a, retries[0]) {
			t.Fatalf("retries got different appraisals: %v and %v", a, retries[0])
		}
	}
	if all := slices.Concat(f.listAll(t, tenantA, 7)...); len(all) != n+1 {
		t.Fatalf("listed %d appraisals, want %d", len(all), n+1)
	}
}

// A create asks the REST gateway for 201 Created; a replayed create, which
// creates nothing, does not.
func TestCreateAppraisalHTTPStatusHeader(t *testing.T) {
	f := start(t)
	req := &appraisalv1.CreateAppraisalRequest{Appraisal: validAppraisal(), RequestId: "r-1"}
	for i, want := range [][]string{{"201"}, nil} {
		var md metadata.MD
		if _, err := f.client.CreateAppraisal(f.lead(t, tenantA), req, grpc.Header(&md)); err != nil {
			t.Fatal(err)
		}
		if got := md.Get(server.HTTPStatusHeader); !slices.Equal(got, want) {
			t.Fatalf("call %d: %s = %q, want %q", i+1, server.HTTPStatusHeader, got, want)
		}
	}
}

func TestTenantIsolation(t *testing.T) {
	f := start(t)
	a := f.create(t, f.lead(t, tenantA), &appraisalv1.CreateAppraisalRequest{Appraisal: validAppraisal(), AppraisalId: "secret"})

	for _, role := range auth.KnownRoles() {
		t.Run(role, func(t *testing.T) {
			ctx := f.env.As(t, tenantB, role)
			_, err := f.client.GetAppraisal(ctx, &appraisalv1.GetAppraisalRequest{Name: a.GetName()})
			st := wantStatus(t, err, codes.NotFound)
			// The answer is exactly that of a name nobody uses.
			_, err = f.client.GetAppraisal(ctx, &appraisalv1.GetAppraisalRequest{Name: "appraisals/never"})
			nf := wantStatus(t, err, codes.NotFound)
			if strings.ReplaceAll(st.Message(), "secret", "never") != nf.Message() {
				t.Fatalf("messages differ: %q vs %q", st.Message(), nf.Message())
			}
			resp, err := f.client.ListAppraisals(ctx, &appraisalv1.ListAppraisalsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.GetAppraisals()) != 0 || resp.GetNextPageToken() != "" {
				t.Fatalf("tenant B lists %v", resp)
			}
		})
	}
	// Tenant B takes the same id; A's appraisal does not change.
	f.create(t, f.lead(t, tenantB), &appraisalv1.CreateAppraisalRequest{Appraisal: &appraisalv1.Appraisal{
		DisplayName: "B's", Type: appraisalv1.AppraisalType_APPRAISAL_TYPE_EVALUATION, OrganizationalUnit: "B unit",
	}, AppraisalId: "secret"})
	got, err := f.client.GetAppraisal(f.env.As(t, tenantA, auth.RoleViewer), &appraisalv1.GetAppraisalRequest{Name: a.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got.GetAppraisal(), a) {
		t.Fatalf("tenant A's appraisal changed: %v, was %v", got.GetAppraisal(), a)
	}
	if all := slices.Concat(f.listAll(t, tenantA, 0)...); len(all) != 1 || !proto.Equal(all[0], a) {
		t.Fatalf("tenant A lists %v", all)
	}
}

func TestListAppraisalsPaging(t *testing.T) {
	f := start(t)
	var want []string
	for i := range 25 {
		// Created out of name order on purpose.
		id := fmt.Sprintf("appr-%02d", (i*7)%25)
		f.create(t, f.env.As(t, tenantA, auth.RoleAppraiser), &appraisalv1.CreateAppraisalRequest{Appraisal: validAppraisal(), AppraisalId: id})
		want = append(want, "appraisals/"+id)
	}
	slices.Sort(want)
	f.create(t, f.lead(t, tenantB), &appraisalv1.CreateAppraisalRequest{Appraisal: validAppraisal(), AppraisalId: "appr-99"})

	pages := f.listAll(t, tenantA, 10)
	var sizes []int
	for _, p := range pages {
		sizes = append(sizes, len(p))
	}
	if !slices.Equal(sizes, []int{10, 10, 5}) {
		t.Fatalf("page sizes = %v, want [10 10 5]", sizes)
	}
	if got := names(slices.Concat(pages...)); !slices.Equal(got, want) {
		t.Fatalf("pages cover %q\nwant %q", got, want)
	}
	for _, size := range []int32{0, 1, 24, 25, 26, 5000} {
		if got := names(slices.Concat(f.listAll(t, tenantA, size)...)); !slices.Equal(got, want) {
			t.Fatalf("page_size %d: pages cover %q", size, got)
		}
	}

	first, err := f.client.ListAppraisals(f.env.As(t, tenantA, auth.RoleViewer), &appraisalv1.ListAppraisalsRequest{PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.client.ListAppraisals(f.env.As(t, tenantB, auth.RoleViewer),
		&appraisalv1.ListAppraisalsRequest{PageSize: 10, PageToken: first.GetNextPageToken()})
	wantViolations(t, err, "page_token")
}

func TestListAppraisalsInvalid(t *testing.T) {
	f := start(t)
	tests := []struct {
		name  string
		req   *appraisalv1.ListAppraisalsRequest
		field string
	}{
		{"negative page size", &appraisalv1.ListAppraisalsRequest{PageSize: -1}, "page_size"},
		{"garbage token", &appraisalv1.ListAppraisalsRequest{PageToken: "garbage"}, "page_token"},
		{"too long token", &appraisalv1.ListAppraisalsRequest{PageToken: strings.Repeat("a", 1025)}, "page_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.ListAppraisals(f.env.As(t, tenantA, auth.RoleViewer), tt.req)
			wantViolations(t, err, tt.field)
		})
	}
}

func TestGetAppraisalErrors(t *testing.T) {
	f := start(t)
	for _, name := range []string{"", "appraisals/", "appraisals/BAD", "x/y", "appraisals/a/b", "models/cmmi-aim"} {
		t.Run("invalid "+name, func(t *testing.T) {
			_, err := f.client.GetAppraisal(f.env.As(t, tenantA, auth.RoleViewer), &appraisalv1.GetAppraisalRequest{Name: name})
			wantViolations(t, err, "name")
		})
	}
	t.Run("not found", func(t *testing.T) {
		_, err := f.client.GetAppraisal(f.env.As(t, tenantA, auth.RoleViewer), &appraisalv1.GetAppraisalRequest{Name: "appraisals/nope"})
		st := wantStatus(t, err, codes.NotFound)
		if info := errorInfo(st); info == nil || info.GetReason() != "RESOURCE_NOT_FOUND" {
			t.Fatalf("ErrorInfo = %v", info)
		}
	})
	t.Run("no credentials", func(t *testing.T) {
		_, err := f.client.GetAppraisal(t.Context(), &appraisalv1.GetAppraisalRequest{Name: "appraisals/nope"})
		wantStatus(t, err, codes.Unauthenticated)
		_, err = f.client.ListAppraisals(t.Context(), &appraisalv1.ListAppraisalsRequest{})
		wantStatus(t, err, codes.Unauthenticated)
	})
}
