// Package client dials the gRPC services of the platform the same way
// everywhere: the gateway's connections to the services, and one service's
// connection to another (the appraisal service reading the catalog). Calls
// carry the trace context, the caller's request id and, for calls made on
// behalf of a caller, the caller's own credentials, so the called service
// checks the same identity.
package client
