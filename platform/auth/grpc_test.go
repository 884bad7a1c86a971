package auth

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/emptypb"
)

// The test service has one unary and one server-streaming method. Both
// report the caller's Identity back in response header metadata, so the
// test needs no shared state with the handlers.
const (
	whoamiMethod = "/aim.authtest.Echo/Whoami"
	watchMethod  = "/aim.authtest.Echo/Watch"
)

// reportIdentity returns response headers describing the caller in ctx.
func reportIdentity(ctx context.Context) metadata.MD {
	id, ok := FromContext(ctx)
	if !ok {
		return metadata.Pairs("x-identity", "none")
	}
	return metadata.Pairs("x-identity", id.Subject+"|"+id.Tenant+"|"+strings.Join(id.Roles, ",")+"|"+id.Via)
}

func echoDesc() *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: "aim.authtest.Echo",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "Whoami",
			Handler: func(srv any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
				in := new(emptypb.Empty)
				if err := dec(in); err != nil {
					return nil, err
				}
				h := func(ctx context.Context, _ any) (any, error) {
					if err := grpc.SetHeader(ctx, reportIdentity(ctx)); err != nil {
						return nil, err
					}
					return &emptypb.Empty{}, nil
				}
				if icpt == nil {
					return h(ctx, in)
				}
				return icpt(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: whoamiMethod}, h)
			},
		}},
		Streams: []grpc.StreamDesc{{
			StreamName:    "Watch",
			ServerStreams: true,
			Handler: func(_ any, ss grpc.ServerStream) error {
				if err := ss.RecvMsg(new(emptypb.Empty)); err != nil {
					return err
				}
				if err := ss.SetHeader(reportIdentity(ss.Context())); err != nil {
					return err
				}
				return ss.SendMsg(&emptypb.Empty{})
			},
		}},
	}
}

// startServer serves the health and test services with the auth
// interceptors over an in-memory listener and returns a client connection
// with the given extra dial options.
func startServer(t *testing.T, a *Authenticator, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(UnaryServerInterceptor(a)),
		grpc.ChainStreamInterceptor(StreamServerInterceptor(a)),
	)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	srv.RegisterService(echoDesc(), struct{}{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	opts = append(opts,
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
	)
	conn, err := grpc.NewClient("passthrough:///bufnet", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		srv.Stop()
		<-done
	})
	return conn
}

