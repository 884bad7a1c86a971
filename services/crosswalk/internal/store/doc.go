// Package store keeps frameworks and crosswalks in the crosswalk service's
// own bbolt file. Shared content lives under the store's shared tenant, a
// tenant's own under that tenant.
package store
