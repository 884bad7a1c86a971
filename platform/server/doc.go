// Package server is the gRPC bootstrap every AIM service runs on: one
// grpc.Server with the platform's interceptor chain, per-service health,
// reflection, an admin HTTP listener for /metrics, and a graceful shutdown
// with a drain deadline.
//
// The interceptor chain, outermost first (see chain.go):
//
//	otelgrpc stats handler  traces and RPC metrics
//	request id              x-request-id in, out and in the context
//	access log              one slog line per call, health at debug
//	error mapping           domain errors to google.rpc.Status; internal text masked and logged
//	authentication          bearer JWT or API key; health and reflection stay open
//	rate limit              per-tenant token bucket, a call taking its method's tokens (cost.go); RESOURCE_EXHAUSTED with RetryInfo
//	costly calls (unary)    per-tenant and per-service bound on costly calls at once (cost.go)
//	open streams (stream)   per-subject, per-tenant and total bound on open streams (streams.go)
//	validation              protovalidate rules to BadRequest field violations
//	panic recovery          a panic becomes INTERNAL and a log line with the stack
package server
