package store_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/store"
)

func TestDefaultConfig(t *testing.T) {
	cfg := store.DefaultConfig("/x/y.db")
	if cfg.Path != "/x/y.db" || cfg.LockTimeout != 2*time.Second || cfg.Mode != 0o600 ||
		cfg.MaxBatchSize != 1000 || cfg.ReadOnly {
		t.Fatalf("DefaultConfig = %+v", cfg)
	}
}

func TestConfigIn(t *testing.T) {
	tests := []struct {
		lock, want time.Duration
	}{
		{0, store.DefaultLockTimeout},
		{-time.Second, store.DefaultLockTimeout},
		{5 * time.Second, 5 * time.Second},
	}
	for _, tt := range tests {
		cfg := store.ConfigIn("/data", "model.db", tt.lock)
		want := store.DefaultConfig("/data/model.db")
		want.LockTimeout = tt.want
		if cfg != want {
			t.Errorf("ConfigIn(/data, model.db, %v) = %+v, want %+v", tt.lock, cfg, want)
		}
	}
}

func TestOpenRejectsBadConfig(t *testing.T) {
	path := tempPath(t)
	tests := []struct {
		name string
		edit func(*store.Config)
	}{
		{"empty path", func(c *store.Config) { c.Path = "" }},
		{"zero lock timeout", func(c *store.Config) { c.LockTimeout = 0 }},
		{"negative lock timeout", func(c *store.Config) { c.LockTimeout = -time.Second }},
		{"zero mode", func(c *store.Config) { c.Mode = 0 }},
		{"owner cannot write", func(c *store.Config) { c.Mode = 0o400 }},
		{"not only permission bits", func(c *store.Config) { c.Mode = os.ModeDir | 0o700 }},
		{"negative batch size", func(c *store.Config) { c.MaxBatchSize = -1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(path)
			tt.edit(&cfg)
			db, err := store.Open(cfg, testSchema)
			if err == nil {
				_ = db.Close()
				t.Fatal("Open succeeded")
			}
			if reasonOf(err) != store.ReasonConfigInvalid || errs.KindOf(err) != errs.Internal {
				t.Fatalf("Open: %v (reason %q)", err, reasonOf(err))
			}
		})
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a rejected config created the file: %v", err)
	}
}

func TestOpenCreatesFileAndDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "var", "aim")
	path := filepath.Join(dir, "model.db")
	db := openAt(t, path, testSchema)
	if db.Path() != path {
		t.Fatalf("Path() = %q, want %q", db.Path(), path)
	}
	for _, c := range []struct {
		path string
		want os.FileMode
	}{{path, 0o600}, {dir, 0o700}} {
		st, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != c.want {
			t.Errorf("mode of %s = %o, want %o", c.path, got, c.want)
		}
	}
}

func TestOpenLocked(t *testing.T) {
	path := tempPath(t)
	openAt(t, path, testSchema)

	cfg := testConfig(path)
	start := time.Now()
	db, err := store.Open(cfg, testSchema)
	elapsed := time.Since(start)
	if err == nil {
		_ = db.Close()
		t.Fatal("second Open of a locked file succeeded")
	}
	if elapsed > cfg.LockTimeout+time.Second {
		t.Errorf("second Open took %s, lock timeout is %s", elapsed, cfg.LockTimeout)
	}
	if !errs.Is(err, errs.Unavailable) || reasonOf(err) != store.ReasonLocked {
		t.Fatalf("second Open: %v (kind %v, reason %q)", err, errs.KindOf(err), reasonOf(err))
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "another process") {
		t.Fatalf("message %q should name the path and the other process", err.Error())
	}

	ro := cfg
	ro.ReadOnly = true
	if db, err := store.Open(ro, testSchema); err == nil {
		_ = db.Close()
		t.Fatal("read-only Open of a file locked for writing succeeded")
	} else if reasonOf(err) != store.ReasonLocked {
		t.Fatalf("read-only Open: %v", err)
	}
}

func TestOpenReadOnly(t *testing.T) {
	path := tempPath(t)
	db := openAt(t, path, testSchema)
	if err := db.Update(func(tx *bbolt.Tx) error {
		return store.TenantBucket(tx, "a", "items").Put([]byte("k"), []byte("v"))
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	cfg := testConfig(path)
	cfg.ReadOnly = true
	// Readers share the lock.
	r1, err := store.Open(cfg, testSchema)
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := store.Open(cfg, testSchema)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if err := r2.View(func(tx *bbolt.Tx) error {
		if got := string(store.TenantBucket(tx, "a", "items").Get([]byte("k"))); got != "v" {
			t.Errorf("read %q, want v", got)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := r1.Update(func(*bbolt.Tx) error { return nil }); err == nil {
		t.Fatal("Update on a read-only store succeeded")
	}

	t.Run("pending migrations", func(t *testing.T) {
		newer := testSchema
		newer.Migrations = append(newer.Migrations[:1:1], store.Migration{Version: 2, Name: "noop", Apply: func(*bbolt.Tx) error { return nil }})
		if db, err := store.Open(cfg, newer); err == nil {
			_ = db.Close()
			t.Fatal("read-only Open with pending migrations succeeded")
		} else if reasonOf(err) != store.ReasonSchemaPending {
			t.Fatalf("Open: %v", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		missing := testConfig(filepath.Join(t.TempDir(), "none.db"))
		missing.ReadOnly = true
		if db, err := store.Open(missing, testSchema); err == nil {
			_ = db.Close()
			t.Fatal("read-only Open of a missing file succeeded")
		}
	})
}

func TestOpenRefusesForeignBoltFile(t *testing.T) {
	path := tempPath(t)
	bdb, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := bdb.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucket([]byte("somebody-else"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := bdb.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err := store.Open(testConfig(path), testSchema); err == nil {
		_ = db.Close()
		t.Fatal("Open adopted a bbolt file it did not create")
	} else if reasonOf(err) != store.ReasonSchemaMismatch {
		t.Fatalf("Open: %v", err)
	}
}

func TestOpenRefusesNonBoltFile(t *testing.T) {
	path := tempPath(t)
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	if db, err := store.Open(testConfig(path), testSchema); err == nil {
		_ = db.Close()
		t.Fatal("Open accepted garbage")
	} else if errs.KindOf(err) != errs.Internal || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open: %v", err)
	}
}
