package auth

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// operatorFixture is a tenant Authenticator and an OperatorVerifier with
// keys of their own, as aim configures them.
type operatorFixture struct {
	tenantKey, operatorKey jose.JSONWebKey
	tenants                *Authenticator
	operators              *OperatorVerifier
	apiKey                 string
}

func newOperatorFixture(t *testing.T) operatorFixture {
	t.Helper()
	dir := t.TempDir()
	f := operatorFixture{tenantKey: newEdKey(t, "tenant-1"), operatorKey: newEdKey(t, "op-1"), apiKey: "aim_ops_5c0ffee5c0ffee"}
	tenantKeys := writeJWKS(t, dir, f.tenantKey)
	opDir := t.TempDir()
	opKeys := writeJWKS(t, opDir, f.operatorKey)
	doc, err := json.Marshal(map[string]any{"keys": []map[string]any{
		{"name": "ops", "sha256": HashAPIKey(f.apiKey), "tenant": "ops", "roles": []string{RoleAdmin}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	f.tenants = mustAuth(t, tenantKeys, writeFile(t, dir, "api-keys.json", doc))
	f.operators, err = NewOperatorVerifier(OperatorConfig{Issuer: testIssuer, KeysFile: opKeys}, f.tenants)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// operatorClaimsAt are the claims of a good operator token.
func operatorClaimsAt(now time.Time) map[string]any {
	return map[string]any{
		"iss": testIssuer, "aud": []string{DefaultOperatorAudience}, "sub": "ops-alice",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

// TestRedteamH1_OperatorAndTenantTokensAreDisjoint: no tenant token, not
// even a tenant admin's and not one that adds the operator audience, passes
// the operator verifier, and no operator token passes the tenant
// Authenticator. Before the fix there was no operator identity at all: a
// tenant admin token was what the backup endpoint asked for.
func TestRedteamH1_OperatorAndTenantTokensAreDisjoint(t *testing.T) {
	f := newOperatorFixture(t)
	now := time.Now()
	with := func(base map[string]any, change func(map[string]any)) map[string]any {
		c := map[string]any{}
		for k, v := range base {
			c[k] = v
		}
		change(c)
		return c
	}
	tenantAdmin := with(claims(now), func(c map[string]any) { c["roles"] = []string{RoleAdmin} })
	op := operatorClaimsAt(now)

	opSigner, err := NewOperatorSigner(f.operatorKey, testIssuer, DefaultOperatorAudience)
	if err != nil {
		t.Fatal(err)
	}
	minted, err := opSigner.Mint("ops-alice", time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	operatorOnly := []struct{ name, token string }{
		{"minted operator token", minted},
		{"operator token signed by hand", sign(t, jose.EdDSA, f.operatorKey, op)},
	}
	for _, tc := range operatorOnly {
		got, err := f.operators.VerifyToken(tc.token)
		if err != nil || got.Subject != "ops-alice" {
			t.Errorf("%s: operator verifier = %+v, %v; want ops-alice", tc.name, got, err)
		}
		if id, err := f.tenants.VerifyToken(tc.token); err == nil {
			t.Errorf("%s: the tenant authenticator accepted it as %+v", tc.name, id)
		}
	}

	refusedByOperators := []struct{ name, token string }{
		{"tenant admin token", sign(t, jose.EdDSA, f.tenantKey, tenantAdmin)},
		{"tenant admin token adding the operator audience", sign(t, jose.EdDSA, f.tenantKey,
			with(tenantAdmin, func(c map[string]any) { c["aud"] = []string{testAudience, DefaultOperatorAudience} }))},
		{"tenant key, operator claims exactly", sign(t, jose.EdDSA, f.tenantKey, op)},
		{"operator key, with a tenant", sign(t, jose.EdDSA, f.operatorKey, with(op, func(c map[string]any) { c["tenant"] = "acme" }))},
		{"operator key, with roles", sign(t, jose.EdDSA, f.operatorKey, with(op, func(c map[string]any) { c["roles"] = []string{RoleAdmin} }))},
		{"operator key, also the tenant audience", sign(t, jose.EdDSA, f.operatorKey,
			with(op, func(c map[string]any) { c["aud"] = []string{DefaultOperatorAudience, testAudience} }))},
		{"operator key, tenant audience only", sign(t, jose.EdDSA, f.operatorKey, with(op, func(c map[string]any) { c["aud"] = []string{testAudience} }))},
		{"operator key, blank subject", sign(t, jose.EdDSA, f.operatorKey, with(op, func(c map[string]any) { c["sub"] = " " }))},
		{"operator key, no subject", sign(t, jose.EdDSA, f.operatorKey, with(op, func(c map[string]any) { delete(c, "sub") }))},
		{"operator key, wrong issuer", sign(t, jose.EdDSA, f.operatorKey, with(op, func(c map[string]any) { c["iss"] = "evil" }))},
		{"operator key, expired", sign(t, jose.EdDSA, f.operatorKey, with(op, func(c map[string]any) { c["exp"] = now.Add(-time.Hour).Unix() }))},
		{"unsigned operator claims", unsigned(t, op)},
		{"the API key as a token", f.apiKey},
	}
	for _, tc := range refusedByOperators {
		if got, err := f.operators.VerifyToken(tc.token); err == nil {
			t.Errorf("%s: the operator verifier accepted it as %+v", tc.name, got)
		} else {
			checkUnauthenticated(t, err, "", tc.token)
		}
	}
	// The tenant admin token itself stays a good tenant credential.
	if id, err := f.tenants.VerifyToken(refusedByOperators[0].token); err != nil || id.Tenant != "acme" {
		t.Errorf("tenant admin token: %+v, %v", id, err)
	}
	// A tenant-signed token naming the operator audience is no tenant
	// credential either.
	if id, err := f.tenants.VerifyToken(refusedByOperators[1].token); err == nil {
		t.Errorf("the tenant authenticator accepted a token naming the operator audience as %+v", id)
	}

	// Over HTTP: API keys are never operator credentials.
	req := func(hdr ...string) *http.Request {
		r, _ := http.NewRequest("GET", "http://admin/backup/x", nil)
		for i := 0; i < len(hdr); i += 2 {
			r.Header.Add(hdr[i], hdr[i+1])
		}
		return r
	}
	for name, r := range map[string]*http.Request{
		"no credential":                  req(),
		"API key":                        req("X-Api-Key", f.apiKey),
		"API key beside operator token":  req("X-Api-Key", f.apiKey, "Authorization", "Bearer "+minted),
		"two operator tokens":            req("Authorization", "Bearer "+minted, "Authorization", "Bearer "+minted),
		"operator token without scheme":  req("Authorization", minted),
		"tenant admin token over HTTP":   req("Authorization", "Bearer "+refusedByOperators[0].token),
		"operator token in basic scheme": req("Authorization", "Basic "+minted),
	} {
		if got, err := f.operators.AuthenticateHTTP(r); err == nil {
			t.Errorf("%s: accepted as %+v", name, got)
		} else {
			checkUnauthenticated(t, err, "", minted)
		}
	}
	if got, err := f.operators.AuthenticateHTTP(req("Authorization", "bearer "+minted)); err != nil || got.Subject != "ops-alice" {
		t.Errorf("operator token over HTTP: %+v, %v", got, err)
	}
}

// TestNewOperatorVerifierKeepsIdentitiesApart: an operator key set that
// shares a key with the tenant set, or an operator audience the tenants
// accept or do not refuse, is a configuration error.
func TestNewOperatorVerifierKeepsIdentitiesApart(t *testing.T) {
	dir := t.TempDir()
	shared, own := newEdKey(t, "shared"), newEdKey(t, "own")
	tenants := mustAuth(t, writeJWKS(t, dir, shared), "")
	opDir := t.TempDir()
	overlap := writeJWKS(t, opDir, own, shared)
	ownFile := filepath.Join(opDir, "own.json")
	if err := os.Rename(writeJWKS(t, t.TempDir(), own), ownFile); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cfg     OperatorConfig
		tenants *Authenticator
		want    string
	}{
		{"shared key", OperatorConfig{Issuer: testIssuer, KeysFile: overlap}, tenants, "also verifies tenant tokens"},
		{"tenant audience", OperatorConfig{Issuer: testIssuer, KeysFile: ownFile, Audience: testAudience}, tenants, "also the tenant audience"},
		{"audience the tenants do not refuse", OperatorConfig{Issuer: testIssuer, KeysFile: ownFile, Audience: "ops"}, tenants, "configure both alike"},
		{"no tenant authenticator", OperatorConfig{Issuer: testIssuer, KeysFile: ownFile}, nil, "tenant authenticator"},
		{"no issuer", OperatorConfig{KeysFile: ownFile}, tenants, "Issuer"},
		{"no keys", OperatorConfig{Issuer: testIssuer}, tenants, "KeysFile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewOperatorVerifier(tt.cfg, tt.tenants)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewOperatorVerifier = %v, %v; want an error about %q", v, err, tt.want)
			}
		})
	}
	if _, err := NewAuthenticator(Config{Issuer: testIssuer, Audience: DefaultOperatorAudience, KeysFile: ownFile}); err == nil {
		t.Error("a tenant authenticator for the operator audience was built")
	}
	if _, err := NewOperatorVerifier(OperatorConfig{Issuer: testIssuer, KeysFile: ownFile}, tenants); err != nil {
		t.Errorf("separate keys: %v", err)
	}
}

// TestEnsureDevOperatorKey: the development operator key is its own key,
// beside the tenant development key, and its tokens pass only the
// operator verifier.
func TestEnsureDevOperatorKey(t *testing.T) {
	dir := t.TempDir()
	if _, err := EnsureDevKey(dir); err != nil {
		t.Fatal(err)
	}
	created, err := EnsureDevOperatorKey(dir)
	if err != nil || !created {
		t.Fatalf("EnsureDevOperatorKey = %v, %v", created, err)
	}
	if created, err := EnsureDevOperatorKey(dir); err != nil || created {
		t.Fatalf("second EnsureDevOperatorKey = %v, %v", created, err)
	}
	st, err := os.Stat(filepath.Join(dir, DevOperatorKeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("operator key file: %v %v", st, err)
	}
	tenants, err := NewAuthenticator(Config{Issuer: testIssuer, Audience: testAudience, KeysFile: filepath.Join(dir, DevJWKSFile)})
	if err != nil {
		t.Fatal(err)
	}
	ops, err := NewOperatorVerifier(OperatorConfig{Issuer: testIssuer, KeysFile: filepath.Join(dir, DevOperatorJWKSFile)}, tenants)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := LoadOperatorSigner(dir, testIssuer, DefaultOperatorAudience)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := signer.Mint("ops", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ops.VerifyToken(tok); err != nil {
		t.Errorf("dev operator token: %v", err)
	}
	if _, err := tenants.VerifyToken(tok); err == nil {
		t.Error("the tenant authenticator accepted a dev operator token")
	}
	for _, bad := range []struct {
		subject string
		ttl     time.Duration
	}{{"", time.Minute}, {" ", time.Minute}, {"ops", 0}} {
		if tok, err := signer.Mint(bad.subject, bad.ttl); err == nil {
			t.Errorf("Mint(%q, %v) = %q", bad.subject, bad.ttl, tok)
		}
	}
}
