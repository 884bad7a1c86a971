package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
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
	"github.com/aim-platform/aim/platform/telemetry"
)

const ratingsMethod = "/aim.appraisal.v1.AppraisalService/GetRatings"

func TestCostOf(t *testing.T) {
	if c := CostOf("/aim.model.v1.ModelCatalogService/GetPractice"); c != (MethodCost{Tokens: 1}) {
		t.Fatalf("an ordinary call costs %+v", c)
	}
	if c := CostOf(ratingsMethod); c.Tokens <= 1 || !c.Costly {
		t.Fatalf("GetRatings costs %+v", c)
	}
	for m, c := range MethodCosts() {
		if c.Tokens < 1 || c.Tokens > DefaultRateBurst {
			t.Errorf("%s takes %d tokens: want 1 to the default burst", m, c.Tokens)
		}
		if serviceOf(m) == "" || serviceOf(m) == m {
			t.Errorf("%s is not a full method name", m)
		}
	}
}

// TestRateLimitTakesTheMethodsTokens: a costly call empties the bucket as
// fast as its weight says, and a cost above the burst takes the burst
// rather than never passing.
func TestRateLimitTakesTheMethodsTokens(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	l := limiterAt(clock, 1, 25, 10, time.Minute)
	for i := range 2 {
		if d := l.reserveN("acme", 10); d != 0 {
			t.Fatalf("costly call %d within the burst waited %v", i+1, d)
		}
	}
	if d := l.reserveN("acme", 10); d <= 0 {
		t.Fatal("a third call of 10 tokens passed a burst of 25")
	}
	if d := l.reserve("acme"); d != 0 {
		t.Fatalf("an ordinary call with 5 tokens left waited %v", d)
	}
	l2 := limiterAt(clock, 1, 3, 10, time.Minute)
	if d := l2.reserveN("acme", 10); d != 0 {
		t.Fatalf("a cost above the burst, on a full bucket, waited %v", d)
	}
}

func TestCostlyLimiterPerTenant(t *testing.T) {
	l := newCostlyLimiter(2, 3, 50*time.Millisecond)
	ctx := t.Context()
	var releases []func()
	for range 2 {
		r, err := l.acquire(ctx, "acme", ratingsMethod)
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, r)
	}
	// acme's third waits, then is refused with RetryInfo.
	start := time.Now()
	_, err := l.acquire(ctx, "acme", ratingsMethod)
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted || time.Since(start) < 40*time.Millisecond {
		t.Fatalf("third costly call of a tenant: %v after %v", err, time.Since(start))
	}
	var info *errdetails.ErrorInfo
	var retry *errdetails.RetryInfo
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			info = d
		case *errdetails.RetryInfo:
			retry = d
		}
	}
	if info.GetReason() != "TOO_MANY_COSTLY_CALLS" || info.GetMetadata()["tenant"] != "acme" || retry.GetRetryDelay().AsDuration() <= 0 {
		t.Fatalf("details %v", st.Details())
	}
	// Another tenant is not held up by acme's; the service's total (3) is.
	rg, err := l.acquire(ctx, "globex", ratingsMethod)
	if err != nil {
		t.Fatalf("another tenant: %v", err)
	}
	if _, err := l.acquire(ctx, "initech", ratingsMethod); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("a call past the service's total: %v", err)
	}
	// Another service has slots of its own, so nested calls never wait on
	// their caller.
	rm, err := l.acquire(ctx, "acme", "/aim.model.v1.ModelCatalogService/ExportModelVersion")
	if err != nil {
		t.Fatalf("acme in another service: %v", err)
	}
	rm()
	// A waiting call gets the slot released while it waits.
	got := make(chan error, 1)
	go func() {
		r, err := l.acquire(context.Background(), "acme", ratingsMethod)
		if err == nil {
			r()
		}
		got <- err
	}()
	time.Sleep(5 * time.Millisecond)
	releases[0]()
	if err := <-got; err != nil {
		t.Fatalf("a waiting call did not get the released slot: %v", err)
	}
	// The caller's own deadline ends the wait with its own code.
	ended, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.acquire(ended, "acme", ratingsMethod); err != nil {
		// a free slot may be taken even with an ended context; both answers are fine
		if status.Code(err) != codes.Canceled {
			t.Fatalf("ended context: %v", err)
		}
	}
	releases[1]()
	rg()
	if n := l.held(); n != 0 {
		t.Fatalf("%d tenants' semaphores kept after every call ended", n)
	}
}

func TestCostlyLimiterOff(t *testing.T) {
	if newCostlyLimiter(0, 10, time.Second) != nil {
		t.Fatal("a per-tenant limit of 0 is not off")
	}
}