func TestGRPC(t *testing.T) {
	dir := t.TempDir()
	key := newEdKey(t, "k")
	s, err := NewSigner(key, testIssuer, testAudience)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Mint("user-3", "acme", []string{RoleAppraiser}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := NewSigner(newEdKey(t, "k"), testIssuer, testAudience)
	if err != nil {
		t.Fatal(err)
	}
	forgedTok, err := forged.Mint("user-3", "acme", []string{RoleAdmin}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	const apiKey = "aim_test_key_b41d7f09"
	apiKeys := writeFile(t, dir, "api-keys.json",
		[]byte(`{"keys":[{"name":"ci-bot","sha256":"`+HashAPIKey(apiKey)+`","tenant":"globex","roles":["viewer"]}]}`))
	a := mustAuth(t, writeJWKS(t, dir, key), apiKeys)
	conn := startServer(t, a)

	tests := []struct {
		name     string
		md       metadata.MD
		code     codes.Code
		identity string // reported by the handler when code is OK
		reason   string // ErrorInfo reason when code is not OK
	}{
		{"no credentials", nil, codes.Unauthenticated, "", "MISSING_CREDENTIALS"},
		{"forged token", metadata.Pairs("authorization", "Bearer "+forgedTok), codes.Unauthenticated, "", "INVALID_TOKEN"},
		{"garbage token", metadata.Pairs("authorization", "Bearer x.y.z"), codes.Unauthenticated, "", "INVALID_TOKEN"},
		{"valid token", metadata.Pairs("authorization", "Bearer "+tok), codes.OK, "user-3|acme|appraiser|jwt", ""},
		{"valid API key", metadata.Pairs("x-api-key", apiKey), codes.OK, "apikey:ci-bot|globex|viewer|api-key", ""},
		{"wrong API key", metadata.Pairs("x-api-key", "nope"), codes.Unauthenticated, "", "INVALID_API_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if tt.md != nil {
				ctx = metadata.NewOutgoingContext(ctx, tt.md)
			}

			var hdr metadata.MD
			err := conn.Invoke(ctx, whoamiMethod, &emptypb.Empty{}, &emptypb.Empty{}, grpc.Header(&hdr))
			checkCall(t, "unary", err, hdr, tt.code, tt.identity, tt.reason)

			stream, err := conn.NewStream(ctx, &grpc.StreamDesc{StreamName: "Watch", ServerStreams: true}, watchMethod)
			if err != nil {
				t.Fatal(err)
			}
			if err := stream.SendMsg(&emptypb.Empty{}); err != nil {
				t.Fatal(err)
			}
			if err := stream.CloseSend(); err != nil {
				t.Fatal(err)
			}
			err = stream.RecvMsg(new(emptypb.Empty))
			hdr, _ = stream.Header()
			checkCall(t, "stream", err, hdr, tt.code, tt.identity, tt.reason)
		})
	}

	t.Run("health is public", func(t *testing.T) {
		resp, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
		if err != nil {
			t.Fatalf("Check without credentials: %v", err)
		}
		if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("status = %v", resp.GetStatus())
		}
	})

	t.Run("BearerToken credentials", func(t *testing.T) {
		conn := startServer(t, a, grpc.WithPerRPCCredentials(BearerToken(tok)))
		var hdr metadata.MD
		err := conn.Invoke(context.Background(), whoamiMethod, &emptypb.Empty{}, &emptypb.Empty{}, grpc.Header(&hdr))
		checkCall(t, "unary", err, hdr, codes.OK, "user-3|acme|appraiser|jwt", "")
	})
}

// checkCall checks the outcome of one call to the test service.
func checkCall(t *testing.T, kind string, err error, hdr metadata.MD, code codes.Code, identity, reason string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != code {
		t.Fatalf("%s: code = %v (%s), want %v", kind, st.Code(), st.Message(), code)
	}
	if code == codes.OK {
		if got := hdr.Get("x-identity"); !slices.Equal(got, []string{identity}) {
			t.Fatalf("%s: handler saw identity %q, want %q", kind, got, identity)
		}
		return
	}
	var info *errdetails.ErrorInfo
	for _, d := range st.Details() {
		if d, ok := d.(*errdetails.ErrorInfo); ok {
			info = d
		}
	}
	if info == nil || info.GetReason() != reason {
		t.Fatalf("%s: ErrorInfo = %v, want reason %s", kind, info, reason)
	}
}

