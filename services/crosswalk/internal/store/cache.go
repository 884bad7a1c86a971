package store

import (
	"container/list"
	"sync"

	"github.com/aim-platform/aim/services/crosswalk/internal/mapindex"
)

// Default bounds of the mapping cache: how many crosswalks it keeps and
// how much memory their decoded, indexed mappings may take by its estimate
// (mappingBytes). A crosswalk of 1e5 mappings of practices to clauses comes
// to about 50 MB, so one such crosswalk fits beside many of a usual size
// (the sample crosswalk takes a few KiB); a crosswalk larger than the whole
// bound is read from the store on every call. At the bound the cache can
// add up to that much to the live heap, twice as much to the process with
// the garbage collector's default headroom.
const (
	DefaultCacheCrosswalks = 256
	DefaultCacheBytes      = 64 << 20
)

// mappingOverhead estimates what one decoded mapping costs beyond its
// encoded bytes: the message struct, its strings' allocations, the slice
// slot, the index entries and map slots. Measured at about 495 bytes per
// mapping in all (69 of them encoded) with 1e5 mappings on amd64.
const mappingOverhead = 448

// mappingBytes estimates the memory of n decoded, indexed mappings whose
// stored values take encoded bytes.
func mappingBytes(n int, encoded int64) int64 {
	return encoded + int64(n)*mappingOverhead
}

// cacheKey names a crosswalk as stored: the tenant that owns it (the
// caller's tenant or SharedTenant) and its id. Two tenants' crosswalks of
// the same id are two keys.
type cacheKey struct {
	owner, id string
}

type cacheEntry struct {
	key cacheKey
	// revision and etag are the crosswalk's as stored when the mappings
	// were read; a reader uses the entry only when its own transaction
	// sees both unchanged.
	revision uint64
	etag     string
	index    *mapindex.Index
	bytes    int64
}

// mappingCache keeps the decoded and indexed mappings of the crosswalks
// read last, least recently used out first, within a count and a memory
// bound. It is a map and a list under one mutex rather than the LRU library
// platform/auth uses for tokens: what it needs beyond a plain LRU (entries
// checked against a revision read in the caller's transaction, a size per
// entry with a bound on the sum, shared loads) is most of the code either
// way.
//
// Readers that miss on the same crosswalk at the same revision at once
// share one read of the store (a flight): without that, the first calls
// after an import of a large crosswalk would each decode all of it, many
// times the bound in transient memory.
type mappingCache struct {
	mu         sync.Mutex
	maxEntries int
	maxBytes   int64
	bytes      int64
	lru        *list.List // of *cacheEntry, most recent first
	byKey      map[cacheKey]*list.Element
	loading    map[cacheKey]*flight
	hits       uint64
	misses     uint64
	loads      uint64
}

// flight is one read of a crosswalk's mappings that other readers of the
// same revision wait for.
type flight struct {
	revision uint64
	etag     string
	done     chan struct{} // closed when index and err are set
	index    *mapindex.Index
	err      error
}

func newMappingCache(maxEntries int, maxBytes int64) *mappingCache {
	return &mappingCache{maxEntries: maxEntries, maxBytes: maxBytes, lru: list.New(),
		byKey: map[cacheKey]*list.Element{}, loading: map[cacheKey]*flight{}}
}

// lookup returns the index of a crosswalk at the given revision and etag
// when the cache holds it. Otherwise it returns the flight to wait for, if
// another reader is reading that revision, or else a new flight the caller
// leads: it must read the mappings and call finish.
func (c *mappingCache) lookup(k cacheKey, revision uint64, etag string) (idx *mapindex.Index, wait, lead *flight) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[k]; ok {
		if e := el.Value.(*cacheEntry); e.revision == revision && e.etag == etag {
			c.hits++
			c.lru.MoveToFront(el)
			return e.index, nil, nil
		}
	}
	c.misses++
	if f, ok := c.loading[k]; ok && f.revision == revision && f.etag == etag {
		return nil, f, nil
	}
	c.loads++
	f := &flight{revision: revision, etag: etag, done: make(chan struct{})}
	c.loading[k] = f
	return nil, nil, f
}

// finish ends a flight: it caches the index (unless err) and wakes the
// readers waiting for it.
func (c *mappingCache) finish(k cacheKey, f *flight, idx *mapindex.Index, bytes int64, err error) {
	c.mu.Lock()
	if c.loading[k] == f {
		delete(c.loading, k)
	}
	if err == nil {
		c.put(k, f.revision, f.etag, idx, bytes)
	}
	c.mu.Unlock()
	f.index, f.err = idx, err
	close(f.done)
}

// put stores an index read at a revision, in place of any other of the
// crosswalk. (A reader whose transaction began before a write may put the
// older revision last; readers of the newer one then miss and read again,
// which costs time, never correctness.) An index larger than the whole
// bound is not kept.
// c.mu must be held.
func (c *mappingCache) put(k cacheKey, revision uint64, etag string, idx *mapindex.Index, bytes int64) {
	if el, ok := c.byKey[k]; ok {
		c.remove(el)
	}
	if c.maxEntries <= 0 || bytes > c.maxBytes {
		return
	}
	c.byKey[k] = c.lru.PushFront(&cacheEntry{key: k, revision: revision, etag: etag, index: idx, bytes: bytes})
	c.bytes += bytes
	for c.lru.Len() > c.maxEntries || c.bytes > c.maxBytes {
		c.remove(c.lru.Back())
	}
}

// drop forgets a crosswalk (after a write: the revision check alone keeps
// readers right, this frees the memory at once).
func (c *mappingCache) drop(k cacheKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[k]; ok {
		c.remove(el)
	}
}

func (c *mappingCache) remove(el *list.Element) {
	e := c.lru.Remove(el).(*cacheEntry)
	delete(c.byKey, e.key)
	c.bytes -= e.bytes
}

// CacheStats describes the mapping cache: what it holds, the lookups it
// answered and missed, and the reads of the store it led (misses that
// joined another reader's read are not loads).
type CacheStats struct {
	Crosswalks          int
	Bytes               int64
	Hits, Misses, Loads uint64
}

func (c *mappingCache) stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Crosswalks: c.lru.Len(), Bytes: c.bytes, Hits: c.hits, Misses: c.misses, Loads: c.loads}
}
