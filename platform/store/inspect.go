package store

import (
	"encoding/binary"
	"errors"
	"os"
	"time"

	"go.etcd.io/bbolt"

	"github.com/aim-platform/aim/platform/errs"
)

// Info describes a store file without opening it for a service.
type Info struct {
	// Schema is the name of the service that owns the file.
	Schema string
	// Version is its schema version.
	Version int
	// Size is the file size in bytes.
	Size int64
}

// Inspect opens a store file read-only, checks its consistency and returns
// what it is. It fails fast, with an error IsLocked recognizes, when a
// process holds the file, and with an error IsDamaged recognizes when the
// file is truncated or corrupt: it never panics or faults on a bad file.
func Inspect(path string, lockTimeout time.Duration) (Info, error) {
	return inspect(path, lockTimeout, nil)
}

// Verify is Inspect for a file that must belong to schema: the file must
// carry schema's name at a version this binary knows, and every record
// must decode as schema.Collections says. Restores run it on a backup
// before they put it in place.
func Verify(path string, schema Schema, lockTimeout time.Duration) (Info, error) {
	collections := schema.Collections
	if collections == nil {
		collections = map[string]*Layout{}
	}
	info, err := inspect(path, lockTimeout, collections)
	if err != nil {
		return Info{}, err
	}
	if info.Schema != schema.Name {
		return Info{}, errs.New(errs.Internal, ReasonSchemaMismatch, "%s is a %q store, not %q", path, info.Schema, schema.Name)
	}
	if info.Version > len(schema.Migrations) {
		return Info{}, errs.New(errs.Internal, ReasonSchemaTooNew,
			"%s is at schema %q version %d but this binary knows only %d", path, info.Schema, info.Version, len(schema.Migrations))
	}
	return info, nil
}

// inspect does the work of Inspect and Verify in two read-only opens. The
// first reads no page the meta page does not count: it checks the file
// size, then reads every bucket and value (judging the tenant collections
// by collections, when not nil) and the schema record. The second loads
// the free list and runs bbolt's own check.
func inspect(path string, lockTimeout time.Duration, collections map[string]*Layout) (Info, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Info{}, err
	}
	info := Info{Size: st.Size()}
	err = readOnly(path, lockTimeout, false, func(tx *bbolt.Tx) error {
		if err := checkSize(tx, path); err != nil {
			return err
		}
		if err := walk(tx, collections); err != nil {
			return damaged(path, "%v", err)
		}
		m := tx.Bucket([]byte(metaBucket))
		if m == nil {
			return errs.New(errs.Internal, ReasonSchemaMismatch, "%s has no schema record", path)
		}
		info.Schema = string(m.Get([]byte(metaSchemaKey)))
		if v := m.Get([]byte(metaVersion)); len(v) == 8 {
			info.Version = int(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	if err != nil {
		return Info{}, err
	}
	var problems []error
	err = readOnly(path, lockTimeout, true, func(tx *bbolt.Tx) error {
		// Check runs in a goroutine of bbolt's, which recovers its panics
		// into errors; the walk above has read every page it reads but
		// the free list, which the open loaded under guard.
		for e := range tx.Check() {
			if len(problems) < maxCheckErrors {
				problems = append(problems, e)
			}
		}
		return nil
	})
	if err != nil {
		return Info{}, err
	}
	if len(problems) > 0 {
		return Info{}, damaged(path, "it failed its consistency check: %v", errors.Join(problems...))
	}
	return info, nil
}

// readOnly opens path read-only and runs fn in a read transaction, all
// under guard. freelist loads the free list at open.
func readOnly(path string, lockTimeout time.Duration, freelist bool, fn func(*bbolt.Tx) error) error {
	return guard(path, func() error {
		db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: lockTimeout, PreLoadFreelist: freelist})
		if errors.Is(err, bbolt.ErrTimeout) {
			return errs.New(errs.Unavailable, ReasonLocked, "%s is in use by another process", path)
		}
		if err != nil {
			return errs.New(errs.Internal, ReasonDamaged, "%s is not a store file: %v", path, err)
		}
		defer db.Close()
		return db.View(fn)
	})
}

// IsLocked reports whether err says another process holds a store file.
func IsLocked(err error) bool {
	e, ok := errors.AsType[*errs.Error](err)
	return ok && e.Reason == ReasonLocked
}
