package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/telemetry"
)

// fakeClock is a settable time source for the limiter.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func limiterAt(clock *fakeClock, perSecond float64, burst, tenants int, idle time.Duration) *tenantLimiter {
	l := newTenantLimiter(perSecond, burst, tenants, idle)
	l.now = clock.now
	return l
}

func TestTenantLimiterBucketPerTenant(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	l := limiterAt(clock, 2, 3, 10, time.Minute)
	for i := range 3 {
		if d := l.reserve("acme"); d != 0 {
			t.Fatalf("call %d within the burst waited %v", i+1, d)
		}
	}
	d := l.reserve("acme")
	if d <= 0 || d > 500*time.Millisecond {
		t.Fatalf("call past the burst: delay %v, want (0, 500ms] at 2/s", d)
	}
	// A refused call takes no token: after the delay exactly one more passes.
	if d2 := l.reserve("acme"); d2 != d {
		t.Fatalf("second refused call: delay %v, want the same %v (the first must not have consumed a token)", d2, d)
	}
	// Another tenant has its own bucket.
	if d := l.reserve("globex"); d != 0 {
		t.Fatalf("another tenant was limited by acme's calls: %v", d)
	}
	clock.advance(d)
	if d := l.reserve("acme"); d != 0 {
		t.Fatalf("after the retry delay the call still waited %v", d)
	}
	if d := l.reserve("acme"); d <= 0 {
		t.Fatal("the refilled token was used twice")
	}
}

func TestTenantLimiterIsBounded(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	const maxTenants = 100
	l := limiterAt(clock, 1, 1, maxTenants, time.Minute)
	for i := range 10 * maxTenants {
		l.reserve(fmt.Sprintf("tenant-%d", i))
		if n := l.size(); n > maxTenants {
			t.Fatalf("after %d tenants the limiter holds %d, above its bound %d", i+1, n, maxTenants)
		}
	}
	// The most recently used tenants are the ones kept: the last one is
	// still limited, the first one starts afresh.
	if d := l.reserve(fmt.Sprintf("tenant-%d", 10*maxTenants-1)); d <= 0 {
		t.Fatal("the most recent tenant's bucket was dropped")
	}
	// Idle tenants go: after the idle time, one call leaves one tenant.
	clock.advance(time.Minute + time.Second)
	l.reserve("late")
	if n := l.size(); n != 1 {
		t.Fatalf("after every tenant idled out the limiter holds %d, want 1", n)
	}
}

func TestTenantLimiterOff(t *testing.T) {
	for _, r := range []float64{0, -1} {
		l := newTenantLimiter(r, 10, 10, time.Minute)
		if l != nil {
			t.Fatalf("rate %v: limiter on, want off", r)
		}
		ctx := auth.WithIdentity(t.Context(), auth.Identity{Tenant: "acme"})
		for range 1000 {
			if err := l.check(ctx, "/x.Y/Z"); err != nil {
				t.Fatalf("rate %v: %v", r, err)
			}
		}
	}
}

func TestRateLimitedStatus(t *testing.T) {
	st := status.Convert(rateLimited("acme", 1234567*time.Microsecond))
	if st.Code() != codes.ResourceExhausted {
		t.Fatalf("code %v", st.Code())
	}
	var retry *errdetails.RetryInfo
	var info *errdetails.ErrorInfo
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.RetryInfo:
			retry = d
		case *errdetails.ErrorInfo:
			info = d
		}
	}
	if retry == nil || retry.GetRetryDelay().AsDuration() != 1235*time.Millisecond {
		t.Fatalf("RetryInfo %v, want 1.235s", retry)
	}
	if info == nil || info.GetReason() != "RATE_LIMITED" || info.GetDomain() != errs.Domain || info.GetMetadata()["tenant"] != "acme" {
		t.Fatalf("ErrorInfo %v", info)
	}
	if d := status.Convert(rateLimited("acme", time.Nanosecond)).Details(); d[1].(*errdetails.RetryInfo).GetRetryDelay().AsDuration() != time.Millisecond {
		t.Fatalf("a tiny delay is not rounded up to 1ms: %v", d)
	}
}

