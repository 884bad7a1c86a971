package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// createPending makes an unnamed file in dir (O_TMPFILE): until link gives
// it a name, nothing in dir shows it, and when the process dies, even by
// SIGKILL, the kernel frees it. A file system without O_TMPFILE gets the
// portable named temporary file instead.
func createPending(dir string) (*pendingFile, error) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EISDIR) || errors.Is(err, unix.EINVAL) {
		return createNamedPending(dir)
	}
	if err != nil {
		return nil, &os.PathError{Op: "create a temporary file in", Path: dir, Err: err}
	}
	f := os.NewFile(uintptr(fd), filepath.Join(dir, "(unnamed)"))
	return &pendingFile{File: f, path: fmt.Sprintf("/proc/self/fd/%d", fd), link: func(p *pendingFile, name string) error {
		// Linking through /proc needs no privilege, unlike AT_EMPTY_PATH.
		if err := unix.Linkat(unix.AT_FDCWD, p.path, unix.AT_FDCWD, name, unix.AT_SYMLINK_FOLLOW); err != nil {
			return &os.LinkError{Op: "link", Old: p.path, New: name, Err: err}
		}
		return nil
	}}, nil
}

// tryLock takes a non-blocking flock on path, shared or exclusive, as
// bbolt does: a running service holds its store file's lock exclusively.
// locked is true when another holder has it; release undoes it.
func tryLock(path string, exclusive bool) (release func(), locked bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	if err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, true, nil
		}
		return nil, false, &os.PathError{Op: "lock", Path: path, Err: err}
	}
	return func() { _ = f.Close() }, false, nil
}
