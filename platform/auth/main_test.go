package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"go.uber.org/goleak"

	"github.com/aim-platform/aim/platform/errs"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	testIssuer   = "https://id.example.test"
	testAudience = "aim-test"
)

// newEdKey returns a fresh Ed25519 private key as a JWK with the given kid.
func newEdKey(t testing.TB, kid string) jose.JSONWebKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return jose.JSONWebKey{Key: priv, KeyID: kid, Algorithm: string(jose.EdDSA), Use: "sig"}
}

// newRSAKey returns a fresh 2048-bit RSA private key as a JWK.
func newRSAKey(t testing.TB, kid string) jose.JSONWebKey {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return jose.JSONWebKey{Key: priv, KeyID: kid, Algorithm: string(jose.RS256), Use: "sig"}
}

// writeFile writes data to name in dir and returns the path.
func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeJWKS writes the public halves of keys as a JWKS file.
func writeJWKS(t testing.TB, dir string, keys ...jose.JSONWebKey) string {
	t.Helper()
	var set jose.JSONWebKeySet
	for _, k := range keys {
		set.Keys = append(set.Keys, k.Public())
	}
	data, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, "jwks.json", data)
}

// mustAuth builds an Authenticator for testIssuer and testAudience.
func mustAuth(t testing.TB, keysFile, apiKeysFile string) *Authenticator {
	t.Helper()
	a, err := NewAuthenticator(Config{Issuer: testIssuer, Audience: testAudience, KeysFile: keysFile, APIKeysFile: apiKeysFile})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// claims are the claims of a good token; tests change them to make bad ones.
func claims(now time.Time) map[string]any {
	return map[string]any{
		"iss":    testIssuer,
		"aud":    []string{testAudience},
		"sub":    "user-42",
		"tenant": "acme",
		"roles":  []string{RoleAppraiser},
		"iat":    now.Unix(),
		"nbf":    now.Unix(),
		"exp":    now.Add(time.Hour).Unix(),
	}
}

// sign signs arbitrary claims with key using alg; the kid header comes from
// key.KeyID. key may also be a raw key or an HMAC secret.
func sign(t testing.TB, alg jose.SignatureAlgorithm, key any, c map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// unsigned builds an alg=none token by hand.
func unsigned(t testing.TB, c map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(payload) + "."
}

// checkUnauthenticated fails unless err is an Unauthenticated *errs.Error
// with the given reason (any reason if empty) whose text does not contain
// the credential.
func checkUnauthenticated(t testing.TB, err error, reason, credential string) {
	t.Helper()
	e, ok := err.(*errs.Error)
	if !ok {
		t.Fatalf("err = %#v, want *errs.Error", err)
	}
	if e.Kind != errs.Unauthenticated {
		t.Fatalf("kind = %v, want unauthenticated (%v)", e.Kind, e)
	}
	if reason != "" && e.Reason != reason {
		t.Fatalf("reason = %q, want %q (%v)", e.Reason, reason, e)
	}
	if len(credential) >= 8 && strings.Contains(e.Error(), credential) {
		t.Fatalf("error %q echoes the credential", e)
	}
	for _, part := range strings.Split(credential, ".") {
		if len(part) >= 16 && strings.Contains(e.Error(), part) {
			t.Fatalf("error %q echoes part of the token", e)
		}
	}
}
