package audit

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
)

func TestCheckpointSignAndCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "audit-key.pem")
	keys, created, err := EnsureKey(path)
	if err != nil || !created {
		t.Fatalf("EnsureKey = %v, %v", created, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v (%v), want mode 0600", fi.Mode(), err)
	}
	again, created, err := EnsureKey(path)
	if err != nil || created || again.ID() != keys.ID() {
		t.Fatalf("EnsureKey of an existing file = %v, %v; want the same key", created, err)
	}
	at := time.Date(2026, 12, 2, 17, 0, 0, 0, time.UTC)
	c := keys.Sign("appraisals/a", &appraisalv1.AuditHead{Sequence: 12, Hash: "abc", ContentDigest: "c"}, at)
	if why := keys.Check(c); why != "" {
		t.Fatalf("a fresh checkpoint: %s", why)
	}
	for name, edit := range map[string]func(){
		"sequence":  func() { c.Sequence = 11 },
		"hash":      func() { c.Hash = "abd" },
		"appraisal": func() { c.Appraisal = "appraisals/b" },
		"time":      func() { c.CheckpointTime.Seconds-- },
		"content":   func() { c.ContentDigest = "d" },
	} {
		c = keys.Sign("appraisals/a", &appraisalv1.AuditHead{Sequence: 12, Hash: "abc", ContentDigest: "c"}, at)
		edit()
		if keys.Check(c) == "" {
			t.Errorf("a checkpoint with its %s changed still checks", name)
		}
	}
	c = keys.Sign("appraisals/a", &appraisalv1.AuditHead{Sequence: 12, Hash: "abc", ContentDigest: "c"}, at)
	c.KeyId = "0000000000000000"
	if why := keys.Check(c); !strings.Contains(why, "does not know") {
		t.Errorf("unknown key: %q", why)
	}
}

// Rotation: a new private key with the old one's public half appended
// still checks the old key's checkpoints, and signs with the new one.
func TestCheckpointKeyRotation(t *testing.T) {
	dir := t.TempDir()
	oldPath, newPath := filepath.Join(dir, "old.pem"), filepath.Join(dir, "new.pem")
	oldKeys, _, err := EnsureKey(oldPath)
	if err != nil {
		t.Fatal(err)
	}
	signedOld := oldKeys.Sign("appraisals/a", &appraisalv1.AuditHead{Sequence: 3, Hash: "h"}, time.Now())
	if err := WriteNewKey(newPath); err != nil {
		t.Fatal(err)
	}
	if err := WriteNewKey(newPath); err == nil {
		t.Fatal("WriteNewKey overwrote a key")
	}
	fresh, err := LoadKeys(newPath)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Check(signedOld) == "" {
		t.Fatal("a key checks another key's checkpoint")
	}
	pub := oldKeys.signer.Public().(ed25519.PublicKey)
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(newPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PUBLIC KEY", Bytes: der}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	rotated, err := LoadKeys(newPath)
	if err != nil {
		t.Fatal(err)
	}
	if rotated.ID() != fresh.ID() || rotated.Retired() != 1 || rotated.Check(signedOld) != "" {
		t.Fatalf("rotated keys: id %s (want %s), %d retired, old checkpoint: %q", rotated.ID(), fresh.ID(), rotated.Retired(), rotated.Check(signedOld))
	}
	if c := rotated.Sign("appraisals/a", &appraisalv1.AuditHead{Sequence: 4, Hash: "i"}, time.Now()); c.GetKeyId() != fresh.ID() || rotated.Check(c) != "" {
		t.Fatalf("rotated keys sign %v", c)
	}
}

func TestLoadKeysRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.pem")
	if err := WriteNewKey(good); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"empty":             "",
		"not PEM":           "hello",
		"two private keys":  string(raw) + string(raw),
		"other block":       string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}})),
		"garbled key":       string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}})),
		"only a public key": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1}})),
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadKeys(path); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
	if _, err := LoadKeys(filepath.Join(dir, "absent.pem")); err == nil {
		t.Error("absent file: loaded")
	}
}

// BenchmarkCheckpointSign is the cost every write transaction pays for its
// checkpoint (ADR 0008).
func BenchmarkCheckpointSign(b *testing.B) {
	keys, _, err := EnsureKey(filepath.Join(b.TempDir(), "k.pem"))
	if err != nil {
		b.Fatal(err)
	}
	at := time.Now()
	head := &appraisalv1.AuditHead{Sequence: 12345, Hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", ContentDigest: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
	for b.Loop() {
		keys.Sign("appraisals/a-rather-long-appraisal-id", head, at)
	}
}
