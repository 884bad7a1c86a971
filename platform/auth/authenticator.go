package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"google.golang.org/grpc/metadata"

	"github.com/aim-platform/aim/platform/errs"
)

// Defaults for Config and Signer.
const (
	DefaultIssuer   = "aim-dev"
	DefaultAudience = "aim-platform"
	DefaultLeeway   = 30 * time.Second
)

// The metadata keys that carry credentials. gRPC metadata keys are lower
// case; the HTTP headers Authorization and X-Api-Key map onto them.
const (
	authorizationKey = "authorization"
	apiKeyKey        = "x-api-key"
)

// maxTokenLen bounds the size of a token worth parsing. Real tokens are a
// few hundred bytes; anything this large is refused before any decoding.
const maxTokenLen = 8 << 10

// Config says which tokens and API keys an Authenticator accepts.
type Config struct {
	// Issuer must equal a token's iss claim. Required.
	Issuer string
	// Audience must be among a token's aud values. Required.
	Audience string
	// KeysFile holds the public keys that may sign tokens: a JWKS document
	// (keys chosen by the token's kid, several for rotation) or one or more
	// PEM public keys, Ed25519 or RSA. Required.
	KeysFile string
	// APIKeysFile optionally lists accepted API keys by SHA-256 hash, as
	// {"keys":[{"name":..,"sha256":..,"tenant":..,"roles":[..]}]}.
	APIKeysFile string
	// Leeway is the clock skew allowed when checking exp, nbf and iat.
	// Zero means DefaultLeeway.
	Leeway time.Duration
	// OperatorAudience is the audience of operator tokens (ADR 0005). A
	// token that names it is refused here even when it is otherwise valid,
	// so that no operator token ever acts for a tenant. Empty means
	// DefaultOperatorAudience. It must differ from Audience.
	OperatorAudience string
}

// Authenticator checks credentials. It does not change after
// NewAuthenticator returns and is safe for concurrent use.
type Authenticator struct {
	issuer           string
	audience         string
	operatorAudience string
	leeway           time.Duration
	keys             []verifyKey
	apiKeys          []apiKey
	tokens           *tokenCache
	now              func() time.Time // time.Now; tests move it
}

