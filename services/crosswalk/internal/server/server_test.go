package server_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/server"
	"github.com/aim-platform/aim/platform/server/servertest"
	pstore "github.com/aim-platform/aim/platform/store"
	cserver "github.com/aim-platform/aim/services/crosswalk/internal/server"
	"github.com/aim-platform/aim/services/crosswalk/internal/store"
)

const (
	serviceName = "aim.crosswalk.v1.CrosswalkService"
	tenantA     = "acme"
	tenantB     = "globex"
)

// defaultNames are the default frameworks in name order.
var defaultNames = []string{
	"frameworks/cmmi-aim",
	"frameworks/iso-31000-2018",
	"frameworks/iso-iec-23053-2022",
	"frameworks/iso-iec-23894-2023",
	"frameworks/iso-iec-42001-2023",
}

type fixture struct {
	env    *servertest.Env
	client crosswalkv1.CrosswalkServiceClient
}

// start serves a crosswalk server over a fresh store with the defaults.
func start(t *testing.T) *fixture {
	t.Helper()
	st, err := store.Open(pstore.DefaultConfig(filepath.Join(t.TempDir(), "crosswalk.db")))
	if err != nil {
		t.Fatal(err)
	}
	// Registered before servertest.Start, so it runs after the server stopped.
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	if n, err := st.InstallDefaults(time.Now()); err != nil || n != len(defaultNames) {
		t.Fatalf("InstallDefaults = %d, %v; want %d, nil", n, err, len(defaultNames))
	}
	srv, err := cserver.New(st, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	env := servertest.Start(t, func(s *server.Server) {
		s.Register(&crosswalkv1.CrosswalkService_ServiceDesc, srv)
		s.SetServing(serviceName)
	})
	t.Cleanup(func() {
		if logs := env.Logs(); strings.Contains(logs, "internal error") {
			t.Errorf("the server logged an internal error:\n%s", logs)
		}
	})
	return &fixture{env: env, client: crosswalkv1.NewCrosswalkServiceClient(env.Conn)}
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

func wantViolations(t *testing.T, err error, fields ...string) {
	t.Helper()
	st := wantStatus(t, err, codes.InvalidArgument)
	var got []string
	var info *errdetails.ErrorInfo
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				got = append(got, v.GetField())
			}
		case *errdetails.ErrorInfo:
			info = d
		}
	}
	if !slices.Equal(got, fields) {
		t.Fatalf("violations = %q, want %q (%v)", got, fields, st.Details())
	}
	if info == nil || info.GetDomain() != errs.Domain || info.GetReason() != "INVALID_ARGUMENT" {
		t.Fatalf("ErrorInfo = %v", info)
	}
}

func names(fs []*crosswalkv1.Framework) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.GetName())
	}
	return out
}

func TestListFrameworksDefaults(t *testing.T) {
	f := start(t)
	for _, tenant := range []string{tenantA, tenantB} {
		for _, role := range auth.KnownRoles() {
			t.Run(tenant+"/"+role, func(t *testing.T) {
				resp, err := f.client.ListFrameworks(f.env.As(t, tenant, role), &crosswalkv1.ListFrameworksRequest{})
				if err != nil {
					t.Fatal(err)
				}
				if got := names(resp.GetFrameworks()); !slices.Equal(got, defaultNames) {
					t.Fatalf("frameworks = %q, want %q", got, defaultNames)
				}
				if resp.GetNextPageToken() != "" {
					t.Fatalf("next_page_token = %q on the only page", resp.GetNextPageToken())
				}
				for _, fw := range resp.GetFrameworks() {
					if !fw.GetShared() || fw.GetEtag() == "" || fw.GetEtag() != pstore.ETag(fw) || fw.GetCreateTime() == nil {
						t.Fatalf("framework %v: want shared, a matching etag and a create time", fw)
					}
				}
			})
		}
	}
}

