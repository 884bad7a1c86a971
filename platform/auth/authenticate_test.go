package auth

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"
)

func TestAuthenticate(t *testing.T) {
	dir := t.TempDir()
	key := newEdKey(t, "k")
	signer, err := NewSigner(key, testIssuer, testAudience)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := signer.Mint("user-1", "acme", []string{RoleLeadAppraiser}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	const (
		ciKey    = "aim_ci_3b9f1c7e5d2a4f60"
		adminKey = "aim_admin_0d8e7c6b5a493827"
	)
	doc, err := json.Marshal(map[string]any{"keys": []map[string]any{
		{"name": "ci-bot", "sha256": HashAPIKey(ciKey), "tenant": "acme", "roles": []string{RoleAppraiser}},
		{"name": "ops", "sha256": HashAPIKey(adminKey), "tenant": "globex", "roles": []string{RoleAdmin, RoleViewer}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	a := mustAuth(t, writeJWKS(t, dir, key), writeFile(t, dir, "api-keys.json", doc))
	noAPIKeys := mustAuth(t, writeJWKS(t, dir, key), "")

	tests := []struct {
		name   string
		a      *Authenticator
		md     metadata.MD // nil means no incoming metadata at all
		want   Identity
		reason string // non-empty: the call fails with this reason
	}{
		{"no metadata", a, nil, Identity{}, "MISSING_CREDENTIALS"},
		{"empty metadata", a, metadata.Pairs("x-other", "1"), Identity{}, "MISSING_CREDENTIALS"},
		{"bearer", a, metadata.Pairs("authorization", "Bearer "+tok),
			Identity{"user-1", "acme", []string{RoleLeadAppraiser}, ViaJWT}, ""},
		{"bearer lower case, extra spaces", a, metadata.Pairs("authorization", "  bearer   "+tok+" "),
			Identity{"user-1", "acme", []string{RoleLeadAppraiser}, ViaJWT}, ""},
		{"bearer upper case", a, metadata.Pairs("authorization", "BEARER "+tok),
			Identity{"user-1", "acme", []string{RoleLeadAppraiser}, ViaJWT}, ""},
		{"bearer without token", a, metadata.Pairs("authorization", "Bearer"), Identity{}, "INVALID_TOKEN"},
		{"basic scheme", a, metadata.Pairs("authorization", "Basic dXNlcjpwYXNz"), Identity{}, "INVALID_CREDENTIALS"},
		{"bare token", a, metadata.Pairs("authorization", tok), Identity{}, "INVALID_CREDENTIALS"},
		{"forged bearer", a, metadata.Pairs("authorization", "Bearer "+tok[:len(tok)-4]+"AAAA"), Identity{}, "INVALID_TOKEN"},
		{"two authorization values", a, metadata.Pairs("authorization", "Bearer "+tok, "authorization", "Bearer "+tok), Identity{}, "INVALID_CREDENTIALS"},
		{"token and API key", a, metadata.Pairs("authorization", "Bearer "+tok, "x-api-key", ciKey), Identity{}, "INVALID_CREDENTIALS"},
		{"API key good", a, metadata.Pairs("x-api-key", ciKey),
			Identity{"apikey:ci-bot", "acme", []string{RoleAppraiser}, ViaAPIKey}, ""},
		{"API key second entry", a, metadata.Pairs("X-Api-Key", adminKey),
			Identity{"apikey:ops", "globex", []string{RoleAdmin, RoleViewer}, ViaAPIKey}, ""},
		{"API key bad", a, metadata.Pairs("x-api-key", ciKey+"x"), Identity{}, "INVALID_API_KEY"},
		{"API key unknown", a, metadata.Pairs("x-api-key", "aim_unknown_key_123456"), Identity{}, "INVALID_API_KEY"},
		{"API key empty", a, metadata.Pairs("x-api-key", ""), Identity{}, "INVALID_API_KEY"},
		{"API key hash sent instead of key", a, metadata.Pairs("x-api-key", HashAPIKey(ciKey)), Identity{}, "INVALID_API_KEY"},
		{"API key without API keys file", noAPIKeys, metadata.Pairs("x-api-key", ciKey), Identity{}, "INVALID_API_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.md != nil {
				ctx = metadata.NewIncomingContext(ctx, tt.md)
			}
			id, err := tt.a.Authenticate(ctx)
			if tt.reason != "" {
				var cred string
				for _, k := range []string{"authorization", "x-api-key"} {
					if v := tt.md.Get(k); len(v) > 0 {
						cred = v[0]
					}
				}
				checkUnauthenticated(t, err, tt.reason, cred)
				return
			}
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if id.Subject != tt.want.Subject || id.Tenant != tt.want.Tenant || id.Via != tt.want.Via || !slices.Equal(id.Roles, tt.want.Roles) {
				t.Fatalf("identity = %+v, want %+v", id, tt.want)
			}
		})
	}

	_, err = a.Authenticate(context.Background())
	if want := "missing credentials: send Authorization: Bearer <token> or X-Api-Key"; err == nil || err.Error() != want {
		t.Errorf("missing credentials error = %v, want %q", err, want)
	}
}

func TestHashAPIKey(t *testing.T) {
	// SHA-256 of "abc", from FIPS 180-2.
	if got, want := HashAPIKey("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Fatalf("HashAPIKey = %s, want %s", got, want)
	}
}
