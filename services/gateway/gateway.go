package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/gen/openapi"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/client"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/server"
	"github.com/aim-platform/aim/platform/telemetry"
)

// Config configures the gateway.
type Config struct {
	// ModelAddr, AppraisalAddr and CrosswalkAddr are the gRPC targets of the
	// services ("host:port"). They may all be the same address.
	ModelAddr     string
	AppraisalAddr string
	CrosswalkAddr string
	// MaxBodyBytes bounds the request body of a bulk route (imports and
	// characterizations:batchUpdate). Default 24 MiB: imports carry
	// documents of up to 16 MiB, which JSON escaping can grow.
	MaxBodyBytes int64
	// MaxSmallBodyBytes bounds the request body of every other route.
	// Default 1 MiB.
	MaxSmallBodyBytes int64
	// BodyReadTimeout is the time a request gets to send its body, plus
	// one second for every MinBodyRate bytes of its length (or, unknown,
	// of its route's limit). Default 10s.
	BodyReadTimeout time.Duration
	// MinBodyRate is the slowest upload, in bytes a second, that the body
	// read deadline allows for. Default 64 KiB/s.
	MinBodyRate int64
	// MaxResponseBytes bounds one response message from a service. Default
	// 256 MiB: the OSCAL export of a large crosswalk is about 70 MB.
	MaxResponseBytes int
	// RequestTimeout bounds a call that carries no shorter deadline of its
	// own (grpc-timeout header). Default 30s.
	RequestTimeout time.Duration
	// ReadyTimeout bounds the backend health checks of /readyz. Default 2s.
	ReadyTimeout time.Duration
	// CORSOrigins lists the origins allowed to call from a browser; "*"
	// allows any. Empty turns CORS off.
	CORSOrigins []string
}

// DefaultConfig returns the defaults with every service at addr.
func DefaultConfig(addr string) Config {
	return Config{
		ModelAddr: addr, AppraisalAddr: addr, CrosswalkAddr: addr,
		MaxBodyBytes:      24 << 20,
		MaxSmallBodyBytes: 1 << 20,
		BodyReadTimeout:   10 * time.Second,
		MinBodyRate:       64 << 10,
		MaxResponseBytes:  256 << 20,
		RequestTimeout:    30 * time.Second,
		ReadyTimeout:      2 * time.Second,
	}
}

// Deps are what the gateway uses but does not own.
type Deps struct {
	Logger    *slog.Logger
	Telemetry *telemetry.Providers
	// DialOptions are added to every backend connection (tests use them to
	// dial an in-memory listener).
	DialOptions []grpc.DialOption
	// Auth, when set, verifies a request's credentials before its body is
	// read. Without it the gateway refuses only a request that carries no
	// credential at all; the services verify every call in either case.
	Auth *auth.Authenticator
	// Budget bounds the request bodies in flight; aim serve shares one with
	// its gRPC server. Nil gives the gateway a budget of its own of
	// server.DefaultBodyBudget bytes.
	Budget *server.Budget
}

// backend is one service behind the gateway.
type backend struct {
	service string // gRPC service name, also its health-check name
	conn    *grpc.ClientConn
}

// Gateway is the REST facade. Close it to release its connections.
type Gateway struct {
	cfg      Config
	logger   *slog.Logger
	conns    []*grpc.ClientConn
	backends []backend
	handler  http.Handler
	// streams ends when EndStreams or Close is called; every watch
	// stream's request ends with it.
	streams    context.Context
	endStreams context.CancelFunc
}

