package appraisal

import (
	"os"
	"path/filepath"
	"testing"
)

// The audit key is a file of its own: the service refuses the store file
// as key, creates a development key only when asked, and does not start
// with a named key file that is missing.
func TestAuditKeyFile(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{DataDir: dir, AuditKeyFile: filepath.Join(dir, ".", StoreFile), CreateAuditKey: true}
	if _, err := loadAuditKey(cfg); err == nil {
		t.Fatal("the store file was taken as the audit key")
	}
	cfg = Config{DataDir: dir, AuditKeyFile: filepath.Join(dir, DevAuditKeyFile)}
	if _, err := loadAuditKey(cfg); err == nil {
		t.Fatal("a missing key file was accepted without CreateAuditKey")
	}
	cfg.CreateAuditKey = true
	first, err := loadAuditKey(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(cfg.AuditKeyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("dev audit key %v (%v)", fi, err)
	}
	again, err := loadAuditKey(cfg)
	if err != nil || again.ID() != first.ID() {
		t.Fatalf("the dev audit key changed between starts (%v)", err)
	}
}
