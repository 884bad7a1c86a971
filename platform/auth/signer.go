package auth

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// The files EnsureDevKey keeps in its directory.
const (
	// DevKeyFile holds the private signing key as a JWK, mode 0600.
	DevKeyFile = "dev-signing-key.jwk"
	// DevJWKSFile holds the matching public key as a JWKS, mode 0644. It is
	// what Config.KeysFile names in development.
	DevJWKSFile = "dev-jwks.json"
)

// Signer mints tokens that an Authenticator with the matching public key,
// issuer and audience accepts. It is safe for concurrent use.
type Signer struct {
	signer   jose.Signer
	kid      string
	issuer   string
	audience string
}

// NewSigner returns a Signer for a private key: EdDSA for an Ed25519 key,
// RS256 for an RSA key of at least 2048 bits. The key's KeyID, if any, goes
// into the kid header of every token.
func NewSigner(priv jose.JSONWebKey, issuer, audience string) (*Signer, error) {
	if issuer == "" || audience == "" {
		return nil, errors.New("auth: a signer needs an issuer and an audience")
	}
	switch priv.Key.(type) {
	case ed25519.PrivateKey, *rsa.PrivateKey:
	default:
		return nil, fmt.Errorf("auth: a signer needs an Ed25519 or RSA private key, not %T", priv.Key)
	}
	if !priv.Valid() {
		return nil, errors.New("auth: the signing key is malformed")
	}
	alg, err := algFor(priv.Key)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: priv}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	return &Signer{signer: s, kid: priv.KeyID, issuer: issuer, audience: audience}, nil
}

// KeyID returns the kid that the Signer puts in its tokens, or "".
func (s *Signer) KeyID() string { return s.kid }

// Mint returns a signed token for subject in tenant with the given roles,
// valid from now for ttl. It refuses an empty subject, an invalid tenant,
// a role outside KnownRoles and a ttl that is not positive.
func (s *Signer) Mint(subject, tenant string, roles []string, ttl time.Duration) (string, error) {
	if subject == "" {
		return "", errors.New("auth: mint: the subject is empty")
	}
	if !ValidSubject(subject) {
		return "", fmt.Errorf("auth: mint: %q is not a valid subject", subject)
	}
	if !ValidTenant(tenant) {
		return "", fmt.Errorf("auth: mint: %q is not a valid tenant id", tenant)
	}
	for _, r := range roles {
		if !isKnownRole(r) {
			return "", fmt.Errorf("auth: mint: unknown role %q", r)
		}
	}
	if ttl <= 0 {
		return "", fmt.Errorf("auth: mint: ttl %v is not positive", ttl)
	}
	own := tokenClaims{Tenant: tenant, Roles: append([]string{}, roles...)}
	return s.mint(subject, own, ttl)
}

// mint signs the registered claims for subject, valid from now for ttl,
// with own claims beside them.
func (s *Signer) mint(subject string, own any, ttl time.Duration) (string, error) {
	now := time.Now()
	std := jwt.Claims{
		Issuer:    s.issuer,
		Subject:   subject,
		Audience:  jwt.Audience{s.audience},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		Expiry:    jwt.NewNumericDate(now.Add(ttl)),
	}
	b := jwt.Signed(s.signer).Claims(std)
	if own != nil {
		b = b.Claims(own)
	}
	tok, err := b.Serialize()
	if err != nil {
		return "", fmt.Errorf("auth: mint: %w", err)
	}
	return tok, nil
}

// EnsureDevKey makes sure dir holds a development signing key and its
// public JWKS. When DevKeyFile is absent it generates an Ed25519 key with a
// random kid and reports created. Either way it then rewrites DevJWKSFile if
// that does not match the key. dir is created (mode 0700) if needed.
//
// Two processes may race to create the key: the key file appears complete
// and exactly once, and the loser uses the winner's key.
func EnsureDevKey(dir string) (created bool, err error) {
	return ensureDevKeyPair(dir, DevKeyFile, DevJWKSFile)
}