func TestStreamLimiter(t *testing.T) {
	l := newStreamLimiter(2, 3, 5)
	amy := auth.Identity{Tenant: "acme", Subject: "amy"}
	bob := auth.Identity{Tenant: "acme", Subject: "bob"}
	var releases []func()
	take := func(id auth.Identity) error {
		r, err := l.acquire(id)
		if err == nil {
			releases = append(releases, r)
		}
		return err
	}
	wantRefused := func(id auth.Identity, why string) {
		t.Helper()
		err := take(id)
		st := status.Convert(err)
		if st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), why) {
			t.Fatalf("%v: %v, want RESOURCE_EXHAUSTED saying %q", id, err, why)
		}
		if info, ok := st.Details()[0].(*errdetails.ErrorInfo); !ok || info.GetReason() != "TOO_MANY_STREAMS" {
			t.Fatalf("details %v", st.Details())
		}
	}
	for _, id := range []auth.Identity{amy, amy} {
		if err := take(id); err != nil {
			t.Fatal(err)
		}
	}
	wantRefused(amy, `caller "amy" has 2 streams open`)
	if err := take(bob); err != nil {
		t.Fatal(err)
	}
	wantRefused(bob, `tenant "acme" has 3 streams open`)
	wantRefused(auth.Identity{Tenant: "acme", Subject: "cy"}, `tenant "acme"`)
	if err := take(auth.Identity{Tenant: "globex", Subject: "amy"}); err != nil {
		t.Fatalf("another tenant: %v", err)
	}
	if err := take(auth.Identity{Tenant: "globex", Subject: "gus"}); err != nil {
		t.Fatalf("another tenant: %v", err)
	}
	wantRefused(auth.Identity{Tenant: "initech", Subject: "ian"}, "the server has 5 streams open")
	// Releasing is idempotent and frees the slot.
	releases[0]()
	releases[0]()
	if err := take(bob); err != nil {
		t.Fatalf("after a release: %v", err)
	}
	for _, r := range releases {
		r()
	}
	if l.open != 0 || len(l.byTenant) != 0 || len(l.bySubject) != 0 {
		t.Fatalf("counts left after every stream closed: %d %v %v", l.open, l.byTenant, l.bySubject)
	}
	if newStreamLimiter(0, 0, 0) != nil {
		t.Fatal("all limits 0 is not off")
	}
}

// TestOnShutdownRunsBeforeTheDrain: the hooks run after health turned
// NOT_SERVING and before the drain waits for running calls, so a hook that
// ends a long call lets Serve return at once.
func TestOnShutdownRunsBeforeTheDrain(t *testing.T) {
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
	srv, err := New(Config{ShutdownTimeout: 10 * time.Second},
		Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Auth: authn, Telemetry: tel})
	if err != nil {
		t.Fatal(err)
	}
	// A call that runs until the hook ends it, and checks it ran after
	// health turned NOT_SERVING.
	release, entered := make(chan struct{}), make(chan struct{})
	var healthAtHook healthpb.HealthCheckResponse_ServingStatus
	srv.Register(&grpc.ServiceDesc{
		ServiceName: "test.Hold",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "Hold",
			Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
				in := new(emptypb.Empty)
				if err := dec(in); err != nil {
					return nil, err
				}
				info := &grpc.UnaryServerInfo{Server: srv, FullMethod: "/test.Hold/Hold"}
				return interceptor(ctx, in, info, func(context.Context, any) (any, error) {
					close(entered)
					<-release
					return &emptypb.Empty{}, nil
				})
			},
		}},
	}, struct{}{})
	srv.SetServing("test.Hold")
	lis := bufconn.Listen(1 << 20)
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	srv.OnShutdown(func() {
		resp, err := srv.health.Check(context.Background(), &healthpb.HealthCheckRequest{})
		if err == nil {
			healthAtHook = resp.GetStatus()
		}
		close(release)
	})

	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, lis) }()
	tok, err := signer.Mint("u", "acme", []string{auth.RoleViewer}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan error, 1)
	go func() {
		callCtx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+tok)
		held <- conn.Invoke(callCtx, "/test.Hold/Hold", &emptypb.Empty{}, &emptypb.Empty{})
	}()
	<-entered
	start := time.Now()
	stop()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Serve returned after %v although the hook ended the running call", d)
	}
	if err := <-held; err != nil {
		t.Fatalf("the call the hook ended: %v", err)
	}
	if healthAtHook != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("health when the hook ran: %v, want NOT_SERVING", healthAtHook)
	}
}
