package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func TestVerifyToken(t *testing.T) {
	dir := t.TempDir()
	ed1 := newEdKey(t, "ed-1")
	ed2 := newEdKey(t, "ed-2") // the next key in a rotation
	rsa1 := newRSAKey(t, "rsa-1")
	stranger := newEdKey(t, "ed-1") // reuses a known kid but is not in the set
	a := mustAuth(t, writeJWKS(t, dir, ed1, ed2, rsa1), "")

	rsaPubDER, err := x509.MarshalPKIXPublicKey(rsa1.Key.(*rsa.PrivateKey).Public())
	if err != nil {
		t.Fatal(err)
	}
	rsaPubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaPubDER})

	now := time.Now()
	with := func(change func(c map[string]any)) map[string]any {
		c := claims(now)
		change(c)
		return c
	}
	noKid := func(k jose.JSONWebKey) any { return k.Key }
	good := claims(now)

	tests := []struct {
		name   string
		token  string
		reason string // "" means the token is accepted
	}{
		{"valid EdDSA", sign(t, jose.EdDSA, ed1, good), ""},
		{"valid RS256", sign(t, jose.RS256, rsa1, good), ""},
		{"rotation: old key", sign(t, jose.EdDSA, ed1, good), ""},
		{"rotation: new key", sign(t, jose.EdDSA, ed2, good), ""},
		{"no kid, EdDSA key tried", sign(t, jose.EdDSA, noKid(ed2), good), ""},
		{"no kid, RSA key tried", sign(t, jose.RS256, noKid(rsa1), good), ""},
		{"aud as a plain string", sign(t, jose.EdDSA, ed1, with(func(c map[string]any) { c["aud"] = testAudience })), ""},
		{"aud among several", sign(t, jose.EdDSA, ed1, with(func(c map[string]any) { c["aud"] = []string{"other", testAudience} })), ""},
		{"expired within leeway", sign(t, jose.EdDSA, ed1, with(func(c map[string]any) { c["exp"] = now.Add(-10 * time.Second).Unix() })), ""},
		{"no nbf or iat", sign(t, jose.EdDSA, ed1, with(func(c map[string]any) { delete(c, "nbf"); delete(c, "iat") })), ""},

		{"expired", sign(t, jose.EdDSA, ed1, with(func(c map[string]any) { c["exp"] = now.Add(-2 * time.Minute).Unix() })), "TOKEN_EXPIRED"},
		{"nbf in the future", sign(t, jose.EdDSA, ed1, with(func(c map[string]any) { c["nbf"] = now.Add(5 * time.Minute).Unix() })), "INVALID_TOKEN"},
		{"iat in the future", sign(t, jose.EdDSA, ed1, with(func(c map[string]any) { c["iat"] = now.Add(5 * time.Minute).Unix() })), "INVALID_TOKEN"},
		{"wrong issuer", sign(t, jose.EdDSA, ed1, with(func(c map[string]any) { c["iss"] = "https://evil.test" })), "INVALID_TOKEN"},
		{"no issuer", sign(t, jose.EdDSA, ed1, with(func(c map[string]any) { delete(c, "iss") })), "INVALID_TOKEN"},
		{"wrong audience", sign(t, jose.EdDSA, ed1, with(func(c map[string]any) { c["aud"] = []string{"billing"} })), "INVALID_TOKEN"},
		{"no audience", sign(t, jose.EdDSA, ed1, with(func(c map[string]any) { delete(c, "aud") })), "INVALID_TOKEN"},
		{"missing exp", sign(t, jose.EdDSA, ed1, with(func(c map[string]any) { delete(c, "exp") })), "INVALID_TOKEN"},
		{"exp not a number", sign(t, jose.EdDSA, ed1, with(func(c map[string]any) { c["exp"] = "tomorrow" })), "INVALID_TOKEN"},
		{"missing subject", sign(t, jose.EdDSA, ed1, with(func(c map[string]any) { delete(c, "sub") })), "INVALID_TOKEN"},
		{"missing tenant", sign(t, jose.EdDSA, ed1, with(func(c map[string]any) { delete(c, "tenant") })), "INVALID_TOKEN"},
		{"invalid tenant", sign(t, jose.EdDSA, ed1, with(func(c map[string]any) { c["tenant"] = "Acme Corp" })), "INVALID_TOKEN"},
		{"internal shared tenant", sign(t, jose.EdDSA, ed1, with(func(c map[string]any) { c["tenant"] = "_shared" })), "INVALID_TOKEN"},
		{"roles not a list", sign(t, jose.EdDSA, ed1, with(func(c map[string]any) { c["roles"] = RoleAdmin })), "INVALID_TOKEN"},
		{"alg none", unsigned(t, good), "INVALID_TOKEN"},
		{"HS256 with the RSA public key as secret", sign(t, jose.HS256, rsaPubPEM, good), "INVALID_TOKEN"},
		{"HS256 with the RSA public key and its kid", sign(t, jose.HS256, jose.JSONWebKey{Key: rsaPubPEM, KeyID: "rsa-1"}, good), "INVALID_TOKEN"},
		{"unknown kid", sign(t, jose.EdDSA, newEdKey(t, "ed-9"), good), "INVALID_TOKEN"},
		{"key not in the set, known kid", sign(t, jose.EdDSA, stranger, good), "INVALID_TOKEN"},
		{"key not in the set, no kid", sign(t, jose.EdDSA, noKid(stranger), good), "INVALID_TOKEN"},
		{"kid of an RSA key on an EdDSA token", sign(t, jose.EdDSA, jose.JSONWebKey{Key: ed1.Key, KeyID: "rsa-1"}, good), "INVALID_TOKEN"},
		{"empty", "", "INVALID_TOKEN"},
		{"garbage", "not a token at all", "INVALID_TOKEN"},
		{"three dots", "...", "INVALID_TOKEN"},
		{"bad base64", "@@@.###.$$$", "INVALID_TOKEN"},
		{"JSON instead of compact", `{"payload":"e30","signatures":[]}`, "INVALID_TOKEN"},
		{"huge", strings.Repeat("a", 1<<20), "INVALID_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := a.VerifyToken(tt.token)
			if tt.reason != "" {
				checkUnauthenticated(t, err, tt.reason, tt.token)
				return
			}
			if err != nil {
				t.Fatalf("VerifyToken: %v", err)
			}
			want := Identity{Subject: "user-42", Tenant: "acme", Roles: []string{RoleAppraiser}, Via: ViaJWT}
			if id.Subject != want.Subject || id.Tenant != want.Tenant || id.Via != want.Via || !slices.Equal(id.Roles, want.Roles) {
				t.Fatalf("identity = %+v, want %+v", id, want)
			}
		})
	}
}