func TestIsPublicMethod(t *testing.T) {
	tests := []struct {
		method string
		want   bool
	}{
		{"/grpc.health.v1.Health/Check", true},
		{"/grpc.health.v1.Health/Watch", true},
		{"/grpc.health.v1.Health/List", true},
		{"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", true},
		{"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", true},
		{"/grpc.health.v1.HealthX/Check", false},
		{"/grpc.health.v1.Health", false},
		{"/aim.model.v1.ModelService/GetModel", false},
		{"grpc.health.v1.Health/Check", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsPublicMethod(tt.method); got != tt.want {
			t.Errorf("IsPublicMethod(%q) = %v, want %v", tt.method, got, tt.want)
		}
	}
}

func TestForwardCredentials(t *testing.T) {
	tests := []struct {
		name     string
		incoming metadata.MD
		outgoing metadata.MD
		want     metadata.MD // the credential keys of the outgoing metadata
	}{
		{"nothing to forward", nil, nil, metadata.MD{}},
		{"bearer", metadata.Pairs("authorization", "Bearer t1", "x-other", "o"), nil,
			metadata.Pairs("authorization", "Bearer t1")},
		{"API key", metadata.Pairs("x-api-key", "k1"), nil, metadata.Pairs("x-api-key", "k1")},
		{"already set outgoing", metadata.Pairs("authorization", "Bearer t1"), metadata.Pairs("authorization", "Bearer t2"),
			metadata.Pairs("authorization", "Bearer t2")},
		{"other outgoing metadata kept", metadata.Pairs("authorization", "Bearer t1"), metadata.Pairs("x-request-id", "r"),
			metadata.Pairs("authorization", "Bearer t1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.incoming != nil {
				ctx = metadata.NewIncomingContext(ctx, tt.incoming)
			}
			if tt.outgoing != nil {
				ctx = metadata.NewOutgoingContext(ctx, tt.outgoing)
			}
			check := func(kind string, ctx context.Context) {
				out, _ := metadata.FromOutgoingContext(ctx)
				for _, k := range []string{"authorization", "x-api-key"} {
					if got, want := out.Get(k), tt.want.Get(k); !slices.Equal(got, want) {
						t.Errorf("%s: outgoing %s = %q, want %q", kind, k, got, want)
					}
				}
				for k, v := range tt.outgoing {
					if got := out.Get(k); !slices.Equal(got, v) && k != "authorization" {
						t.Errorf("%s: outgoing %s = %q, want %q", kind, k, got, v)
					}
				}
				if got := out.Get("x-other"); len(got) != 0 {
					t.Errorf("%s: forwarded unrelated metadata %q", kind, got)
				}
			}
			err := ForwardCredentials()(ctx, "/m", nil, nil, nil,
				func(ctx context.Context, _ string, _, _ any, _ *grpc.ClientConn, _ ...grpc.CallOption) error {
					check("unary", ctx)
					return nil
				})
			if err != nil {
				t.Fatal(err)
			}
			_, err = ForwardCredentialsStream()(ctx, &grpc.StreamDesc{}, nil, "/m",
				func(ctx context.Context, _ *grpc.StreamDesc, _ *grpc.ClientConn, _ string, _ ...grpc.CallOption) (grpc.ClientStream, error) {
					check("stream", ctx)
					return nil, nil
				})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestBearerToken(t *testing.T) {
	c := BearerToken("abc")
	if c.RequireTransportSecurity() {
		t.Error("RequireTransportSecurity = true")
	}
	md, err := c.GetRequestMetadata(context.Background())
	if err != nil || md["authorization"] != "Bearer abc" || len(md) != 1 {
		t.Fatalf("GetRequestMetadata = %v, %v", md, err)
	}
}

// TestWithVerified: the interceptors take the Identity their own
// Authenticator recorded for the call (the server's tap handle verified it
// when the headers arrived) instead of checking the credential again; a
// record made by another Authenticator counts for nothing.
func TestWithVerified(t *testing.T) {
	dir := t.TempDir()
	a := mustAuth(t, writeJWKS(t, dir, newEdKey(t, "k")), "")
	other := mustAuth(t, writeJWKS(t, t.TempDir(), newEdKey(t, "k2")), "")
	id := Identity{Subject: "alice", Tenant: "acme", Roles: []string{RoleViewer}, Via: ViaJWT}
	info := &grpc.UnaryServerInfo{FullMethod: whoamiMethod}
	seen := func(ctx context.Context, _ any) (any, error) {
		got, _ := FromContext(ctx)
		return got, nil
	}
	// No credentials in the metadata: only the record can pass the call.
	got, err := UnaryServerInterceptor(a)(a.WithVerified(context.Background(), id), nil, info, seen)
	if err != nil || got.(Identity).Subject != "alice" {
		t.Errorf("with a's record: %v, %v; want alice", got, err)
	}
	if _, err := UnaryServerInterceptor(a)(other.WithVerified(context.Background(), id), nil, info, seen); status.Code(err) != codes.Unauthenticated {
		t.Errorf("with another authenticator's record: %v, want UNAUTHENTICATED", err)
	}
	if _, err := UnaryServerInterceptor(a)(WithIdentity(context.Background(), id), nil, info, seen); status.Code(err) != codes.Unauthenticated {
		t.Errorf("with an Identity in the context but no record: %v, want UNAUTHENTICATED", err)
	}
}
