package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/api/httpbody"
	_ "google.golang.org/genproto/googleapis/rpc/errdetails" // error details must resolve when statuses are written as JSON
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/server"
)

// marshaler is the JSON of the REST API: lowerCamelCase field names (as in
// the OpenAPI document), scalar fields written even when zero so responses
// keep one shape, enums as names, and unknown request fields rejected so a
// typo is a 400 rather than a silently ignored field.
func marshaler() runtime.Marshaler {
	return &runtime.HTTPBodyMarshaler{Marshaler: strictJSON{&runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{EmitDefaultValues: true},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
	}}}
}

// strictJSON decodes a request body as exactly one JSON value: grpc-gateway's
// decoder reads the first value and ignores what follows, so a body with
// trailing garbage (or two documents) would otherwise be acted on. The body
// is already bounded by the gateway's size limit.
type strictJSON struct{ *runtime.JSONPb }

func (s strictJSON) NewDecoder(r io.Reader) runtime.Decoder {
	return runtime.DecoderFunc(func(v any) error {
		data, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(data)) == 0 {
			return io.EOF // no body: grpc-gateway treats it as empty
		}
		if !json.Valid(data) {
			return status.Error(codes.InvalidArgument, "the request body is not exactly one JSON value")
		}
		return s.Unmarshal(data, v)
	})
}

// incomingHeaders is the allowlist of HTTP headers passed to the services.
// Authorization is always passed by grpc-gateway itself.
func incomingHeaders(key string) (string, bool) {
	switch strings.ToLower(key) {
	case "x-api-key":
		return "x-api-key", true
	case "x-request-id":
		return "x-request-id", true
	}
	return "", false
}

// outgoingHeaders drops every response metadata key: the request id header
// is set by the gateway's own middleware, and nothing else is meant for
// HTTP clients.
func outgoingHeaders(string) (string, bool) { return "", false }

// httpCode sets the HTTP status a service asked for with
// server.SetHTTPStatus.
func httpCode(ctx context.Context, w http.ResponseWriter, _ proto.Message) error {
	md, ok := runtime.ServerMetadataFromContext(ctx)
	if !ok {
		return nil
	}
	vals := md.HeaderMD.Get(server.HTTPStatusHeader)
	if len(vals) == 0 {
		return nil
	}
	code, err := strconv.Atoi(vals[0])
	if err != nil || code < 200 || code > 299 {
		return nil
	}
	w.WriteHeader(code)
	return nil
}

// bodyContentType gives a response whose REST body is a google.api.HttpBody
// field (response_body: "body") that body's content type: grpc-gateway
// writes the bytes but takes the type from the whole message.
func bodyContentType(_ context.Context, w http.ResponseWriter, m proto.Message) error {
	if b, ok := m.(interface{ GetBody() *httpbody.HttpBody }); ok && b.GetBody().GetContentType() != "" {
		w.Header().Set("Content-Type", b.GetBody().GetContentType())
	}
	return nil
}

func newServeMux(logger *slog.Logger) *runtime.ServeMux {
	return runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, marshaler()),
		runtime.WithIncomingHeaderMatcher(incomingHeaders),
		runtime.WithOutgoingHeaderMatcher(outgoingHeaders),
		runtime.WithOutgoingTrailerMatcher(outgoingHeaders),
		runtime.WithForwardResponseOption(bodyContentType),
		runtime.WithForwardResponseOption(httpCode),
		runtime.WithUnescapingMode(runtime.UnescapingModeAllExceptReserved),
		runtime.WithDisableHTTPMethodOverride(),
		runtime.WithErrorHandler(errorHandler(logger)),
		runtime.WithRoutingErrorHandler(routingErrorHandler),
	)
}

