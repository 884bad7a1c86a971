package auth

import (
	"crypto"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/aim-platform/aim/platform/errs"
)

// Operators run the platform: they take backups and restore them, and do
// anything else that sees more than one tenant. They are a separate identity
// from every tenant's callers (DESIGN.md §4, ADR 0005), proved by an
// operator token:
//
//   - signed by a key of the operator key set, which shares no key with the
//     tenant key set (NewOperatorVerifier refuses an overlap);
//   - naming the operator audience, which tenant tokens never carry and the
//     tenant Authenticator refuses;
//   - carrying neither a tenant nor roles, and not the tenant audience.
//
// Any one of these keeps a tenant token, even a tenant admin's, from
// passing as an operator, and an operator token from acting for a tenant.
// API keys are tenant credentials and are never operator credentials.

// DefaultOperatorAudience is the audience (aud) of operator tokens.
const DefaultOperatorAudience = "aim-operator"

// The files EnsureDevOperatorKey keeps in its directory, beside (and
// distinct from) DevKeyFile and DevJWKSFile.
const (
	// DevOperatorKeyFile holds the private operator signing key, mode 0600.
	DevOperatorKeyFile = "dev-operator-key.jwk"
	// DevOperatorJWKSFile holds its public key, what OperatorConfig.KeysFile
	// names in development.
	DevOperatorJWKSFile = "dev-operator-jwks.json"
)

// Operator is an authenticated operator.
type Operator struct {
	// Subject names the operator: the token's sub claim.
	Subject string
}

// OperatorConfig says which operator tokens an OperatorVerifier accepts.
type OperatorConfig struct {
	// Issuer must equal a token's iss claim. Required.
	Issuer string
	// Audience must be among a token's aud values. Empty means
	// DefaultOperatorAudience.
	Audience string
	// KeysFile holds the public keys that may sign operator tokens, as in
	// Config.KeysFile. None of them may also be a tenant key. Required.
	KeysFile string
	// Leeway is the clock skew allowed; zero means DefaultLeeway.
	Leeway time.Duration
}

// OperatorVerifier checks operator tokens. It does not change after
// NewOperatorVerifier returns and is safe for concurrent use. It keeps no
// cache: operator calls are rare.
type OperatorVerifier struct {
	issuer         string
	audience       string
	tenantAudience string
	leeway         time.Duration
	keys           []verifyKey
	now            func() time.Time
}

// NewOperatorVerifier loads the operator keys named by cfg. tenants is the
// process's tenant Authenticator: the operator audience must be the one it
// refuses, must differ from its audience, and no operator key may be one of
// its keys, so that the two identities stay apart even when misconfigured.
func NewOperatorVerifier(cfg OperatorConfig, tenants *Authenticator) (*OperatorVerifier, error) {
	if cfg.Audience == "" {
		cfg.Audience = DefaultOperatorAudience
	}
	switch {
	case tenants == nil:
		return nil, errors.New("auth: an operator verifier needs the tenant authenticator to stay apart from")
	case cfg.Issuer == "":
		return nil, errors.New("auth: OperatorConfig.Issuer is required")
	case cfg.KeysFile == "":
		return nil, errors.New("auth: OperatorConfig.KeysFile is required")
	case cfg.Leeway < 0:
		return nil, fmt.Errorf("auth: OperatorConfig.Leeway %v is negative", cfg.Leeway)
	case cfg.Audience == tenants.audience:
		return nil, fmt.Errorf("auth: the operator audience %q is also the tenant audience; they must differ", cfg.Audience)
	case cfg.Audience != tenants.operatorAudience:
		return nil, fmt.Errorf("auth: the operator audience is %q but the tenant authenticator refuses %q; configure both alike", cfg.Audience, tenants.operatorAudience)
	}
	keys, err := loadVerifyKeys(cfg.KeysFile)
	if err != nil {
		return nil, err
	}
	for i, k := range keys {
		for _, t := range tenants.keys {
			if sameKey(k.key, t.key) {
				return nil, fmt.Errorf("auth: operator keys file %s: key %d (kid %q) also verifies tenant tokens; operators need keys of their own", cfg.KeysFile, i, k.kid)
			}
		}
	}
	v := &OperatorVerifier{issuer: cfg.Issuer, audience: cfg.Audience, tenantAudience: tenants.audience,
		leeway: cfg.Leeway, keys: keys, now: time.Now}
	if v.leeway == 0 {
		v.leeway = DefaultLeeway
	}
	return v, nil
}

