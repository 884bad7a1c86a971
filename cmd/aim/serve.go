package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/services/gateway"
)

// serveConfig configures `aim serve`.
type serveConfig struct {
	serviceConfig
	HTTPAddr        string
	CORSOrigins     []string
	DevTokenTTL     time.Duration
	BodyReadTimeout time.Duration
}

func newServeCommand() *cobra.Command {
	cfg := &serveConfig{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run every service and the REST gateway in one process",
		Long: `serve runs the model catalog, appraisal and crosswalk services on one gRPC
listener and the REST gateway in front of them. The services still call each
other through gRPC clients, exactly as when they run apart.

On first start it creates a development signing key in the data dir (unless
--jwt-keys is set) and prints a token for it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.validate(); err != nil {
				return err
			}
			return runServe(cmd.Context(), cfg, cmd.OutOrStdout())
		},
	}
	fs := cmd.Flags()
	cfg.serviceConfig.addFlags(fs)
	cfg.addAuditKeyFlag(fs)
	fs.StringVar(&cfg.HTTPAddr, "http-addr", defaultHTTPAddr, "REST gateway listen address")
	fs.StringSliceVar(&cfg.CORSOrigins, "cors-origins", nil, `origins allowed to call the REST API from a browser ("*" for any)`)
	fs.DurationVar(&cfg.DevTokenTTL, "dev-token-ttl", 24*time.Hour, "lifetime of the development token printed at start")
	fs.DurationVar(&cfg.BodyReadTimeout, "body-read-timeout", gateway.DefaultConfig("").BodyReadTimeout, "time a REST request gets to send its body, plus 1s per 64 KiB of it")
	return cmd
}

func (c *serveConfig) validate() error {
	err := c.serviceConfig.validate()
	if c.DevTokenTTL <= 0 || c.BodyReadTimeout <= 0 {
		err = errors.Join(err, errors.New("--dev-token-ttl and --body-read-timeout must be positive"))
	}
	return errors.Join(err, checkAddr("--http-addr", c.HTTPAddr, false))
}

func runServe(ctx context.Context, cfg *serveConfig, out io.Writer) (err error) {
	h, err := newHost(ctx, cfg.logConfig, "aim-serve")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, h.close()) }()
	h.logger.Info("starting", append(cfg.logAttrs(), slog.String("http_addr", cfg.HTTPAddr))...)

	grpcLis, err := listen(ctx, "--grpc-addr", cfg.GRPCAddr)
	if err != nil {
		return err
	}
	// The services that call the catalog do so through this listener, like
	// any client, even in one process.
	cfg.ModelAddr = grpcLis.Addr().String()
	cfg.AppraisalAddr = grpcLis.Addr().String()
	srv, err := h.openServices(&cfg.serviceConfig, modelPart, appraisalPart, crosswalkPart)
	if err != nil {
		_ = grpcLis.Close()
		return err
	}
	h.serveGRPC(srv, grpcLis)

	// The gateway reaches the services through the gRPC listener, like any
	// client, so REST calls pass every interceptor.
	gcfg := gateway.DefaultConfig(grpcLis.Addr().String())
	gcfg.CORSOrigins = cfg.CORSOrigins
	gcfg.BodyReadTimeout = cfg.BodyReadTimeout
	// The gateway verifies credentials before it reads a body, with the
	// services' own keys, and shares their body budget.
	gw, err := gateway.New(ctx, gcfg, gateway.Deps{Logger: h.logger, Telemetry: h.tel, Auth: h.authn, Budget: h.budget})
	if err != nil {
		return err
	}
	h.defer_(gw.Close)
	httpLis, err := listen(ctx, "--http-addr", cfg.HTTPAddr)
	if err != nil {
		return err
	}
	h.serveHTTP(httpLis, gw.Handler(), cfg.ShutdownTimeout, gw.EndStreams)
	adminAddr, err := h.serveAdmin(ctx, cfg.AdminAddr, cfg.ShutdownTimeout)
	if err != nil {
		return err
	}

	addrs := bannerAddrs{grpc: grpcLis.Addr().String(), http: httpLis.Addr().String(), admin: adminAddr}
	h.logger.Info("serving", slog.String("grpc_addr", addrs.grpc), slog.String("http_addr", addrs.http), slog.String("admin_addr", addrs.admin))
	if err := printBanner(out, cfg, addrs); err != nil {
		return err
	}
	return h.wait()
}

// bannerAddrs are the addresses the process listens on.
type bannerAddrs struct{ grpc, http, admin string }

// printBanner tells a developer where everything is and, with the
// development key, gives a token to call it with. It goes to standard
// output, never into the logs.
func printBanner(out io.Writer, cfg *serveConfig, addrs bannerAddrs) error {
	grpcAddr, httpAddr := addrs.grpc, addrs.http
	var b strings.Builder
	fmt.Fprintf(&b, "AIM Platform is serving.\n")
	fmt.Fprintf(&b, "  REST    http://%s   (OpenAPI: /openapi.json, ready: /readyz)\n", httpAddr)
	fmt.Fprintf(&b, "  gRPC    %s   (reflection on)\n", grpcAddr)
	if addrs.admin != "" {
		fmt.Fprintf(&b, "  metrics http://%s/metrics\n", addrs.admin)
	}
	if cfg.usesDevKey() {
		signer, err := auth.LoadSigner(cfg.DataDir, cfg.JWTIssuer, cfg.JWTAudience)
		if err != nil {
			return fmt.Errorf("development token: %w", err)
		}
		const tenant = "dev"
		token, err := signer.Mint("dev-user", tenant, []string{auth.RoleAdmin}, cfg.DevTokenTTL)
		if err != nil {
			return fmt.Errorf("development token: %w", err)
		}
		fmt.Fprintf(&b, "\nDevelopment token (tenant %q, role admin, valid %s):\n\n", tenant, cfg.DevTokenTTL)
		fmt.Fprintf(&b, "  export AIM_TOKEN=%s\n\n", token)
		fmt.Fprintf(&b, "  curl -H \"Authorization: Bearer $AIM_TOKEN\" http://%s/v1/models\n", httpAddr)
		fmt.Fprintf(&b, "  grpcurl -plaintext -H \"authorization: Bearer $AIM_TOKEN\" %s list\n", grpcAddr)
		fmt.Fprintf(&b, "\nMore tokens: aim token --data-dir %s --tenant T --roles r1,r2\n", cfg.DataDir)
		if cfg.OperatorKeys == "" {
			fmt.Fprintf(&b, "Operator token (backups; no tenant token passes): aim token --data-dir %s --operator\n", cfg.DataDir)
		}
	}
	_, err := io.WriteString(out, b.String())
	return err
}
