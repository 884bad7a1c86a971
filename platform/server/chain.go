package server

import (
	"log/slog"

	"buf.build/go/protovalidate"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"google.golang.org/grpc"

	"github.com/aim-platform/aim/platform/auth"
)

// limiters are the per-tenant bounds the chain applies after
// authentication; a nil one is off.
type limiters struct {
	rate    *tenantLimiter
	costly  *costlyLimiter
	streams *streamLimiter
}

// interceptors returns the unary and stream chains, outermost first. The
// order is the package documentation's; a test checks it.
func interceptors(logger *slog.Logger, a *auth.Authenticator, l limiters, v protovalidate.Validator) ([]grpc.UnaryServerInterceptor, []grpc.StreamServerInterceptor) {
	rec := recoveryOption(logger)
	unary := []grpc.UnaryServerInterceptor{
		unaryRequestID,
		unaryAccessLog(logger),
		unaryErrors(logger),
		auth.UnaryServerInterceptor(a),
		unaryRateLimit(l.rate),
		unaryCostly(l.costly),
		unaryValidate(v),
		recovery.UnaryServerInterceptor(rec),
	}
	stream := []grpc.StreamServerInterceptor{
		streamRequestID,
		streamAccessLog(logger),
		streamErrors(logger),
		auth.StreamServerInterceptor(a),
		streamRateLimit(l.rate),
		streamLimit(l.streams),
		streamValidate(v),
		recovery.StreamServerInterceptor(rec),
	}
	return unary, stream
}
