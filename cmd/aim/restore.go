package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
)

// restoreConfig configures `aim restore`.
type restoreConfig struct {
	Service string
	In      string
	DataDir string
}

func newRestoreCommand() *cobra.Command {
	cfg := &restoreConfig{}
	cmd := &cobra.Command{
		Use:   "restore",
		Short: "Put a backup back into a stopped service's data dir",
		Long: `restore checks a backup completely (bbolt's consistency check, the schema
record, every record decoded with the service's types), refuses when the
service is still running on the data dir, copies the backup into the data dir
and syncs it, and only then swaps it in: the current store, sound or damaged,
keeps its bytes under <file>.before-restore-<UTC time>, a name never reused,
and the copy takes the store's name in one rename. A restore that fails at any
step leaves the data dir as it was. Start the service afterwards; it runs on
the restored store.`,
		Example: "  aim restore --service appraisal --in appraisal-2026-11-28.db --data-dir ./data",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkService(cfg.Service); err != nil {
				return err
			}
			if cfg.In == "" || cfg.DataDir == "" {
				return errors.New("--in and --data-dir are required")
			}
			res, err := runRestore(cfg, time.Now())
			if err != nil {
				return err
			}
			if res.kept != "" {
				cmd.Printf("kept the replaced store as %s\n", res.kept)
			}
			cmd.Printf("restored %s into %s\n", cfg.In, res.target)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&cfg.Service, "service", "", "the service the backup belongs to: model, appraisal or crosswalk")
	fs.StringVar(&cfg.In, "in", "", "the backup file")
	fs.StringVar(&cfg.DataDir, "data-dir", "./data", "the stopped service's data dir")
	return cmd
}

// restored says where a restore put the backup and the store it replaced.
type restored struct {
	target string
	kept   string // "" when there was no store
}

func runRestore(cfg *restoreConfig, now time.Time) (restored, error) {
	if _, err := storeVerifiers[cfg.Service](cfg.In, time.Second); err != nil {
		return restored{}, fmt.Errorf("the backup is not a sound %s store: %w", cfg.Service, err)
	}
	res := restored{target: filepath.Join(cfg.DataDir, storeFiles[cfg.Service])}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return restored{}, err
	}
	// Hold the current store's lock through the swap: a running service
	// holds it, and a service starting meanwhile waits and gives up.
	_, err := os.Stat(res.target)
	current := err == nil
	if current {
		release, locked, err := tryLock(res.target, true)
		if locked {
			return restored{}, fmt.Errorf("%s is in use: stop the %s service before restoring", res.target, cfg.Service)
		}
		if err != nil {
			return restored{}, err
		}
		defer release()
	} else if !errors.Is(err, os.ErrNotExist) {
		return restored{}, err
	}

	tmp, err := createPending(cfg.DataDir)
	if err != nil {
		return restored{}, err
	}
	defer tmp.Discard()
	if err := copyFile(tmp, cfg.In); err != nil {
		return restored{}, fmt.Errorf("copy %s into %s: %w", cfg.In, cfg.DataDir, err)
	}
	if err := tmp.Sync(); err != nil {
		return restored{}, err
	}
	if !current {
		if err := tmp.Link(res.target); err != nil {
			return restored{}, err
		}
		return res, syncDir(cfg.DataDir)
	}
	// The copy gets a name of its own, the current store a second name that
	// is never reused, and then one rename puts the copy in place: at every
	// moment the store's name holds either the old file or the new one.
	named := res.target + ".restoring"
	_ = os.Remove(named) // a leftover of a restore killed at this step
	if err := tmp.Link(named); err != nil {
		return restored{}, err
	}
	kept, err := keepAside(res.target, now)
	if err != nil {
		_ = os.Remove(named)
		return restored{}, err
	}
	if err := os.Rename(named, res.target); err != nil {
		_ = os.Remove(named)
		_ = os.Remove(kept)
		return restored{}, err
	}
	res.kept = kept
	return res, syncDir(cfg.DataDir)
}

// keepAside gives the store at target a second name,
// <target>.before-restore-<UTC time>, with a counter when that exists: a
// hard link, so it never replaces a file and the store's name stays put.
func keepAside(target string, now time.Time) (string, error) {
	base := target + ".before-restore-" + now.UTC().Format("20060102T150405Z")
	for i := 0; ; i++ {
		name := base
		if i > 0 {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		err := os.Link(target, name)
		if err == nil {
			return name, nil
		}
		if !errors.Is(err, os.ErrExist) || i >= 1000 {
			return "", err
		}
	}
}

func copyFile(dst io.Writer, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(dst, f)
	return err
}
