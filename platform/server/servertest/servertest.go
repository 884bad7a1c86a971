// Package servertest runs a platform server in memory for tests: the real
// interceptor chain, health and reflection on a bufconn listener, with a
// fresh signing key and a helper that mints tokens for it.
package servertest

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"

	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/server"
	"github.com/aim-platform/aim/platform/telemetry"
)

// Env is a running in-memory server.
type Env struct {
	// Conn is a client connection to the server.
	Conn *grpc.ClientConn
	// Server is the platform server, for registering more services.
	Server *server.Server
	// Telemetry are the server's providers.
	Telemetry *telemetry.Providers
	// Signer mints tokens the server accepts.
	Signer *auth.Signer
	// Auth is the server's authenticator.
	Auth *auth.Authenticator

	lis  *bufconn.Listener
	logs *syncBuffer
}

// Start builds a server, lets register add services to it, serves it on a
// bufconn listener and stops it when the test ends. Its limits are off and
// its shutdown timeout is two seconds.
func Start(tb testing.TB, register func(*server.Server)) *Env {
	tb.Helper()
	return StartWith(tb, server.Config{ShutdownTimeout: 2 * time.Second}, register)
}

// DevAuth makes a fresh development signing key in a temporary directory
// and returns a signer of tokens and an authenticator that accepts them
// (the default issuer and audience), for tests that build a server
// themselves.
func DevAuth(tb testing.TB) (*auth.Signer, *auth.Authenticator) {
	tb.Helper()
	dir := tb.TempDir()
	if _, err := auth.EnsureDevKey(dir); err != nil {
		tb.Fatal(err)
	}
	signer, err := auth.LoadSigner(dir, auth.DefaultIssuer, auth.DefaultAudience)
	if err != nil {
		tb.Fatal(err)
	}
	authn, err := auth.NewAuthenticator(auth.Config{
		Issuer: auth.DefaultIssuer, Audience: auth.DefaultAudience, KeysFile: filepath.Join(dir, auth.DevJWKSFile),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return signer, authn
}

// StartWith is Start with the server's configuration.
func StartWith(tb testing.TB, cfg server.Config, register func(*server.Server)) *Env {
	tb.Helper()
	signer, authn := DevAuth(tb)
	ctx := context.Background()
	tel, err := telemetry.Setup(ctx, telemetry.Config{ServiceName: "test"})
	if err != nil {
		tb.Fatal(err)
	}
	logs := &syncBuffer{}
	logger, err := telemetry.NewLogger(logs, telemetry.LogConfig{Level: "debug"})
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := server.New(cfg,
		server.Deps{Logger: logger, Auth: authn, Telemetry: tel})
	if err != nil {
		tb.Fatal(err)
	}
	if register != nil {
		register(srv)
	}
	lis := bufconn.Listen(1 << 20)
	serveCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(serveCtx, lis) }()
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = conn.Close()
		stop()
		if err := <-done; err != nil {
			tb.Errorf("serve: %v", err)
		}
		_ = tel.Shutdown(ctx)
	})
	return &Env{Conn: conn, Server: srv, Telemetry: tel, Signer: signer, Auth: authn, lis: lis, logs: logs}
}

// Dialer returns a dial function for more connections to the server, such
// as the gateway's.
func (e *Env) Dialer() func(context.Context, string) (net.Conn, error) {
	return func(ctx context.Context, _ string) (net.Conn, error) { return e.lis.DialContext(ctx) }
}

// Token mints a token for tenant with roles, valid for an hour.
func (e *Env) Token(tb testing.TB, tenant string, roles ...string) string {
	tb.Helper()
	tok, err := e.Signer.Mint("test-user", tenant, roles, time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// As returns a context whose calls carry a token for tenant with roles.
func (e *Env) As(tb testing.TB, tenant string, roles ...string) context.Context {
	tb.Helper()
	return metadata.AppendToOutgoingContext(tb.Context(), "authorization", "Bearer "+e.Token(tb, tenant, roles...))
}

// Logs returns what the server logged so far.
func (e *Env) Logs() string { return e.logs.String() }

// syncBuffer is a bytes.Buffer safe for the server's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
