package errs

import (
	"errors"
	"fmt"
	"strings"
)

// Domain is the ErrorInfo domain of every error the platform returns.
const Domain = "aim-platform.dev"

// Kind classifies an error by what the client can do about it.
type Kind uint8

// The kinds, each with the gRPC code it maps to.
const (
	Internal           Kind = iota // INTERNAL: a fault of ours; text is masked.
	Invalid                        // INVALID_ARGUMENT: the request is wrong.
	NotFound                       // NOT_FOUND: no such resource for this caller.
	AlreadyExists                  // ALREADY_EXISTS: the name is taken.
	FailedPrecondition             // FAILED_PRECONDITION: not allowed in the current state.
	Aborted                        // ABORTED: a concurrent change won (stale etag).
	PermissionDenied               // PERMISSION_DENIED: authenticated, not allowed.
	Unauthenticated                // UNAUTHENTICATED: no valid credentials.
	Unavailable                    // UNAVAILABLE: try again later.
	ResourceExhausted              // RESOURCE_EXHAUSTED: a quota or limit was hit.
)

var kindNames = [...]string{
	Internal:           "internal",
	Invalid:            "invalid argument",
	NotFound:           "not found",
	AlreadyExists:      "already exists",
	FailedPrecondition: "failed precondition",
	Aborted:            "aborted",
	PermissionDenied:   "permission denied",
	Unauthenticated:    "unauthenticated",
	Unavailable:        "unavailable",
	ResourceExhausted:  "resource exhausted",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// FieldViolation names one bad field of a request, in the dotted path form of
// google.rpc.BadRequest (for example "appraisal.display_name" or
// "practices[3].level").
type FieldViolation struct {
	Field       string
	Description string
	// Reason is an optional UPPER_SNAKE_CASE code for the violation.
	Reason string
}

// Error is the platform's error value. Build it with the constructors below.
type Error struct {
	Kind Kind
	// Reason is a stable UPPER_SNAKE_CASE word for google.rpc.ErrorInfo.
	Reason string
	// Message is what the client reads. For Internal it is logged, not sent.
	Message string
	// ResourceType and ResourceName fill google.rpc.ResourceInfo when set.
	ResourceType string
	ResourceName string
	// Violations fill google.rpc.BadRequest for Invalid errors.
	Violations []FieldViolation
	// Metadata goes into ErrorInfo.metadata.
	Metadata map[string]string
	// Err is the underlying cause, if any.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	if b.Len() == 0 {
		b.WriteString(e.Kind.String())
	}
	for i, v := range e.Violations {
		if i == MaxViolations {
			fmt.Fprintf(&b, "; and %d more", len(e.Violations)-i)
			break
		}
		fmt.Fprintf(&b, "; %s: %s", truncate(v.Field, maxTextBytes), truncate(v.Description, maxTextBytes))
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns an error of the given kind and reason with a formatted message.
func New(kind Kind, reason, format string, args ...any) *Error {
	return &Error{Kind: kind, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an Internal error with a message and a cause. Its text never
// reaches a client.
func Wrap(err error, format string, args ...any) *Error {
	return &Error{Kind: Internal, Reason: "INTERNAL", Message: fmt.Sprintf(format, args...), Err: err}
}

// Violation is shorthand for a FieldViolation.
func Violation(field, format string, args ...any) FieldViolation {
	return FieldViolation{Field: field, Description: fmt.Sprintf(format, args...)}
}

// InvalidArgument returns an Invalid error that lists every violation.
func InvalidArgument(violations ...FieldViolation) *Error {
	msg := "the request has an invalid field"
	if len(violations) != 1 {
		msg = fmt.Sprintf("the request has %d invalid fields", len(violations))
	}
	return &Error{Kind: Invalid, Reason: "INVALID_ARGUMENT", Message: msg, Violations: violations}
}

// NotFoundError says the resource does not exist for this caller. It is also
// the answer for another tenant's resource, so that ids do not leak.
func NotFoundError(resourceType, name string) *Error {
	return &Error{
		Kind: NotFound, Reason: "RESOURCE_NOT_FOUND",
		Message:      fmt.Sprintf("%s %q not found", resourceType, name),
		ResourceType: resourceType, ResourceName: name,
	}
}

// AlreadyExistsError says a resource with this name exists.
func AlreadyExistsError(resourceType, name string) *Error {
	return &Error{
		Kind: AlreadyExists, Reason: "RESOURCE_ALREADY_EXISTS",
		Message:      fmt.Sprintf("%s %q already exists", resourceType, name),
		ResourceType: resourceType, ResourceName: name,
	}
}

// KindOf returns the Kind of the first *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Kind
	}
	return Internal
}

// Is reports whether err's chain holds an *Error of the given kind.
func Is(err error, kind Kind) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.Kind == kind
}