func TestVerifyTokenRoles(t *testing.T) {
	key := newEdKey(t, "k")
	a := mustAuth(t, writeJWKS(t, t.TempDir(), key), "")
	c := claims(time.Now())
	c["roles"] = []string{"viewer", "root", "viewer", "lead-appraiser"}
	id, err := a.VerifyToken(sign(t, jose.EdDSA, key, c))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{RoleViewer, RoleLeadAppraiser}; !slices.Equal(id.Roles, want) {
		t.Fatalf("roles = %q, want %q (unknown dropped, duplicates merged)", id.Roles, want)
	}
	delete(c, "roles")
	if id, err = a.VerifyToken(sign(t, jose.EdDSA, key, c)); err != nil || len(id.Roles) != 0 {
		t.Fatalf("no roles claim: %+v, %v", id, err)
	}
}

func TestLeeway(t *testing.T) {
	key := newEdKey(t, "k")
	keys := writeJWKS(t, t.TempDir(), key)
	c := claims(time.Now())
	c["exp"] = time.Now().Add(-10 * time.Second).Unix()
	tok := sign(t, jose.EdDSA, key, c)
	tests := []struct {
		leeway time.Duration
		ok     bool
	}{
		{0, true}, // the default, 30s
		{time.Second, false},
		{time.Minute, true},
	}
	for _, tt := range tests {
		a, err := NewAuthenticator(Config{Issuer: testIssuer, Audience: testAudience, KeysFile: keys, Leeway: tt.leeway})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.VerifyToken(tok); (err == nil) != tt.ok {
			t.Errorf("leeway %v: err = %v, want ok=%v", tt.leeway, err, tt.ok)
		}
	}
}

