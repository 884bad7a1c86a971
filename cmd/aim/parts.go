package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/server"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/platform/telemetry"
	"github.com/aim-platform/aim/services/appraisal"
	"github.com/aim-platform/aim/services/crosswalk"
	"github.com/aim-platform/aim/services/model"
)

// service is an open service, ready to register on a gRPC server.
type service interface {
	Register(*server.Server)
	DB() *pstore.DB
	Close() error
}

// part is one of the services aim runs.
type part struct {
	name  string // the subcommand
	short string
	open  func(cfg *serviceConfig, h *host) (service, error)
	// needsModel and needsAppraisal are true for parts that call the
	// model catalog or the appraisal service.
	needsModel, needsAppraisal bool
	// signsAudit is true for the part that signs audit checkpoints.
	signsAudit bool
}

// auditKey returns the audit key file the appraisal service signs
// checkpoints with, and whether to create it: --audit-key, or in
// development mode (no --jwt-keys) a key beside the development JWT key.
func (c *serviceConfig) auditKey() (path string, create bool) {
	switch {
	case c.AuditKey != "":
		return c.AuditKey, false
	case c.usesDevKey():
		return filepath.Join(c.DataDir, appraisal.DevAuditKeyFile), true
	}
	return "", false
}

var (
	modelPart = part{
		name:  "model",
		short: "Run the model catalog service alone",
		open: func(cfg *serviceConfig, h *host) (service, error) {
			return model.Open(model.Config{DataDir: cfg.DataDir, LockTimeout: cfg.LockTimeout}, h.logger)
		},
	}
	appraisalPart = part{
		name:  "appraisal",
		short: "Run the appraisal service alone",
		open: func(cfg *serviceConfig, h *host) (service, error) {
			key, create := cfg.auditKey()
			if key == "" {
				h.logger.Warn("no --audit-key: the appraisal audit trail's checkpoints are neither signed nor checked")
			}
			return appraisal.Open(appraisal.Config{
				DataDir: cfg.DataDir, LockTimeout: cfg.LockTimeout, ModelAddr: cfg.ModelAddr, AuditKeyFile: key, CreateAuditKey: create,
				WatchIdleTimeout: cfg.WatchIdleTimeout,
			}, h.tel)
		},
		needsModel: true,
		signsAudit: true,
	}
	crosswalkPart = part{
		name:  "crosswalk",
		short: "Run the crosswalk service alone",
		open: func(cfg *serviceConfig, h *host) (service, error) {
			return crosswalk.Open(crosswalk.Config{
				DataDir: cfg.DataDir, LockTimeout: cfg.LockTimeout, ModelAddr: cfg.ModelAddr, AppraisalAddr: cfg.AppraisalAddr,
			}, h.logger, h.tel)
		},
		needsModel:     true,
		needsAppraisal: true,
	}
)

// host is a running process's shared pieces: its logger, telemetry and the
// servers it runs side by side until the context ends.
type host struct {
	logger *slog.Logger
	tel    *telemetry.Providers
	authn  *auth.Authenticator
	ops    *auth.OperatorVerifier // nil: no backups
	stores map[string]*pstore.DB  // by part name, for the backup endpoint
	// maxConns caps each listener's connections; budget bounds the request
	// bytes in flight, shared by the gRPC server and the gateway.
	maxConns int
	budget   *server.Budget
	closers  []func() error
	group    *errgroup.Group
	ctx      context.Context
}

func newHost(ctx context.Context, logs logConfig, name string) (*host, error) {
	logger, err := logs.logger()
	if err != nil {
		return nil, err
	}
	tel, err := telemetry.Setup(ctx, telemetry.ConfigFromEnv(name))
	if err != nil {
		return nil, err
	}
	h := &host{logger: logger, tel: tel}
	h.group, h.ctx = errgroup.WithContext(ctx)
	h.defer_(func() error { return tel.Shutdown(context.WithoutCancel(ctx)) })
	return h, nil
}

// defer_ registers a cleanup; cleanups run last-in first-out in close.
func (h *host) defer_(fn func() error) { h.closers = append(h.closers, fn) }

// close runs the cleanups: servers are down by then, so stores close last.
func (h *host) close() error {
	var errs []error
	for i := len(h.closers) - 1; i >= 0; i-- {
		errs = append(errs, h.closers[i]())
	}
	return errors.Join(errs...)
}

// wait blocks until every server stopped; the first failure stops the rest.
func (h *host) wait() error { return h.group.Wait() }

