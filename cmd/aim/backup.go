package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/cobra"

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
}

func newBackupCommand() *cobra.Command {
	cfg := &backupConfig{}
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Copy a running service's store through its admin backup endpoint",
		Long: `backup asks a running service for an online, consistent copy of its store
(GET /backup/{service} on its admin listener, operator token required), checks
that the copy is a sound store of that service, and only then puts it at
--out.`,
		Example: "  aim backup --service appraisal --out appraisal-2026-11-28.db --admin-addr 127.0.0.1:9091 --token $AIM_TOKEN",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkService(cfg.Service); err != nil {
				return err
			}
			if cfg.Out == "" || cfg.Token == "" {
				return errors.New("--out and --token are required")
			}
			info, err := runBackup(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			cmd.Printf("backed up %s: %d bytes, schema %s v%d, to %s\n", cfg.Service, info.Size, info.Schema, info.Version, cfg.Out)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&cfg.Service, "service", "", "the service whose store to copy: model, appraisal or crosswalk")
	fs.StringVar(&cfg.Out, "out", "", "where to write the copy")
	fs.StringVar(&cfg.AdminAddr, "admin-addr", defaultAdminAddr, "the service's admin address")
	fs.StringVar(&cfg.Token, "token", "", "an operator token (aim token --operator in development); tenant tokens, admin or not, are refused")
	fs.DurationVar(&cfg.Timeout, "timeout", 10*time.Minute, "give up after this long")
	return cmd
}

func runBackup(ctx context.Context, cfg *backupConfig) (pstore.Info, error) {
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
	tmp, err := os.CreateTemp(filepath.Dir(cfg.Out), ".aim-backup-*")
	if err != nil {
		return pstore.Info{}, err
	}
	defer os.Remove(tmp.Name()) // after the rename there is nothing left to remove
	if _, err := io.Copy(tmp, resp.Body); err != nil {
		_ = tmp.Close()
		return pstore.Info{}, fmt.Errorf("backup transfer: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return pstore.Info{}, err
	}
	if err := tmp.Close(); err != nil {
		return pstore.Info{}, err
	}
	info, err := pstore.Inspect(tmp.Name(), time.Second)
	if err != nil {
		return pstore.Info{}, fmt.Errorf("the copy is not sound: %w", err)
	}
	if info.Schema != cfg.Service {
		return pstore.Info{}, fmt.Errorf("the copy is a %q store, not %q", info.Schema, cfg.Service)
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return pstore.Info{}, err
	}
	return info, os.Rename(tmp.Name(), cfg.Out)
}

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
		Long: `restore checks a backup (a sound store of the named service), refuses when the
service is still running on the data dir, keeps the current store as
<file>.before-restore, and moves the backup into place. Start the service
afterwards; it runs on the restored store.`,
		Example: "  aim restore --service appraisal --in appraisal-2026-11-28.db --data-dir ./data",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkService(cfg.Service); err != nil {
				return err
			}
			if cfg.In == "" || cfg.DataDir == "" {
				return errors.New("--in and --data-dir are required")
			}
			target, err := runRestore(cfg)
			if err != nil {
				return err
			}
			cmd.Printf("restored %s into %s\n", cfg.In, target)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&cfg.Service, "service", "", "the service the backup belongs to: model, appraisal or crosswalk")
	fs.StringVar(&cfg.In, "in", "", "the backup file")
	fs.StringVar(&cfg.DataDir, "data-dir", "./data", "the stopped service's data dir")
	return cmd
}

func runRestore(cfg *restoreConfig) (string, error) {
	info, err := pstore.Inspect(cfg.In, time.Second)
	if err != nil {
		return "", fmt.Errorf("the backup is not sound: %w", err)
	}
	if info.Schema != cfg.Service {
		return "", fmt.Errorf("the backup is a %q store, not %q", info.Schema, cfg.Service)
	}
	target := filepath.Join(cfg.DataDir, storeFiles[cfg.Service])
	if _, err := os.Stat(target); err == nil {
		// A running service holds the file's lock: refuse, fast.
		if _, err := pstore.Inspect(target, 500*time.Millisecond); err != nil && pstore.IsLocked(err) {
			return "", fmt.Errorf("%s is in use: stop the %s service before restoring", target, cfg.Service)
		}
		if err := os.Rename(target, target+".before-restore"); err != nil {
			return "", err
		}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return "", err
	}
	src, err := os.Open(cfg.In)
	if err != nil {
		return "", err
	}
	defer src.Close()
	tmp, err := os.CreateTemp(cfg.DataDir, ".aim-restore-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, src); err != nil {
		_ = tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return "", err
	}
	return target, os.Rename(tmp.Name(), target)
}
