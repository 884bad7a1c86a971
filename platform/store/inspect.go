package store

import (
	"encoding/binary"
	"errors"
	"fmt"
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
// what it is. Restores use it to refuse a file that is corrupt or belongs to
// another service. It fails fast when a process holds the file.
func Inspect(path string, lockTimeout time.Duration) (Info, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Info{}, err
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: lockTimeout})
	if errors.Is(err, bbolt.ErrTimeout) {
		return Info{}, errs.New(errs.Unavailable, ReasonLocked, "%s is in use by another process", path)
	}
	if err != nil {
		return Info{}, fmt.Errorf("%s is not a store file: %w", path, err)
	}
	defer db.Close()
	info := Info{Size: st.Size()}
	var problems []error
	err = db.View(func(tx *bbolt.Tx) error {
		for e := range tx.Check() {
			if len(problems) < maxCheckErrors {
				problems = append(problems, e)
			}
		}
		m := tx.Bucket([]byte(metaBucket))
		if m == nil {
			return fmt.Errorf("%s has no schema record", path)
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
	if len(problems) > 0 {
		return Info{}, fmt.Errorf("%s failed its consistency check: %w", path, errors.Join(problems...))
	}
	return info, nil
}

// IsLocked reports whether err says another process holds a store file.
func IsLocked(err error) bool {
	e, ok := errors.AsType[*errs.Error](err)
	return ok && e.Reason == ReasonLocked
}