// openServices opens each part's store and registers it on a new gRPC
// server. The caller serves it.
func (h *host) openServices(cfg *serviceConfig, parts ...part) (*server.Server, error) {
	authn, err := cfg.authenticator(h.logger)
	if err != nil {
		return nil, err
	}
	ops, err := cfg.operatorVerifier(h.logger, authn)
	if err != nil {
		return nil, err
	}
	h.authn, h.ops, h.stores = authn, ops, map[string]*pstore.DB{}
	if err := h.limit(cfg.limitConfig); err != nil {
		return nil, err
	}
	scfg := server.DefaultConfig()
	scfg.ShutdownTimeout, scfg.RateLimit, scfg.RateBurst = cfg.ShutdownTimeout, cfg.RateLimit, cfg.RateBurst
	scfg.StreamsPerSubject, scfg.StreamsPerTenant, scfg.StreamsTotal = cfg.StreamsPerSubject, cfg.StreamsPerTenant, cfg.StreamsTotal
	scfg.CostlyCallsPerTenant, scfg.CostlyCallsTotal = cfg.CostlyCallsPerTenant, cfg.CostlyCallsTotal
	srv, err := server.New(scfg,
		server.Deps{Logger: h.logger, Auth: authn, Telemetry: h.tel, Budget: h.budget})
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		svc, err := p.open(cfg, h)
		if err != nil {
			return nil, err
		}
		h.defer_(svc.Close)
		h.stores[p.name] = svc.DB()
		svc.Register(srv)
	}
	return srv, nil
}

// limit sets the process's connection cap and body budget.
func (h *host) limit(cfg limitConfig) (err error) {
	h.maxConns = cfg.MaxConnections
	h.budget, err = cfg.budget()
	return err
}

// serveGRPC runs srv on lis.
func (h *host) serveGRPC(srv *server.Server, lis net.Listener) {
	lis = server.LimitListener(lis, h.maxConns)
	h.group.Go(func() error { return srv.Serve(h.ctx, lis) })
}

// serveAdmin runs the admin listener when addr is set and returns the
// address it listens on ("" when off).
func (h *host) serveAdmin(ctx context.Context, addr string, shutdown time.Duration) (string, error) {
	if addr == "" {
		return "", nil
	}
	lis, err := listen(ctx, "--admin-addr", addr)
	if err != nil {
		return "", err
	}
	var backups http.Handler
	if len(h.stores) > 0 && h.ops != nil {
		backups, err = server.BackupHandler(server.BackupConfig{Operators: h.ops, Tenants: h.authn, Logger: h.logger, Stores: h.stores})
		if err != nil {
			_ = lis.Close()
			return "", err
		}
	}
	h.serveHTTP(lis, server.AdminHandler(h.tel, backups), shutdown)
	return lis.Addr().String(), nil
}

// serveHTTP runs handler on lis; onShutdown run as its shutdown begins.
func (h *host) serveHTTP(lis net.Listener, handler http.Handler, shutdown time.Duration, onShutdown ...func()) {
	lis = server.LimitListener(lis, h.maxConns)
	h.group.Go(func() error { return server.ServeHTTP(h.ctx, lis, handler, shutdown, onShutdown...) })
}

// newServiceCommand runs one part alone.
func newServiceCommand(p part) *cobra.Command {
	cfg := &serviceConfig{}
	cmd := &cobra.Command{
		Use:   p.name,
		Short: p.short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.validate(); err != nil {
				return err
			}
			return runPart(cmd.Context(), cfg, p)
		},
	}
	cfg.addFlags(cmd.Flags())
	if p.needsModel {
		cmd.Flags().StringVar(&cfg.ModelAddr, "model-addr", defaultGRPCAddr, "gRPC address of the model catalog service")
	}
	if p.signsAudit {
		cfg.addAuditKeyFlag(cmd.Flags())
	}
	if p.needsAppraisal {
		cmd.Flags().StringVar(&cfg.AppraisalAddr, "appraisal-addr", defaultGRPCAddr, "gRPC address of the appraisal service")
	}
	return cmd
}

func runPart(ctx context.Context, cfg *serviceConfig, p part) (err error) {
	h, err := newHost(ctx, cfg.logConfig, "aim-"+p.name)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, h.close()) }()
	h.logger.Info("starting", append([]any{slog.String("part", p.name)}, cfg.logAttrs()...)...)
	lis, err := listen(ctx, "--grpc-addr", cfg.GRPCAddr)
	if err != nil {
		return err
	}
	srv, err := h.openServices(cfg, p)
	if err != nil {
		_ = lis.Close()
		return err
	}
	h.serveGRPC(srv, lis)
	adminAddr, err := h.serveAdmin(ctx, cfg.AdminAddr, cfg.ShutdownTimeout)
	if err != nil {
		return err
	}
	h.logger.Info("serving", slog.String("part", p.name), slog.String("grpc_addr", lis.Addr().String()),
		slog.String("admin_addr", adminAddr))
	return h.wait()
}