// list walks every page of size pageSize as tenant and returns the pages.
func (f *fixture) list(t *testing.T, tenant string, pageSize int32) [][]string {
	t.Helper()
	var pages [][]string
	token := ""
	for range 20 {
		resp, err := f.client.ListFrameworks(f.env.As(t, tenant, auth.RoleViewer),
			&crosswalkv1.ListFrameworksRequest{PageSize: pageSize, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, names(resp.GetFrameworks()))
		if token = resp.GetNextPageToken(); token == "" {
			return pages
		}
	}
	t.Fatal("paging does not end")
	return nil
}

func TestListFrameworksPaging(t *testing.T) {
	f := start(t)
	pages := f.list(t, tenantA, 2)
	if len(pages) != 3 {
		t.Fatalf("got %d pages %q, want 3", len(pages), pages)
	}
	for i, want := range []int{2, 2, 1} {
		if len(pages[i]) != want {
			t.Fatalf("page %d has %d items, want %d: %q", i, len(pages[i]), want, pages)
		}
	}
	if all := slices.Concat(pages...); !slices.Equal(all, defaultNames) {
		t.Fatalf("pages cover %q, want each of %q once", all, defaultNames)
	}
	for _, size := range []int32{1, 4, 5, 6, 1000, 5000} {
		if all := slices.Concat(f.list(t, tenantB, size)...); !slices.Equal(all, defaultNames) {
			t.Fatalf("page_size %d: pages cover %q", size, all)
		}
	}
}

func TestListFrameworksPageTokens(t *testing.T) {
	f := start(t)
	first, err := f.client.ListFrameworks(f.env.As(t, tenantA, auth.RoleViewer), &crosswalkv1.ListFrameworksRequest{PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	token := first.GetNextPageToken()
	if token == "" {
		t.Fatal("no next_page_token after the first of three pages")
	}

	t.Run("other tenant", func(t *testing.T) {
		_, err := f.client.ListFrameworks(f.env.As(t, tenantB, auth.RoleViewer),
			&crosswalkv1.ListFrameworksRequest{PageSize: 2, PageToken: token})
		wantViolations(t, err, "page_token")
	})
	t.Run("same tenant, other role", func(t *testing.T) {
		// The token binds the tenant only, not the caller's roles.
		resp, err := f.client.ListFrameworks(f.env.As(t, tenantA, auth.RoleAdmin),
			&crosswalkv1.ListFrameworksRequest{PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if got := names(resp.GetFrameworks()); !slices.Equal(got, defaultNames[2:4]) {
			t.Fatalf("page = %q, want %q", got, defaultNames[2:4])
		}
	})
	t.Run("other page size", func(t *testing.T) {
		// page_size is not part of the query the token is bound to.
		resp, err := f.client.ListFrameworks(f.env.As(t, tenantA, auth.RoleViewer),
			&crosswalkv1.ListFrameworksRequest{PageSize: 10, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if got := names(resp.GetFrameworks()); !slices.Equal(got, defaultNames[2:]) {
			t.Fatalf("page = %q, want %q", got, defaultNames[2:])
		}
		if resp.GetNextPageToken() != "" {
			t.Fatalf("next_page_token = %q on the last page", resp.GetNextPageToken())
		}
	})
	t.Run("altered", func(t *testing.T) {
		bad := []byte(token)
		bad[len(bad)/2] ^= 1
		_, err := f.client.ListFrameworks(f.env.As(t, tenantA, auth.RoleViewer),
			&crosswalkv1.ListFrameworksRequest{PageSize: 2, PageToken: string(bad)})
		wantViolations(t, err, "page_token")
	})
	t.Run("garbage", func(t *testing.T) {
		_, err := f.client.ListFrameworks(f.env.As(t, tenantA, auth.RoleViewer),
			&crosswalkv1.ListFrameworksRequest{PageToken: "garbage"})
		wantViolations(t, err, "page_token")
	})
	t.Run("negative page size", func(t *testing.T) {
		_, err := f.client.ListFrameworks(f.env.As(t, tenantA, auth.RoleViewer),
			&crosswalkv1.ListFrameworksRequest{PageSize: -1})
		wantViolations(t, err, "page_size")
	})
}

// A page token from another store (another secret) is refused.
func TestListFrameworksTokenFromOtherStore(t *testing.T) {
	f, g := start(t), start(t)
	resp, err := f.client.ListFrameworks(f.env.As(t, tenantA, auth.RoleViewer), &crosswalkv1.ListFrameworksRequest{PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = g.client.ListFrameworks(g.env.As(t, tenantA, auth.RoleViewer),
		&crosswalkv1.ListFrameworksRequest{PageSize: 1, PageToken: resp.GetNextPageToken()})
	wantViolations(t, err, "page_token")
}

func TestGetFramework(t *testing.T) {
	f := start(t)
	list, err := f.client.ListFrameworks(f.env.As(t, tenantA, auth.RoleViewer), &crosswalkv1.ListFrameworksRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range defaultNames {
		t.Run(name, func(t *testing.T) {
			resp, err := f.client.GetFramework(f.env.As(t, tenantB, auth.RoleAppraiser), &crosswalkv1.GetFrameworkRequest{Name: name})
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(resp.GetFramework(), list.GetFrameworks()[i]) {
				t.Fatalf("Get = %v\nList = %v", resp.GetFramework(), list.GetFrameworks()[i])
			}
		})
	}

	tests := []struct {
		name  string
		kind  crosswalkv1.Framework_Kind
		model string
		year  int32
	}{
		{"frameworks/iso-iec-42001-2023", crosswalkv1.Framework_KIND_STANDARD, "", 2023},
		{"frameworks/iso-31000-2018", crosswalkv1.Framework_KIND_STANDARD, "", 2018},
		{"frameworks/cmmi-aim", crosswalkv1.Framework_KIND_MATURITY_MODEL, "models/cmmi-aim", 2025},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/kind", func(t *testing.T) {
			resp, err := f.client.GetFramework(f.env.As(t, tenantA, auth.RoleViewer), &crosswalkv1.GetFrameworkRequest{Name: tt.name})
			if err != nil {
				t.Fatal(err)
			}
			fw := resp.GetFramework()
			if fw.GetKind() != tt.kind || fw.GetModel() != tt.model || fw.GetEditionYear() != tt.year {
				t.Fatalf("kind %v, model %q, year %d; want %v, %q, %d", fw.GetKind(), fw.GetModel(), fw.GetEditionYear(), tt.kind, tt.model, tt.year)
			}
		})
	}
}

func TestGetFrameworkErrors(t *testing.T) {
	f := start(t)
	t.Run("not found", func(t *testing.T) {
		_, err := f.client.GetFramework(f.env.As(t, tenantA, auth.RoleViewer), &crosswalkv1.GetFrameworkRequest{Name: "frameworks/nope"})
		st := wantStatus(t, err, codes.NotFound)
		var ri *errdetails.ResourceInfo
		for _, d := range st.Details() {
			if d, ok := d.(*errdetails.ResourceInfo); ok {
				ri = d
			}
		}
		if ri == nil || ri.GetResourceName() != "frameworks/nope" || ri.GetResourceType() != "Framework" {
			t.Fatalf("ResourceInfo = %v", ri)
		}
	})
	for _, name := range []string{"frameworks/ISO", "x/y", "", "frameworks/", "models/cmmi-aim"} {
		t.Run("invalid "+name, func(t *testing.T) {
			_, err := f.client.GetFramework(f.env.As(t, tenantA, auth.RoleViewer), &crosswalkv1.GetFrameworkRequest{Name: name})
			wantViolations(t, err, "name")
		})
	}
}

func TestAuthentication(t *testing.T) {
	f := start(t)
	calls := map[string]func(context.Context) error{
		"GetFramework": func(ctx context.Context) error {
			_, err := f.client.GetFramework(ctx, &crosswalkv1.GetFrameworkRequest{Name: defaultNames[0]})
			return err
		},
		"ListFrameworks": func(ctx context.Context) error {
			_, err := f.client.ListFrameworks(ctx, &crosswalkv1.ListFrameworksRequest{})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			wantStatus(t, call(t.Context()), codes.Unauthenticated)
			wantStatus(t, call(f.env.As(t, tenantA)), codes.PermissionDenied)
		})
	}
}
