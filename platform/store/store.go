package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"go.etcd.io/bbolt"

	"github.com/aim-platform/aim/platform/errs"
)

// Reasons carried by the errors Open returns. Only ReasonLocked has a kind a
// client may see (errs.Unavailable); the others are errs.Internal faults whose
// reason helps operators and tests tell them apart.
const (
	ReasonLocked         = "STORE_LOCKED"
	ReasonConfigInvalid  = "STORE_CONFIG_INVALID"
	ReasonSchemaInvalid  = "STORE_SCHEMA_INVALID"
	ReasonSchemaMismatch = "STORE_SCHEMA_MISMATCH"
	ReasonSchemaTooNew   = "STORE_SCHEMA_TOO_NEW"
	ReasonSchemaPending  = "STORE_SCHEMA_PENDING"
)

// DB is an open data file. It is safe for concurrent use; every field is
// fixed once Open returns.
type DB struct {
	bolt    *bbolt.DB
	writes  *committer
	path    string
	version int
	secret  []byte
}

// Open opens (creating when needed) the data file of cfg, checks that it
// belongs to schema and applies the schema's pending migrations.
//
// When another process holds the file, Open gives up after cfg.LockTimeout
// with an errs.Unavailable error of reason ReasonLocked.
func Open(cfg Config, schema Schema) (*DB, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := schema.validate(); err != nil {
		return nil, err
	}
	if !cfg.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o700); err != nil {
			return nil, errs.Wrap(err, "store: create the directory of %s", cfg.Path)
		}
	}

	db, err := open(cfg, schema)
	if err != nil {
		return nil, err
	}
	return db, nil
}

// open does the work of Open under guard, so that a damaged file (bbolt
// reads it through a memory map; a page past the end of a truncated file
// is a SIGBUS) gives an error that names it, never a crash. An existing
// file is first checked read-only: its size must hold every page its meta
// page counts, and every bucket and value must be readable.
func open(cfg Config, schema Schema) (db *DB, err error) {
	var bdb *bbolt.DB
	err = guard(cfg.Path, func() error {
		if st, err := os.Stat(cfg.Path); err == nil && st.Size() > 0 {
			err := readOnly(cfg.Path, cfg.LockTimeout, false, func(tx *bbolt.Tx) error {
				if err := checkSize(tx, cfg.Path); err != nil {
					return err
				}
				if err := walk(tx, nil); err != nil {
					return damaged(cfg.Path, "%v", err)
				}
				return nil
			})
			if IsLocked(err) {
				return lockedError(cfg)
			}
			if err != nil {
				return err
			}
		}
		opts := *bbolt.DefaultOptions
		opts.Timeout = cfg.LockTimeout
		opts.ReadOnly = cfg.ReadOnly
		bdb, err = bbolt.Open(cfg.Path, cfg.Mode, &opts)
		switch {
		case errors.Is(err, bbolt.ErrTimeout):
			return lockedError(cfg)
		case errors.Is(err, fs.ErrNotExist) && cfg.ReadOnly:
			return errs.Wrap(err, "store: open %s read-only: the file does not exist", cfg.Path)
		case err != nil:
			return errs.Wrap(err, "store: open %s", cfg.Path)
		}
		db = &DB{bolt: bdb, path: cfg.Path, writes: newCommitter(bdb, cfg.MaxBatchSize)}
		return db.prepare(schema, cfg.ReadOnly)
	})
	if err != nil {
		if bdb != nil {
			_ = bdb.Close()
		}
		return nil, err
	}
	return db, nil
}

func lockedError(cfg Config) error {
	e := errs.New(errs.Unavailable, ReasonLocked,
		"the data file %s is locked: another process holds it (gave up after %s)", cfg.Path, cfg.LockTimeout)
	e.Err = bbolt.ErrTimeout
	return e
}

// Path returns the data file's path as given in Config.
func (db *DB) Path() string { return db.path }

// SchemaVersion returns the number of migrations applied to the file.
func (db *DB) SchemaVersion() int { return db.version }

// View runs fn in a read-only transaction. Errors from fn come back as they
// are, so an *errs.Error keeps its kind.
func (db *DB) View(fn func(*bbolt.Tx) error) error { return db.bolt.View(fn) }

// Update runs fn in a read-write transaction, committed (and fsynced) when fn
// returns nil and rolled back otherwise. Errors from fn come back as they are.
func (db *DB) Update(fn func(*bbolt.Tx) error) error { return db.bolt.Update(fn) }

// Batch is Update for many concurrent writers (group commit): a call
// commits at once when no commit is running, and calls that arrive while
// one is running share the next transaction and its fsync. fn may run more
// than once (the others of its group run again when one of them fails), so
// it must be idempotent and must not have effects outside the transaction
// before Batch returns nil. See committer.
func (db *DB) Batch(fn func(*bbolt.Tx) error) error { return db.writes.do(fn) }

// Close waits for open transactions to end and closes the file, releasing
// its lock.
func (db *DB) Close() error {
	db.writes.idle.Wait()
	if err := db.bolt.Close(); err != nil {
		return errs.Wrap(err, "store: close %s", db.path)
	}
	return nil
}
