// Package store keeps appraisals in the appraisal service's own bbolt file,
// each under the tenant that owns it.
package store
