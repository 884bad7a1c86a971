package bench

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/server"
	"github.com/aim-platform/aim/platform/telemetry"
	"github.com/aim-platform/aim/services/appraisal"
	"github.com/aim-platform/aim/services/crosswalk"
	"github.com/aim-platform/aim/services/gateway"
	"github.com/aim-platform/aim/services/model"
)

// Names the benchmarks use: the embedded default model, its AIM view and
// the sample crosswalk every store is installed with.
const (
	modelVersion    = "models/cmmi-aim/versions/3.0-sample"
	aimView         = modelVersion + "/views/aim"
	sampleCrosswalk = "crosswalks/cmmi-aim-iso-42001-sample"
	benchTenant     = "bench"
	// maxMsg bounds client messages: large enough for a 1e5-mapping import.
	maxMsg = 64 << 20
)

// stack is the three services and (optionally) the REST gateway, wired as
// `aim serve` wires them (cmd/aim/parts.go and serve.go): one platform
// server with the full interceptor chain and telemetry on a loopback TCP
// listener; the appraisal and crosswalk services reach the catalog and the
// appraisal service through that same listener with gRPC clients; the
// gateway dials it too. Logs are JSON at info level, as in production, but
// go to io.Discard.
type stack struct {
	dir      string
	grpcAddr string
	httpAddr string // "" without the gateway
	conn     *grpc.ClientConn
	signer   *auth.Signer

	model     modelv1.ModelCatalogServiceClient
	appraisal appraisalv1.AppraisalServiceClient
	crosswalk crosswalkv1.CrosswalkServiceClient
}

// startStack starts a stack on a fresh data directory; it stops when tb
// ends.
func startStack(tb testing.TB, withGateway bool) *stack {
	tb.Helper()
	return startStackIn(tb, tb.TempDir(), withGateway)
}

// startStackIn starts a stack on dir.
func startStackIn(tb testing.TB, dir string, withGateway bool) *stack {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var closers []func() error
	tb.Cleanup(func() {
		cancel()
		for i := len(closers) - 1; i >= 0; i-- {
			if err := closers[i](); err != nil {
				tb.Logf("stop: %v", err)
			}
		}
	})
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}

	if _, err := auth.EnsureDevKey(dir); err != nil {
		tb.Fatal(err)
	}
	signer, err := auth.LoadSigner(dir, auth.DefaultIssuer, auth.DefaultAudience)
	must(err)
	authn, err := auth.NewAuthenticator(auth.Config{
		Issuer: auth.DefaultIssuer, Audience: auth.DefaultAudience, KeysFile: filepath.Join(dir, auth.DevJWKSFile),
	})
	must(err)
	tel, err := telemetry.Setup(ctx, telemetry.Config{ServiceName: "aim-bench"})
	must(err)
	closers = append(closers, func() error { return tel.Shutdown(context.Background()) })
	logger, err := telemetry.NewLogger(io.Discard, telemetry.LogConfig{Format: "json", Level: "info"})
	must(err)

	srv, err := server.New(server.Config{ShutdownTimeout: 5 * time.Second},
		server.Deps{Logger: logger, Auth: authn, Telemetry: tel})
	must(err)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	addr := lis.Addr().String()

	m, err := model.Open(model.Config{DataDir: dir}, logger)
	must(err)
	closers = append(closers, m.Close)
	a, err := appraisal.Open(appraisal.Config{DataDir: dir, ModelAddr: addr}, tel)
	must(err)
	closers = append(closers, a.Close)
	c, err := crosswalk.Open(crosswalk.Config{DataDir: dir, ModelAddr: addr, AppraisalAddr: addr}, logger, tel)
	must(err)
	closers = append(closers, c.Close)
	m.Register(srv)
	a.Register(srv)
	c.Register(srv)
	// The floor's empty method also runs on the production stack, so the
	// suite can show what the stack alone costs (BenchmarkGRPC/StackFloor).
	srv.Register(&floorService, struct{}{})

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, lis) }()
	closers = append(closers, func() error {
		cancel()
		return <-served
	})

	s := &stack{dir: dir, grpcAddr: addr, signer: signer}
	if withGateway {
		gw, err := gateway.New(ctx, gateway.DefaultConfig(addr), gateway.Deps{Logger: logger, Telemetry: tel})
		must(err)
		closers = append(closers, gw.Close)
		hl, err := net.Listen("tcp", "127.0.0.1:0")
		must(err)
		s.httpAddr = hl.Addr().String()
		httpDone := make(chan error, 1)
		go func() { httpDone <- server.ServeHTTP(ctx, hl, gw.Handler(), 5*time.Second) }()
		closers = append(closers, func() error {
			cancel()
			return <-httpDone
		})
	}

	s.conn = dialPlain(tb, addr)
	s.model = modelv1.NewModelCatalogServiceClient(s.conn)
	s.appraisal = appraisalv1.NewAppraisalServiceClient(s.conn)
	s.crosswalk = crosswalkv1.NewCrosswalkServiceClient(s.conn)
	return s
}

// dialPlain is the benchmark's client: plain grpc-go, one HTTP/2
// connection shared by every goroutine, as a user's service would hold it.
// The floor uses the same client.
func dialPlain(tb testing.TB, addr string) *grpc.ClientConn {
	tb.Helper()
	conn, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsg), grpc.MaxCallSendMsgSize(maxMsg)))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = conn.Close() })
	return conn
}

// token mints a bearer token of the bench tenant.
func (s *stack) token(tb testing.TB, subject string, roles ...string) string {
	tb.Helper()
	tok, err := s.signer.Mint(subject, benchTenant, roles, 24*time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// as returns a context whose calls carry a token for subject with roles.
func (s *stack) as(tb testing.TB, subject string, roles ...string) context.Context {
	tb.Helper()
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+s.token(tb, subject, roles...))
}

// lead is the identity that creates and leads the benchmark appraisals; it
// may also manage content (crosswalk imports).
func (s *stack) lead(tb testing.TB) context.Context {
	tb.Helper()
	return s.as(tb, "lead", auth.RoleLeadAppraiser, auth.RoleAppraiser, auth.RoleContentManager)
}

// reader is a plain catalog reader.
func (s *stack) reader(tb testing.TB) context.Context {
	tb.Helper()
	return s.as(tb, "reader", auth.RoleViewer)
}

// owned is a sub-benchmark's testing.TB whose temporary directories and
// cleanups belong to an enclosing benchmark, so that a fixture built in the
// first run of a sub-benchmark outlives the runs b.N's escalation makes
// (and its siblings). Failures still go to the sub-benchmark.
type owned struct {
	testing.TB
	owner testing.TB
}

func ownedBy(tb, owner testing.TB) testing.TB { return owned{TB: tb, owner: owner} }

func (o owned) Cleanup(f func()) { o.owner.Cleanup(f) }
func (o owned) TempDir() string  { return o.owner.TempDir() }
