package auth

import (
	"crypto/sha256"
	"slices"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Verified tokens are remembered so that a client sending the same bearer
// token on every call (every client does) pays for the signature check and
// the claims parsing once, not per call: profiles of the benchmark suite put
// VerifyToken at 38-48 % of the CPU of a read. The cache is an LRU (a
// well-kept library, not hand-written) keyed by the SHA-256 of the token, so
// the cache holds no token text, bounded in entries, and each entry expires
// at the earlier of the token's own expiry (plus the leeway, as VerifyToken
// allows) and maxTokenCacheAge after it was verified.
//
// Only successful verifications are cached. A cached entry is only ever
// reused for the byte-identical token, whose signature was checked against
// this Authenticator's keys, which never change after NewAuthenticator. A
// token that has expired falls through to the full check and gets its
// TOKEN_EXPIRED error from there.
const (
	tokenCacheSize   = 4096
	maxTokenCacheAge = 5 * time.Minute
)

type cachedIdentity struct {
	id    Identity
	until time.Time // the entry is used only while now is before this
}

type tokenCache struct {
	lru *lru.Cache[[sha256.Size]byte, cachedIdentity]
}

func newTokenCache(size int) *tokenCache {
	c, err := lru.New[[sha256.Size]byte, cachedIdentity](size)
	if err != nil { // only for a size <= 0, which callers never pass
		panic(err)
	}
	return &tokenCache{lru: c}
}

// get returns the Identity remembered for token, if it is still good at now.
func (c *tokenCache) get(token string, now time.Time) (Identity, bool) {
	key := sha256.Sum256([]byte(token))
	e, ok := c.lru.Get(key)
	if !ok {
		return Identity{}, false
	}
	if !now.Before(e.until) {
		c.lru.Remove(key)
		return Identity{}, false
	}
	id := e.id
	id.Roles = slices.Clone(id.Roles) // callers may not change the cached copy
	return id, true
}

// put remembers a verified token's Identity until the earlier of its expiry
// (with the leeway) and maxTokenCacheAge from now.
func (c *tokenCache) put(token string, id Identity, expiry, now time.Time) {
	until := now.Add(maxTokenCacheAge)
	if expiry.Before(until) {
		until = expiry
	}
	if !now.Before(until) {
		return
	}
	id.Roles = slices.Clone(id.Roles)
	c.lru.Add(sha256.Sum256([]byte(token)), cachedIdentity{id: id, until: until})
}
