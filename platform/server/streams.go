package server

import (
	"strconv"
	"sync"
	"time"

	"google.golang.org/grpc"

	"github.com/aim-platform/aim/platform/auth"
)

// Defaults of the limits on open streams (watches). A stream costs about
// 25 KiB of memory and a wake-up on every event of what it watches.
const (
	// DefaultStreamsPerSubject is how many streams one caller (token
	// subject) may hold open at once: a person's browser tabs, or a
	// machine client watching a few appraisals.
	DefaultStreamsPerSubject = 32
	// DefaultStreamsPerTenant is how many streams one tenant may hold
	// open at once.
	DefaultStreamsPerTenant = 128
	// DefaultStreamsTotal is how many streams the process holds open at
	// once, about 25 MiB.
	DefaultStreamsTotal = 1024
	// DefaultMaxConcurrentStreams bounds the calls in flight on one HTTP/2
	// connection (grpc.MaxConcurrentStreams). It is above
	// DefaultStreamsTotal because the REST gateway carries every REST
	// watch on one connection, and its other calls must still pass.
	DefaultMaxConcurrentStreams = 2048
)

// streamLimiter counts the open server streams by subject, by tenant and in
// all, and refuses one that would pass a limit. Its maps hold only the
// tenants and subjects with a stream open. A limit that is not positive is
// off.
type streamLimiter struct {
	perSubject, perTenant, total int

	mu        sync.Mutex
	open      int
	byTenant  map[string]int
	bySubject map[string]int // by tenant + "\x00" + subject
}

// newStreamLimiter returns a limiter, or nil when every limit is off.
func newStreamLimiter(perSubject, perTenant, total int) *streamLimiter {
	if perSubject <= 0 && perTenant <= 0 && total <= 0 {
		return nil
	}
	return &streamLimiter{
		perSubject: perSubject, perTenant: perTenant, total: total,
		byTenant: map[string]int{}, bySubject: map[string]int{},
	}
}

// acquire counts one more stream of id, or refuses it with
// RESOURCE_EXHAUSTED naming the limit it would pass.
func (l *streamLimiter) acquire(id auth.Identity) (func(), error) {
	subject := id.Tenant + "\x00" + id.Subject
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.total > 0 && l.open >= l.total:
		return nil, tooManyStreams(id.Tenant, "the server has "+strconv.Itoa(l.open)+" streams open, the most it allows")
	case l.perTenant > 0 && l.byTenant[id.Tenant] >= l.perTenant:
		return nil, tooManyStreams(id.Tenant, "tenant "+strconv.Quote(id.Tenant)+" has "+strconv.Itoa(l.perTenant)+" streams open, the most a tenant may")
	case l.perSubject > 0 && l.bySubject[subject] >= l.perSubject:
		return nil, tooManyStreams(id.Tenant, "caller "+strconv.Quote(id.Subject)+" has "+strconv.Itoa(l.perSubject)+" streams open, the most a caller may")
	}
	l.open++
	l.byTenant[id.Tenant]++
	l.bySubject[subject]++
	var once sync.Once
	return func() { once.Do(func() { l.release(id.Tenant, subject) }) }, nil
}

func (l *streamLimiter) release(tenant, subject string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.byTenant[tenant]--; l.byTenant[tenant] <= 0 {
		delete(l.byTenant, tenant)
	}
	if l.bySubject[subject]--; l.bySubject[subject] <= 0 {
		delete(l.bySubject, subject)
	}
}

// tooManyStreams is the status of a refused stream: RESOURCE_EXHAUSTED (429
// over REST) with ErrorInfo (reason TOO_MANY_STREAMS) and RetryInfo.
func tooManyStreams(tenant, why string) error {
	const retry = 5 * time.Second
	return exhausted("TOO_MANY_STREAMS", tenant, "too many open streams: "+why+"; close a stream or retry after "+retry.String(), retry)
}

// streamLimit applies l to server streams of authenticated callers for as
// long as they are open. Health watches and reflection are public and not
// counted.
func streamLimit(l *streamLimiter) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if l == nil || !info.IsServerStream || auth.IsPublicMethod(info.FullMethod) {
			return handler(srv, ss)
		}
		id, ok := auth.FromContext(ss.Context())
		if !ok {
			return handler(srv, ss)
		}
		release, err := l.acquire(id)
		if err != nil {
			return err
		}
		defer release()
		return handler(srv, ss)
	}
}
