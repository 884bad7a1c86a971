package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/server"
	"github.com/aim-platform/aim/platform/telemetry"
	"github.com/aim-platform/aim/services/appraisal"
)

// Default addresses. All loopback: exposing a port is a deliberate choice.
const (
	defaultGRPCAddr  = "127.0.0.1:9090"
	defaultHTTPAddr  = "127.0.0.1:8080"
	defaultAdminAddr = "127.0.0.1:9091"
)

// logConfig is the logging part of every command's configuration.
type logConfig struct {
	LogFormat string
	LogLevel  string
}

func (c *logConfig) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.LogFormat, "log-format", "json", "log format: json or text")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
}

func (c logConfig) logger() (*slog.Logger, error) {
	return telemetry.NewLogger(os.Stderr, telemetry.LogConfig{Format: c.LogFormat, Level: c.LogLevel})
}

// serviceConfig is what every process that runs services needs.
type serviceConfig struct {
	logConfig
	DataDir         string
	GRPCAddr        string
	AdminAddr       string
	JWTIssuer       string
	JWTAudience     string
	JWTKeys         string
	APIKeys         string
	LockTimeout     time.Duration
	ShutdownTimeout time.Duration
	// RateLimit and RateBurst bound each tenant's calls (server.Config).
	RateLimit float64
	RateBurst int
	// Limits on open streams, costly calls and idle watches
	// (server.Config, appraisal.Config).
	StreamsPerSubject, StreamsPerTenant, StreamsTotal int
	CostlyCallsPerTenant, CostlyCallsTotal            int
	WatchIdleTimeout                                  time.Duration
	// ModelAddr is where the services that call the model catalog find it;
	// in aim serve, the process's own gRPC listener.
	ModelAddr string
	// AppraisalAddr is where the crosswalk service finds the appraisal
	// service; in aim serve, the process's own gRPC listener.
	AppraisalAddr string
	// AuditKey is the appraisal audit trail's checkpoint key file
	// (--audit-key, only on the commands that run the appraisal service).
	AuditKey string
	limitConfig
	operatorConfig
}

// limitConfig bounds what clients may hold of a process: connections per
// listener and request bytes in flight (docs/operations.md, "Request size
// limits").
type limitConfig struct {
	MaxConnections   int
	MaxInflightBytes int64
}

func (c *limitConfig) addFlags(fs *pflag.FlagSet) {
	fs.IntVar(&c.MaxConnections, "max-connections", server.DefaultMaxConnections, "open connections each listener accepts at once; more wait in the accept queue")
	fs.Int64Var(&c.MaxInflightBytes, "max-inflight-bytes", server.DefaultBodyBudget, "request bytes (REST bodies and gRPC messages) the process holds at once before RESOURCE_EXHAUSTED / 429")
}

func (c *limitConfig) validate() error {
	if c.MaxConnections <= 0 || c.MaxInflightBytes <= 0 {
		return errors.New("--max-connections and --max-inflight-bytes must be positive")
	}
	return nil
}

// budget returns the process's request body budget.
func (c *limitConfig) budget() (*server.Budget, error) {
	return server.NewBudget(c.MaxInflightBytes, server.DefaultBudgetWait)
}

// operatorConfig says how operators prove themselves on the admin
// listener (ADR 0005): tokens of their own key set and audience, which no
// tenant token can carry.
type operatorConfig struct {
	OperatorKeys     string
	OperatorIssuer   string
	OperatorAudience string
}

func (c *operatorConfig) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.OperatorKeys, "operator-keys", "", "JWKS or PEM file of the operator token verification keys (backups); none may be a --jwt-keys key; empty uses a development operator key in the data dir when --jwt-keys is empty too, and serves no backups otherwise")
	fs.StringVar(&c.OperatorIssuer, "operator-issuer", "", "required issuer (iss) of operator tokens; empty means --jwt-issuer")
	fs.StringVar(&c.OperatorAudience, "operator-audience", auth.DefaultOperatorAudience, "required audience (aud) of operator tokens; tenant tokens naming it are refused")
}

