package server_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/server"
	"github.com/aim-platform/aim/platform/server/servertest"
	"github.com/aim-platform/aim/platform/telemetry"
)

// countingListener counts the bytes the server reads from its connections.
type countingListener struct {
	net.Listener
	read *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{Conn: c, read: l.read}, nil
}

type countingConn struct {
	net.Conn
	read *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// limitsEnv is an echo server on TCP with a body budget, and what the tests
// need to call it.
type limitsEnv struct {
	conn   *grpc.ClientConn
	signer *auth.Signer
	read   *atomic.Int64
}

func startLimits(t *testing.T, budget *server.Budget) *limitsEnv {
	t.Helper()
	signer, authn := servertest.DevAuth(t)
	tel, err := telemetry.Setup(t.Context(), telemetry.Config{ServiceName: "test"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{ShutdownTimeout: time.Second},
		server.Deps{Logger: slog.New(slog.DiscardHandler), Auth: authn, Telemetry: tel, Budget: budget})
	if err != nil {
		t.Fatal(err)
	}
	srv.Register(&echoDesc, echoServer{})
	srv.SetServing("test.Echo")
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	read := new(atomic.Int64)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, countingListener{Listener: lis, read: read}) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		stop()
		<-done
		_ = tel.Shutdown(context.Background())
	})
	return &limitsEnv{conn: conn, signer: signer, read: read}
}

func (e *limitsEnv) as(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	tok, err := e.signer.Mint("u", "acme", []string{auth.RoleViewer}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
}

func echo(ctx context.Context, conn *grpc.ClientConn, in string) error {
	return conn.Invoke(ctx, "/test.Echo/Do", wrapperspb.String(in), new(wrapperspb.StringValue))
}

// TestRedteamH3_TapRefusesBeforeReading: an unauthenticated call is refused
// when its headers arrive; the server does not read its message (before, it
// read and decoded it whole, then refused it).
func TestRedteamH3_TapRefusesBeforeReading(t *testing.T) {
	env := startLimits(t, nil)
	big := strings.Repeat("A", 16<<20)
	for range 4 {
		if err := echo(t.Context(), env.conn, big); status.Code(err) != codes.Unauthenticated {
			t.Fatalf("unauthenticated 16 MiB call: %v, want UNAUTHENTICATED", err)
		}
	}
	if n := env.read.Load(); n > 4<<20 {
		t.Errorf("the server read %d bytes of four refused 16 MiB calls", n)
	}
}

// TestRedteamH3_SmallMethodsHaveSmallLimits: a method that takes no
// document refuses a message over 1 MiB with INVALID_ARGUMENT, undecoded.
func TestRedteamH3_SmallMethodsHaveSmallLimits(t *testing.T) {
	env := startLimits(t, nil)
	ctx := env.as(t, t.Context())
	err := echo(ctx, env.conn, strings.Repeat("A", 2<<20))
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "at most 1048576") {
		t.Errorf("2 MiB to a small method: %v, want INVALID_ARGUMENT naming the limit", err)
	}
	if err := echo(ctx, env.conn, strings.Repeat("A", 512<<10)); err != nil {
		t.Errorf("512 KiB to a small method: %v", err)
	}
}

// TestRedteamH3_BudgetBoundsMessagesInFlight: a call reserves its method's
// limit from the budget when its headers arrive; one that finds no room is
// refused with RESOURCE_EXHAUSTED and RetryInfo, and the room comes back
// when the call holding it ends.
func TestRedteamH3_BudgetBoundsMessagesInFlight(t *testing.T) {
	budget, err := server.NewBudget(3<<19, 0) // 1.5 MiB: one small call's 1 MiB fits, two do not
	if err != nil {
		t.Fatal(err)
	}
	env := startLimits(t, budget)
	// A call whose message never comes holds its reservation.
	holdCtx, release := context.WithCancel(env.as(t, t.Context()))
	stream, err := env.conn.NewStream(holdCtx, &grpc.StreamDesc{ClientStreams: true, ServerStreams: true}, "/test.Echo/Do")
	if err != nil {
		t.Fatal(err)
	}
	_ = stream
	ctx := env.as(t, t.Context())
	deadline := time.Now().Add(5 * time.Second)
	for {
		err = echo(ctx, env.conn, "x")
		if status.Code(err) == codes.ResourceExhausted || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond) // the held call's headers are on their way
	}
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted {
		t.Fatalf("call over the budget: %v, want RESOURCE_EXHAUSTED", err)
	}
	var retry bool
	for _, d := range st.Details() {
		_, ok := d.(*errdetails.RetryInfo)
		retry = retry || ok
	}
	if !retry {
		t.Errorf("RESOURCE_EXHAUSTED without RetryInfo: %v", st.Details())
	}
	release()
	deadline = time.Now().Add(5 * time.Second)
	for err = echo(ctx, env.conn, "x"); err != nil && time.Now().Before(deadline); err = echo(ctx, env.conn, "x") {
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Errorf("after the holding call ended: %v", err)
	}
}
