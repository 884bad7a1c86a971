package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/aim-platform/aim/platform/errs"
)

// FuzzVerifyToken feeds arbitrary strings to VerifyToken. It must never
// panic, must answer every refusal with an Unauthenticated *errs.Error, and
// must accept nothing but the one genuine token minted here: an accepted
// input has to carry that token's exact payload and signature bytes. (A
// different spelling of the same bytes, such as base64 with stray line
// breaks, is not a forgery.)
func FuzzVerifyToken(f *testing.F) {
	dir := f.TempDir()
	key := newEdKey(f, "fuzz-1")
	a := mustAuth(f, writeJWKS(f, dir, key), "")
	now := time.Now()
	genuine := sign(f, jose.EdDSA, key, claims(now))
	genuineJWS, err := jose.ParseSigned(genuine, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		f.Fatal(err)
	}

	enc := base64.RawURLEncoding.EncodeToString
	parts := strings.Split(genuine, ".")
	withPayload := func(change func(c map[string]any)) string {
		c := claims(now)
		change(c)
		p, err := json.Marshal(c)
		if err != nil {
			f.Fatal(err)
		}
		return parts[0] + "." + enc(p) + "." + parts[2]
	}
	flip := func(s string, i int) string {
		b := []byte(s)
		b[i] ^= 0x01
		return string(b)
	}
	seeds := []string{
		"",
		".",
		"..",
		"a.b.c",
		"e30.e30.",
		parts[0] + "." + parts[1],       // no signature
		parts[0] + "." + parts[1] + ".", // empty signature
		flip(genuine, len(parts[0])+len(parts[1])+10), // signature damaged
		flip(genuine, len(parts[0])+5),                // payload damaged
		flip(genuine, 3),                              // header damaged
		withPayload(func(c map[string]any) { c["roles"] = []string{RoleAdmin} }),
		withPayload(func(c map[string]any) { c["tenant"] = "globex" }),
		withPayload(func(c map[string]any) { c["exp"] = now.Add(24 * time.Hour).Unix() }),
		enc([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".",
		enc([]byte(`{"alg":"HS256","kid":"fuzz-1"}`)) + "." + parts[1] + "." + parts[2],
		enc([]byte(`{"alg":"EdDSA","kid":"other"}`)) + "." + parts[1] + "." + parts[2],
		enc([]byte(`{"alg":"RS256","kid":"fuzz-1"}`)) + "." + parts[1] + "." + parts[2],
		enc([]byte(`{"alg":"EdDSA","crit":["exp"],"exp":1}`)) + "." + parts[1] + "." + parts[2],
		sign(f, jose.EdDSA, key, func() map[string]any { c := claims(now); c["exp"] = now.Add(-time.Hour).Unix(); return c }()),
		sign(f, jose.EdDSA, key, func() map[string]any { c := claims(now); c["aud"] = "someone-else"; return c }()),
		sign(f, jose.EdDSA, key, func() map[string]any { c := claims(now); delete(c, "exp"); return c }()),
		sign(f, jose.EdDSA, newEdKey(f, "fuzz-1"), claims(now)),
		unsigned(f, claims(now)),
		`{"protected":"` + parts[0] + `","payload":"` + parts[1] + `","signature":"` + parts[2] + `"}`,
	}
	for _, s := range seeds {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, token string) {
		id, err := a.VerifyToken(token)
		if err != nil {
			if !errs.Is(err, errs.Unauthenticated) {
				t.Fatalf("refusal is not Unauthenticated: %#v", err)
			}
			return
		}
		got, perr := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.EdDSA, jose.RS256})
		if perr != nil || len(got.Signatures) != 1 ||
			!bytes.Equal(got.UnsafePayloadWithoutVerification(), genuineJWS.UnsafePayloadWithoutVerification()) ||
			!bytes.Equal(got.Signatures[0].Signature, genuineJWS.Signatures[0].Signature) {
			t.Fatalf("accepted a token that was never minted: %q as %+v", token, id)
		}
	})
}
