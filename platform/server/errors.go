package server

import (
	"context"
	"log/slog"

	"google.golang.org/grpc"

	"github.com/aim-platform/aim/platform/errs"
)

// mapError turns a handler's error into the status the client sees. Internal
// faults are logged in full here, with the request and trace ids, and reach
// the client masked.
func mapError(ctx context.Context, logger *slog.Logger, method string, err error) error {
	if err == nil {
		return nil
	}
	st, internal := errs.ToStatus(err)
	if internal {
		logger.LogAttrs(ctx, slog.LevelError, "internal error",
			slog.String("method", method),
			slog.String("request_id", RequestID(ctx)),
			slog.String("error", err.Error()),
		)
	}
	return st.Err()
}

func unaryErrors(logger *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(ctx, req)
		if err != nil {
			return nil, mapError(ctx, logger, info.FullMethod, err)
		}
		return resp, nil
	}
}

func streamErrors(logger *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return mapError(ss.Context(), logger, info.FullMethod, handler(srv, ss))
	}
}
