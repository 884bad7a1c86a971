package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

func TestSignerMint(t *testing.T) {
	dir := t.TempDir()
	ed := newEdKey(t, "ed-signer")
	rk := newRSAKey(t, "rsa-signer")
	a := mustAuth(t, writeJWKS(t, dir, ed, rk), "")
	for _, key := range []jose.JSONWebKey{ed, rk} {
		s, err := NewSigner(key, testIssuer, testAudience)
		if err != nil {
			t.Fatal(err)
		}
		if s.KeyID() != key.KeyID {
			t.Fatalf("KeyID = %q, want %q", s.KeyID(), key.KeyID)
		}
		tok, err := s.Mint("user-7", "acme", []string{RoleViewer, RoleAppraiser}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.EdDSA, jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		if h := parsed.Headers[0]; h.KeyID != key.KeyID || h.Algorithm != key.Algorithm {
			t.Fatalf("header kid=%q alg=%q, want %q %q", h.KeyID, h.Algorithm, key.KeyID, key.Algorithm)
		}
		var c jwt.Claims
		if err := parsed.UnsafeClaimsWithoutVerification(&c); err != nil {
			t.Fatal(err)
		}
		if c.Expiry == nil || c.NotBefore == nil || c.IssuedAt == nil || c.Issuer != testIssuer || !c.Audience.Contains(testAudience) {
			t.Fatalf("registered claims incomplete: %+v", c)
		}
		id, err := a.VerifyToken(tok)
		if err != nil {
			t.Fatal(err)
		}
		if id.Subject != "user-7" || id.Tenant != "acme" || !slices.Equal(id.Roles, []string{RoleViewer, RoleAppraiser}) {
			t.Fatalf("identity = %+v", id)
		}
	}
}

func TestSignerRefuses(t *testing.T) {
	s, err := NewSigner(newEdKey(t, "k"), testIssuer, testAudience)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		subject string
		tenant  string
		roles   []string
		ttl     time.Duration
		want    string
	}{
		{"unknown role", "u", "acme", []string{RoleViewer, "superuser"}, time.Hour, `unknown role "superuser"`},
		{"invalid tenant", "u", "Acme", nil, time.Hour, "not a valid tenant"},
		{"shared tenant", "u", "_shared", nil, time.Hour, "not a valid tenant"},
		{"empty subject", "", "acme", nil, time.Hour, "subject is empty"},
		{"zero ttl", "u", "acme", nil, 0, "not positive"},
		{"negative ttl", "u", "acme", nil, -time.Minute, "not positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := s.Mint(tt.subject, tt.tenant, tt.roles, tt.ttl)
			if err == nil || tok != "" || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Mint = %q, %v; want an error about %q", tok, err, tt.want)
			}
		})
	}
}

func TestNewSignerRefuses(t *testing.T) {
	ed := newEdKey(t, "k")
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		key      jose.JSONWebKey
		iss, aud string
	}{
		{"public key", ed.Public(), "i", "a"},
		{"symmetric key", jose.JSONWebKey{Key: []byte("0123456789abcdef0123456789abcdef")}, "i", "a"},
		{"no key", jose.JSONWebKey{}, "i", "a"},
		{"short RSA key", jose.JSONWebKey{Key: small}, "i", "a"},
		{"truncated Ed25519 key", jose.JSONWebKey{Key: ed.Key.(ed25519.PrivateKey)[:10]}, "i", "a"},
		{"no issuer", ed, "", "a"},
		{"no audience", ed, "i", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := NewSigner(tt.key, tt.iss, tt.aud); err == nil {
				t.Fatalf("NewSigner = %v, want an error", s)
			}
		})
	}
}

// devKeyID reads the kid of the key EnsureDevKey wrote in dir.
func devKeyID(t *testing.T, dir string) string {
	t.Helper()
	k, err := readPrivateJWK(filepath.Join(dir, DevKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return k.KeyID
}

func TestEnsureDevKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "auth")
	created, err := EnsureDevKey(dir)
	if err != nil || !created {
		t.Fatalf("first EnsureDevKey = %v, %v; want created", created, err)
	}
	keyPath, jwksPath := filepath.Join(dir, DevKeyFile), filepath.Join(dir, DevJWKSFile)
	for path, mode := range map[string]os.FileMode{keyPath: 0o600, jwksPath: 0o644} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s has mode %v, want %v", filepath.Base(path), fi.Mode().Perm(), mode)
		}
	}
	kid := devKeyID(t, dir)
	if kid == "" {
		t.Fatal("dev key has no kid")
	}

	created, err = EnsureDevKey(dir)
	if err != nil || created {
		t.Fatalf("second EnsureDevKey = %v, %v; want not created", created, err)
	}
	if got := devKeyID(t, dir); got != kid {
		t.Fatalf("kid changed from %q to %q", kid, got)
	}

	// The JWKS holds only the public key, under the same kid.
	var set jose.JSONWebKeySet
	data, err := os.ReadFile(jwksPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 || set.Keys[0].KeyID != kid || !set.Keys[0].IsPublic() {
		t.Fatalf("JWKS = %s", data)
	}

	// A stale or damaged JWKS is put right.
	if err := os.WriteFile(jwksPath, []byte(`{"keys":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if created, err := EnsureDevKey(dir); err != nil || created {
		t.Fatalf("EnsureDevKey after damage = %v, %v", created, err)
	}
	if fixed, err := os.ReadFile(jwksPath); err != nil || string(fixed) != string(data) {
		t.Fatalf("JWKS not restored: %s, %v", fixed, err)
	}

	// Tokens from LoadSigner pass an Authenticator that reads the dev JWKS.
	s, err := LoadSigner(dir, DefaultIssuer, DefaultAudience)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Mint("dev", "acme", []string{RoleAdmin}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewAuthenticator(Config{Issuer: DefaultIssuer, Audience: DefaultAudience, KeysFile: jwksPath})
	if err != nil {
		t.Fatal(err)
	}
	if id, err := a.VerifyToken(tok); err != nil || id.Subject != "dev" {
		t.Fatalf("VerifyToken = %+v, %v", id, err)
	}

	// No temporary files are left behind.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("dir holds %d entries, want 2", len(entries))
	}
}

func TestEnsureDevKeyRace(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	var wg sync.WaitGroup
	created := make([]bool, n)
	failures := make([]error, n)
	for i := range n {
		wg.Go(func() { created[i], failures[i] = EnsureDevKey(dir) })
	}
	wg.Wait()
	winners := 0
	for i := range n {
		if failures[i] != nil {
			t.Fatalf("EnsureDevKey %d: %v", i, failures[i])
		}
		if created[i] {
			winners++
		}
	}
	if winners != 1 {
		t.Fatalf("%d callers created the key, want exactly 1", winners)
	}
	if _, err := LoadSigner(dir, DefaultIssuer, DefaultAudience); err != nil {
		t.Fatal(err)
	}
}

func TestLoadSignerErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadSigner(dir, DefaultIssuer, DefaultAudience); err == nil {
		t.Fatal("LoadSigner without a key file succeeded")
	}
	key := newEdKey(t, "k")
	pub, err := json.Marshal(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, DevKeyFile, pub)
	if _, err := LoadSigner(dir, DefaultIssuer, DefaultAudience); err == nil || !strings.Contains(err.Error(), "private key") {
		t.Fatalf("LoadSigner with a public key = %v", err)
	}
	if _, err := EnsureDevKey(dir); err == nil {
		t.Fatal("EnsureDevKey accepted a public key as the signing key")
	}
}
