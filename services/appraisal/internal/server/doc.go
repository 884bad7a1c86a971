// Package server is the appraisal service's gRPC surface: it checks the
// caller's tenant and roles, applies the domain rules and translates between
// protos and the store.
package server
