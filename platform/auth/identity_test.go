package auth

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/aim-platform/aim/platform/errs"
)

func TestValidTenant(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"acme", true},
		{"a", true},
		{"0", true},
		{"acme-corp-2", true},
		{"a" + strings.Repeat("-", 61) + "b", true},
		{"xn--acme", true},
		{"a" + strings.Repeat("-", 62), false},
		{"acme-", false},
		{strings.Repeat("a", 63), true},
		{strings.Repeat("a", 64), false},
		{"", false},
		{"_shared", false},
		{"-acme", false},
		{"Acme", false},
		{"acme corp", false},
		{"acme_corp", false},
		{"acme.corp", false},
		{"acmé", false},
		{"acme\n", false},
	}
	for _, tt := range tests {
		if got := ValidTenant(tt.in); got != tt.want {
			t.Errorf("ValidTenant(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestHasAnyRole(t *testing.T) {
	id := Identity{Roles: []string{RoleViewer, RoleAppraiser}}
	tests := []struct {
		roles []string
		want  bool
	}{
		{[]string{RoleAppraiser}, true},
		{[]string{RoleAdmin, RoleViewer}, true},
		{[]string{RoleAdmin}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := id.HasAnyRole(tt.roles...); got != tt.want {
			t.Errorf("HasAnyRole(%q) = %v, want %v", tt.roles, got, tt.want)
		}
	}
	if (Identity{Roles: []string{RoleAdmin}}).HasAnyRole(RoleViewer) {
		t.Error("HasAnyRole treats admin specially; only Require should")
	}
}

func TestKnownRoles(t *testing.T) {
	roles := KnownRoles()
	if len(roles) != 5 {
		t.Fatalf("KnownRoles = %q", roles)
	}
	for _, r := range roles {
		if !isKnownRole(r) {
			t.Errorf("isKnownRole(%q) = false", r)
		}
	}
	roles[0] = "mutated"
	if KnownRoles()[0] != RoleAdmin {
		t.Error("KnownRoles shares its slice")
	}
	if isKnownRole("") || isKnownRole("root") || isKnownRole("Admin") {
		t.Error("isKnownRole accepts an unknown role")
	}
}

func TestContext(t *testing.T) {
	if _, ok := FromContext(context.Background()); ok {
		t.Fatal("empty context has an identity")
	}
	want := Identity{Subject: "s", Tenant: "t", Roles: []string{RoleViewer}, Via: ViaJWT}
	got, ok := FromContext(WithIdentity(context.Background(), want))
	if !ok || got.Subject != want.Subject || got.Tenant != want.Tenant || got.Via != want.Via {
		t.Fatalf("FromContext = %+v, %v", got, ok)
	}
}

func TestRequire(t *testing.T) {
	as := func(roles ...string) context.Context {
		return WithIdentity(context.Background(), Identity{Subject: "s", Tenant: "acme", Roles: roles, Via: ViaJWT})
	}
	const ok, denied, unauth = "ok", "denied", "unauthenticated"
	kinds := map[string]errs.Kind{denied: errs.PermissionDenied, unauth: errs.Unauthenticated}
	tests := []struct {
		name string
		ctx  context.Context
		need []string
		want string
	}{
		{"anonymous", context.Background(), []string{RoleViewer}, unauth},
		{"anonymous, no roles needed", context.Background(), nil, unauth},
		{"viewer reads", as(RoleViewer), []string{RoleViewer, RoleAppraiser}, ok},
		{"viewer writes", as(RoleViewer), []string{RoleAppraiser}, denied},
		{"appraiser writes", as(RoleAppraiser), []string{RoleAppraiser, RoleLeadAppraiser}, ok},
		{"appraiser approves", as(RoleAppraiser), []string{RoleLeadAppraiser}, denied},
		{"lead approves", as(RoleLeadAppraiser), []string{RoleLeadAppraiser}, ok},
		{"lead edits content", as(RoleLeadAppraiser), []string{RoleContentManager}, denied},
		{"content manager edits content", as(RoleContentManager), []string{RoleContentManager}, ok},
		{"admin anything", as(RoleAdmin), []string{RoleContentManager}, ok},
		{"admin with others", as(RoleViewer, RoleAdmin), []string{RoleLeadAppraiser}, ok},
		{"no roles held", as(), []string{RoleViewer}, denied},
		{"no roles held, none needed", as(), nil, ok},
		{"several held", as(RoleViewer, RoleContentManager), []string{RoleContentManager}, ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Require(tt.ctx, tt.need...)
			if tt.want == ok {
				if err != nil {
					t.Fatalf("Require = %v, want nil", err)
				}
				return
			}
			e, isErr := err.(*errs.Error)
			if !isErr || e.Kind != kinds[tt.want] {
				t.Fatalf("Require = %#v, want kind %v", err, tt.want)
			}
			if tt.want != denied {
				return
			}
			if e.Reason != "MISSING_ROLE" {
				t.Fatalf("reason = %q", e.Reason)
			}
			for _, r := range append(tt.need, RoleAdmin) {
				if !strings.Contains(e.Message, r) {
					t.Errorf("message %q does not name role %q", e.Message, r)
				}
			}
		})
	}
}

func TestCaller(t *testing.T) {
	if _, err := Caller(t.Context(), RoleViewer); err == nil {
		t.Fatal("Caller without an identity passed")
	}
	ctx := WithIdentity(t.Context(), Identity{Subject: "s", Tenant: "acme", Roles: []string{RoleViewer}})
	if id, err := Caller(ctx, RoleViewer); err != nil || id.Tenant != "acme" {
		t.Fatalf("Caller = %+v, %v", id, err)
	}
	if _, err := Caller(ctx, RoleContentManager); err == nil {
		t.Fatal("Caller passed a caller without the role")
	}
}

// TestRedteamL6_OddTokenValuesAreRefused: the probe's tenant "acme-" and
// subject " " passed VerifyToken. Tenants are now DNS labels and subjects
// printable, bounded and not blank, in tokens and in API key files alike.
func TestRedteamL6_OddTokenValuesAreRefused(t *testing.T) {
	dir := t.TempDir()
	key := newEdKey(t, "k")
	a := mustAuth(t, writeJWKS(t, dir, key), "")
	now := time.Now()
	token := func(tenant, subject string) string {
		c := claims(now)
		c["tenant"], c["sub"] = tenant, subject
		return sign(t, jose.EdDSA, key, c)
	}
	for _, tc := range []struct{ name, tenant, subject string }{
		{"trailing dash tenant", "acme-", "alice"},
		{"leading dash tenant", "-acme", "alice"},
		{"blank subject", "acme", " "},
		{"tab subject", "acme", "\t"},
		{"subject with a leading space", "acme", " alice"},
		{"subject with a trailing space", "acme", "alice "},
		{"subject with a NUL", "acme", "ali\x00ce"},
		{"subject with a newline", "acme", "alice\nadmin"},
		{"subject with a right-to-left override", "acme", "alice\u202egpj"},
		{"subject with a zero-width space", "acme", "ali\u200bce"},
		{"subject with a line separator", "acme", "alice\u2028bob"},
		{"subject too long", "acme", strings.Repeat("a", MaxSubjectLen+1)},
	} {
		id, err := a.VerifyToken(token(tc.tenant, tc.subject))
		if err == nil {
			t.Errorf("%s: accepted as %+v", tc.name, id)
			continue
		}
		checkUnauthenticated(t, err, "INVALID_TOKEN", "")
	}
	for _, subject := range []string{"alice", "alice@example.com", "https://id.example.com/u/42", "Zoë Å", strings.Repeat("a", MaxSubjectLen)} {
		if id, err := a.VerifyToken(token("acme", subject)); err != nil || id.Subject != subject {
			t.Errorf("subject %q: %+v, %v", subject, id, err)
		}
	}

	signer, err := NewSigner(key, testIssuer, testAudience)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ tenant, subject string }{{"acme-", "alice"}, {"acme", " "}, {"acme", "a\x7f"}} {
		if tok, err := signer.Mint(tc.subject, tc.tenant, nil, time.Hour); err == nil {
			t.Errorf("Mint(%q, %q) = %q", tc.subject, tc.tenant, tok)
		}
	}

	for _, tc := range []struct{ name, tenant, want string }{
		{"trailing dash tenant", "acme-", "not a valid tenant id"},
		{"name with a newline", "acme", "name must be printable"},
		{"name with a leading space", "acme", "name must be printable"},
		{"name too long", "acme", "name must be printable"},
	} {
		name := map[string]string{
			"name with a newline": "ci\nbot", "name with a leading space": " ci", "name too long": strings.Repeat("n", MaxSubjectLen),
		}[tc.name]
		if name == "" {
			name = "ci"
		}
		doc, _ := json.Marshal(map[string]any{"keys": []map[string]any{
			{"name": name, "sha256": HashAPIKey("k-" + tc.name), "tenant": tc.tenant, "roles": []string{RoleViewer}},
		}})
		_, err := NewAuthenticator(Config{Issuer: testIssuer, Audience: testAudience, KeysFile: writeJWKS(t, dir, key),
			APIKeysFile: writeFile(t, dir, "api-keys.json", doc)})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("API key file, %s: %v; want an error about %q", tc.name, err, tc.want)
		}
	}
}

func TestValidSubject(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"alice", true}, {"a b", true}, {"Zoë", true}, {"apikey:ci-bot", true},
		{"", false}, {" ", false}, {"\u00a0alice", false}, {"alice\u3000", false},
		{"a\x1fb", false}, {"a\u0085b", false}, {"a\ufeffb", false},
		{strings.Repeat("x", MaxSubjectLen), true}, {strings.Repeat("x", MaxSubjectLen+1), false},
	} {
		if got := ValidSubject(tc.in); got != tc.want {
			t.Errorf("ValidSubject(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
