// Package server is the crosswalk service's gRPC surface: it checks the
// caller, translates requests into store calls and results into responses.
package server