func (c *serviceConfig) addFlags(fs *pflag.FlagSet) {
	c.logConfig.addFlags(fs)
	fs.StringVar(&c.DataDir, "data-dir", "./data", "directory of the bbolt stores (and of the development signing key)")
	fs.StringVar(&c.GRPCAddr, "grpc-addr", defaultGRPCAddr, "gRPC listen address")
	fs.StringVar(&c.AdminAddr, "admin-addr", defaultAdminAddr, "admin listen address for /metrics, /healthz and /backup; empty turns it off")
	fs.StringVar(&c.JWTIssuer, "jwt-issuer", auth.DefaultIssuer, "required JWT issuer (iss)")
	fs.StringVar(&c.JWTAudience, "jwt-audience", auth.DefaultAudience, "required JWT audience (aud)")
	fs.StringVar(&c.JWTKeys, "jwt-keys", "", "JWKS or PEM file of the JWT verification keys; empty uses a development key kept in the data dir")
	fs.StringVar(&c.APIKeys, "api-keys", "", "JSON file of API keys for machine clients (optional)")
	fs.DurationVar(&c.LockTimeout, "lock-timeout", 2*time.Second, "how long to wait for a store's file lock before giving up")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long running calls may drain on shutdown")
	fs.Float64Var(&c.RateLimit, "rate-limit", server.DefaultRateLimit, "calls a second each tenant may make (over gRPC and REST together) before RESOURCE_EXHAUSTED / 429; 0 turns the limit off")
	fs.IntVar(&c.RateBurst, "rate-burst", server.DefaultRateBurst, "calls a tenant may make at once above --rate-limit")
	c.limitConfig.addFlags(fs)
	c.operatorConfig.addFlags(fs)
	fs.IntVar(&c.StreamsPerSubject, "streams-per-subject", server.DefaultStreamsPerSubject, "open watch streams one caller (token subject) may hold; past it RESOURCE_EXHAUSTED / 429; 0 turns the limit off")
	fs.IntVar(&c.StreamsPerTenant, "streams-per-tenant", server.DefaultStreamsPerTenant, "open watch streams one tenant may hold; 0 turns the limit off")
	fs.IntVar(&c.StreamsTotal, "streams-total", server.DefaultStreamsTotal, "open watch streams the process holds for all tenants; 0 turns the limit off")
	fs.DurationVar(&c.WatchIdleTimeout, "watch-idle-timeout", appraisal.DefaultWatchIdleTimeout, "a watch stream with no event for this long ends (OK; the client resumes from its last sequence)")
	fs.IntVar(&c.CostlyCallsPerTenant, "costly-calls-per-tenant", server.DefaultCostlyCallsPerTenant, "costly calls (ratings, reports, imports, exports, gap analyses) of one tenant that run at once per service; others wait their turn; 0 turns the limit off")
	fs.IntVar(&c.CostlyCallsTotal, "costly-calls-total", server.DefaultCostlyCallsTotal, "costly calls of all tenants that run at once per service; 0 leaves only the per-tenant limit")
}

func (c *serviceConfig) validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir must not be empty"))
	}
	errs = append(errs, checkAddr("--grpc-addr", c.GRPCAddr, false), checkAddr("--admin-addr", c.AdminAddr, true))
	if c.JWTIssuer == "" || c.JWTAudience == "" {
		errs = append(errs, errors.New("--jwt-issuer and --jwt-audience must not be empty"))
	}
	if c.OperatorAudience == "" || c.OperatorAudience == c.JWTAudience {
		errs = append(errs, errors.New("--operator-audience must be set and differ from --jwt-audience"))
	}
	if c.LockTimeout <= 0 || c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("--lock-timeout and --shutdown-timeout must be positive"))
	}
	if c.RateLimit < 0 || math.IsNaN(c.RateLimit) || c.RateBurst < 0 {
		errs = append(errs, errors.New("--rate-limit and --rate-burst must not be negative"))
	}
	if min(c.StreamsPerSubject, c.StreamsPerTenant, c.StreamsTotal, c.CostlyCallsPerTenant, c.CostlyCallsTotal) < 0 {
		errs = append(errs, errors.New("--streams-per-subject, --streams-per-tenant, --streams-total, --costly-calls-per-tenant and --costly-calls-total must not be negative"))
	}
	if c.WatchIdleTimeout <= 0 {
		errs = append(errs, errors.New("--watch-idle-timeout must be positive"))
	}
	errs = append(errs, c.limitConfig.validate())
	return errors.Join(errs...)
}

