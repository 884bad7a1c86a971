// Package store is the storage mechanism every AIM service shares: one bbolt
// data file per service, opened, migrated, paged through and backed up the
// same way everywhere. It holds no domain code; each service brings its own
// Schema and its own collections.
//
// # Files and locking
//
// Open takes an exclusive lock on the data file, so a second process (or a
// second Open in the same process) waits up to Config.LockTimeout and then
// fails with an errs.Unavailable error whose reason is ReasonLocked. Commits
// are fsynced; the package never turns that off.
//
// # Schema
//
// A bucket named "_meta" records which service owns the file (Schema.Name),
// how many migrations have been applied, and the secret that signs page
// tokens. Open refuses a file that belongs to another schema, and refuses to
// run a binary whose schema is older than the data. Pending migrations run in
// order, one write transaction each, and the recorded version moves with the
// migration in the same transaction.
//
// # Layout
//
// Tenant data lives under a top-level bucket "t", one bucket per tenant id,
// one bucket per collection inside it (see TenantBucket and
// CreateTenantBucket). Content that every tenant may read sits under the
// SharedTenant id. Values are usually protocol buffers (PutProto, GetProto).
//
// # Lists and creates
//
// PageSize, ScanPage and the page token methods of DB implement AIP-158
// paging: a page costs a Seek plus the page itself, never an offset walk,
// and tokens are opaque, signed, and bound to the query that produced them.
// LookupRequest and RecordRequest implement AIP-155 request ids so that a
// retried Create returns the resource it created the first time. Request
// ids are scoped to the tenant and the caller's subject.
//
// # Damaged files
//
// bbolt reads a file through a memory map and asserts with panics, so a
// truncated or corrupt file would crash the process. Open, Inspect and
// Verify read a file they have not vouched for with faults turned into
// panics and panics into errors of reason ReasonDamaged that name the file
// (IsDamaged): the file must hold every page its meta page counts, and every
// bucket and value is read once. Verify also decodes every record with the
// schema's Collections layout and names the bucket and key of one that does
// not decode; restores run it (ADR 0009).
//
// # Errors
//
// Errors a client can act on are *errs.Error values with a kind other than
// errs.Internal (a bad page token, a reused request id, a locked file).
// Everything else is an internal fault wrapped with errs.Wrap, whose text is
// logged and never sent to a client.
package store
