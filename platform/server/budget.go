package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"
)

// Defaults of the request size limits (see docs/operations.md, "Request
// size limits").
const (
	// DefaultBulkRecvBytes bounds one request of a bulk method (imports
	// and BatchUpdateCharacterizations): a 16 MiB document plus the room
	// that its envelope and JSON escaping take.
	DefaultBulkRecvBytes = 24 << 20
	// DefaultSmallRecvBytes bounds one request of every other method. The
	// largest legitimate one is far below it.
	DefaultSmallRecvBytes = 1 << 20
	// DefaultBodyBudget is how many bytes of request bodies and messages a
	// process holds in flight at once, over REST and gRPC together.
	DefaultBodyBudget = 256 << 20
	// DefaultBudgetWait is how long a REST request waits for room in the
	// budget before 429.
	DefaultBudgetWait = 2 * time.Second
	// budgetRetryDelay is the RetryInfo a refused request gets.
	budgetRetryDelay = time.Second
)

// Budget is the process's memory budget for request bodies in flight: each
// request reserves the bytes it may carry before any of them is read, and
// gives them back once it has been decoded. One Budget is shared by the
// gateway and the gRPC server of a process.
type Budget struct {
	sem   *semaphore.Weighted
	total int64
	wait  time.Duration
}

// NewBudget returns a budget of total bytes; a request that finds no room
// waits up to wait for it. total must be positive.
func NewBudget(total int64, wait time.Duration) (*Budget, error) {
	if total <= 0 || wait < 0 {
		return nil, fmt.Errorf("server: budget %d bytes and wait %v: the budget must be positive, the wait not negative", total, wait)
	}
	return &Budget{sem: semaphore.NewWeighted(total), total: total, wait: wait}, nil
}

// Total returns the size of the budget in bytes.
func (b *Budget) Total() int64 { return b.total }

// clamp keeps a reservation within the budget, so that a request larger
// than the whole budget can still run alone.
func (b *Budget) clamp(n int64) int64 { return min(max(n, 0), b.total) }

// Acquire reserves n bytes, waiting up to the budget's wait (or until ctx
// ends) for room. It returns the function that gives them back, or the
// RESOURCE_EXHAUSTED error (with RetryInfo) of a request that found none.
func (b *Budget) Acquire(ctx context.Context, n int64) (func(), error) {
	n = b.clamp(n)
	if n == 0 {
		return func() {}, nil
	}
	if !b.sem.TryAcquire(n) {
		wctx, cancel := context.WithTimeout(ctx, b.wait)
		err := b.sem.Acquire(wctx, n)
		cancel()
		if err != nil {
			if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, ctx.Err()
			}
			return nil, BudgetExhausted()
		}
	}
	return b.releaser(n), nil
}

// TryAcquire reserves n bytes if there is room now.
func (b *Budget) TryAcquire(n int64) (func(), bool) {
	n = b.clamp(n)
	if n == 0 {
		return func() {}, true
	}
	if !b.sem.TryAcquire(n) {
		return nil, false
	}
	return b.releaser(n), true
}

func (b *Budget) releaser(n int64) func() {
	return sync.OnceFunc(func() { b.sem.Release(n) })
}

// BudgetExhausted is the error of a request refused for want of room in the
// budget: RESOURCE_EXHAUSTED (429 over REST) with ErrorInfo
// SERVER_BUSY and RetryInfo.
func BudgetExhausted() error {
	return exhausted("SERVER_BUSY", "", "the server holds too many request bodies at once; retry later", budgetRetryDelay)
}