// sameKey reports whether two public keys are the same key.
func sameKey(a, b any) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}

// VerifyToken checks an operator token and returns the Operator it names.
// Besides what every token needs (see Authenticator.VerifyToken: signature,
// issuer, audience, times), it must carry no tenant and no roles claim, must
// not name the tenant audience, and must have a valid subject.
func (v *OperatorVerifier) VerifyToken(token string) (Operator, error) {
	own := map[string]any{}
	std, err := verifySigned(token, v.keys, v.issuer, v.audience, v.leeway, v.now(), &own)
	if err != nil {
		return Operator{}, err
	}
	if _, ok := own["tenant"]; ok {
		return Operator{}, invalidToken("an operator token carries no tenant claim")
	}
	if _, ok := own["roles"]; ok {
		return Operator{}, invalidToken("an operator token carries no roles claim")
	}
	if slices.Contains(std.Audience, v.tenantAudience) {
		return Operator{}, invalidToken("an operator token must not name the tenant audience")
	}
	if !ValidSubject(std.Subject) {
		return Operator{}, invalidToken("the subject (sub) is missing or not a valid subject")
	}
	return Operator{Subject: std.Subject}, nil
}

// AuthenticateHTTP checks the operator credential of a plain HTTP request:
// exactly one "Authorization: Bearer <operator token>" header. An X-Api-Key
// is refused: API keys are tenant credentials, never operator ones.
func (v *OperatorVerifier) AuthenticateHTTP(r *http.Request) (Operator, error) {
	authz := r.Header.Values("Authorization")
	switch {
	case len(r.Header.Values("X-Api-Key")) > 0:
		return Operator{}, errs.New(errs.Unauthenticated, "INVALID_CREDENTIALS",
			"API keys are tenant credentials; send Authorization: Bearer <operator token>")
	case len(authz) == 0:
		return Operator{}, errs.New(errs.Unauthenticated, "MISSING_CREDENTIALS",
			"missing credentials: send Authorization: Bearer <operator token>")
	case len(authz) > 1:
		return Operator{}, errs.New(errs.Unauthenticated, "INVALID_CREDENTIALS",
			"send exactly one Authorization header")
	}
	scheme, token, _ := strings.Cut(strings.TrimSpace(authz[0]), " ")
	if !strings.EqualFold(scheme, "bearer") {
		return Operator{}, errs.New(errs.Unauthenticated, "INVALID_CREDENTIALS",
			"the Authorization header must use the Bearer scheme")
	}
	return v.VerifyToken(strings.TrimSpace(token))
}

// OperatorSigner mints operator tokens. It is safe for concurrent use.
type OperatorSigner struct{ s *Signer }

// NewOperatorSigner returns an OperatorSigner for a private key, as
// NewSigner does; audience is the operator audience.
func NewOperatorSigner(priv jose.JSONWebKey, issuer, audience string) (*OperatorSigner, error) {
	s, err := NewSigner(priv, issuer, audience)
	if err != nil {
		return nil, err
	}
	return &OperatorSigner{s: s}, nil
}

// Mint returns an operator token for subject, valid from now for ttl: the
// registered claims only, with no tenant and no roles.
func (o *OperatorSigner) Mint(subject string, ttl time.Duration) (string, error) {
	if !ValidSubject(subject) {
		return "", fmt.Errorf("auth: mint: %q is not a valid subject", subject)
	}
	if ttl <= 0 {
		return "", fmt.Errorf("auth: mint: ttl %v is not positive", ttl)
	}
	return o.s.mint(subject, nil, ttl)
}

// EnsureDevOperatorKey is EnsureDevKey for the development operator key:
// DevOperatorKeyFile and DevOperatorJWKSFile in dir, a key of its own,
// never the tenant development key.
func EnsureDevOperatorKey(dir string) (created bool, err error) {
	return ensureDevKeyPair(dir, DevOperatorKeyFile, DevOperatorJWKSFile)
}

// LoadOperatorSigner returns an OperatorSigner for the development operator
// key in dir, as written by EnsureDevOperatorKey.
func LoadOperatorSigner(dir, issuer, audience string) (*OperatorSigner, error) {
	priv, err := readPrivateJWK(filepath.Join(dir, DevOperatorKeyFile))
	if err != nil {
		return nil, err
	}
	return NewOperatorSigner(priv, issuer, audience)
}
