// Package store keeps the model catalog in its own bbolt file: the schema
// (collections and migrations) and the reads and writes the server needs.
// Shared content lives under the store's shared tenant, a tenant's own
// content under that tenant.
package store
