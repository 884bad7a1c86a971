package store

import (
	"os"
	"path/filepath"
	"time"

	"github.com/aim-platform/aim/platform/errs"
)

// Config says where the data file is and how to open it.
type Config struct {
	// Path is the data file. Its parent directory is created (mode 0700)
	// when missing.
	Path string
	// LockTimeout bounds the wait for the file lock held by another
	// process. It must be positive: a service should fail, not hang.
	LockTimeout time.Duration
	// Mode is the permission of a newly created data file. It must grant
	// the owner read and write and hold permission bits only.
	Mode os.FileMode
	// MaxBatchSize is the largest number of Batch calls combined into one
	// transaction (group commit). Zero or one disables combining; each
	// Batch call then commits on its own.
	MaxBatchSize int
	// ReadOnly opens the file with a shared lock and without write access.
	// The file must exist and be fully migrated.
	ReadOnly bool
}

// Defaults of DefaultConfig. The batch size is bbolt's own default.
const (
	DefaultLockTimeout  = 2 * time.Second
	DefaultMode         = os.FileMode(0o600)
	DefaultMaxBatchSize = 1000
)

// DefaultConfig returns the configuration services use for the data file at
// path: a two second lock timeout, mode 0600 and groups of up to 1000
// writes.
func DefaultConfig(path string) Config {
	return Config{
		Path:         path,
		LockTimeout:  DefaultLockTimeout,
		Mode:         DefaultMode,
		MaxBatchSize: DefaultMaxBatchSize,
	}
}

// ConfigIn is DefaultConfig for the data file named file in directory dir,
// with lockTimeout instead of the default when it is positive: what each
// service opens under --data-dir.
func ConfigIn(dir, file string, lockTimeout time.Duration) Config {
	c := DefaultConfig(filepath.Join(dir, file))
	if lockTimeout > 0 {
		c.LockTimeout = lockTimeout
	}
	return c
}

// validate reports the first problem with c.
func (c Config) validate() error {
	switch {
	case c.Path == "":
		return configError("path is empty")
	case c.LockTimeout <= 0:
		return configError("lock timeout must be positive, got %s", c.LockTimeout)
	case c.Mode&^os.ModePerm != 0:
		return configError("mode %s holds more than permission bits", c.Mode)
	case c.Mode&0o600 != 0o600:
		return configError("mode %s does not let the owner read and write", c.Mode)
	case c.MaxBatchSize < 0:
		return configError("max batch size must not be negative, got %d", c.MaxBatchSize)
	}
	return nil
}

func configError(format string, args ...any) error {
	return errs.New(errs.Internal, ReasonConfigInvalid, "store: config: "+format, args...)
}