// addAuditKeyFlag adds --audit-key, for the commands that run the
// appraisal service.
func (c *serviceConfig) addAuditKeyFlag(fs *pflag.FlagSet) {
	fs.StringVar(&c.AuditKey, "audit-key", "", "PEM file of the Ed25519 key that signs the appraisal audit trail's checkpoints, kept outside the data file; empty uses a development key in the data dir when --jwt-keys is empty, else signs none")
}

// usesDevKey reports whether the process verifies tokens with the
// development key in the data dir.
func (c *serviceConfig) usesDevKey() bool { return c.JWTKeys == "" }

// authenticator loads the verification keys, creating the development key
// first when no key file is configured.
func (c *serviceConfig) authenticator(logger *slog.Logger) (*auth.Authenticator, error) {
	keys := c.JWTKeys
	if c.usesDevKey() {
		if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
			return nil, err
		}
		created, err := auth.EnsureDevKey(c.DataDir)
		if err != nil {
			return nil, fmt.Errorf("development signing key: %w", err)
		}
		keys = filepath.Join(c.DataDir, auth.DevJWKSFile)
		logger.Warn("verifying tokens with the development signing key; set --jwt-keys in production",
			slog.String("jwks", keys), slog.Bool("created", created))
	}
	return auth.NewAuthenticator(auth.Config{
		Issuer: c.JWTIssuer, Audience: c.JWTAudience, KeysFile: keys, APIKeysFile: c.APIKeys,
		OperatorAudience: c.OperatorAudience,
	})
}

// operatorVerifier loads the operator keys (ADR 0005). With neither
// --operator-keys nor --jwt-keys it uses, creating it if needed, the
// development operator key in the data dir, beside the tenant one. With
// production tenant keys but no operator keys it returns nil: the process
// then serves no backups rather than trust a key it made itself.
func (c *serviceConfig) operatorVerifier(logger *slog.Logger, tenants *auth.Authenticator) (*auth.OperatorVerifier, error) {
	keys := c.OperatorKeys
	if keys == "" {
		if !c.usesDevKey() {
			logger.Warn("no operator keys: backups are off; set --operator-keys to serve them")
			return nil, nil
		}
		created, err := auth.EnsureDevOperatorKey(c.DataDir)
		if err != nil {
			return nil, fmt.Errorf("development operator key: %w", err)
		}
		keys = filepath.Join(c.DataDir, auth.DevOperatorJWKSFile)
		logger.Warn("verifying operator tokens with the development operator key; set --operator-keys in production",
			slog.String("jwks", keys), slog.Bool("created", created))
	}
	issuer := c.OperatorIssuer
	if issuer == "" {
		issuer = c.JWTIssuer
	}
	return auth.NewOperatorVerifier(auth.OperatorConfig{Issuer: issuer, Audience: c.OperatorAudience, KeysFile: keys}, tenants)
}

// logAttrs is the configuration as log attributes. It holds file paths, not
// secrets; nothing here needs redacting.
func (c *serviceConfig) logAttrs() []any {
	return []any{
		slog.String("data_dir", c.DataDir), slog.String("grpc_addr", c.GRPCAddr),
		slog.String("admin_addr", c.AdminAddr), slog.String("jwt_issuer", c.JWTIssuer),
		slog.String("jwt_audience", c.JWTAudience), slog.String("jwt_keys", c.JWTKeys),
		slog.String("api_keys", c.APIKeys), slog.String("audit_key", c.AuditKey), slog.Duration("shutdown_timeout", c.ShutdownTimeout),
		slog.Float64("rate_limit", c.RateLimit), slog.Int("rate_burst", c.RateBurst),
		slog.String("operator_keys", c.OperatorKeys), slog.String("operator_issuer", c.OperatorIssuer),
		slog.String("operator_audience", c.OperatorAudience),
		slog.Int("streams_per_subject", c.StreamsPerSubject), slog.Int("streams_per_tenant", c.StreamsPerTenant),
		slog.Int("streams_total", c.StreamsTotal), slog.Duration("watch_idle_timeout", c.WatchIdleTimeout),
		slog.Int("costly_calls_per_tenant", c.CostlyCallsPerTenant), slog.Int("costly_calls_total", c.CostlyCallsTotal),
	}
}

func checkAddr(flag, addr string, optional bool) error {
	if addr == "" && optional {
		return nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("%s %q: want host:port: %w", flag, addr, err)
	}
	return nil
}

// listen opens a TCP listener, naming the flag when it fails.
func listen(ctx context.Context, flag, addr string) (net.Listener, error) {
	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	return lis, nil
}
