package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/aim-platform/aim/platform/auth"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/appraisal"
	"github.com/aim-platform/aim/services/crosswalk"
	"github.com/aim-platform/aim/services/model"
)

// storeFiles maps each service to its store file in a data dir.
var storeFiles = map[string]string{
	"model":     model.StoreFile,
	"appraisal": appraisal.StoreFile,
	"crosswalk": crosswalk.StoreFile,
}

// storeVerifiers maps each service to the check of a store file of its
// own: bbolt's consistency check and every record decoded.
var storeVerifiers = map[string]func(path string, lockTimeout time.Duration) (pstore.Info, error){
	"model":     model.VerifyStore,
	"appraisal": appraisal.VerifyStore,
	"crosswalk": crosswalk.VerifyStore,
}

func serviceNames() []string {
	names := make([]string, 0, len(storeFiles))
	for n := range storeFiles {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func checkService(s string) error {
	if _, ok := storeFiles[s]; !ok {
		return fmt.Errorf("--service %q: want one of %v", s, serviceNames())
	}
	return nil
}

// backupConfig configures `aim backup`.
type backupConfig struct {
	Service   string
	Out       string
	AdminAddr string
	Token     string
	Timeout   time.Duration
	Force     bool
}

func newBackupCommand() *cobra.Command {
	cfg := &backupConfig{}
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Copy a running service's store through its admin backup endpoint",
		Long: `backup asks a running service for an online, consistent copy of its store
(GET /backup/{service} on its admin listener, operator token required), checks
that the copy is a sound store of that service (consistency check and every
record decoded), and only then puts it at --out. Progress goes to stderr.

It refuses an --out that is a store a process holds, or that lies inside a
service's data dir (a directory holding a store file a process holds, or the
development signing key), and an --out that exists unless --force is given.
The copy has no name until it is complete and checked, so a backup that fails
or is killed leaves nothing behind (on Linux; elsewhere a hidden temporary
file may stay after SIGKILL).`,
		Example: "  aim backup --service appraisal --out /backups/appraisal-2026-11-28.db --admin-addr 127.0.0.1:9091 --token $AIM_OPERATOR_TOKEN",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkService(cfg.Service); err != nil {
				return err
			}
			if cfg.Out == "" || cfg.Token == "" {
				return errors.New("--out and --token are required")
			}
			info, err := runBackup(cmd.Context(), cfg, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			cmd.Printf("backed up %s: %d bytes, schema %s v%d, to %s\n", cfg.Service, info.Size, info.Schema, info.Version, cfg.Out)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&cfg.Service, "service", "", "the service whose store to copy: model, appraisal or crosswalk")
	fs.StringVar(&cfg.Out, "out", "", "where to write the copy; not inside a service's data dir")
	fs.StringVar(&cfg.AdminAddr, "admin-addr", defaultAdminAddr, "the service's admin address")
	fs.StringVar(&cfg.Token, "token", "", "an operator token (aim token --operator in development); tenant tokens, admin or not, are refused")
	fs.DurationVar(&cfg.Timeout, "timeout", 10*time.Minute, "give up after this long")
	fs.BoolVar(&cfg.Force, "force", false, "replace an existing --out (never a store a process holds)")
	return cmd
}

// dataDirOf reports why dir is a service's data dir, or "" when it is not
// one. A data dir holds a store file a running service holds, or a
// development signing key (tenant or operator) the services keep there. A
// store file nobody holds does not count: a directory of backups holds
// files of the same names.
func dataDirOf(dir string) string {
	for _, f := range []string{auth.DevKeyFile, auth.DevJWKSFile, auth.DevOperatorKeyFile, auth.DevOperatorJWKSFile} {
		if _, err := os.Lstat(filepath.Join(dir, f)); err == nil {
			return "it holds " + f
		}
	}
	for _, s := range serviceNames() {
		path := filepath.Join(dir, storeFiles[s])
		if _, err := os.Stat(path); err != nil {
			continue
		}
		if release, locked, err := tryLock(path, false); locked {
			return "a running service holds its " + storeFiles[s]
		} else if err == nil {
			release()
		}
	}
	return ""
}

// checkBackupOut refuses an --out that would harm a service: a store file
// a process holds (renaming over it loses every later write), a path
// inside a data dir, or, without force, any existing file. It returns
// whether out exists.
func checkBackupOut(out string, force bool) (exists bool, err error) {
	abs, err := filepath.Abs(out)
	if err != nil {
		return false, err
	}
	dir := filepath.Dir(abs)
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	st, err := os.Stat(abs)
	switch {
	case err == nil && !st.Mode().IsRegular():
		return false, fmt.Errorf("--out %s is not a regular file", out)
	case err == nil:
		exists = true
		release, locked, lerr := tryLock(abs, false)
		if locked {
			return false, fmt.Errorf("--out %s is a live store: a running service holds it; write the backup elsewhere", out)
		}
		if lerr != nil {
			return false, lerr
		}
		release()
	case !errors.Is(err, fs.ErrNotExist):
		return false, err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if why := dataDirOf(d); why != "" {
			return false, fmt.Errorf("--out %s is inside %s, a service's data dir (%s); write backups outside every data dir", out, d, why)
		}
		if d == filepath.Dir(d) {
			break
		}
	}
	if exists && !force {
		return false, fmt.Errorf("--out %s exists; give --force to replace it", out)
	}
	return exists, nil
}

func runBackup(ctx context.Context, cfg *backupConfig, progress io.Writer) (pstore.Info, error) {
	exists, err := checkBackupOut(cfg.Out, cfg.Force)
	if err != nil {
		return pstore.Info{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+cfg.AdminAddr+"/backup/"+cfg.Service, nil)
	if err != nil {
		return pstore.Info{}, err
	}
	req.Header.Set("Authorization", "Bearer "+cfg.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return pstore.Info{}, fmt.Errorf("backup request: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return pstore.Info{}, fmt.Errorf("backup refused: %s: %s", resp.Status, body)
	}
	tmp, err := createPending(filepath.Dir(cfg.Out))
	if err != nil {
		return pstore.Info{}, err
	}
	defer tmp.Discard()
	meter := newProgress(progress, "backup "+cfg.Service, time.Second)
	_, err = io.Copy(io.MultiWriter(tmp, meter), resp.Body)
	meter.done(err == nil)
	if err != nil {
		return pstore.Info{}, fmt.Errorf("backup transfer: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return pstore.Info{}, err
	}
	info, err := storeVerifiers[cfg.Service](tmp.Path(), time.Second)
	if err != nil {
		return pstore.Info{}, fmt.Errorf("the copy is not a sound %s store: %w", cfg.Service, err)
	}
	if !exists {
		// Link fails when out appeared meanwhile: nothing is replaced.
		return info, errors.Join(tmp.Link(cfg.Out), syncDir(filepath.Dir(cfg.Out)))
	}
	// --force: check again right before replacing out.
	if _, err := checkBackupOut(cfg.Out, true); err != nil {
		return pstore.Info{}, err
	}
	named := fmt.Sprintf("%s.aim-backup-%d", cfg.Out, os.Getpid())
	if err := tmp.Link(named); err != nil {
		return pstore.Info{}, err
	}
	if err := os.Rename(named, cfg.Out); err != nil {
		_ = os.Remove(named)
		return pstore.Info{}, err
	}
	return info, syncDir(filepath.Dir(cfg.Out))
}

// syncDir makes a rename or link in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// progress reports a transfer's bytes and rate: a line after the first
// bytes, one every interval, and one at the end.
type progress struct {
	w        io.Writer
	what     string
	interval time.Duration
	start    time.Time
	last     time.Time
	n        int64
}

func newProgress(w io.Writer, what string, interval time.Duration) *progress {
	now := time.Now()
	return &progress{w: w, what: what, interval: interval, start: now, last: now}
}

func (p *progress) Write(b []byte) (int, error) {
	first := p.n == 0
	p.n += int64(len(b))
	if now := time.Now(); first || now.Sub(p.last) >= p.interval {
		p.last = now
		fmt.Fprintf(p.w, "%s: %s received (%s/s)\n", p.what, size(p.n), size(p.rate(now)))
	}
	return len(b), nil
}

func (p *progress) rate(now time.Time) int64 {
	s := now.Sub(p.start).Seconds()
	if s <= 0 {
		return 0
	}
	return int64(float64(p.n) / s)
}

func (p *progress) done(ok bool) {
	now := time.Now()
	state := "done"
	if !ok {
		state = "failed"
	}
	fmt.Fprintf(p.w, "%s: %s, %s in %s (%s/s)\n", p.what, state, size(p.n), now.Sub(p.start).Round(time.Millisecond), size(p.rate(now)))
}

// size shows a byte count in B, KiB, MiB or GiB.
func size(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
}
