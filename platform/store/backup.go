package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"go.etcd.io/bbolt"

	"github.com/aim-platform/aim/platform/errs"
)

// Backup writes a consistent copy of the whole data file to w and returns the
// number of bytes written. The copy shows the store as of the moment Backup
// started. It is taken with Snapshot, so w may be as slow as it likes: no
// transaction stays open while w is written.
func (db *DB) Backup(w io.Writer) (int64, error) {
	f, _, err := db.Snapshot()
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := io.Copy(w, f)
	if err != nil {
		return n, errs.Wrap(err, "store: back up %s", db.path)
	}
	return n, nil
}

// snapshotPattern names the temporary file of a Snapshot for the moment
// between its creation and its unlinking.
const snapshotPattern = ".aim-snapshot-*"

// Snapshot writes a consistent copy of the data file into a temporary file
// in the data file's directory and returns it, open for reading at its
// start, with its size. The read transaction that takes the copy ends before
// Snapshot returns. A read transaction held open while a client reads at
// its own pace would block any commit that must grow the file's memory map,
// and every reader queued behind that commit (redteam H2), so the copy goes
// to local disk at disk speed first.
//
// The file is unlinked as soon as it is created: it has no name while it
// holds data, the kernel frees it when the caller closes it or the process
// dies, and no hidden copy of every tenant's data is ever left behind. It
// needs as much free space in that directory as the data file takes.
func (db *DB) Snapshot() (*os.File, int64, error) {
	f, err := os.CreateTemp(filepath.Dir(db.path), snapshotPattern)
	if err != nil {
		return nil, 0, errs.Wrap(err, "store: snapshot %s", db.path)
	}
	if err := os.Remove(f.Name()); err != nil {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return nil, 0, errs.Wrap(err, "store: snapshot %s", db.path)
	}
	size, err := db.writeTo(f)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		_ = f.Close()
		return nil, 0, errs.Wrap(err, "store: snapshot %s", db.path)
	}
	return f, size, nil
}

func (db *DB) writeTo(w io.Writer) (n int64, err error) {
	err = db.bolt.View(func(tx *bbolt.Tx) error {
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// BackupToFile writes a consistent copy of the data file to path, mode 0600.
// The copy goes to a temporary file in the same directory, is fsynced, and is
// then renamed over path, so path never holds a partial copy. The copy opens
// with the same Schema and accepts the same page tokens.
func (db *DB) BackupToFile(path string) (err error) {
	if err := db.notSelf(path); err != nil {
		return err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return errs.Wrap(err, "store: back up %s to %s", db.path, path)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
			err = errs.Wrap(err, "store: back up %s to %s", db.path, path)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err := db.writeTo(tmp); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// notSelf refuses a backup target that is the data file itself.
func (db *DB) notSelf(path string) error {
	same := false
	if a, err := filepath.Abs(path); err == nil {
		if b, err := filepath.Abs(db.path); err == nil && a == b {
			same = true
		}
	}
	if st, err := os.Stat(path); err == nil {
		if own, err := os.Stat(db.path); err == nil && os.SameFile(st, own) {
			same = true
		}
	}
	if same {
		return faultf("store: refusing to back up %s onto itself", db.path)
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	return errors.Join(serr, d.Close())
}

// maxCheckErrors bounds how many problems Check keeps; it still counts all.
const maxCheckErrors = 100

// Check walks every page of the file and reports the problems bbolt finds,
// or nil for a consistent file. It runs in a read transaction and reads the
// whole file, so it is meant for startup checks and tools, not hot paths.
func (db *DB) Check() error {
	var problems []error
	count := 0
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		for e := range tx.Check() {
			count++
			if len(problems) < maxCheckErrors {
				problems = append(problems, e)
			}
		}
		return nil
	})
	if err != nil {
		return errs.Wrap(err, "store: check %s", db.path)
	}
	if count == 0 {
		return nil
	}
	if count > len(problems) {
		problems = append(problems, fmt.Errorf("%d more problems not shown", count-len(problems)))
	}
	return errs.Wrap(errors.Join(problems...), "store: %s failed its consistency check with %d problems", db.path, count)
}
