package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/server"
)

// authenticate refuses a /v1/ request whose caller is not known before
// anything reads its body: with an Authenticator, one whose credentials do
// not verify; without one, one that carries no credential at all. The
// services verify every call again.
func authenticate(next http.Handler, a *auth.Authenticator) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v1/") || r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		var err error
		switch {
		case a != nil:
			_, err = a.AuthenticateHTTP(r)
		case r.Header.Get("Authorization") == "" && r.Header.Get("X-Api-Key") == "":
			err = errs.New(errs.Unauthenticated, "MISSING_CREDENTIALS",
				"missing credentials: send Authorization: Bearer <token> or X-Api-Key")
		}
		if err != nil {
			st, _ := errs.ToStatus(err)
			w.Header().Set("WWW-Authenticate", `Bearer realm="aim-platform"`)
			errs.WriteHTTP(w, http.StatusUnauthorized, st)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bulkRoute reports whether a path is one of the routes that carry a
// document (the REST form of server.BulkMethods).
func bulkRoute(path string) bool {
	return strings.HasSuffix(path, ":import") || strings.HasSuffix(path, "/characterizations:batchUpdate")
}

// bodyLimits applies the per-route body limit, the process's body budget
// and the body read deadline.
type bodyLimits struct {
	cfg    Config
	budget *server.Budget
}

// limitFor returns the body limit of a path.
func (l bodyLimits) limitFor(path string) int64 {
	if bulkRoute(path) {
		return l.cfg.MaxBodyBytes
	}
	return l.cfg.MaxSmallBodyBytes
}

// limitBody refuses a body above its route's limit with 413: at once when
// its Content-Length says so, else when reading passes the limit (the error
// handler sees the mark bodyTooLarge leaves). Before the body is read it
// reserves its length (or, when unknown, the route's limit) in the budget,
// 429 when there is no room within the budget's wait, and sets a read
// deadline sized by that length, so that a slow body ends.
func limitBody(next http.Handler, l bodyLimits) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		max := l.limitFor(r.URL.Path)
		if r.ContentLength > max {
			errs.WriteHTTP(w, http.StatusRequestEntityTooLarge, tooLarge(max))
			return
		}
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			next.ServeHTTP(w, r)
			return
		}
		size := r.ContentLength
		if size < 0 {
			size = max
		}
		release, err := l.budget.Acquire(r.Context(), size)
		if err != nil {
			st := status.Convert(err)
			if st.Code() != codes.ResourceExhausted {
				return // the client went away
			}
			w.Header().Set("Retry-After", "1")
			errs.WriteHTTP(w, http.StatusTooManyRequests, st)
			return
		}
		defer release()
		rc := http.NewResponseController(w)
		deadline := l.cfg.BodyReadTimeout + time.Duration(size/l.cfg.MinBodyRate)*time.Second
		_ = rc.SetReadDeadline(time.Now().Add(deadline))
		r.Body = limitedBody{ReadCloser: http.MaxBytesReader(w, r.Body, max), hit: new(bool), timedOut: new(bool), max: max, done: func() {
			// The body is in: the handler may take its time now, and the
			// server's wait for the next request must not inherit the
			// deadline.
			_ = rc.SetReadDeadline(time.Time{})
		}}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), bodyLimitKey{}, r.Body)))
	})
}

func tooLarge(max int64) *status.Status {
	return status.New(codes.InvalidArgument, "the request body is larger than "+strconv.FormatInt(max, 10)+" bytes")
}

type bodyLimitKey struct{}

// limitedBody notes when a read ran past the limit or its deadline, and
// calls done once the body is read to its end.
type limitedBody struct {
	io.ReadCloser
	hit      *bool
	timedOut *bool
	max      int64
	done     func()
}

func (b limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		*b.hit = true
	}
	if errors.Is(err, io.EOF) {
		b.done()
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		*b.timedOut = true
	}
	return n, err
}

// bodyTooLarge returns the 413 status when the request's body ran past the
// limit.
func bodyTooLarge(r *http.Request) (*status.Status, bool) {
	b, ok := r.Context().Value(bodyLimitKey{}).(limitedBody)
	if !ok || !*b.hit {
		return nil, false
	}
	return tooLarge(b.max), true
}

// bodyReadTimedOut reports whether reading the request's body passed its
// deadline (grpc-gateway hands the error handler the read error wrapped in
// a status whose text names addresses; it must not reach the client).
func bodyReadTimedOut(r *http.Request) bool {
	b, ok := r.Context().Value(bodyLimitKey{}).(limitedBody)
	return ok && *b.timedOut
}