// NewAuthenticator loads the keys named by cfg and returns an Authenticator
// that accepts tokens and API keys as cfg describes.
func NewAuthenticator(cfg Config) (*Authenticator, error) {
	switch {
	case cfg.Issuer == "":
		return nil, errors.New("auth: Config.Issuer is required")
	case cfg.Audience == "":
		return nil, errors.New("auth: Config.Audience is required")
	case cfg.KeysFile == "":
		return nil, errors.New("auth: Config.KeysFile is required")
	case cfg.Leeway < 0:
		return nil, fmt.Errorf("auth: Config.Leeway %v is negative", cfg.Leeway)
	}
	if cfg.OperatorAudience == "" {
		cfg.OperatorAudience = DefaultOperatorAudience
	}
	if cfg.OperatorAudience == cfg.Audience {
		return nil, fmt.Errorf("auth: the tenant audience and the operator audience are both %q; they must differ", cfg.Audience)
	}
	a := &Authenticator{issuer: cfg.Issuer, audience: cfg.Audience, operatorAudience: cfg.OperatorAudience, leeway: cfg.Leeway,
		tokens: newTokenCache(tokenCacheSize), now: time.Now}
	if a.leeway == 0 {
		a.leeway = DefaultLeeway
	}
	var err error
	if a.keys, err = loadVerifyKeys(cfg.KeysFile); err != nil {
		return nil, err
	}
	if cfg.APIKeysFile != "" {
		if a.apiKeys, err = loadAPIKeys(cfg.APIKeysFile); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// Authenticate checks the credential in the incoming gRPC metadata of ctx:
// either "authorization: Bearer <jwt>" (the scheme in any case) or
// "x-api-key: <key>". Exactly one credential must be present.
func (a *Authenticator) Authenticate(ctx context.Context) (Identity, error) {
	authz := metadata.ValueFromIncomingContext(ctx, authorizationKey)
	keys := metadata.ValueFromIncomingContext(ctx, apiKeyKey)
	switch n := len(authz) + len(keys); {
	case n == 0:
		return Identity{}, errs.New(errs.Unauthenticated, "MISSING_CREDENTIALS",
			"missing credentials: send Authorization: Bearer <token> or X-Api-Key")
	case n > 1:
		return Identity{}, errs.New(errs.Unauthenticated, "INVALID_CREDENTIALS",
			"send exactly one credential: one Authorization header or one X-Api-Key, not several")
	case len(keys) == 1:
		return a.VerifyAPIKey(keys[0])
	}
	scheme, token, _ := strings.Cut(strings.TrimSpace(authz[0]), " ")
	if !strings.EqualFold(scheme, "bearer") {
		return Identity{}, errs.New(errs.Unauthenticated, "INVALID_CREDENTIALS",
			"the Authorization header must use the Bearer scheme")
	}
	return a.VerifyToken(strings.TrimSpace(token))
}

// tokenClaims are the claims of ours that a token carries besides the
// registered ones.
type tokenClaims struct {
	Tenant string   `json:"tenant"`
	Roles  []string `json:"roles"`
}

// invalidToken returns the error for a refused token. why must never
// contain any part of the token.
func invalidToken(why string) error {
	return errs.New(errs.Unauthenticated, "INVALID_TOKEN", "invalid bearer token: %s", why)
}

// VerifyToken checks a compact-serialised JWT and returns the Identity it
// asserts. The token must be signed with EdDSA or RS256 by one of the
// configured keys (the one named by its kid header, if it has one), carry
// the configured issuer and audience, an exp that has not passed, no nbf or
// iat in the future beyond the leeway, a valid sub (ValidSubject), and a
// valid tenant claim (ValidTenant). A token that names the operator
// audience is refused: operators are not tenants (ADR 0005).
// Roles the platform does not know are dropped from the Identity.
//
// A token that verified before is not checked again until it expires or
// leaves the bounded cache (see cache.go).
func (a *Authenticator) VerifyToken(token string) (Identity, error) {
	now := a.now()
	if id, ok := a.tokens.get(token, now); ok {
		return id, nil
	}
	id, expiry, err := a.verifyToken(token, now)
	if err != nil {
		return Identity{}, err
	}
	a.tokens.put(token, id, expiry, now)
	return id, nil
}

// verifyToken is VerifyToken without the cache. It also returns the last
// instant at which the token is still accepted (exp plus the leeway).
func (a *Authenticator) verifyToken(token string, now time.Time) (Identity, time.Time, error) {
	var own tokenClaims
	std, err := verifySigned(token, a.keys, a.issuer, a.audience, a.leeway, now, &own)
	if err != nil {
		return Identity{}, time.Time{}, err
	}
	// An operator token never acts for a tenant, whatever else it carries
	// (ADR 0005): refusing its audience here holds even where the operator
	// and tenant keys were, against the rules, configured the same.
	if slices.Contains(std.Audience, a.operatorAudience) {
		return Identity{}, time.Time{}, invalidToken("an operator token is not a tenant credential")
	}
	if std.Subject == "" {
		return Identity{}, time.Time{}, invalidToken("the token has no subject (sub)")
	}
	if !ValidSubject(std.Subject) {
		return Identity{}, time.Time{}, invalidToken("the subject (sub) is not a valid subject")
	}
	if own.Tenant == "" {
		return Identity{}, time.Time{}, invalidToken("the token has no tenant claim")
	}
	if !ValidTenant(own.Tenant) {
		return Identity{}, time.Time{}, invalidToken("the tenant claim is not a valid tenant id")
	}
	var roles []string
	for _, r := range own.Roles {
		if isKnownRole(r) && !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	id := Identity{Subject: std.Subject, Tenant: own.Tenant, Roles: roles, Via: ViaJWT}
	return id, std.Expiry.Time().Add(a.leeway), nil
}

// verifySigned checks what every token of the platform must satisfy, tenant
// or operator: a compact JWT of at most maxTokenLen bytes, signed with EdDSA
// or RS256 by one of keys (the one named by its kid header, if it has one),
// with an exp, the issuer and audience given, and times that hold at now
// within leeway. It decodes the claims into the registered ones, which it
// returns, and into own.
func verifySigned(token string, keys []verifyKey, issuer, audience string, leeway time.Duration, now time.Time, own any) (jwt.Claims, error) {
	var std jwt.Claims
	if token == "" {
		return std, invalidToken("the token is empty")
	}
	if len(token) > maxTokenLen {
		return std, invalidToken("the token is too long")
	}
	// Only EdDSA and RS256 are allowed. Leaving out "none" and every HMAC
	// algorithm is what stops unsigned tokens and tokens "signed" with a
	// public key used as a shared secret.
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.EdDSA, jose.RS256})
	if err != nil || len(tok.Headers) != 1 {
		return std, invalidToken("not a JWT signed with EdDSA or RS256")
	}
	hdr := tok.Headers[0]
	tried, verified := 0, false
	for _, k := range keys {
		if k.alg != jose.SignatureAlgorithm(hdr.Algorithm) || hdr.KeyID != "" && k.kid != hdr.KeyID {
			continue
		}
		tried++
		err := tok.Claims(k.key, &std, own)
		if errors.Is(err, jose.ErrCryptoFailure) {
			continue
		}
		if err != nil {
			return std, invalidToken("the claims are malformed")
		}
		verified = true
		break
	}
	switch {
	case !verified && hdr.KeyID != "" && tried == 0:
		return std, invalidToken("signed by an unknown key")
	case !verified:
		return std, invalidToken("the signature does not verify")
	}

	if std.Expiry == nil {
		return std, invalidToken("the token has no expiry (exp)")
	}
	err = std.ValidateWithLeeway(jwt.Expected{Issuer: issuer, AnyAudience: jwt.Audience{audience}, Time: now}, leeway)
	switch {
	case errors.Is(err, jwt.ErrExpired):
		return std, errs.New(errs.Unauthenticated, "TOKEN_EXPIRED", "invalid bearer token: the token has expired")
	case errors.Is(err, jwt.ErrNotValidYet):
		return std, invalidToken("the token is not valid yet (nbf)")
	case errors.Is(err, jwt.ErrIssuedInTheFuture):
		return std, invalidToken("the token is issued in the future (iat)")
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return std, invalidToken("the issuer (iss) is not accepted")
	case errors.Is(err, jwt.ErrInvalidAudience):
		return std, invalidToken("the audience (aud) does not include this service")
	case err != nil:
		return std, invalidToken("the claims do not validate")
	}
	return std, nil
}

// apiKeySubjectPrefix starts the Subject of every API key's Identity.
const apiKeySubjectPrefix = "apikey:"

// VerifyAPIKey checks an API key against the configured API keys file and
// returns the Identity of the matching entry, with Subject "apikey:<name>".
func (a *Authenticator) VerifyAPIKey(key string) (Identity, error) {
	k, ok := matchAPIKey(a.apiKeys, key)
	if key == "" || !ok {
		return Identity{}, errs.New(errs.Unauthenticated, "INVALID_API_KEY", "the API key is not valid")
	}
	return Identity{
		Subject: apiKeySubjectPrefix + k.name,
		Tenant:  k.tenant,
		Roles:   slices.Clone(k.roles),
		Via:     ViaAPIKey,
	}, nil
}

// AuthenticateHTTP checks the credentials of a plain HTTP request (the admin
// endpoints), with the same rules as Authenticate.
func (a *Authenticator) AuthenticateHTTP(r *http.Request) (Identity, error) {
	md := metadata.MD{}
	for _, v := range r.Header.Values("Authorization") {
		md.Append(authorizationKey, v)
	}
	for _, v := range r.Header.Values("X-Api-Key") {
		md.Append(apiKeyKey, v)
	}
	return a.Authenticate(metadata.NewIncomingContext(r.Context(), md))
}
