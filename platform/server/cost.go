package server

import (
	"context"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/aim-platform/aim/platform/auth"
)

// Defaults of the limit on costly calls.
const (
	// DefaultCostlyCallsPerTenant is how many costly calls of one tenant
	// run at once in one service. One leaves the other cores of a small
	// pod to the other tenants, however many costly calls a tenant sends.
	DefaultCostlyCallsPerTenant = 1
	// DefaultCostlyCallsTotal is how many costly calls of all tenants run
	// at once in one service.
	DefaultCostlyCallsTotal = 8
	// DefaultCostlyCallWait is how long a costly call waits for its turn
	// before it is refused with RESOURCE_EXHAUSTED.
	DefaultCostlyCallWait = 5 * time.Second
)

// MethodCost is what one call of a method costs its tenant.
type MethodCost struct {
	// Tokens is what the call takes from the tenant's rate-limit bucket;
	// an ordinary call takes 1.
	Tokens int
	// Costly calls run under the limit on concurrent costly calls (per
	// tenant and in all, per service).
	Costly bool
}

// methodCosts names every method that costs more than one ordinary call,
// by full gRPC method name. It is the one place these weights live;
// docs/operations.md lists it, and a test in cmd/aim checks that every name
// is a method the services serve. A nested call (AnalyzeGaps reading
// GetRatings) is charged again in the service it reaches.
//
// The weights are the calls' cost relative to a Get, rounded: the rating
// of a large appraisal (200 instances, 55 200 characterizations) takes about
// as long as ten to twenty reads; an import decodes and validates up to
// 16 MiB.
var methodCosts = map[string]MethodCost{
	// Appraisal: rating and reporting read and aggregate every
	// characterization; the audit check reads the whole trail.
	"/aim.appraisal.v1.AppraisalService/GetRatings":         {Tokens: 10, Costly: true},
	"/aim.appraisal.v1.AppraisalService/GetAppraisalReport": {Tokens: 10, Costly: true},
	"/aim.appraisal.v1.AppraisalService/RateAppraisal":      {Tokens: 10, Costly: true},
	"/aim.appraisal.v1.AppraisalService/CompareAppraisals":  {Tokens: 20, Costly: true},
	"/aim.appraisal.v1.AppraisalService/VerifyAuditTrail":   {Tokens: 10, Costly: true},
	// Crosswalk: imports parse whole documents; resolution and gap
	// analysis walk the mapping graph.
	"/aim.crosswalk.v1.CrosswalkService/ImportCrosswalk":          {Tokens: 20, Costly: true},
	"/aim.crosswalk.v1.CrosswalkService/ExportCrosswalk":          {Tokens: 10, Costly: true},
	"/aim.crosswalk.v1.CrosswalkService/ExportTraceabilityMatrix": {Tokens: 10, Costly: true},
	"/aim.crosswalk.v1.CrosswalkService/ResolveMappings":          {Tokens: 5, Costly: true},
	"/aim.crosswalk.v1.CrosswalkService/AnalyzeGaps":              {Tokens: 20, Costly: true},
	// Model catalog: imports, exports and diffs of whole versions.
	"/aim.model.v1.ModelCatalogService/ImportModelVersion": {Tokens: 20, Costly: true},
	"/aim.model.v1.ModelCatalogService/ExportModelVersion": {Tokens: 10, Costly: true},
	"/aim.model.v1.ModelCatalogService/DiffModelVersions":  {Tokens: 10, Costly: true},
}

// CostOf returns what one call of fullMethod costs: its entry in the table,
// or one token and not costly.
func CostOf(fullMethod string) MethodCost {
	if c, ok := methodCosts[fullMethod]; ok {
		return c
	}
	return MethodCost{Tokens: 1}
}

// MethodCosts returns a copy of the table of methods that cost more than an
// ordinary call.
func MethodCosts() map[string]MethodCost { return maps.Clone(methodCosts) }

// costlyLimiter bounds the costly calls running at once: per tenant and in
// all, each per gRPC service. Per service, so that a costly call that makes
// a costly call of another service (AnalyzeGaps reading GetRatings) never
// waits for a slot its own caller holds: the services call each other in
// one direction only (crosswalk -> appraisal -> model). A call waits for
// its turn in order of arrival, up to wait, then is refused.
type costlyLimiter struct {
	perTenant int64
	total     int64
	wait      time.Duration

	mu       sync.Mutex
	services map[string]*semaphore.Weighted // total, by service
	tenants  map[string]*tenantSlots        // by service + "\x00" + tenant
}