// errorHandler writes a google.rpc.Status with the matching HTTP status.
// A status that did not come from one of our services (no ErrorInfo in our
// domain) was made by grpc itself, in the gateway's client or in a
// service's transport: its text names internal limits and addresses, so it
// never reaches the client. Its code is kept where it tells the client what
// to do (UNAVAILABLE, DEADLINE_EXCEEDED); otherwise the gateway's own
// wording replaces it.
func errorHandler(logger *slog.Logger) runtime.ErrorHandlerFunc {
	return func(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
		if st, ok := bodyTooLarge(r); ok {
			errs.WriteHTTP(w, http.StatusRequestEntityTooLarge, st)
			return
		}
		if bodyReadTimedOut(r) {
			errs.WriteHTTP(w, http.StatusRequestTimeout, status.New(codes.DeadlineExceeded,
				"the request body did not arrive within its read deadline"))
			return
		}
		st := status.Convert(err)
		if masked, httpStatus, ok := maskTransportError(st); ok {
			logger.WarnContext(ctx, "backend call failed", slog.String("path", r.URL.Path),
				slog.String("code", st.Code().String()), slog.String("error", st.Message()))
			if httpStatus != 0 {
				errs.WriteHTTP(w, httpStatus, masked)
				return
			}
			err = masked.Err()
		}
		if st.Code() == codes.Unauthenticated {
			w = bearerChallenge{w}
		}
		runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, err)
	}
}

// maskTransportError returns what the client sees in place of a status
// grpc made (see errorHandler), with the HTTP status to write it with (0:
// the code's usual one). ok is false for a status of ours, and for the
// gateway's own decoding errors (INVALID_ARGUMENT about the request's JSON,
// written by grpc-gateway and meant for the client).
func maskTransportError(st *status.Status) (masked *status.Status, httpStatus int, ok bool) {
	if fromService(st) {
		return nil, 0, false
	}
	grpcText := strings.HasPrefix(st.Message(), "grpc:")
	switch st.Code() {
	case codes.Unavailable:
		return status.New(codes.Unavailable, "the service is unavailable; retry later"), 0, true
	case codes.DeadlineExceeded:
		return status.New(codes.DeadlineExceeded, "the request deadline passed before the service answered"), 0, true
	case codes.Canceled:
		return status.New(codes.Canceled, "the request was canceled"), 0, true
	case codes.ResourceExhausted:
		// The only RESOURCE_EXHAUSTED that is not ours is grpc's message
		// size limit; the gateway's body limits keep requests below the
		// services', so it is a response larger than the gateway relays.
		// Retrying cannot help: not 429.
		return status.New(codes.FailedPrecondition,
				"the response is larger than the gateway relays; ask for less (a smaller page, or another export format)"),
			http.StatusInternalServerError, true
	case codes.InvalidArgument, codes.NotFound, codes.OutOfRange:
		if !grpcText {
			return nil, 0, false
		}
	}
	return status.New(codes.Internal, errs.MaskedMessage), 0, true
}

// bearerChallenge replaces the WWW-Authenticate header grpc-gateway fills
// with the status message by an RFC 6750 challenge.
type bearerChallenge struct{ http.ResponseWriter }

func (b bearerChallenge) WriteHeader(code int) {
	b.Header().Set("WWW-Authenticate", `Bearer realm="aim-platform"`)
	b.ResponseWriter.WriteHeader(code)
}

// fromService reports whether a status came from one of our services, which
// always attach ErrorInfo in our domain (and mask internal text themselves).
func fromService(st *status.Status) bool {
	for _, d := range st.Details() {
		if info, ok := d.(interface{ GetDomain() string }); ok && info.GetDomain() == errs.Domain {
			return true
		}
	}
	return st.Code() == codes.Internal && st.Message() == errs.MaskedMessage
}

// routingErrorHandler answers requests that match no route: 404 for an
// unknown path, 405 (not grpc-gateway's 501) for a known path with another
// method, 400 for a malformed path.
func routingErrorHandler(_ context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	switch httpStatus {
	case http.StatusMethodNotAllowed:
		errs.WriteHTTP(w, httpStatus, status.New(codes.Unimplemented, r.Method+" is not allowed on "+r.URL.Path))
	case http.StatusBadRequest:
		errs.WriteHTTP(w, httpStatus, status.New(codes.InvalidArgument, "malformed request path"))
	default:
		errs.WriteHTTP(w, http.StatusNotFound, notFound(r))
	}
}

func notFound(r *http.Request) *status.Status {
	return status.New(codes.NotFound, "no route for "+r.Method+" "+r.URL.Path)
}