// pingDesc is a one-method service to drive the chain with.
var pingDesc = grpc.ServiceDesc{
	ServiceName: "test.Ping",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Ping",
		Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			in := new(emptypb.Empty)
			if err := dec(in); err != nil {
				return nil, err
			}
			info := &grpc.UnaryServerInfo{Server: srv, FullMethod: "/test.Ping/Ping"}
			return interceptor(ctx, in, info, func(context.Context, any) (any, error) { return &emptypb.Empty{}, nil })
		},
	}},
}

// TestRateLimitInChain runs the real chain: calls past a tenant's burst get
// RESOURCE_EXHAUSTED with RetryInfo, other tenants and health checks do not,
// and unauthenticated calls are refused before they count.
func TestRateLimitInChain(t *testing.T) {
	dir := t.TempDir()
	if _, err := auth.EnsureDevKey(dir); err != nil {
		t.Fatal(err)
	}
	signer, err := auth.LoadSigner(dir, auth.DefaultIssuer, auth.DefaultAudience)
	if err != nil {
		t.Fatal(err)
	}
	authn, err := auth.NewAuthenticator(auth.Config{
		Issuer: auth.DefaultIssuer, Audience: auth.DefaultAudience, KeysFile: filepath.Join(dir, auth.DevJWKSFile),
	})
	if err != nil {
		t.Fatal(err)
	}
	tel, err := telemetry.Setup(t.Context(), telemetry.Config{ServiceName: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	// A slow refill, so that the test's own pace cannot refill the bucket.
	srv, err := New(Config{ShutdownTimeout: time.Second, RateLimit: 0.01, RateBurst: 3},
		Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Auth: authn, Telemetry: tel})
	if err != nil {
		t.Fatal(err)
	}
	srv.Register(&pingDesc, struct{}{})
	srv.SetServing("test.Ping")
	lis := bufconn.Listen(1 << 20)
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, lis) }()
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		stop()
		if err := <-served; err != nil {
			t.Error(err)
		}
	})

	as := func(tenant string) context.Context {
		tok, err := signer.Mint("u", tenant, []string{auth.RoleViewer}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+tok)
	}
	ping := func(ctx context.Context) error {
		return conn.Invoke(ctx, "/test.Ping/Ping", &emptypb.Empty{}, &emptypb.Empty{})
	}

	// Unauthenticated calls are refused by authentication and use nothing
	// of any bucket.
	for range 5 {
		if code := status.Code(ping(t.Context())); code != codes.Unauthenticated {
			t.Fatalf("no credentials: %v", code)
		}
	}
	acme := as("acme")
	for i := range 3 {
		if err := ping(acme); err != nil {
			t.Fatalf("call %d within the burst: %v", i+1, err)
		}
	}
	st := status.Convert(ping(acme))
	if st.Code() != codes.ResourceExhausted {
		t.Fatalf("call past the burst: %v %q", st.Code(), st.Message())
	}
	var retry *errdetails.RetryInfo
	for _, d := range st.Details() {
		if r, ok := d.(*errdetails.RetryInfo); ok {
			retry = r
		}
	}
	if retry == nil || retry.GetRetryDelay().AsDuration() <= 0 {
		t.Fatalf("no RetryInfo with a positive delay: %v", st.Details())
	}
	if err := ping(as("globex")); err != nil {
		t.Fatalf("another tenant: %v", err)
	}
	// Health stays open however busy the tenant is.
	for range 10 {
		if _, err := healthpb.NewHealthClient(conn).Check(acme, &healthpb.HealthCheckRequest{}); err != nil {
			t.Fatalf("health while rate limited: %v", err)
		}
	}
}
