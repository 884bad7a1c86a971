package errs

import (
	"context"
	"errors"

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
	st := status.New(e.Kind.Code(), e.Message)
	var details []protoadapt.MessageV1
	if e.Reason != "" {
		details = append(details, &errdetails.ErrorInfo{Reason: e.Reason, Domain: Domain, Metadata: e.Metadata})
	}
	if len(e.Violations) > 0 {
		br := &errdetails.BadRequest{}
		for _, v := range e.Violations {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
				Field: v.Field, Description: v.Description, Reason: v.Reason,
			})
		}
		details = append(details, br)
	}
	if e.ResourceType != "" || e.ResourceName != "" {
		details = append(details, &errdetails.ResourceInfo{
			ResourceType: e.ResourceType, ResourceName: e.ResourceName, Description: e.Message,
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
