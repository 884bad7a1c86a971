package store_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/platform/store/storetest"
)

func TestBackupWhileWriting(t *testing.T) {
	db := storetest.Open(t, testSchema)
	const records = 500
	err := db.Update(func(tx *bbolt.Tx) error {
		b := store.TenantBucket(tx, "a", "items")
		for i := range records {
			if err := b.Put(fmt.Appendf(nil, "r%04d", i), bytes.Repeat([]byte{byte(i)}, 200)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	token := db.EncodePageToken([]byte("r0100"), "q")

	// A writer appends w000000, w000001, ... one transaction each until told
	// to stop. A consistent copy holds an unbroken run of them.
	stop := make(chan struct{})
	wrote := make(chan int)
	started := make(chan struct{})
	go func() {
		n := 0
		defer func() { wrote <- n }()
		for {
			if n == 10 {
				close(started)
			}
			select {
			case <-stop:
				return
			default:
			}
			err := db.Update(func(tx *bbolt.Tx) error {
				b, err := store.CreateTenantBucket(tx, "a", "writes")
				if err != nil {
					return err
				}
				return b.Put(fmt.Appendf(nil, "w%06d", n), bytes.Repeat([]byte("x"), 100))
			})
			if err != nil {
				t.Error(err)
				return
			}
			n++
		}
	}()

	select {
	case <-started:
	case n := <-wrote:
		t.Fatalf("the writer stopped after %d transactions", n)
	}
	dir := t.TempDir()
	fileCopy := filepath.Join(dir, "backup.db")
	var buf bytes.Buffer
	n, backupErr := db.Backup(&buf)
	fileErr := db.BackupToFile(fileCopy)
	close(stop)
	written := <-wrote
	if backupErr != nil || fileErr != nil {
		t.Fatalf("Backup: %v; BackupToFile: %v", backupErr, fileErr)
	}
	if n != int64(buf.Len()) || n == 0 {
		t.Fatalf("Backup reported %d bytes, wrote %d", n, buf.Len())
	}
	t.Logf("the writer committed %d transactions in all", written)

	streamCopy := filepath.Join(dir, "stream.db")
	if err := os.WriteFile(streamCopy, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fileCopy, streamCopy} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("mode %o, want 600", st.Mode().Perm())
			}
			cp := openAt(t, path, testSchema)
			if err := cp.Check(); err != nil {
				t.Fatalf("Check of the copy: %v", err)
			}
			if after, err := cp.DecodePageToken(token, "q"); err != nil || string(after) != "r0100" {
				t.Fatalf("token of the original on the copy: %q, %v", after, err)
			}
			err = cp.View(func(tx *bbolt.Tx) error {
				b := store.TenantBucket(tx, "a", "items")
				for i := range records {
					v := b.Get(fmt.Appendf(nil, "r%04d", i))
					if !bytes.Equal(v, bytes.Repeat([]byte{byte(i)}, 200)) {
						t.Fatalf("record %d missing or wrong in the copy", i)
					}
				}
				w := store.TenantBucket(tx, "a", "writes")
				if w == nil {
					return nil
				}
				i := 0
				c := w.Cursor()
				for k, _ := c.First(); k != nil; k, _ = c.Next() {
					if want := fmt.Sprintf("w%06d", i); string(k) != want {
						t.Fatalf("the copy has %q where %s belongs", k, want)
					}
					i++
				}
				if i > written {
					t.Fatalf("the copy has %d writes, the writer made %d", i, written)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestSnapshot: the snapshot has no name in the data dir, its transaction
// has ended when Snapshot returns (a write lands while the snapshot is open
// and unread, and is not in it), and it is a sound copy.
func TestSnapshot(t *testing.T) {
	db := storetest.Open(t, testSchema)
	put := func(k string) {
		t.Helper()
		if err := db.Update(func(tx *bbolt.Tx) error { return store.TenantBucket(tx, "a", "items").Put([]byte(k), []byte(k)) }); err != nil {
			t.Fatal(err)
		}
	}
	put("before")
	snap, size, err := db.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	entries, err := os.ReadDir(filepath.Dir(db.Path()))
	if err != nil || len(entries) != 1 {
		t.Fatalf("the data dir holds %v (%v); want the store alone", entries, err)
	}
	put("after")
	path := filepath.Join(t.TempDir(), "copy.db")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := io.Copy(out, snap); err != nil || n != size {
		t.Fatalf("copied %d of %d bytes: %v", n, size, err)
	}
	_ = out.Close()
	copyDB, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	_ = copyDB.View(func(tx *bbolt.Tx) error {
		b := store.TenantBucket(tx, "a", "items")
		if b.Get([]byte("before")) == nil || b.Get([]byte("after")) != nil {
			t.Errorf("the snapshot is not the store as of Snapshot: before=%q after=%q", b.Get([]byte("before")), b.Get([]byte("after")))
		}
		return nil
	})
}

func TestBackupToFileRefusesItself(t *testing.T) {
	db := storetest.Open(t, testSchema)
	if err := db.BackupToFile(db.Path()); err == nil {
		t.Fatal("BackupToFile onto the data file succeeded")
	}
	if err := db.Check(); err != nil {
		t.Fatalf("the data file was harmed: %v", err)
	}
	if err := db.BackupToFile(filepath.Join(t.TempDir(), "missing-dir", "x.db")); err == nil {
		t.Fatal("BackupToFile into a missing directory succeeded")
	}
}

func TestCheckFreshStore(t *testing.T) {
	db := storetest.Open(t, testSchema)
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestBatchConcurrentWriters(t *testing.T) {
	db := storetest.Open(t, testSchema)
	const writers = 64
	var wg sync.WaitGroup
	errc := make(chan error, writers)
	for i := range writers {
		wg.Go(func() {
			errc <- db.Batch(func(tx *bbolt.Tx) error {
				// Put of a fixed key and value is idempotent, as Batch requires.
				return store.TenantBucket(tx, "a", "items").Put(fmt.Appendf(nil, "b%02d", i), []byte{byte(i)})
			})
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := db.View(func(tx *bbolt.Tx) error {
		b := store.TenantBucket(tx, "a", "items")
		for i := range writers {
			if v := b.Get(fmt.Appendf(nil, "b%02d", i)); !bytes.Equal(v, []byte{byte(i)}) {
				t.Errorf("write %d lost", i)
			}
		}
		if n := b.Stats().KeyN; n != writers {
			t.Errorf("%d keys, want %d", n, writers)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
