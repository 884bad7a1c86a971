package errs

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"unicode/utf8"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
)

// MaskedMessage is what a client reads in place of an internal error's text.
const MaskedMessage = "internal error; the server logged the details"

var kindCodes = [...]codes.Code{
	Internal:           codes.Internal,
	Invalid:            codes.InvalidArgument,
	NotFound:           codes.NotFound,
	AlreadyExists:      codes.AlreadyExists,
	FailedPrecondition: codes.FailedPrecondition,
	Aborted:            codes.Aborted,
	PermissionDenied:   codes.PermissionDenied,
	Unauthenticated:    codes.Unauthenticated,
	Unavailable:        codes.Unavailable,
	ResourceExhausted:  codes.ResourceExhausted,
}

// Code returns the gRPC code of a kind.
func (k Kind) Code() codes.Code {
	if int(k) < len(kindCodes) {
		return kindCodes[k]
	}
	return codes.Internal
}

// GRPCStatus makes *Error a gRPC status error, so that status.FromError and
// the grpc server understand it. An Internal error's message is masked.
func (e *Error) GRPCStatus() *status.Status {
	if e.Kind == Internal {
		return status.New(codes.Internal, MaskedMessage)
	}
	listed := listedViolations(e.Violations)
	msg := e.Message
	md := e.Metadata
	if len(listed) < len(e.Violations) {
		msg = fmt.Sprintf("%s; the first %d of %d are listed", msg, len(listed), len(e.Violations))
		md = maps.Clone(md)
		if md == nil {
			md = map[string]string{}
		}
		md["violations_total"] = strconv.Itoa(len(e.Violations))
		md["violations_listed"] = strconv.Itoa(len(listed))
	}
	st := status.New(e.Kind.Code(), truncate(msg, maxTextBytes))
	var details []protoadapt.MessageV1
	if e.Reason != "" {
		details = append(details, &errdetails.ErrorInfo{Reason: e.Reason, Domain: Domain, Metadata: md})
	}
	if len(listed) > 0 {
		details = append(details, &errdetails.BadRequest{FieldViolations: listed})
	}
	if e.ResourceType != "" || e.ResourceName != "" {
		details = append(details, &errdetails.ResourceInfo{
			ResourceType: e.ResourceType, ResourceName: truncate(e.ResourceName, maxTextBytes), Description: truncate(e.Message, maxTextBytes),
		})
	}
	if len(details) == 0 {
		return st
	}
	withDetails, err := st.WithDetails(details...)
	if err != nil {
		return st
	}
	return withDetails
}

// ToStatus turns any error into the status a client should see, and reports
// whether the error was an internal fault that the caller must log (its text
// is masked in the returned status).
//
//   - *Error: its own status (Internal masked);
//   - an existing gRPC status error other than UNKNOWN: unchanged;
//   - context cancellation and deadline: CANCELED and DEADLINE_EXCEEDED;
//   - anything else: INTERNAL, masked.
func ToStatus(err error) (st *status.Status, internal bool) {
	if err == nil {
		return status.New(codes.OK, ""), false
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.GRPCStatus(), e.Kind == Internal
	}
	if s, ok := status.FromError(err); ok && s.Code() != codes.Unknown {
		if s.Code() == codes.Internal {
			return status.New(codes.Internal, MaskedMessage), true
		}
		return s, false
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.New(codes.Canceled, "the request was canceled"), false
	case errors.Is(err, context.DeadlineExceeded):
		return status.New(codes.DeadlineExceeded, "the request deadline passed"), false
	}
	return status.New(codes.Internal, MaskedMessage), true
}

// Limits on the error details a status carries. However many violations a
// request has, its status lists at most MaxViolations of them, and at most
// maxViolationBytes of their text, so that it fits a transport's limit on
// trailers (HTTP/2 proxies commonly allow 16-64 KiB of headers; grpc-go's
// own default is larger). ErrorInfo metadata violations_total gives the
// full count.
const (
	MaxViolations     = 100
	maxViolationBytes = 16 << 10
	maxTextBytes      = 512
)

// listedViolations returns the violations a status lists: the first ones,
// within MaxViolations and maxViolationBytes, each text cut to
// maxTextBytes.
func listedViolations(vs []FieldViolation) []*errdetails.BadRequest_FieldViolation {
	var out []*errdetails.BadRequest_FieldViolation
	size := 0
	for _, v := range vs {
		fv := &errdetails.BadRequest_FieldViolation{
			Field: truncate(v.Field, maxTextBytes), Description: truncate(v.Description, maxTextBytes), Reason: truncate(v.Reason, maxTextBytes),
		}
		size += len(fv.Field) + len(fv.Description) + len(fv.Reason)
		if len(out) == MaxViolations || len(out) > 0 && size > maxViolationBytes {
			break
		}
		out = append(out, fv)
	}
	return out
}

// truncate cuts s to at most n bytes, on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}
