package server

import (
	"errors"
	"sync"

	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/services/model/internal/search"
	"github.com/aim-platform/aim/services/model/internal/store"
)

// maxCachedVersions bounds the versions whose content (and search index)
// stay in memory; past it the least recently read version goes first. The
// default version (276 practices, 433 searchable texts) takes about 0.3 MB
// decoded with its tables and 1.3 MB more once its search index is built,
// so 16 versions of that size hold under 30 MB. A workload reading more
// versions than that in turn decodes and indexes them again on each miss.
const maxCachedVersions = 16

// contentTries is how many times a read locates a version again when its
// content changed between locating and loading it.
const contentTries = 3

// contentKey names content that never changes: a version of an owner at one
// generation (see store.Locate).
type contentKey struct {
	owner, model, version string
	gen                   uint64
}

// versionCache keeps the decoded content of recently read versions, and
// their search indexes, keyed by generation. Every read locates the version
// in the store first (which also applies the tenant's visibility), so a
// deleted version is never served and a re-imported one is a new key; a
// key's content never changes, so an entry never goes stale, it is only
// evicted.
type versionCache struct {
	store *store.Store
	max   int

	mu      sync.Mutex
	tick    uint64 // counts uses, to find the least recently used entry
	entries map[contentKey]*cacheEntry
}

type cacheEntry struct {
	key contentKey
	// used, users and evicted are guarded by the cache's mu.
	used uint64
	// users counts searches holding the index; an evicted entry's index is
	// closed when the last one ends.
	users   int
	evicted bool

	once    sync.Once
	content *versionContent
	err     error

	indexOnce sync.Once
	index     *search.Index
	indexErr  error
}

func newVersionCache(st *store.Store, max int) *versionCache {
	return &versionCache{store: st, max: max, entries: map[contentKey]*cacheEntry{}}
}

// content returns the content of a version the tenant can read.
func (c *versionCache) content(tenant, model, version string) (*versionContent, error) {
	e, err := c.acquire(tenant, model, version, false)
	if err != nil {
		return nil, err
	}
	return e.content, nil
}

// searchHold is a search's hold on a version's entry: its content, and
// its index once built.
type searchHold struct {
	c       *versionCache
	e       *cacheEntry
	content *versionContent
}

// search returns a hold on the entry of a version the tenant can read, for
// a search. The caller must release it.
func (c *versionCache) search(tenant, model, version string) (*searchHold, error) {
	e, err := c.acquire(tenant, model, version, true)
	if err != nil {
		return nil, err
	}
	return &searchHold{c: c, e: e, content: e.content}, nil
}

// index returns the version's search index, building it on first use.
func (h *searchHold) index() (*search.Index, error) {
	e := h.e
	e.indexOnce.Do(func() { e.index, e.indexErr = search.Build(e.content.practices) })
	if e.indexErr != nil {
		h.c.mu.Lock()
		h.c.evictLocked(e) // let a later search build it again
		h.c.mu.Unlock()
	}
	return e.index, e.indexErr
}

// release ends the hold; the last search holding an evicted entry closes
// its index.
func (h *searchHold) release() {
	e := h.e
	h.c.mu.Lock()
	e.users--
	closeNow := e.evicted && e.users == 0
	h.c.mu.Unlock()
	if closeNow && e.index != nil {
		_ = e.index.Close()
	}
}

// acquire locates the version, then returns its entry with the content
// loaded, counting a user of the index when user is set.
func (c *versionCache) acquire(tenant, model, version string, user bool) (*cacheEntry, error) {
	for try := 1; ; try++ {
		ref, gen, err := c.store.Locate(tenant, model, version)
		if err != nil {
			return nil, err
		}
		e := c.entry(contentKey{owner: ref.Owner, model: ref.Model, version: ref.Version, gen: gen}, user)
		e.once.Do(func() {
			var sc *store.VersionContent
			if sc, e.err = c.store.LoadContent(ref, gen); e.err == nil {
				e.content = newVersionContent(sc)
			}
		})
		if e.err == nil {
			return e, nil
		}
		c.mu.Lock()
		c.evictLocked(e) // a later read loads it again
		if user {
			e.users--
		}
		c.mu.Unlock()
		if !errors.Is(e.err, store.ErrContentChanged) {
			return nil, e.err
		}
		if try == contentTries {
			return nil, errs.New(errs.Aborted, "CONCURRENT_CHANGE", "%s changed while it was read; try again", ref.Name())
		}
	}
}

// entry returns the entry of key, adding it when missing; a new entry
// evicts the other generations of its version and, past the bound, the
// least recently used entry.
func (c *versionCache) entry(key contentKey, user bool) *cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick++
	e := c.entries[key]
	if e == nil {
		var oldest *cacheEntry
		for k, x := range c.entries {
			if k.owner == key.owner && k.model == key.model && k.version == key.version {
				c.evictLocked(x)
			} else if oldest == nil || x.used < oldest.used {
				oldest = x
			}
		}
		if len(c.entries) >= c.max && oldest != nil {
			c.evictLocked(oldest)
		}
		e = &cacheEntry{key: key}
		c.entries[key] = e
	}
	e.used = c.tick
	if user {
		e.users++
	}
	return e
}

// evictLocked removes e from the cache and closes its index unless a
// search still holds it (the last one closes it then). c.mu is held.
func (c *versionCache) evictLocked(e *cacheEntry) {
	if e.evicted {
		return
	}
	if c.entries[e.key] == e {
		delete(c.entries, e.key)
	}
	e.evicted = true
	if e.users == 0 {
		// No search holds the entry, so none is building its index, and
		// none can start: it is out of the map.
		if e.index != nil {
			_ = e.index.Close()
		}
	}
}

// drop evicts every generation of one of tenant's versions, to free the
// memory of a deleted draft early. Correctness does not depend on it.
func (c *versionCache) drop(tenant, model, version string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if k.owner == tenant && k.model == model && k.version == version {
			c.evictLocked(e)
		}
	}
}

// close releases every search index. The server has stopped serving: no
// search holds one any more.
func (c *versionCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errList []error
	for k, e := range c.entries {
		e.indexOnce.Do(func() {}) // wait for a build in flight, or prevent one
		if e.index != nil {
			errList = append(errList, e.index.Close())
		}
		delete(c.entries, k)
	}
	return errors.Join(errList...)
}
