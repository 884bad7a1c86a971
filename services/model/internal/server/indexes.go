package server

import (
	"errors"
	"sync"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/services/model/internal/search"
	"github.com/aim-platform/aim/services/model/internal/store"
)

// versionIndex is a version's search index with its practices by id.
type versionIndex struct {
	index     *search.Index
	practices map[string]*modelv1.Practice
}

// indexCache builds each version's search index on first use and keeps it:
// published content never changes, and a draft's index is dropped when the
// draft is deleted (the only way its content can change).
type indexCache struct {
	store *store.Store
	mu    sync.Mutex
	// byKey holds one entry per (owner, version); building runs under the
	// entry's once so concurrent first searches build it once.
	byKey map[string]*indexEntry
}

type indexEntry struct {
	once sync.Once
	ix   *versionIndex
	err  error
	// users counts searches in flight; a dropped entry's index is closed
	// when the last one ends. Both fields are guarded by the cache's mu.
	users   int
	dropped bool
}

func newIndexCache(st *store.Store) *indexCache {
	return &indexCache{store: st, byKey: map[string]*indexEntry{}}
}

func cacheKey(owner, versionName string) string { return owner + "|" + versionName }

// get returns the index of a version the tenant can read, and a function
// to call when the search is done with it.
func (c *indexCache) get(tenant, model, version string) (*versionIndex, func(), error) {
	_, ref, err := c.store.GetVersion(tenant, model, version)
	if err != nil {
		return nil, nil, err
	}
	key := cacheKey(ref.Owner, ref.Name())
	c.mu.Lock()
	e, ok := c.byKey[key]
	if !ok {
		e = &indexEntry{}
		c.byKey[key] = e
	}
	e.users++
	c.mu.Unlock()
	e.once.Do(func() { e.ix, e.err = c.build(ref) })
	release := func() {
		c.mu.Lock()
		e.users--
		closeNow := e.dropped && e.users == 0
		c.mu.Unlock()
		if closeNow && e.ix != nil {
			_ = e.ix.index.Close()
		}
	}
	if e.err != nil {
		c.mu.Lock()
		if c.byKey[key] == e {
			delete(c.byKey, key) // let a later call try again
		}
		c.mu.Unlock()
		release()
		return nil, nil, e.err
	}
	return e.ix, release, nil
}

func (c *indexCache) build(ref store.VersionRef) (*versionIndex, error) {
	practices, err := c.store.Practices(ref)
	if err != nil {
		return nil, err
	}
	ix, err := search.Build(practices)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*modelv1.Practice, len(practices))
	for _, p := range practices {
		byID[lastSegment(p.GetName())] = p
	}
	return &versionIndex{index: ix, practices: byID}, nil
}

// drop forgets the index of one of tenant's versions; it is closed once
// the searches using it end.
func (c *indexCache) drop(tenant, versionName string) {
	c.mu.Lock()
	e := c.byKey[cacheKey(tenant, versionName)]
	delete(c.byKey, cacheKey(tenant, versionName))
	closeNow := false
	if e != nil {
		e.dropped = true
		closeNow = e.users == 0
	}
	c.mu.Unlock()
	if closeNow {
		e.once.Do(func() {})
		if e.ix != nil {
			_ = e.ix.index.Close()
		}
	}
}

// close releases every index.
func (c *indexCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for k, e := range c.byKey {
		e.once.Do(func() {})
		if e.ix != nil {
			errs = append(errs, e.ix.index.Close())
		}
		delete(c.byKey, k)
	}
	return errors.Join(errs...)
}