// tenantSlots is one tenant's semaphore in one service; users counts the
// calls holding or waiting for it, so that it is dropped when unused and
// the map stays as small as the calls in flight.
type tenantSlots struct {
	sem   *semaphore.Weighted
	users int
}

// newCostlyLimiter returns a limiter of perTenant calls of a tenant and
// total calls in all per service; a perTenant that is not positive turns
// the limit off (nil), a total that is not positive leaves only the
// per-tenant limit.
func newCostlyLimiter(perTenant, total int, wait time.Duration) *costlyLimiter {
	if perTenant <= 0 {
		return nil
	}
	if wait <= 0 {
		wait = DefaultCostlyCallWait
	}
	return &costlyLimiter{
		perTenant: int64(perTenant), total: int64(total), wait: wait,
		services: map[string]*semaphore.Weighted{}, tenants: map[string]*tenantSlots{},
	}
}

// serviceOf returns the service of a full method name, "/pkg.Service/Method".
func serviceOf(fullMethod string) string {
	s := strings.TrimPrefix(fullMethod, "/")
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[:i]
	}
	return s
}

// acquire waits for a slot of tenant in fullMethod's service and returns the
// function that gives it back, or RESOURCE_EXHAUSTED when none came in time
// (or the caller's context ended first).
func (l *costlyLimiter) acquire(ctx context.Context, tenant, fullMethod string) (func(), error) {
	service := serviceOf(fullMethod)
	key := service + "\x00" + tenant
	l.mu.Lock()
	ts := l.tenants[key]
	if ts == nil {
		ts = &tenantSlots{sem: semaphore.NewWeighted(l.perTenant)}
		l.tenants[key] = ts
	}
	ts.users++
	var total *semaphore.Weighted
	if l.total > 0 {
		total = l.services[service]
		if total == nil {
			total = semaphore.NewWeighted(l.total)
			l.services[service] = total
		}
	}
	l.mu.Unlock()
	unuse := func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if ts.users--; ts.users == 0 {
			delete(l.tenants, key)
		}
	}

	waitCtx, cancel := context.WithTimeout(ctx, l.wait)
	defer cancel()
	// The tenant's slot first, then the service's: every call takes them
	// in this order, so two calls never hold one each and wait for the
	// other.
	if err := ts.sem.Acquire(waitCtx, 1); err != nil {
		unuse()
		return nil, l.refusal(ctx, tenant)
	}
	if total != nil {
		if err := total.Acquire(waitCtx, 1); err != nil {
			ts.sem.Release(1)
			unuse()
			return nil, l.refusal(ctx, tenant)
		}
	}
	return func() {
		if total != nil {
			total.Release(1)
		}
		ts.sem.Release(1)
		unuse()
	}, nil
}

// refusal is the status of a costly call that got no slot: the caller's own
// context error when that ended the wait, else RESOURCE_EXHAUSTED with
// ErrorInfo (reason TOO_MANY_COSTLY_CALLS) and RetryInfo.
func (l *costlyLimiter) refusal(ctx context.Context, tenant string) error {
	if err := ctx.Err(); err != nil {
		return status.FromContextError(err).Err()
	}
	const retry = time.Second
	return exhausted("TOO_MANY_COSTLY_CALLS", tenant, "too many costly calls (ratings, reports, imports, exports, gap analyses) at once for tenant "+
		strconv.Quote(tenant)+"; each tenant runs "+strconv.FormatInt(l.perTenant, 10)+" at a time; retry after "+retry.String(), retry)
}

// held returns how many tenants' semaphores are kept (for tests).
func (l *costlyLimiter) held() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.tenants)
}

// unaryCostly runs the costly unary calls under l. It runs after the rate
// limit, so a call refused there never waits here.
func unaryCostly(l *costlyLimiter) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if l == nil || !CostOf(info.FullMethod).Costly {
			return handler(ctx, req)
		}
		id, ok := auth.FromContext(ctx)
		if !ok {
			return handler(ctx, req)
		}
		release, err := l.acquire(ctx, id.Tenant, info.FullMethod)
		if err != nil {
			return nil, err
		}
		defer release()
		return handler(ctx, req)
	}
}
