//go:build !linux

package main

import (
	"time"

	pstore "github.com/aim-platform/aim/platform/store"
)

// createPending makes a named temporary file in dir; only Linux has
// unnamed ones (see pending_linux.go).
func createPending(dir string) (*pendingFile, error) { return createNamedPending(dir) }

// tryLock asks bbolt whether a process holds path; it cannot hold the
// lock for the caller, so release does nothing.
func tryLock(path string, _ bool) (release func(), locked bool, err error) {
	_, err = pstore.Inspect(path, 200*time.Millisecond)
	if pstore.IsLocked(err) {
		return nil, true, nil
	}
	return func() {}, false, nil
}
