// Package bench is the performance benchmark suite of the AIM platform
// (issue 7). It holds benchmarks only: every service runs in-process on a
// loopback TCP listener with the production interceptor chain (request id,
// access log, errors, auth, validation, recovery) and telemetry, the way
// `aim serve` wires it, and each measured call is set beside a floor run in
// the same process: a bare grpc-go unary call, a bare net/http JSON handler
// and a raw bbolt batched write.
//
// Run the suite and write BENCHMARKS.md with the driver:
//
//	cd bench && go run ./cmd/benchtable -out ../BENCHMARKS.md
//
// or one row with go test, for example:
//
//	cd bench && go test -run '^$' -bench '^BenchmarkGRPC$/^(Floor|GetPractice)$/^c64$' -benchtime 2s
//
// Nothing here runs under plain `go test`: there are no Test functions.
package bench