// New dials the services (lazily: a backend that is down now is retried on
// use) and builds the handler.
func New(ctx context.Context, cfg Config, deps Deps) (*Gateway, error) {
	def := DefaultConfig("")
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = def.MaxBodyBytes
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = def.RequestTimeout
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = def.ReadyTimeout
	}
	if cfg.MaxSmallBodyBytes <= 0 {
		cfg.MaxSmallBodyBytes = min(def.MaxSmallBodyBytes, cfg.MaxBodyBytes)
	}
	if cfg.BodyReadTimeout <= 0 {
		cfg.BodyReadTimeout = def.BodyReadTimeout
	}
	if cfg.MinBodyRate <= 0 {
		cfg.MinBodyRate = def.MinBodyRate
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = def.MaxResponseBytes
	}
	if deps.Budget == nil {
		b, err := server.NewBudget(server.DefaultBodyBudget, server.DefaultBudgetWait)
		if err != nil {
			return nil, err
		}
		deps.Budget = b
	}
	if cfg.ModelAddr == "" || cfg.AppraisalAddr == "" || cfg.CrosswalkAddr == "" {
		return nil, errors.New("gateway: the model, appraisal and crosswalk addresses are required")
	}
	if deps.Logger == nil || deps.Telemetry == nil {
		return nil, errors.New("gateway: Logger and Telemetry are required")
	}
	g := &Gateway{cfg: cfg, logger: deps.Logger}
	g.streams, g.endStreams = context.WithCancel(context.WithoutCancel(ctx))
	byAddr := map[string]*grpc.ClientConn{}
	dial := func(addr string) (*grpc.ClientConn, error) {
		if c, ok := byAddr[addr]; ok {
			return c, nil
		}
		extra := append([]grpc.DialOption{grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(cfg.MaxResponseBytes))}, deps.DialOptions...)
		c, err := client.Dial(addr, client.Options{Telemetry: deps.Telemetry, Extra: extra})
		if err != nil {
			return nil, err
		}
		byAddr[addr] = c
		g.conns = append(g.conns, c)
		return c, nil
	}

	mux := newServeMux(deps.Logger)
	registrations := []struct {
		service  string
		addr     string
		register func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error
	}{
		{modelv1.ModelCatalogService_ServiceDesc.ServiceName, cfg.ModelAddr, modelv1.RegisterModelCatalogServiceHandler},
		{appraisalv1.AppraisalService_ServiceDesc.ServiceName, cfg.AppraisalAddr, appraisalv1.RegisterAppraisalServiceHandler},
		{crosswalkv1.CrosswalkService_ServiceDesc.ServiceName, cfg.CrosswalkAddr, crosswalkv1.RegisterCrosswalkServiceHandler},
	}
	for _, r := range registrations {
		conn, err := dial(r.addr)
		if err != nil {
			_ = g.Close()
			return nil, err
		}
		if err := r.register(ctx, mux, conn); err != nil {
			_ = g.Close()
			return nil, fmt.Errorf("gateway: register %s: %w", r.service, err)
		}
		g.backends = append(g.backends, backend{service: r.service, conn: conn})
	}

	doc := openapi.Document()
	root := http.NewServeMux()
	root.Handle("/v1/", mux)
	root.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	root.HandleFunc("GET /readyz", g.ready)
	root.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	})
	root.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		errs.WriteHTTP(w, http.StatusNotFound, notFound(r))
	})

	t := deps.Telemetry
	var h http.Handler = root
	h = limitBody(h, bodyLimits{cfg: cfg, budget: deps.Budget})
	h = requireJSON(h)
	h = authenticate(h, deps.Auth)
	h = requireUTF8(h)
	h = withTimeout(h, cfg.RequestTimeout, g.streams)
	h = cors(h, cfg.CORSOrigins)
	h = accessLog(h, deps.Logger)
	h = requestID(h)
	h = otelhttp.NewHandler(h, "gateway",
		otelhttp.WithTracerProvider(t.TracerProvider),
		otelhttp.WithMeterProvider(t.MeterProvider),
		otelhttp.WithPropagators(t.Propagator),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path }),
	)
	g.handler = h
	return g, nil
}

// Handler returns the gateway's HTTP handler.
func (g *Gateway) Handler() http.Handler { return g.handler }

// EndStreams ends every open watch stream at once, and every one opened
// after. Call it when the HTTP server begins its shutdown (it suits
// server.ServeHTTP's onShutdown): a watch lasts as long as its client
// listens, so a graceful shutdown would otherwise wait out its timeout.
// Other requests keep their time to finish.
func (g *Gateway) EndStreams() { g.endStreams() }

// Close ends the watch streams and closes the connections to the services.
func (g *Gateway) Close() error {
	g.endStreams()
	var failures []error
	for _, c := range g.conns {
		failures = append(failures, c.Close())
	}
	g.conns = nil
	return errors.Join(failures...)
}

// readiness is the body of /readyz.
type readiness struct {
	Status   string            `json:"status"`
	Services map[string]string `json:"services"`
}

// ready answers 200 when every backend reports SERVING, 503 otherwise, with
// each backend's status in the body.
func (g *Gateway) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), g.cfg.ReadyTimeout)
	defer cancel()
	type result struct {
		service, status string
	}
	results := make(chan result, len(g.backends))
	for _, b := range g.backends {
		go func() {
			resp, err := healthpb.NewHealthClient(b.conn).Check(ctx, &healthpb.HealthCheckRequest{Service: b.service})
			switch {
			case err != nil:
				results <- result{b.service, "UNREACHABLE"}
			default:
				results <- result{b.service, resp.GetStatus().String()}
			}
		}()
	}
	body := readiness{Status: "ready", Services: map[string]string{}}
	code := http.StatusOK
	for range g.backends {
		res := <-results
		body.Services[res.service] = res.status
		if res.status != healthpb.HealthCheckResponse_SERVING.String() {
			body.Status, code = "not ready", http.StatusServiceUnavailable
		}
	}
	writeJSON(w, code, body)
}
