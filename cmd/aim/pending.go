package main

import (
	"os"
)

// pendingFile is a file being written that gets its name only when it is
// complete (link). Discard drops it, whatever state it is in.
type pendingFile struct {
	*os.File
	// path opens the file while it has no name of its own (for checks).
	path string
	link func(p *pendingFile, name string) error
	// named is the temporary name of the portable variant, "" when the
	// file has none.
	named string
}

// createNamedPending is the portable pendingFile: a hidden temporary file
// in dir, removed by Discard. A process killed by SIGKILL leaves it
// behind.
func createNamedPending(dir string) (*pendingFile, error) {
	f, err := os.CreateTemp(dir, ".aim-tmp-*")
	if err != nil {
		return nil, err
	}
	return &pendingFile{File: f, path: f.Name(), named: f.Name(), link: func(p *pendingFile, name string) error {
		if err := os.Link(p.named, name); err != nil {
			return err
		}
		err := os.Remove(p.named)
		p.named = ""
		return err
	}}, nil
}

// Path returns a path that opens the file, for checks before it is named.
func (p *pendingFile) Path() string { return p.path }

// Link gives the written, synced file the name name, which must not exist.
func (p *pendingFile) Link(name string) error { return p.link(p, name) }

// Discard closes the file and removes its temporary name, if any. After a
// successful Link it leaves the named file alone.
func (p *pendingFile) Discard() {
	_ = p.Close()
	if p.named != "" {
		_ = os.Remove(p.named)
	}
}
