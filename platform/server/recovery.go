package server

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"

	"github.com/aim-platform/aim/platform/errs"
)

// recoveryOption makes a panic a log line with its stack and an internal
// error, which the error mapping masks for the client.
func recoveryOption(logger *slog.Logger) recovery.Option {
	return recovery.WithRecoveryHandlerContext(func(ctx context.Context, p any) error {
		logger.LogAttrs(ctx, slog.LevelError, "panic in handler",
			slog.String("request_id", RequestID(ctx)),
			slog.String("panic", fmt.Sprint(p)),
			slog.String("stack", string(debug.Stack())),
		)
		return errs.Wrap(fmt.Errorf("panic: %v", p), "handler panicked")
	})
}
