// Package appraisal holds the appraisal domain rules, free of gRPC and
// storage: resource names and ids, the life-cycle states and which
// transitions between them are allowed.
package appraisal
