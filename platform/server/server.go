package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"buf.build/go/protovalidate"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/telemetry"
)

// Config holds the settings of one gRPC server.
type Config struct {
	// ShutdownTimeout bounds the graceful drain on shutdown; calls still
	// running after it are cut off. Default 10s.
	ShutdownTimeout time.Duration
	// MaxRecvMsgBytes bounds one request message of a bulk method (imports,
	// BatchUpdateCharacterizations). Default 24 MiB: imports carry
	// documents of up to 16 MiB.
	MaxRecvMsgBytes int
	// MaxSmallRecvMsgBytes bounds one request message of every other
	// method. Default 1 MiB.
	MaxSmallRecvMsgBytes int
	// RateLimit is the sustained number of calls a second each tenant may
	// make; a tenant above it gets RESOURCE_EXHAUSTED with RetryInfo (429
	// over REST). Zero turns the limit off, so the zero Config has none;
	// DefaultConfig sets DefaultRateLimit.
	RateLimit float64
	// RateBurst is how many calls a tenant may make at once above
	// RateLimit. Zero means RateLimit rounded up.
	RateBurst int
	// Costly calls (cost.go) of one tenant, and of all tenants, that run
	// at once in one service, and how long a call waits for its turn
	// before RESOURCE_EXHAUSTED. A CostlyCallsPerTenant of zero turns the
	// limit off; CostlyCallsTotal zero leaves only the per-tenant one.
	CostlyCallsPerTenant, CostlyCallsTotal int
	CostlyCallWait                         time.Duration
	// Open server streams (watches) allowed per caller, per tenant and in
	// all; past one, RESOURCE_EXHAUSTED (429 over REST). Zero turns that
	// limit off.
	StreamsPerSubject, StreamsPerTenant, StreamsTotal int
	// MaxConcurrentStreams bounds the calls in flight on one connection.
	// Zero means DefaultMaxConcurrentStreams.
	MaxConcurrentStreams uint32
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		ShutdownTimeout: 10 * time.Second, MaxRecvMsgBytes: 24 << 20,
		RateLimit: DefaultRateLimit, RateBurst: DefaultRateBurst,
		CostlyCallsPerTenant: DefaultCostlyCallsPerTenant, CostlyCallsTotal: DefaultCostlyCallsTotal, CostlyCallWait: DefaultCostlyCallWait,
		StreamsPerSubject: DefaultStreamsPerSubject, StreamsPerTenant: DefaultStreamsPerTenant, StreamsTotal: DefaultStreamsTotal,
		MaxConcurrentStreams: DefaultMaxConcurrentStreams,
	}
}

// Deps are what a server uses but does not own.
type Deps struct {
	Logger    *slog.Logger
	Auth      *auth.Authenticator
	Telemetry *telemetry.Providers
	// Budget, when set, bounds the request bytes in flight (tap.go); the
	// gateway of the same process shares it.
	Budget *Budget
}

// Server is a grpc.Server with the platform's interceptors, health and
// reflection. Register services on it, mark each serving once its store is
// open, then Serve.
type Server struct {
	cfg       Config
	logger    *slog.Logger
	grpc      *grpc.Server
	health    *health.Server
	validator protovalidate.Validator

	onShutdownMu sync.Mutex
	onShutdown   []func()
}

// streamWorkers is how many goroutines the gRPC server keeps for running
// calls. Each idle one is a parked goroutine with a few KiB of stack.
const streamWorkers = 64

