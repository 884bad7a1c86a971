package store

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"

	"go.etcd.io/bbolt"

	"github.com/aim-platform/aim/platform/errs"
)

// Page sizes of every List method: what a request without page_size gets
// and the most one page holds.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

// StartPage reads a List request's page_size (PageSize with DefaultPageSize
// and MaxPageSize) and page_token, the token bound to query (the tenant and
// every other request field that shapes the list): how many items to return
// and the key to resume after, nil on the first page.
func (db *DB) StartPage(pageSize int32, token, query string) (int, []byte, error) {
	n, err := PageSize(pageSize, DefaultPageSize, MaxPageSize)
	if err != nil {
		return 0, nil, err
	}
	after, err := db.DecodePageToken(token, query)
	return n, after, err
}

// NextPageToken returns the token of the page after last for query, or ""
// when there are no more items.
func (db *DB) NextPageToken(more bool, last []byte, query string) string {
	if !more {
		return ""
	}
	return db.EncodePageToken(last, query)
}

// PageSize turns a request's page_size into the number of items to return:
// 0 means def, values above max (and a def above max) are lowered to max, and
// a negative value is an errs.Invalid error on field "page_size".
func PageSize(requested int32, def, max int) (int, error) {
	switch {
	case requested < 0:
		return 0, errs.InvalidArgument(errs.Violation("page_size", "must not be negative"))
	case requested == 0 && def <= max:
		return def, nil
	case requested == 0, int(requested) > max:
		return max, nil
	}
	return int(requested), nil
}

// ScanPage walks the keys of b that start with prefix (all keys when prefix
// is empty), in key order, beginning strictly after after when it is not nil,
// and passes each to fn. fn reports whether it included the item in the page;
// the walk stops once limit items were included. last is a copy of the last
// included key (nil when none was) and more reports whether b holds another
// key with the prefix after last, that is whether a next page token is due.
//
// A page costs one Seek plus the keys it visits, whatever the store's size.
// Keys fn skips are visited too, so a filter that rejects most items makes
// pages proportionally dearer. v is nil for nested buckets. k and v are only
// valid during the call to fn. A nil bucket yields nothing.
func ScanPage(b *bbolt.Bucket, prefix, after []byte, limit int, fn func(k, v []byte) (bool, error)) (last []byte, more bool, err error) {
	if limit <= 0 {
		return nil, false, faultf("store: scan limit must be positive, got %d", limit)
	}
	if b == nil {
		return nil, false, nil
	}
	c := b.Cursor()
	var k, v []byte
	switch {
	case after == nil || bytes.Compare(after, prefix) < 0:
		if len(prefix) == 0 {
			k, v = c.First()
		} else {
			k, v = c.Seek(prefix)
		}
	default:
		k, v = c.Seek(after)
		if k != nil && bytes.Equal(k, after) {
			k, v = c.Next()
		}
	}
	included := 0
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if included == limit {
			return last, true, nil
		}
		ok, err := fn(k, v)
		if err != nil {
			return nil, false, err
		}
		if ok {
			included++
			last = bytes.Clone(k)
		}
	}
	return last, false, nil
}

// Page tokens are base64url (unpadded) of:
//
//	version (1 byte) | key | tag (tokenTagSize bytes)
//
// where tag is HMAC-SHA256, keyed by the store's secret, over a label, the
// version, the length-prefixed query and the key. The query is not carried;
// a token only verifies against the query it was made for.
const (
	tokenVersion = 1
	tokenTagSize = 16
	tokenLabel   = "aim-store-page-token"
	// maxTokenLen bounds the encoded form of the largest possible token.
	maxTokenLen = (1+bbolt.MaxKeySize+tokenTagSize)*4/3 + 4
)

// EncodePageToken returns the next_page_token that resumes a list after key
// after. query is a canonical string of every request field the token is
// bound to besides page_size and page_token (tenant, parent, filter, order
// by, show deleted...); DecodePageToken accepts the token only with the same
// query on a store with the same secret (this file or a backup of it).
func (db *DB) EncodePageToken(after []byte, query string) string {
	raw := make([]byte, 0, 1+len(after)+tokenTagSize)
	raw = append(raw, tokenVersion)
	raw = append(raw, after...)
	raw = append(raw, db.tokenTag(tokenVersion, after, query)...)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// DecodePageToken returns the key a page token resumes after. An empty token
// is the first page: nil, nil. A token that is malformed, altered, of another
// version, made for another query or by another store is an errs.Invalid
// error on field "page_token".
func (db *DB) DecodePageToken(token, query string) (after []byte, err error) {
	if token == "" {
		return nil, nil
	}
	if len(token) > maxTokenLen {
		return nil, invalidPageToken()
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	// The decoder tolerates line breaks and stray low bits; only the exact
	// encoding EncodePageToken produces is accepted.
	if err != nil || base64.RawURLEncoding.EncodeToString(raw) != token {
		return nil, invalidPageToken()
	}
	if len(raw) < 1+tokenTagSize || raw[0] != tokenVersion {
		return nil, invalidPageToken()
	}
	key := raw[1 : len(raw)-tokenTagSize]
	tag := raw[len(raw)-tokenTagSize:]
	if !hmac.Equal(tag, db.tokenTag(raw[0], key, query)) {
		return nil, invalidPageToken()
	}
	return bytes.Clone(key), nil
}

func (db *DB) tokenTag(version byte, key []byte, query string) []byte {
	mac := hmac.New(sha256.New, db.secret)
	mac.Write([]byte(tokenLabel))
	mac.Write([]byte{version})
	mac.Write(binary.AppendUvarint(nil, uint64(len(query))))
	mac.Write([]byte(query))
	mac.Write(key)
	return mac.Sum(nil)[:tokenTagSize]
}

func invalidPageToken() error {
	return errs.InvalidArgument(errs.Violation("page_token", "the page token is invalid or belongs to a different query"))
}
