// Package gateway is the REST facade of the platform: a grpc-gateway mux
// over the three services, registered against gRPC client connections so
// that every REST call passes through the services' own interceptors
// (authentication, validation, error mapping) exactly like a gRPC call.
//
// Besides /v1/..., it serves /openapi.json (the merged document generated
// from the protos), /healthz (the process is up) and /readyz (every backend
// reports SERVING). Errors are google.rpc.Status JSON with the HTTP status
// that matches the code.
package gateway
