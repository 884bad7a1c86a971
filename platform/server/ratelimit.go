package server

import (
	"container/list"
	"context"
	"math"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
)

// Defaults of the per-tenant rate limit.
const (
	// DefaultRateLimit is the default sustained rate of calls per tenant
	// per second: generous, so that only a runaway client meets it.
	DefaultRateLimit = 200
	// DefaultRateBurst is the default number of calls a tenant may make at
	// once above the sustained rate.
	DefaultRateBurst = 400
	// DefaultRateLimitTenants bounds how many tenants' limiters are kept;
	// past it the least recently seen tenant's limiter is dropped.
	DefaultRateLimitTenants = 10000
	// DefaultRateLimitIdle is how long a tenant's limiter is kept after its
	// last call. A dropped limiter comes back full, which an idle tenant's
	// bucket would have been anyway once Burst/Rate seconds passed.
	DefaultRateLimitIdle = 10 * time.Minute
)

// The interceptor is ours rather than go-grpc-middleware's ratelimit
// interceptor because that one rebuilds the refusal with status.Errorf,
// dropping the RetryInfo detail that tells a client when to come back; the
// token buckets are golang.org/x/time/rate's.

// tenantLimiter holds one token bucket per tenant in a map bounded in size
// (least recently used tenant dropped first) and in time (tenants idle for
// longer than idle dropped), so that it never grows with the number of
// tenants ever seen.
type tenantLimiter struct {
	limit      rate.Limit
	burst      int
	maxTenants int
	idle       time.Duration
	now        func() time.Time

	mu      sync.Mutex
	byName  map[string]*list.Element // of *tenantBucket
	recency *list.List               // front: most recently used
}

type tenantBucket struct {
	tenant   string
	limiter  *rate.Limiter
	lastSeen time.Time
}

// newTenantLimiter returns a limiter allowing perSecond calls a second with
// bursts of burst per tenant, keeping at most tenants tenants and none idle for
// longer than idle. A perSecond that is not positive turns limiting off
// (nil). A burst below 1 becomes perSecond rounded up.
func newTenantLimiter(perSecond float64, burst, tenants int, idle time.Duration) *tenantLimiter {
	if perSecond <= 0 || math.IsNaN(perSecond) {
		return nil
	}
	if burst < 1 {
		burst = int(min(math.Ceil(perSecond), math.MaxInt32))
	}
	if tenants < 1 {
		tenants = DefaultRateLimitTenants
	}
	if idle <= 0 {
		idle = DefaultRateLimitIdle
	}
	return &tenantLimiter{
		limit: rate.Limit(perSecond), burst: burst, maxTenants: tenants, idle: idle, now: time.Now,
		byName: map[string]*list.Element{}, recency: list.New(),
	}
}

// reserve takes one call from tenant's bucket. It returns zero when the call
// may go ahead, or how long the caller should wait before trying again.
func (l *tenantLimiter) reserve(tenant string) time.Duration { return l.reserveN(tenant, 1) }

// reserveN is reserve for a call that costs tokens (MethodCost.Tokens); a
// cost above the burst takes the whole burst.
func (l *tenantLimiter) reserveN(tenant string, tokens int) time.Duration {
	tokens = max(1, min(tokens, l.burst))
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evictIdle(now)
	var b *tenantBucket
	if e, ok := l.byName[tenant]; ok {
		b = e.Value.(*tenantBucket)
		l.recency.MoveToFront(e)
	} else {
		b = &tenantBucket{tenant: tenant, limiter: rate.NewLimiter(l.limit, l.burst)}
		l.byName[tenant] = l.recency.PushFront(b)
		for l.recency.Len() > l.maxTenants {
			l.drop(l.recency.Back())
		}
	}
	b.lastSeen = now
	r := b.limiter.ReserveN(now, tokens)
	if !r.OK() {
		// Only when burst is 0, which newTenantLimiter prevents.
		return time.Second
	}
	delay := r.DelayFrom(now)
	if delay > 0 {
		// The call is refused, so it must not use up the token it
		// reserved from the future.
		r.CancelAt(now)
	}
	return delay
}

// evictIdle drops the tenants idle for longer than l.idle. The recency list
// is ordered by last use, so they are all at its back.
func (l *tenantLimiter) evictIdle(now time.Time) {
	for e := l.recency.Back(); e != nil; e = l.recency.Back() {
		if now.Sub(e.Value.(*tenantBucket).lastSeen) <= l.idle {
			return
		}
		l.drop(e)
	}
}

func (l *tenantLimiter) drop(e *list.Element) {
	b := l.recency.Remove(e).(*tenantBucket)
	delete(l.byName, b.tenant)
}

// size returns how many tenants' limiters are held.
func (l *tenantLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.recency.Len()
}

// check refuses a call of an over-limit tenant with RESOURCE_EXHAUSTED
// carrying google.rpc.RetryInfo (and 429 over REST). A call takes its
// method's tokens (CostOf) from the bucket. Public methods (health,
// reflection) and calls without an identity, which authentication has
// already refused, pass.
func (l *tenantLimiter) check(ctx context.Context, fullMethod string) error {
	if l == nil || auth.IsPublicMethod(fullMethod) {
		return nil
	}
	id, ok := auth.FromContext(ctx)
	if !ok {
		return nil
	}
	delay := l.reserveN(id.Tenant, CostOf(fullMethod).Tokens)
	if delay <= 0 {
		return nil
	}
	return rateLimited(id.Tenant, delay)
}

// rateLimited is the status of a refused call: RESOURCE_EXHAUSTED with
// ErrorInfo (reason RATE_LIMITED) and RetryInfo saying when to retry,
// rounded up to the millisecond.
func rateLimited(tenant string, delay time.Duration) error {
	delay = delay.Round(time.Millisecond)
	if delay < time.Millisecond {
		delay = time.Millisecond
	}
	return exhausted("RATE_LIMITED", tenant, "too many requests for tenant "+strconv.Quote(tenant)+"; retry after "+delay.String(), delay)
}

// exhausted is the status of every refusal for want of capacity:
// RESOURCE_EXHAUSTED (429 over REST) with ErrorInfo (reason, and the
// caller's tenant when known) and RetryInfo saying when to retry.
func exhausted(reason, tenant, message string, retry time.Duration) error {
	info := &errdetails.ErrorInfo{Reason: reason, Domain: errs.Domain}
	if tenant != "" {
		info.Metadata = map[string]string{"tenant": tenant}
	}
	st := status.New(codes.ResourceExhausted, message)
	withDetails, err := st.WithDetails(info, &errdetails.RetryInfo{RetryDelay: durationpb.New(retry)})
	if err != nil {
		return st.Err()
	}
	return withDetails.Err()
}

// unaryRateLimit applies the per-tenant limit to unary calls. It runs after
// authentication, so the tenant is the caller's proven one.
func unaryRateLimit(l *tenantLimiter) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if err := l.check(ctx, info.FullMethod); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// streamRateLimit applies the per-tenant limit to the start of a stream.
func streamRateLimit(l *tenantLimiter) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if err := l.check(ss.Context(), info.FullMethod); err != nil {
			return err
		}
		return handler(srv, ss)
	}
}
