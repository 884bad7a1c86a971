package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/aim-platform/aim/platform/auth"
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
	BodyReadTimeout time.Duration
	// JWTKeys (with JWTIssuer, JWTAudience and APIKeys) lets the gateway
	// verify credentials itself before it reads a body. Without it, it
	// refuses only a request that carries no credential at all.
	JWTKeys     string
	JWTIssuer   string
	JWTAudience string
	APIKeys     string
	limitConfig
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
	def := gateway.DefaultConfig("")
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", def.MaxBodyBytes, "largest request body of an import or batch update (other routes: 1 MiB)")
	fs.DurationVar(&cfg.BodyReadTimeout, "body-read-timeout", def.BodyReadTimeout, "time a request gets to send its body, plus 1s per 64 KiB of it")
	fs.StringVar(&cfg.JWTKeys, "jwt-keys", "", "JWKS or PEM file of the JWT verification keys; set, the gateway verifies credentials before reading a body (empty: it refuses only requests without any)")
	fs.StringVar(&cfg.JWTIssuer, "jwt-issuer", auth.DefaultIssuer, "required JWT issuer (iss), with --jwt-keys")
	fs.StringVar(&cfg.JWTAudience, "jwt-audience", auth.DefaultAudience, "required JWT audience (aud), with --jwt-keys")
	fs.StringVar(&cfg.APIKeys, "api-keys", "", "JSON file of API keys for machine clients, with --jwt-keys (optional)")
	cfg.limitConfig.addFlags(fs)
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
	if c.MaxBodyBytes <= 0 || c.RequestTimeout <= 0 || c.ShutdownTimeout <= 0 || c.BodyReadTimeout <= 0 {
		errs = append(errs, errors.New("--max-body-bytes, --request-timeout, --shutdown-timeout and --body-read-timeout must be positive"))
	}
	if c.APIKeys != "" && c.JWTKeys == "" {
		errs = append(errs, errors.New("--api-keys needs --jwt-keys: the gateway verifies credentials only with both"))
	}
	errs = append(errs, c.limitConfig.validate())
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
	if err := h.limit(cfg.limitConfig); err != nil {
		return err
	}
	var authn *auth.Authenticator
	if cfg.JWTKeys != "" {
		authn, err = auth.NewAuthenticator(auth.Config{
			Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, KeysFile: cfg.JWTKeys, APIKeysFile: cfg.APIKeys,
		})
		if err != nil {
			return err
		}
	} else {
		h.logger.Warn("no --jwt-keys: the gateway refuses requests without credentials before reading them, and leaves verifying them to the services")
	}
	gw, err := gateway.New(ctx, gateway.Config{
		ModelAddr: cfg.ModelAddr, AppraisalAddr: cfg.AppraisalAddr, CrosswalkAddr: cfg.CrosswalkAddr,
		MaxBodyBytes: cfg.MaxBodyBytes, RequestTimeout: cfg.RequestTimeout, CORSOrigins: cfg.CORSOrigins,
		BodyReadTimeout: cfg.BodyReadTimeout,
	}, gateway.Deps{Logger: h.logger, Telemetry: h.tel, Auth: authn, Budget: h.budget})
	if err != nil {
		return err
	}
	h.defer_(gw.Close)
	lis, err := listen(ctx, "--http-addr", cfg.HTTPAddr)
	if err != nil {
		return err
	}
	h.serveHTTP(lis, gw.Handler(), cfg.ShutdownTimeout, gw.EndStreams)
	adminAddr, err := h.serveAdmin(ctx, cfg.AdminAddr, cfg.ShutdownTimeout)
	if err != nil {
		return err
	}
	h.logger.Info("serving", slog.String("part", "gateway"), slog.String("http_addr", lis.Addr().String()),
		slog.String("admin_addr", adminAddr))
	return h.wait()
}
