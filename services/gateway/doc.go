// Package gateway is the REST facade of the platform: a grpc-gateway mux
// over the three services, registered against gRPC client connections so
// that every REST call passes through the services' own interceptors
// (authentication, validation, error mapping) exactly like a gRPC call.
//
// Besides /v1/..., it serves /openapi.json (the merged document generated
// from the protos), /healthz (the process is up) and /readyz (every backend
// reports SERVING). Errors are google.rpc.Status JSON with the HTTP status
// that matches the code, except where HTTP says more: 405 for a known path
// with another method, 413 for a body over the limit and 415 for a body that
// is not JSON.
package gateway
