// Package framework holds the crosswalk service's knowledge of frameworks,
// free of gRPC and storage: resource names and the frameworks that ship with
// the platform (identifiers and titles of public standards only).
package framework
