// Package errs gives the platform one error type for domain and storage
// failures and one place that turns it into a gRPC status.
//
// Code below the wire returns *Error values with a Kind (what went wrong, in
// terms a client can act on), a Reason (a stable UPPER_SNAKE_CASE word for
// ErrorInfo), and, for bad input, the field violations. The gRPC boundary
// (Status, and the interceptor in platform/server) maps them to codes and
// google.rpc error details. Anything that is not an *Error or a gRPC status
// is an internal fault: its text is logged and masked from the client.
package errs
