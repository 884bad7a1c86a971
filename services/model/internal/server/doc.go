// Package server is the model catalog's gRPC surface: it checks the caller,
// translates requests into store calls and store results into responses.
package server
