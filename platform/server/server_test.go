package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/server"
	"github.com/aim-platform/aim/platform/server/servertest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("go.opencensus.io/stats/view.(*worker).start"))
}

// echoServer answers /test.Echo/Do according to its input, to exercise the
// interceptor chain.
type echoServer struct{}

type echoService interface {
	Do(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error)
}

func (echoServer) Do(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
	switch in.GetValue() {
	case "panic":
		panic("handler exploded at /secret/path")
	case "internal":
		return nil, errors.New("open /var/lib/aim/secret.db: permission denied")
	case "notfound":
		return nil, errs.NotFoundError("Thing", "things/x")
	}
	id, _ := auth.FromContext(ctx)
	return wrapperspb.String(id.Tenant + "|" + server.RequestID(ctx)), nil
}

var echoDesc = grpc.ServiceDesc{
	ServiceName: "test.Echo",
	HandlerType: (*echoService)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Do",
		Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.StringValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			info := &grpc.UnaryServerInfo{Server: srv, FullMethod: "/test.Echo/Do"}
			handler := func(ctx context.Context, req any) (any, error) {
				return srv.(echoService).Do(ctx, req.(*wrapperspb.StringValue))
			}
			return interceptor(ctx, in, info, handler)
		},
	}},
}

func startEcho(t *testing.T) *servertest.Env {
	t.Helper()
	return servertest.Start(t, func(s *server.Server) {
		s.Register(&echoDesc, echoServer{})
		s.SetServing("test.Echo")
	})
}

func call(ctx context.Context, env *servertest.Env, in string, opts ...grpc.CallOption) (*wrapperspb.StringValue, error) {
	out := new(wrapperspb.StringValue)
	err := env.Conn.Invoke(ctx, "/test.Echo/Do", wrapperspb.String(in), out, opts...)
	return out, err
}

func TestChain(t *testing.T) {
	env := startEcho(t)
	tests := []struct {
		name     string
		ctx      context.Context
		in       string
		wantCode codes.Code
		wantMsg  string
	}{
		{"no credentials", t.Context(), "hi", codes.Unauthenticated, "missing credentials"},
		{"forged token", metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer eyJhbGciOiJub25lIn0.e30."), "hi", codes.Unauthenticated, ""},
		{"ok", env.As(t, "acme", auth.RoleViewer), "hi", codes.OK, "acme|"},
		{"domain error", env.As(t, "acme", auth.RoleViewer), "notfound", codes.NotFound, `Thing "things/x" not found`},
		{"internal masked", env.As(t, "acme", auth.RoleViewer), "internal", codes.Internal, errs.MaskedMessage},
		{"panic recovered", env.As(t, "acme", auth.RoleViewer), "panic", codes.Internal, errs.MaskedMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := call(tt.ctx, env, tt.in)
			st := status.Convert(err)
			if st.Code() != tt.wantCode {
				t.Fatalf("code = %v (%s), want %v", st.Code(), st.Message(), tt.wantCode)
			}
			msg := st.Message()
			if err == nil {
				msg = out.GetValue()
			}
			if !strings.Contains(msg, tt.wantMsg) {
				t.Fatalf("message %q does not contain %q", msg, tt.wantMsg)
			}
			if strings.Contains(msg, "/secret") || strings.Contains(msg, "/var/lib") {
				t.Fatalf("internal detail leaked to the client: %q", msg)
			}
		})
	}
	logs := env.Logs()
	for _, want := range []string{"handler exploded at /secret/path", "permission denied", `"method":"/test.Echo/Do"`, `"code":"Unauthenticated"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

func TestRequestID(t *testing.T) {
	env := startEcho(t)
	ctx := metadata.AppendToOutgoingContext(env.As(t, "acme", auth.RoleViewer), server.RequestIDHeader, "req-123")
	var header metadata.MD
	out, err := call(ctx, env, "hi", grpc.Header(&header))
	if err != nil {
		t.Fatal(err)
	}
	if out.GetValue() != "acme|req-123" || header.Get(server.RequestIDHeader)[0] != "req-123" {
		t.Fatalf("request id not carried: value %q header %v", out.GetValue(), header)
	}
	// An unprintable id is replaced, not echoed.
	ctx = metadata.AppendToOutgoingContext(env.As(t, "acme", auth.RoleViewer), server.RequestIDHeader, strings.Repeat("x", 500))
	if _, err := call(ctx, env, "hi", grpc.Header(&header)); err != nil {
		t.Fatal(err)
	}
	if id := header.Get(server.RequestIDHeader)[0]; len(id) != 32 {
		t.Fatalf("overlong request id echoed: %q", id)
	}
}

func TestHealthIsOpenAndPerService(t *testing.T) {
	env := servertest.Start(t, func(s *server.Server) { s.Register(&echoDesc, echoServer{}) })
	h := healthpb.NewHealthClient(env.Conn)
	resp, err := h.Check(t.Context(), &healthpb.HealthCheckRequest{Service: "test.Echo"})
	if err != nil {
		t.Fatalf("health without credentials: %v", err)
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("status before SetServing = %v", resp.GetStatus())
	}
	env.Server.SetServing("test.Echo")
	for _, svc := range []string{"test.Echo", ""} {
		resp, err = h.Check(t.Context(), &healthpb.HealthCheckRequest{Service: svc})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health %q after SetServing = %v, %v", svc, resp.GetStatus(), err)
		}
	}
}
