package auth

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// minRSABits is the smallest RSA modulus accepted for signing or verifying.
const minRSABits = 2048

// verifyKey is one public key that may sign tokens.
type verifyKey struct {
	kid string // empty for keys read from PEM
	alg jose.SignatureAlgorithm
	key any // ed25519.PublicKey or *rsa.PublicKey
}

// algFor returns the one signature algorithm this package uses with a
// public or private key, or an error for any other kind of key.
func algFor(key any) (jose.SignatureAlgorithm, error) {
	switch k := key.(type) {
	case ed25519.PublicKey, ed25519.PrivateKey:
		return jose.EdDSA, nil
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return "", fmt.Errorf("RSA key has %d bits; at least %d are needed", k.N.BitLen(), minRSABits)
		}
		return jose.RS256, nil
	case *rsa.PrivateKey:
		if k.N.BitLen() < minRSABits {
			return "", fmt.Errorf("RSA key has %d bits; at least %d are needed", k.N.BitLen(), minRSABits)
		}
		return jose.RS256, nil
	}
	return "", fmt.Errorf("unsupported key type %T; use Ed25519 or RSA", key)
}

// loadVerifyKeys reads the public keys in file, which holds either a JWKS
// document or a series of PEM blocks.
func loadVerifyKeys(file string) ([]verifyKey, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("auth: reading keys file: %w", err)
	}
	data = bytes.TrimSpace(data)
	var keys []verifyKey
	if bytes.HasPrefix(data, []byte("{")) {
		keys, err = parseJWKS(data)
	} else {
		keys, err = parsePEMKeys(data)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: keys file %s: %w", file, err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("auth: keys file %s holds no keys", file)
	}
	return keys, nil
}

// parseJWKS reads a JWKS document of public signing keys.
func parseJWKS(data []byte) ([]verifyKey, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("not a valid JWKS document: %w", err)
	}
	var keys []verifyKey
	seen := map[string]bool{}
	for i, k := range set.Keys {
		if !k.Valid() || !k.IsPublic() {
			return nil, fmt.Errorf("key %d (kid %q) is not a public key; a keys file must hold only public keys", i, k.KeyID)
		}
		alg, err := algFor(k.Key)
		if err != nil {
			return nil, fmt.Errorf("key %d (kid %q): %w", i, k.KeyID, err)
		}
		if k.Algorithm != "" && k.Algorithm != string(alg) {
			return nil, fmt.Errorf("key %d (kid %q) declares alg %q; only %s fits this key", i, k.KeyID, k.Algorithm, alg)
		}
		if k.Use != "" && k.Use != "sig" {
			return nil, fmt.Errorf("key %d (kid %q) has use %q, not sig", i, k.KeyID, k.Use)
		}
		if k.KeyID != "" {
			if seen[k.KeyID] {
				return nil, fmt.Errorf("kid %q appears more than once", k.KeyID)
			}
			seen[k.KeyID] = true
		}
		keys = append(keys, verifyKey{kid: k.KeyID, alg: alg, key: k.Key})
	}
	return keys, nil
}

// parsePEMKeys reads one or more PEM-encoded public keys. Anything in the
// data other than PEM blocks is an error.
func parsePEMKeys(data []byte) ([]verifyKey, error) {
	var keys []verifyKey
	for rest := data; len(bytes.TrimSpace(rest)) > 0; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("neither a JWKS document nor PEM public keys")
		}
		var pub any
		var err error
		switch block.Type {
		case "PUBLIC KEY":
			pub, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
		default:
			if strings.Contains(block.Type, "PRIVATE") {
				return nil, fmt.Errorf("PEM block %d is a private key; a keys file must hold only public keys", len(keys)+1)
			}
			return nil, fmt.Errorf("PEM block %d has unsupported type %q", len(keys)+1, block.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %w", len(keys)+1, err)
		}
		alg, err := algFor(pub)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %w", len(keys)+1, err)
		}
		keys = append(keys, verifyKey{alg: alg, key: pub})
	}
	return keys, nil
}

// apiKey is one accepted API key, known only by its SHA-256 hash.
type apiKey struct {
	name   string
	sum    [sha256.Size]byte
	tenant string
	roles  []string
}

// apiKeysDoc is the layout of the API keys file.
type apiKeysDoc struct {
	Keys []struct {
		Name   string   `json:"name"`
		SHA256 string   `json:"sha256"`
		Tenant string   `json:"tenant"`
		Roles  []string `json:"roles"`
	} `json:"keys"`
}

// HashAPIKey returns the lower-case hex SHA-256 of key, the form in which an
// API keys file records it.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// loadAPIKeys reads and checks the API keys file. Unknown fields are an
// error, so that a misspelt "roles" cannot silently strip a key's roles.
func loadAPIKeys(file string) ([]apiKey, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("auth: reading API keys file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc apiKeysDoc
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("auth: API keys file %s: %w", file, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("auth: API keys file %s: data after the JSON document", file)
	}
	var keys []apiKey
	names := map[string]bool{}
	sums := map[[sha256.Size]byte]bool{}
	for i, e := range doc.Keys {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("auth: API keys file %s: entry %d (%q): %s", file, i, e.Name, fmt.Sprintf(format, args...))
		}
		if e.Name == "" {
			return nil, bad("name is empty")
		}
		if !ValidSubject(e.Name) || len(apiKeySubjectPrefix)+len(e.Name) > MaxSubjectLen {
			return nil, bad("name must be printable text without control characters or white space at its ends, at most %d bytes", MaxSubjectLen-len(apiKeySubjectPrefix))
		}
		if names[e.Name] {
			return nil, bad("name is used twice")
		}
		names[e.Name] = true
		if len(e.SHA256) != 2*sha256.Size {
			return nil, bad("sha256 must be %d hex digits", 2*sha256.Size)
		}
		var k apiKey
		if _, err := hex.Decode(k.sum[:], []byte(e.SHA256)); err != nil {
			return nil, bad("sha256 is not hex")
		}
		if sums[k.sum] {
			return nil, bad("the same key hash appears twice")
		}
		sums[k.sum] = true
		if !ValidTenant(e.Tenant) {
			return nil, bad("tenant %q is not a valid tenant id", e.Tenant)
		}
		for _, r := range e.Roles {
			if !isKnownRole(r) {
				return nil, bad("unknown role %q", r)
			}
		}
		k.name, k.tenant, k.roles = e.Name, e.Tenant, e.Roles
		keys = append(keys, k)
	}
	return keys, nil
}

// matchAPIKey returns the entry whose hash equals the hash of presented.
// Every entry is compared in constant time and the loop never stops early,
// so the timing says nothing about which entry, if any, matched.
func matchAPIKey(keys []apiKey, presented string) (apiKey, bool) {
	sum := sha256.Sum256([]byte(presented))
	found := -1
	for i := range keys {
		if subtle.ConstantTimeCompare(sum[:], keys[i].sum[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return apiKey{}, false
	}
	return keys[found], true
}
