package client

import (
	"context"
	"time"

	"google.golang.org/grpc/status"
)

// deadlineSlack is how close to its deadline a caller's context counts as
// past it. A deadline travels with each call, so the service called and the
// caller reach it at about the same instant; on a loaded machine the
// called service's answer (DEADLINE_EXCEEDED) can arrive before the
// caller's own timer has fired, and the deadline is sent rounded down to
// the microsecond.
const deadlineSlack = 10 * time.Millisecond

// CallerEnded returns the status the caller of a service should hear when a
// call it caused to another service failed because the caller's own context
// ended: DEADLINE_EXCEEDED when its deadline has passed (or is within
// deadlineSlack of passing), CANCELED when it gave up. It returns nil while
// the caller still waits, when the failure is the other service's own.
func CallerEnded(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return status.FromContextError(err).Err()
	}
	if d, ok := ctx.Deadline(); ok && time.Until(d) < deadlineSlack {
		return status.FromContextError(context.DeadlineExceeded).Err()
	}
	return nil
}