func TestPEMKeysFile(t *testing.T) {
	dir := t.TempDir()
	ed := newEdKey(t, "")
	rk := newRSAKey(t, "")
	edDER, err := x509.MarshalPKIXPublicKey(ed.Key.(ed25519.PrivateKey).Public())
	if err != nil {
		t.Fatal(err)
	}
	var data []byte
	data = append(data, "# comment lines before PEM blocks are ignored by pem.Decode\n"...)
	data = append(data, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: edDER})...)
	data = append(data, pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rk.Key.(*rsa.PrivateKey).PublicKey)})...)
	a := mustAuth(t, writeFile(t, dir, "keys.pem", data), "")

	good := claims(time.Now())
	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"Ed25519", sign(t, jose.EdDSA, ed.Key, good), true},
		{"RSA", sign(t, jose.RS256, rk.Key, good), true},
		{"with a kid that no PEM key has", sign(t, jose.EdDSA, jose.JSONWebKey{Key: ed.Key, KeyID: "x"}, good), false},
		{"other key", sign(t, jose.EdDSA, newEdKey(t, "").Key, good), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.VerifyToken(tt.token)
			if tt.ok && err != nil {
				t.Fatalf("VerifyToken: %v", err)
			}
			if !tt.ok {
				checkUnauthenticated(t, err, "INVALID_TOKEN", tt.token)
			}
		})
	}
}

