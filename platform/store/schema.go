package store

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"math"

	"go.etcd.io/bbolt"

	"github.com/aim-platform/aim/platform/errs"
)

// Migration is one step of a schema. Apply runs inside a write transaction
// that also records Version, so a step is either fully applied and counted or
// not applied at all. Apply must leave the "_meta" bucket alone.
type Migration struct {
	// Version is the step's position, counting from 1.
	Version int
	// Name says what the step does, for logs and errors.
	Name string
	// Apply makes the change.
	Apply func(tx *bbolt.Tx) error
}

// Schema names the service that owns a data file and lists the migrations
// that build its buckets. Migrations[i].Version must be i+1. A released
// migration must never change; new steps are appended.
type Schema struct {
	// Name identifies the owning service, such as "model". A file created
	// under one name is never opened under another.
	Name string
	// Migrations are the steps, in order.
	Migrations []Migration
	// Collections says what each tenant's collections hold, by collection
	// name, so that Verify can decode every record of a file. The
	// package's own collections (request ids) need no entry.
	Collections map[string]*Layout
}

// Names inside the meta bucket.
const (
	metaBucket    = "_meta"
	metaSchemaKey = "schema"
	metaVersion   = "version"
	metaSecretKey = "page_token_secret"
	secretSize    = 32
)

func (s Schema) validate() error {
	if s.Name == "" {
		return schemaError("schema name is empty")
	}
	for i, m := range s.Migrations {
		if m.Version != i+1 {
			return schemaError("schema %q: migration #%d (%q) has version %d, want %d; versions must run 1..n",
				s.Name, i+1, m.Name, m.Version, i+1)
		}
		if m.Apply == nil {
			return schemaError("schema %q: migration %d (%q) has no Apply function", s.Name, m.Version, m.Name)
		}
	}
	return nil
}

func schemaError(format string, args ...any) error {
	return errs.New(errs.Internal, ReasonSchemaInvalid, "store: "+format, args...)
}

// prepare checks the meta bucket (writing it on a new file), loads the page
// token secret and, unless read-only, runs the pending migrations.
func (db *DB) prepare(schema Schema, readOnly bool) error {
	check := func(tx *bbolt.Tx) error {
		m := tx.Bucket([]byte(metaBucket))
		if m == nil {
			if readOnly {
				return errs.New(errs.Internal, ReasonSchemaMismatch,
					"store: %s has no schema record; open it read-write once first", db.path)
			}
			var err error
			if m, err = db.initMeta(tx, schema.Name); err != nil {
				return err
			}
		}
		if name := string(m.Get([]byte(metaSchemaKey))); name != schema.Name {
			return errs.New(errs.Internal, ReasonSchemaMismatch,
				"store: %s belongs to schema %q, not %q", db.path, name, schema.Name)
		}
		v, err := readVersion(m)
		if err != nil {
			return errs.Wrap(err, "store: %s", db.path)
		}
		if v > len(schema.Migrations) {
			return errs.New(errs.Internal, ReasonSchemaTooNew,
				"store: %s is at schema %q version %d but this binary knows only %d; refusing to run an older binary on newer data",
				db.path, schema.Name, v, len(schema.Migrations))
		}
		if readOnly && v < len(schema.Migrations) {
			return errs.New(errs.Internal, ReasonSchemaPending,
				"store: %s is at schema %q version %d and needs migrations up to %d, which a read-only open cannot apply",
				db.path, schema.Name, v, len(schema.Migrations))
		}
		secret := m.Get([]byte(metaSecretKey))
		if len(secret) != secretSize {
			return faultf("store: %s: page token secret is %d bytes, want %d", db.path, len(secret), secretSize)
		}
		db.version = v
		db.secret = bytes.Clone(secret)
		return nil
	}
	if readOnly {
		return db.bolt.View(check)
	}
	if err := db.bolt.Update(check); err != nil {
		return err
	}
	for _, mig := range schema.Migrations[db.version:] {
		if err := db.bolt.Update(func(tx *bbolt.Tx) error { return applyMigration(tx, mig) }); err != nil {
			return errs.Wrap(err, "store: %s: schema %q migration %d (%s)", db.path, schema.Name, mig.Version, mig.Name)
		}
		db.version = mig.Version
	}
	return nil
}

// initMeta writes the meta bucket of a new file. A file that already holds
// buckets but no meta bucket was not made by this package and is refused.
func (db *DB) initMeta(tx *bbolt.Tx, name string) (*bbolt.Bucket, error) {
	if k, _ := tx.Cursor().First(); k != nil {
		return nil, errs.New(errs.Internal, ReasonSchemaMismatch,
			"store: %s holds data but no schema record; it is not a store data file", db.path)
	}
	m, err := tx.CreateBucket([]byte(metaBucket))
	if err != nil {
		return nil, errs.Wrap(err, "store: %s: create the meta bucket", db.path)
	}
	secret := make([]byte, secretSize)
	if _, err := rand.Read(secret); err != nil {
		return nil, errs.Wrap(err, "store: %s: generate the page token secret", db.path)
	}
	if err := m.Put([]byte(metaSchemaKey), []byte(name)); err != nil {
		return nil, errs.Wrap(err, "store: %s: record the schema name", db.path)
	}
	if err := m.Put([]byte(metaSecretKey), secret); err != nil {
		return nil, errs.Wrap(err, "store: %s: record the page token secret", db.path)
	}
	if err := writeVersion(m, 0); err != nil {
		return nil, errs.Wrap(err, "store: %s: record the schema version", db.path)
	}
	return m, nil
}

// applyMigration runs one step and records its version in the same
// transaction.
func applyMigration(tx *bbolt.Tx, mig Migration) error {
	if err := mig.Apply(tx); err != nil {
		return err
	}
	m := tx.Bucket([]byte(metaBucket))
	if m == nil {
		return faultf("the migration removed the meta bucket")
	}
	v, err := readVersion(m)
	if err != nil {
		return err
	}
	if v != mig.Version-1 {
		return faultf("the recorded version is %d, want %d", v, mig.Version-1)
	}
	return writeVersion(m, mig.Version)
}

func readVersion(m *bbolt.Bucket) (int, error) {
	raw := m.Get([]byte(metaVersion))
	if len(raw) != 8 {
		return 0, faultf("schema version record is %d bytes, want 8", len(raw))
	}
	v := binary.BigEndian.Uint64(raw)
	if v > math.MaxInt32 {
		return 0, faultf("schema version %d is out of range", v)
	}
	return int(v), nil
}

func writeVersion(m *bbolt.Bucket, v int) error {
	return m.Put([]byte(metaVersion), binary.BigEndian.AppendUint64(nil, uint64(v)))
}

// faultf returns an internal error with no underlying cause.
func faultf(format string, args ...any) error {
	return errs.New(errs.Internal, "INTERNAL", format, args...)
}
