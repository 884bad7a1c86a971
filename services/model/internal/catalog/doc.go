// Package catalog holds the model catalog's domain rules and its embedded
// default content, free of gRPC and storage: which models ship with the
// platform and how a model's resource name is formed and checked.
package catalog
