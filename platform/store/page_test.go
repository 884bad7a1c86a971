package store_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/platform/store/storetest"
)

func TestPageSize(t *testing.T) {
	tests := []struct {
		requested int32
		def, max  int
		want      int
		wantErr   bool
	}{
		{0, 50, 1000, 50, false},
		{1, 50, 1000, 1, false},
		{999, 50, 1000, 999, false},
		{1000, 50, 1000, 1000, false},
		{1001, 50, 1000, 1000, false},
		{1<<31 - 1, 50, 1000, 1000, false},
		{0, 2000, 1000, 1000, false},
		{-1, 50, 1000, 0, true},
		{-1 << 31, 50, 1000, 0, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.requested, "/", tt.def, "/", tt.max), func(t *testing.T) {
			got, err := store.PageSize(tt.requested, tt.def, tt.max)
			if tt.wantErr {
				if violationField(err) != "page_size" {
					t.Fatalf("PageSize = %d, %v; want a page_size violation", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("PageSize = %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

// isBadToken reports whether err is the invalid page token error.
func isBadToken(err error) bool {
	e, ok := errors.AsType[*errs.Error](err)
	return ok && violationField(err) == "page_token" &&
		strings.Contains(e.Violations[0].Description, "invalid or belongs to a different query")
}

func TestPageTokenRoundTrip(t *testing.T) {
	db := storetest.Open(t, testSchema)
	keys := [][]byte{
		[]byte("models/m1"),
		{0},
		{0xff, 0x00, 0xfe},
		bytes.Repeat([]byte("k"), 1000),
		bytes.Repeat([]byte{0xff}, bbolt.MaxKeySize),
	}
	for _, key := range keys {
		for _, query := range []string{"", "tenant=a", "tenant=a\x00filter=x\x00order_by=name"} {
			tok := db.EncodePageToken(key, query)
			if tok == "" || strings.ContainsAny(tok, "+/=\n") {
				t.Fatalf("token %q is not unpadded base64url", tok)
			}
			got, err := db.DecodePageToken(tok, query)
			if err != nil || !bytes.Equal(got, key) {
				t.Fatalf("Decode(Encode(%x)) = %x, %v", key[:min(len(key), 16)], got, err)
			}
		}
	}
	if after, err := db.DecodePageToken("", "tenant=a"); after != nil || err != nil {
		t.Fatalf("empty token = %v, %v; want nil, nil", after, err)
	}
}

// TestStartPage checks the two halves of a List method's paging: the first
// page, the next page's token and its resumption, the last page's empty
// token, and the refusals (negative size, a token of another query).
func TestStartPage(t *testing.T) {
	db := storetest.Open(t, testSchema)
	tests := []struct {
		size  int32
		token string
		query string
		n     int
		after []byte
		field string // the refused field; "" when accepted
	}{
		{size: 0, query: "q", n: store.DefaultPageSize},
		{size: 7, query: "q", n: 7},
		{size: store.MaxPageSize + 1, query: "q", n: store.MaxPageSize},
		{size: 7, token: db.NextPageToken(true, []byte("k9"), "q"), query: "q", n: 7, after: []byte("k9")},
		{size: -1, query: "q", field: "page_size"},
		{size: 7, token: db.NextPageToken(true, []byte("k9"), "q"), query: "other", field: "page_token"},
	}
	for _, tt := range tests {
		n, after, err := db.StartPage(tt.size, tt.token, tt.query)
		if tt.field != "" {
			var e *errs.Error
			if !errors.As(err, &e) || len(e.Violations) != 1 || e.Violations[0].Field != tt.field {
				t.Errorf("StartPage(%d, %q, %q) = %v, want a violation of %s", tt.size, tt.token, tt.query, err, tt.field)
			}
			continue
		}
		if err != nil || n != tt.n || !bytes.Equal(after, tt.after) {
			t.Errorf("StartPage(%d, %q, %q) = %d, %q, %v; want %d, %q", tt.size, tt.token, tt.query, n, after, err, tt.n, tt.after)
		}
	}
	if tok := db.NextPageToken(false, []byte("k9"), "q"); tok != "" {
		t.Errorf("NextPageToken of the last page = %q, want empty", tok)
	}
}

func TestPageTokenRejects(t *testing.T) {
	db := storetest.Open(t, testSchema)
	other := storetest.Open(t, testSchema)
	const query = "tenant=a\x00parent=x"
	tok := db.EncodePageToken([]byte("models/m42"), query)
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		t.Fatal(err)
	}
	reencode := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

	tests := []struct {
		name  string
		db    *store.DB
		token string
		query string
	}{
		{"other query", db, tok, "tenant=b\x00parent=x"},
		{"query prefix", db, tok, "tenant=a"},
		{"other store", other, tok, query},
		{"truncated by one", db, tok[:len(tok)-1], query},
		{"truncated by three", db, tok[:len(tok)-3], query},
		{"version only", db, reencode(raw[:1]), query},
		{"no key or tag", db, reencode(nil) + "A", query},
		{"tag only", db, reencode(raw[len(raw)-16:]), query},
		{"version 2", db, reencode(append([]byte{2}, raw[1:]...)), query},
		{"version 0", db, reencode(append([]byte{0}, raw[1:]...)), query},
		{"extra byte", db, reencode(append(bytes.Clone(raw), 0)), query},
		{"padded", db, tok + "==", query},
		{"standard alphabet", db, base64.RawStdEncoding.EncodeToString(raw) + "+/", query},
		{"line break", db, tok[:4] + "\n" + tok[4:], query},
		{"garbage", db, "!!!not a token!!!", query},
		{"space", db, " ", query},
		{"nul", db, "\x00", query},
		{"not utf-8", db, "\xff\xfe", query},
		{"huge", db, strings.Repeat("A", 1<<20), query},
	}
	for i := range raw {
		flipped := bytes.Clone(raw)
		flipped[i] ^= 0x01
		tests = append(tests, struct {
			name  string
			db    *store.DB
			token string
			query string
		}{fmt.Sprintf("byte %d flipped", i), db, reencode(flipped), query})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			after, err := tt.db.DecodePageToken(tt.token, tt.query)
			if after != nil || !isBadToken(err) {
				t.Fatalf("DecodePageToken = %q, %v; want the invalid token error", after, err)
			}
		})
	}
}

func TestPageTokenSurvivesReopen(t *testing.T) {
	path := tempPath(t)
	db := openAt(t, path, testSchema)
	tok := db.EncodePageToken([]byte("k0042"), "q")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path, testSchema)
	if after, err := db.DecodePageToken(tok, "q"); err != nil || string(after) != "k0042" {
		t.Fatalf("after reopen: %q, %v", after, err)
	}
	if again := db.EncodePageToken([]byte("k0042"), "q"); again != tok {
		t.Fatalf("the secret changed across reopen: %q != %q", again, tok)
	}
}

// fillScanStore stores keys k0000..k0999 plus keys before and after that
// prefix in tenant a's items.
func fillScanStore(t *testing.T) *store.DB {
	t.Helper()
	db := storetest.Open(t, testSchema)
	err := db.Update(func(tx *bbolt.Tx) error {
		b := store.TenantBucket(tx, "a", "items")
		for i := range 1000 {
			if err := b.Put(fmt.Appendf(nil, "k%04d", i), fmt.Appendf(nil, "%d", i)); err != nil {
				return err
			}
		}
		for _, k := range []string{"a", "j9", "k", "l0", "z"} {
			if err := b.Put([]byte(k), []byte("other")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestScanPageCoversEveryKeyOnce(t *testing.T) {
	db := fillScanStore(t)
	const query = "tenant=a"
	even := func(k, v []byte) bool { return v[len(v)-1]%2 == 0 }

	tests := []struct {
		name   string
		prefix string
		filter func(k, v []byte) bool
		want   int
	}{
		{"prefix", "k0", nil, 1000},
		{"prefix with filter", "k0", even, 500},
		{"all keys", "", nil, 1005},
	}
	for _, tt := range tests {
		for _, size := range []int{1, 7, 50, 1000, 1001} {
			t.Run(fmt.Sprintf("%s/size %d", tt.name, size), func(t *testing.T) {
				seen := map[string]int{}
				var order []string
				token := ""
				for pages := 0; ; pages++ {
					if pages > 2000 {
						t.Fatal("paging does not end")
					}
					after, err := db.DecodePageToken(token, query)
					if err != nil {
						t.Fatal(err)
					}
					var items []string
					var last []byte
					var more bool
					err = db.View(func(tx *bbolt.Tx) error {
						var err error
						last, more, err = store.ScanPage(store.TenantBucket(tx, "a", "items"), []byte(tt.prefix), after, size,
							func(k, v []byte) (bool, error) {
								if !bytes.HasPrefix(k, []byte(tt.prefix)) {
									t.Errorf("key %q outside prefix %q", k, tt.prefix)
								}
								if tt.filter != nil && !tt.filter(k, v) {
									return false, nil
								}
								items = append(items, string(k))
								return true, nil
							})
						return err
					})
					if err != nil {
						t.Fatal(err)
					}
					if len(items) > size {
						t.Fatalf("page of %d items, limit %d", len(items), size)
					}
					if len(items) > 0 && string(last) != items[len(items)-1] {
						t.Fatalf("last = %q, want %q", last, items[len(items)-1])
					}
					for _, k := range items {
						seen[k]++
						order = append(order, k)
					}
					if !more {
						break
					}
					if len(items) != size {
						t.Fatalf("short page of %d items with more set", len(items))
					}
					token = db.EncodePageToken(last, query)
				}
				if len(seen) != tt.want || len(order) != tt.want {
					t.Fatalf("saw %d distinct keys in %d items, want %d", len(seen), len(order), tt.want)
				}
				for i := 1; i < len(order); i++ {
					if order[i-1] >= order[i] {
						t.Fatalf("keys out of order: %q then %q", order[i-1], order[i])
					}
				}
			})
		}
	}
}

func TestScanPageEdges(t *testing.T) {
	db := fillScanStore(t)
	errStop := errors.New("stop")
	all := func(k, v []byte) (bool, error) { return true, nil }

	tests := []struct {
		name       string
		prefix     string
		after      []byte
		limit      int
		fn         func(k, v []byte) (bool, error)
		wantLast   string
		wantMore   bool
		wantCalls  int
		wantErr    error
		nilBucket  bool
		wantAnyErr bool
	}{
		{name: "first page", prefix: "k0", limit: 3, fn: all, wantLast: "k0002", wantMore: true, wantCalls: 3},
		{name: "deep page costs the page", prefix: "k0", after: []byte("k0900"), limit: 7, fn: all, wantLast: "k0907", wantMore: true, wantCalls: 7},
		{name: "after an absent key", prefix: "k0", after: []byte("k0500x"), limit: 1, fn: all, wantLast: "k0501", wantMore: true, wantCalls: 1},
		{name: "after sorts before prefix", prefix: "k0", after: []byte("a"), limit: 1, fn: all, wantLast: "k0000", wantMore: true, wantCalls: 1},
		{name: "after sorts past prefix", prefix: "k0", after: []byte("k1"), limit: 5, fn: all},
		{name: "exact end", prefix: "k0", after: []byte("k0997"), limit: 2, fn: all, wantLast: "k0999", wantCalls: 2},
		{name: "last key", prefix: "k0", after: []byte("k0999"), limit: 2, fn: all},
		{name: "no such prefix", prefix: "q", limit: 5, fn: all},
		{name: "nil prefix from start", limit: 1, fn: all, wantLast: "a", wantMore: true, wantCalls: 1},
		{name: "nil prefix at end", after: []byte("l0"), limit: 5, fn: all, wantLast: "z", wantCalls: 1},
		{name: "nothing included", prefix: "k0", limit: 5, fn: func(k, v []byte) (bool, error) { return false, nil }, wantCalls: 1000},
		{name: "fn error", prefix: "k0", limit: 5, fn: func(k, v []byte) (bool, error) { return false, errStop }, wantCalls: 1, wantErr: errStop},
		{name: "nil bucket", prefix: "k0", limit: 5, fn: all, nilBucket: true},
		{name: "zero limit", prefix: "k0", limit: 0, fn: all, wantAnyErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			err := db.View(func(tx *bbolt.Tx) error {
				b := store.TenantBucket(tx, "a", "items")
				if tt.nilBucket {
					b = nil
				}
				var prefix []byte
				if tt.prefix != "" {
					prefix = []byte(tt.prefix)
				}
				last, more, err := store.ScanPage(b, prefix, tt.after, tt.limit, func(k, v []byte) (bool, error) {
					calls++
					return tt.fn(k, v)
				})
				switch {
				case tt.wantAnyErr:
					if err == nil {
						t.Error("ScanPage succeeded")
					}
				case !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil):
					t.Errorf("ScanPage error %v, want %v", err, tt.wantErr)
				case string(last) != tt.wantLast || more != tt.wantMore:
					t.Errorf("ScanPage = %q, %v; want %q, %v", last, more, tt.wantLast, tt.wantMore)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if calls != tt.wantCalls {
				t.Errorf("fn called %d times, want %d", calls, tt.wantCalls)
			}
		})
	}
}

func FuzzDecodePageToken(f *testing.F) {
	db := storetest.Open(f, testSchema)
	valid := db.EncodePageToken([]byte("models/m1"), "tenant=a")
	f.Add(valid, "tenant=a", []byte("models/m1"), "tenant=b")
	f.Add(valid, "tenant=b", []byte{}, "")
	f.Add(valid[:len(valid)-1], "tenant=a", []byte{0}, "tenant=a")
	f.Add("", "", []byte(nil), "x")
	f.Add("AQ", "", []byte("k"), "k")
	f.Add("!!!!", "q", []byte("\xff\xff"), "q\x00")
	f.Add(strings.Repeat("A", 40), "q", []byte("a"), "q")

	f.Fuzz(func(t *testing.T, token, query string, key []byte, otherQuery string) {
		after, err := db.DecodePageToken(token, query)
		switch {
		case err != nil:
			if after != nil || !isBadToken(err) {
				t.Fatalf("DecodePageToken(%q) = %q, %v", token, after, err)
			}
		case token == "":
			if after != nil {
				t.Fatalf("empty token decoded to %q", after)
			}
		default:
			// Tokens are deterministic, so a token decodes only if
			// Encode produces exactly it for this query.
			if again := db.EncodePageToken(after, query); again != token {
				t.Fatalf("token %q decoded to %q, which encodes to %q", token, after, again)
			}
		}

		if len(key) > bbolt.MaxKeySize {
			return
		}
		tok := db.EncodePageToken(key, query)
		got, err := db.DecodePageToken(tok, query)
		if err != nil || !bytes.Equal(got, key) || got == nil {
			t.Fatalf("round trip of %q: %q, %v", key, got, err)
		}
		got, err = db.DecodePageToken(tok, otherQuery)
		if otherQuery == query {
			if err != nil {
				t.Fatalf("same query rejected: %v", err)
			}
		} else if got != nil || !isBadToken(err) {
			t.Fatalf("token for %q accepted for %q: %q, %v", query, otherQuery, got, err)
		}
	})
}