// New builds a server. Every dependency is required.
func New(cfg Config, deps Deps) (*Server, error) {
	if deps.Logger == nil || deps.Auth == nil || deps.Telemetry == nil {
		return nil, errors.New("server: Logger, Auth and Telemetry are required")
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultConfig().ShutdownTimeout
	}
	if cfg.MaxRecvMsgBytes <= 0 {
		cfg.MaxRecvMsgBytes = DefaultConfig().MaxRecvMsgBytes
	}
	if cfg.MaxSmallRecvMsgBytes <= 0 {
		cfg.MaxSmallRecvMsgBytes = min(DefaultSmallRecvBytes, cfg.MaxRecvMsgBytes)
	}
	recv := &recvLimits{bulk: cfg.MaxRecvMsgBytes, small: cfg.MaxSmallRecvMsgBytes}
	validator, err := protovalidate.New()
	if err != nil {
		return nil, fmt.Errorf("server: protovalidate: %w", err)
	}
	if cfg.RateLimit < 0 || cfg.RateBurst < 0 {
		return nil, fmt.Errorf("server: RateLimit %v and RateBurst %d must not be negative", cfg.RateLimit, cfg.RateBurst)
	}
	if cfg.MaxConcurrentStreams == 0 {
		cfg.MaxConcurrentStreams = DefaultMaxConcurrentStreams
	}
	limits := limiters{
		rate:    newTenantLimiter(cfg.RateLimit, cfg.RateBurst, DefaultRateLimitTenants, DefaultRateLimitIdle),
		costly:  newCostlyLimiter(cfg.CostlyCallsPerTenant, cfg.CostlyCallsTotal, cfg.CostlyCallWait),
		streams: newStreamLimiter(cfg.StreamsPerSubject, cfg.StreamsPerTenant, cfg.StreamsTotal),
	}
	unary, stream := interceptors(deps.Logger, deps.Auth, limits, validator)
	t := deps.Telemetry
	s := &Server{
		cfg:       cfg,
		logger:    deps.Logger,
		validator: validator,
		health:    health.NewServer(),
		grpc: grpc.NewServer(append(limitOptions(deps.Logger, deps.Auth, recv, deps.Budget),
			grpc.StatsHandler(otelgrpc.NewServerHandler(
				otelgrpc.WithTracerProvider(t.TracerProvider),
				otelgrpc.WithMeterProvider(t.MeterProvider),
				otelgrpc.WithPropagators(t.Propagator),
			)),
			grpc.ChainUnaryInterceptor(unary...),
			grpc.ChainStreamInterceptor(stream...),
			grpc.MaxRecvMsgSize(cfg.MaxRecvMsgBytes),
			grpc.MaxConcurrentStreams(cfg.MaxConcurrentStreams),
			// Reused goroutines for calls: a fresh goroutine per call
			// starts with a small stack and grows it (by copying) in
			// every call; that was 8 % of a read's CPU in the benchmark
			// profiles. streamWorkers calls at a time run on parked
			// workers whose stacks have grown; calls beyond them get
			// goroutines of their own, as before.
			grpc.NumStreamWorkers(streamWorkers),
		)...),
	}
	// The overall status ("") follows the services: NOT_SERVING until the
	// first one is ready.
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(s.grpc, s.health)
	reflection.Register(s.grpc)
	return s, nil
}

// Register adds a service. Its health is NOT_SERVING until SetServing.
func (s *Server) Register(desc *grpc.ServiceDesc, impl any) {
	s.grpc.RegisterService(desc, impl)
	s.health.SetServingStatus(desc.ServiceName, healthpb.HealthCheckResponse_NOT_SERVING)
}

// SetServing marks a registered service ready, and the server with it.
func (s *Server) SetServing(serviceName string) {
	s.health.SetServingStatus(serviceName, healthpb.HealthCheckResponse_SERVING)
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
}

// OnShutdown registers fn to run when Serve begins to shut down: after
// health turns NOT_SERVING and before the drain. Services end their
// long-lived streams there (watches), so that the drain does not wait out
// ShutdownTimeout for calls that would never end on their own. Hooks run in
// the order registered.
func (s *Server) OnShutdown(fn func()) {
	s.onShutdownMu.Lock()
	defer s.onShutdownMu.Unlock()
	s.onShutdown = append(s.onShutdown, fn)
}

// Validator returns the protovalidate validator the interceptor uses, for
// services that validate nested input themselves.
func (s *Server) Validator() protovalidate.Validator { return s.validator }

// Serve serves lis until ctx ends, then drains: every service turns
// NOT_SERVING, the OnShutdown hooks run, running calls get ShutdownTimeout
// to finish, and the rest are cut off. It returns nil after a shutdown that ctx asked for.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	served := make(chan error, 1)
	go func() { served <- s.grpc.Serve(lis) }()
	select {
	case err := <-served:
		return fmt.Errorf("grpc serve %s: %w", lis.Addr(), err)
	case <-ctx.Done():
	}
	s.health.Shutdown()
	s.onShutdownMu.Lock()
	hooks := s.onShutdown
	s.onShutdownMu.Unlock()
	for _, fn := range hooks {
		fn()
	}
	stopped := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(stopped)
	}()
	timer := time.NewTimer(s.cfg.ShutdownTimeout)
	defer timer.Stop()
	select {
	case <-stopped:
	case <-timer.C:
		s.logger.Warn("graceful stop timed out; closing remaining calls", slog.Duration("timeout", s.cfg.ShutdownTimeout))
		s.grpc.Stop()
		<-stopped
	}
	<-served
	return nil
}

// ServeHTTP serves handler on lis until ctx ends, then shuts the server down
// within timeout. It is how the admin and gateway listeners run. Each of
// onShutdown runs as the shutdown begins: what must not wait out the
// timeout (a stream that lasts as long as its client listens) ends there.
func ServeHTTP(ctx context.Context, lis net.Listener, handler http.Handler, timeout time.Duration, onShutdown ...func()) error {
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	for _, f := range onShutdown {
		srv.RegisterOnShutdown(f)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	select {
	case err := <-served:
		return fmt.Errorf("http serve %s: %w", lis.Addr(), err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if err != nil {
		_ = srv.Close()
	}
	<-served
	return err
}

// AdminHandler serves the admin listener: /metrics from the telemetry
// registry, /healthz, and, when backups is not nil, /backup/{service}.
func AdminHandler(t *telemetry.Providers, backups http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", t.MetricsHandler())
	if backups != nil {
		mux.Handle("GET /backup/", backups)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}
