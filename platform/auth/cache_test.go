package auth

import (
	"slices"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// TestTokenCache walks one Authenticator's clock through the life of a
// cached token. Each step says when it runs, relative to t0, the time the
// token was minted, and what VerifyToken must answer then. Steps run in
// order on the same Authenticator, so each sees what the earlier ones left.
func TestTokenCache(t *testing.T) {
	ed := newEdKey(t, "ed-1")
	keysFile := writeJWKS(t, t.TempDir(), ed)
	t0 := time.Now().Truncate(time.Second)

	long := claims(t0) // exp t0+1h
	short := claims(t0)
	short["exp"] = t0.Add(2 * time.Minute).Unix()
	early := claims(t0)
	early["nbf"] = t0.Add(time.Minute).Unix()
	longTok, shortTok, earlyTok := sign(t, jose.EdDSA, ed, long), sign(t, jose.EdDSA, ed, short), sign(t, jose.EdDSA, ed, early)

	type step struct {
		name   string
		at     time.Duration
		token  string
		keys   bool   // false: the Authenticator's keys are taken away, so only a cache hit can succeed
		reason string // "" means accepted
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"a verified token is served from the cache", []step{
			{"first call verifies", 0, longTok, true, ""},
			{"a minute later it is a cache hit", time.Minute, longTok, false, ""},
			{"another token is not", time.Minute, shortTok, false, "INVALID_TOKEN"},
		}},
		{"an entry lives at most maxTokenCacheAge", []step{
			{"first call verifies", 0, longTok, true, ""},
			{"just before the age limit it is a hit", maxTokenCacheAge - time.Second, longTok, false, ""},
			{"at the age limit it is verified again", maxTokenCacheAge, longTok, false, "INVALID_TOKEN"},
			{"and cached again after", maxTokenCacheAge, longTok, true, ""},
			{"from then on", maxTokenCacheAge + time.Minute, longTok, false, ""},
		}},
		{"an entry never outlives the token", []step{
			{"first call verifies", 0, shortTok, true, ""},
			{"within exp plus the leeway it is a hit", 2*time.Minute + DefaultLeeway - time.Second, shortTok, false, ""},
			{"after that the full check says it expired", 2*time.Minute + DefaultLeeway + time.Second, shortTok, true, "TOKEN_EXPIRED"},
		}},
		{"refusals are not cached", []step{
			{"before nbf it is refused", 0, earlyTok, true, "INVALID_TOKEN"},
			{"after nbf it is accepted", 2 * time.Minute, earlyTok, true, ""},
			{"and then cached", 3 * time.Minute, earlyTok, false, ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := mustAuth(t, keysFile, "")
			keys := a.keys
			for _, s := range tt.steps {
				a.now = func() time.Time { return t0.Add(s.at) }
				a.keys = nil
				if s.keys {
					a.keys = keys
				}
				id, err := a.VerifyToken(s.token)
				if s.reason != "" {
					if err == nil {
						t.Fatalf("%s: accepted, want %s", s.name, s.reason)
					}
					checkUnauthenticated(t, err, s.reason, s.token)
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				if id.Subject != "user-42" || id.Tenant != "acme" || !slices.Equal(id.Roles, []string{RoleAppraiser}) {
					t.Fatalf("%s: identity = %+v", s.name, id)
				}
			}
		})
	}
}

// TestTokenCacheCopies checks a caller that changes the Identity it got
// cannot change what the next caller with the same token gets.
func TestTokenCacheCopies(t *testing.T) {
	ed := newEdKey(t, "ed-1")
	a := mustAuth(t, writeJWKS(t, t.TempDir(), ed), "")
	tok := sign(t, jose.EdDSA, ed, claims(time.Now()))
	for range 3 {
		id, err := a.VerifyToken(tok)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(id.Roles, []string{RoleAppraiser}) {
			t.Fatalf("roles = %v, want [%s]", id.Roles, RoleAppraiser)
		}
		id.Roles[0] = RoleAdmin
	}
}

func BenchmarkVerifyToken(b *testing.B) {
	ed := newEdKey(b, "ed-1")
	a := mustAuth(b, writeJWKS(b, b.TempDir(), ed), "")
	tok := sign(b, jose.EdDSA, ed, claims(time.Now()))
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			if _, err := a.VerifyToken(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("uncached", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := a.verifyToken(tok, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
