package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/aim-platform/aim/services/gateway"
)

// gatewayConfig configures `aim gateway`.
type gatewayConfig struct {
	logConfig
	HTTPAddr        string
	AdminAddr       string
	ModelAddr       string
	AppraisalAddr   string
	CrosswalkAddr   string
	CORSOrigins     []string
	MaxBodyBytes    int64
	RequestTimeout  time.Duration
	ShutdownTimeout time.Duration
}

func newGatewayCommand() *cobra.Command {
	cfg := &gatewayConfig{}
	cmd := &cobra.Command{
		Use:   "gateway",
		Short: "Run the REST gateway alone, in front of services at the given addresses",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.validate(); err != nil {
				return err
			}
			return runGateway(cmd.Context(), cfg)
		},
	}
	fs := cmd.Flags()
	cfg.logConfig.addFlags(fs)
	fs.StringVar(&cfg.HTTPAddr, "http-addr", defaultHTTPAddr, "REST listen address")
	fs.StringVar(&cfg.AdminAddr, "admin-addr", defaultAdminAddr, "admin listen address for /metrics, /healthz and /backup; empty turns it off")
	fs.StringVar(&cfg.ModelAddr, "model-addr", defaultGRPCAddr, "gRPC address of the model catalog service")
	fs.StringVar(&cfg.AppraisalAddr, "appraisal-addr", defaultGRPCAddr, "gRPC address of the appraisal service")
	fs.StringVar(&cfg.CrosswalkAddr, "crosswalk-addr", defaultGRPCAddr, "gRPC address of the crosswalk service")
	fs.StringSliceVar(&cfg.CORSOrigins, "cors-origins", nil, `origins allowed to call from a browser ("*" for any)`)
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", 24<<20, "largest request body accepted")
	fs.DurationVar(&cfg.RequestTimeout, "request-timeout", 30*time.Second, "deadline of a call that brings none shorter")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long running requests may drain on shutdown")
	return cmd
}

func (c *gatewayConfig) validate() error {
	errs := []error{
		checkAddr("--http-addr", c.HTTPAddr, false),
		checkAddr("--admin-addr", c.AdminAddr, true),
		checkAddr("--model-addr", c.ModelAddr, false),
		checkAddr("--appraisal-addr", c.AppraisalAddr, false),
		checkAddr("--crosswalk-addr", c.CrosswalkAddr, false),
	}
	if c.MaxBodyBytes <= 0 || c.RequestTimeout <= 0 || c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("--max-body-bytes, --request-timeout and --shutdown-timeout must be positive"))
	}
	return errors.Join(errs...)
}

func runGateway(ctx context.Context, cfg *gatewayConfig) (err error) {
	h, err := newHost(ctx, cfg.logConfig, "aim-gateway")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, h.close()) }()
	h.logger.Info("starting", slog.String("part", "gateway"), slog.String("http_addr", cfg.HTTPAddr),
		slog.String("model_addr", cfg.ModelAddr), slog.String("appraisal_addr", cfg.AppraisalAddr),
		slog.String("crosswalk_addr", cfg.CrosswalkAddr), slog.Any("cors_origins", cfg.CORSOrigins))
	gw, err := gateway.New(ctx, gateway.Config{
		ModelAddr: cfg.ModelAddr, AppraisalAddr: cfg.AppraisalAddr, CrosswalkAddr: cfg.CrosswalkAddr,
		MaxBodyBytes: cfg.MaxBodyBytes, RequestTimeout: cfg.RequestTimeout, CORSOrigins: cfg.CORSOrigins,
	}, gateway.Deps{Logger: h.logger, Telemetry: h.tel})
	if err != nil {
		return err
	}
	h.defer_(gw.Close)
	lis, err := listen(ctx, "--http-addr", cfg.HTTPAddr)
	if err != nil {
		return err
	}
	h.serveHTTP(lis, gw.Handler(), cfg.ShutdownTimeout)
	adminAddr, err := h.serveAdmin(ctx, cfg.AdminAddr, cfg.ShutdownTimeout)
	if err != nil {
		return err
	}
	h.logger.Info("serving", slog.String("part", "gateway"), slog.String("http_addr", lis.Addr().String()),
		slog.String("admin_addr", adminAddr))
	return h.wait()
}