// ensureDevKeyPair is EnsureDevKey for the key and JWKS files named.
func ensureDevKeyPair(dir, keyFile, jwksFile string) (created bool, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, fmt.Errorf("auth: dev key directory: %w", err)
	}
	keyPath := filepath.Join(dir, keyFile)
	priv, err := readPrivateJWK(keyPath)
	if errors.Is(err, fs.ErrNotExist) {
		if created, err = createDevKey(keyPath); err != nil {
			return false, err
		}
		priv, err = readPrivateJWK(keyPath)
	}
	if err != nil {
		return false, err
	}
	if err := syncDevJWKS(filepath.Join(dir, jwksFile), priv); err != nil {
		return created, err
	}
	return created, nil
}

// LoadSigner returns a Signer for the development key in dir, as written by
// EnsureDevKey.
func LoadSigner(dir, issuer, audience string) (*Signer, error) {
	priv, err := readPrivateJWK(filepath.Join(dir, DevKeyFile))
	if err != nil {
		return nil, err
	}
	return NewSigner(priv, issuer, audience)
}

// readPrivateJWK reads a private Ed25519 or RSA key in JWK form.
func readPrivateJWK(path string) (jose.JSONWebKey, error) {
	var k jose.JSONWebKey
	data, err := os.ReadFile(path)
	if err != nil {
		return k, fmt.Errorf("auth: reading signing key: %w", err)
	}
	if err := json.Unmarshal(data, &k); err != nil {
		return k, fmt.Errorf("auth: signing key %s is not a valid JWK: %w", path, err)
	}
	switch k.Key.(type) {
	case ed25519.PrivateKey, *rsa.PrivateKey:
	default:
		return k, fmt.Errorf("auth: signing key %s is not an Ed25519 or RSA private key", path)
	}
	return k, nil
}

// createDevKey writes a new Ed25519 JWK to path unless a file is already
// there. The key goes to a temporary file first and is then hard-linked into
// place: the link fails if path exists, so a racing writer never replaces a
// key, and readers never see a half-written file.
func createDevKey(path string) (created bool, err error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return false, fmt.Errorf("auth: generating dev key: %w", err)
	}
	jwk := jose.JSONWebKey{Key: key, KeyID: rand.Text(), Algorithm: string(jose.EdDSA), Use: "sig"}
	data, err := json.MarshalIndent(jwk, "", "  ")
	if err != nil {
		return false, fmt.Errorf("auth: encoding dev key: %w", err)
	}
	tmp, err := writeTemp(filepath.Dir(path), append(data, '\n'), 0o600)
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, fmt.Errorf("auth: installing dev key: %w", err)
	}
	return true, nil
}

// syncDevJWKS makes the JWKS file at path hold exactly the public half of
// priv, replacing it atomically when it differs.
func syncDevJWKS(path string, priv jose.JSONWebKey) error {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{priv.Public()}}
	want, err := json.MarshalIndent(set, "", "  ")
	if err != nil {
		return fmt.Errorf("auth: encoding dev JWKS: %w", err)
	}
	want = append(want, '\n')
	if have, err := os.ReadFile(path); err == nil && bytes.Equal(have, want) {
		return nil
	}
	tmp, err := writeTemp(filepath.Dir(path), want, 0o644)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("auth: installing dev JWKS: %w", err)
	}
	return nil
}

// writeTemp writes data to a new temporary file in dir with the given mode,
// flushed to disk, and returns its name.
func writeTemp(dir string, data []byte, mode os.FileMode) (name string, err error) {
	f, err := os.CreateTemp(dir, ".tmp-auth-*")
	if err != nil {
		return "", fmt.Errorf("auth: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(mode); err != nil {
		return "", fmt.Errorf("auth: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return "", fmt.Errorf("auth: %w", err)
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("auth: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("auth: %w", err)
	}
	return f.Name(), nil
}
