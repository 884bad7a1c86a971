package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/server"
	"github.com/aim-platform/aim/platform/telemetry"
)

// maxBackoff bounds the wait between reconnection attempts.
const maxBackoff = 3 * time.Second

// Options configure a connection.
type Options struct {
	// Telemetry provides the tracer, meter and propagator. Required.
	Telemetry *telemetry.Providers
	// ForwardCredentials copies the incoming call's Authorization and
	// X-Api-Key to each outgoing call, so a service acts for its caller.
	ForwardCredentials bool
	// Extra dial options, appended last.
	Extra []grpc.DialOption
}

// Dial returns a lazily connecting client for target ("host:port", or any
// grpc target such as "passthrough:///bufnet").
//
// Connections are plaintext: inside one process or one cluster network the
// transport is loopback or a NetworkPolicy-guarded pod network, and TLS is
// terminated at the ingress (docs/adr/0001-layout-and-toolchain.md).
func Dial(target string, opts Options) (*grpc.ClientConn, error) {
	if opts.Telemetry == nil {
		return nil, errors.New("client: Telemetry is required")
	}
	t := opts.Telemetry
	unary := []grpc.UnaryClientInterceptor{unaryRequestID}
	stream := []grpc.StreamClientInterceptor{streamRequestID}
	if opts.ForwardCredentials {
		unary = append(unary, auth.ForwardCredentials())
		stream = append(stream, auth.ForwardCredentialsStream())
	}
	dialOpts := append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler(
			otelgrpc.WithTracerProvider(t.TracerProvider),
			otelgrpc.WithMeterProvider(t.MeterProvider),
			otelgrpc.WithPropagators(t.Propagator),
		)),
		// Reconnect quickly after a backend restarts: at most maxBackoff
		// between attempts, instead of grpc's default of two minutes.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: maxBackoff},
			MinConnectTimeout: 5 * time.Second,
		}),
		grpc.WithChainUnaryInterceptor(unary...),
		grpc.WithChainStreamInterceptor(stream...),
	}, opts.Extra...)
	conn, err := grpc.NewClient(target, dialOpts...)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", target, err)
	}
	return conn, nil
}

// withRequestID passes the current call's request id on to the next hop.
func withRequestID(ctx context.Context) context.Context {
	id := server.RequestID(ctx)
	if id == "" {
		return ctx
	}
	if md, ok := metadata.FromOutgoingContext(ctx); ok && len(md.Get(server.RequestIDHeader)) > 0 {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, server.RequestIDHeader, id)
}

func unaryRequestID(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	return invoker(withRequestID(ctx), method, req, reply, cc, opts...)
}

func streamRequestID(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return streamer(withRequestID(ctx), desc, cc, method, opts...)
}