func TestNewAuthenticatorErrors(t *testing.T) {
	dir := t.TempDir()
	ed := newEdKey(t, "ed")
	goodKeys := writeJWKS(t, dir, ed)
	jsonOf := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	edPrivDER, err := x509.MarshalPKCS8PrivateKey(ed.Key)
	if err != nil {
		t.Fatal(err)
	}
	file := func(name string, data []byte) string { return writeFile(t, dir, name, data) }
	apiKeys := func(name string, entries ...map[string]any) string {
		return file(name, jsonOf(map[string]any{"keys": entries}))
	}
	hash := HashAPIKey("k")

	tests := []struct {
		name string
		cfg  Config
		want string // part of the error text
	}{
		{"no issuer", Config{Audience: "a", KeysFile: goodKeys}, "Issuer is required"},
		{"no audience", Config{Issuer: "i", KeysFile: goodKeys}, "Audience is required"},
		{"no keys file", Config{Issuer: "i", Audience: "a"}, "KeysFile is required"},
		{"negative leeway", Config{Issuer: "i", Audience: "a", KeysFile: goodKeys, Leeway: -time.Second}, "negative"},
		{"keys file missing", Config{Issuer: "i", Audience: "a", KeysFile: dir + "/nope.json"}, "no such file"},
		{"keys file garbage", Config{Issuer: "i", Audience: "a", KeysFile: file("garbage", []byte("hello"))}, "neither a JWKS document nor PEM"},
		{"keys file bad JSON", Config{Issuer: "i", Audience: "a", KeysFile: file("bad.json", []byte("{"))}, "not a valid JWKS"},
		{"empty JWKS", Config{Issuer: "i", Audience: "a", KeysFile: file("empty.json", []byte(`{"keys":[]}`))}, "holds no keys"},
		{"private key in JWKS", Config{Issuer: "i", Audience: "a", KeysFile: file("priv.json", jsonOf(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{ed}}))}, "not a public key"},
		{"symmetric key in JWKS", Config{Issuer: "i", Audience: "a", KeysFile: file("oct.json", jsonOf(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "h"}}}))}, "not a public key"},
		{"short RSA key", Config{Issuer: "i", Audience: "a", KeysFile: file("small.json", jsonOf(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &small.PublicKey, KeyID: "s"}}}))}, "at least 2048"},
		{"alg does not fit key", Config{Issuer: "i", Audience: "a", KeysFile: file("alg.json", jsonOf(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: ed.Key.(ed25519.PrivateKey).Public(), KeyID: "e", Algorithm: "HS256"}}}))}, "declares alg"},
		{"duplicate kid", Config{Issuer: "i", Audience: "a", KeysFile: file("dup.json", jsonOf(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{ed.Public(), ed.Public()}}))}, "more than once"},
		{"PEM private key", Config{Issuer: "i", Audience: "a", KeysFile: file("priv.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edPrivDER}))}, "private key"},
		{"PEM certificate", Config{Issuer: "i", Audience: "a", KeysFile: file("cert.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}))}, "unsupported type"},
		{"API keys file missing", Config{Issuer: "i", Audience: "a", KeysFile: goodKeys, APIKeysFile: dir + "/nope.json"}, "no such file"},
		{"API keys bad JSON", Config{Issuer: "i", Audience: "a", KeysFile: goodKeys, APIKeysFile: file("ak-bad.json", []byte("[1,2"))}, "API keys file"},
		{"API keys unknown field", Config{Issuer: "i", Audience: "a", KeysFile: goodKeys,
			APIKeysFile: apiKeys("ak-field.json", map[string]any{"name": "n", "sha256": hash, "tenant": "acme", "role": []string{"admin"}})}, "unknown field"},
		{"API key bad tenant", Config{Issuer: "i", Audience: "a", KeysFile: goodKeys,
			APIKeysFile: apiKeys("ak-tenant.json", map[string]any{"name": "n", "sha256": hash, "tenant": "_shared"})}, "not a valid tenant"},
		{"API key short hash", Config{Issuer: "i", Audience: "a", KeysFile: goodKeys,
			APIKeysFile: apiKeys("ak-short.json", map[string]any{"name": "n", "sha256": hash[:40], "tenant": "acme"})}, "64 hex digits"},
		{"API key non-hex hash", Config{Issuer: "i", Audience: "a", KeysFile: goodKeys,
			APIKeysFile: apiKeys("ak-hex.json", map[string]any{"name": "n", "sha256": strings.Repeat("z", 64), "tenant": "acme"})}, "not hex"},
		{"API key unknown role", Config{Issuer: "i", Audience: "a", KeysFile: goodKeys,
			APIKeysFile: apiKeys("ak-role.json", map[string]any{"name": "n", "sha256": hash, "tenant": "acme", "roles": []string{"root"}})}, `unknown role "root"`},
		{"API key no name", Config{Issuer: "i", Audience: "a", KeysFile: goodKeys,
			APIKeysFile: apiKeys("ak-name.json", map[string]any{"sha256": hash, "tenant": "acme"})}, "name is empty"},
		{"API key duplicate name", Config{Issuer: "i", Audience: "a", KeysFile: goodKeys,
			APIKeysFile: apiKeys("ak-dup.json",
				map[string]any{"name": "n", "sha256": hash, "tenant": "acme"},
				map[string]any{"name": "n", "sha256": HashAPIKey("other"), "tenant": "acme"})}, "used twice"},
		{"API key duplicate hash", Config{Issuer: "i", Audience: "a", KeysFile: goodKeys,
			APIKeysFile: apiKeys("ak-duphash.json",
				map[string]any{"name": "n", "sha256": hash, "tenant": "acme"},
				map[string]any{"name": "m", "sha256": hash, "tenant": "acme"})}, "appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := NewAuthenticator(tt.cfg)
			if err == nil || a != nil {
				t.Fatalf("NewAuthenticator = %v, %v; want an error", a, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}
