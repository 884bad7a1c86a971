package store

import (
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/types/known/timestamppb"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	"github.com/aim-platform/aim/platform/errs"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/crosswalk/internal/framework"
)

// Collections of the crosswalk store.
const (
	collFrameworks = "frameworks"
)

// Schema is the crosswalk store's schema.
var Schema = pstore.Schema{
	Name: "crosswalk",
	Migrations: []pstore.Migration{{
		Version: 1,
		Name:    "shared frameworks collection",
		Apply: func(tx *bbolt.Tx) error {
			_, err := pstore.CreateTenantBucket(tx, pstore.SharedTenant, collFrameworks)
			return err
		},
	}},
	Collections: collections(),
}

// Store is the crosswalk service's storage.
type Store struct {
	db *pstore.DB
	// cache holds decoded mappings of recently read crosswalks (cache.go).
	cache *mappingCache
}

// Open opens (or creates) the store at cfg.Path, with a mapping cache of
// the default bounds.
func Open(cfg pstore.Config) (*Store, error) {
	db, err := pstore.Open(cfg, Schema)
	if err != nil {
		return nil, err
	}
	return &Store{db: db, cache: newMappingCache(DefaultCacheCrosswalks, DefaultCacheBytes)}, nil
}

// SetCacheLimits replaces the mapping cache by an empty one that keeps at
// most crosswalks crosswalks and bytes of estimated memory; zero
// crosswalks turns it off. Call it before serving.
func (s *Store) SetCacheLimits(crosswalks int, bytes int64) {
	s.cache = newMappingCache(crosswalks, bytes)
}

// CacheStats reports the mapping cache's size and use.
func (s *Store) CacheStats() CacheStats { return s.cache.stats() }

// DB returns the underlying database, for backups and page tokens.
func (s *Store) DB() *pstore.DB { return s.db }

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// InstallDefaults writes the default frameworks missing from the shared
// collection and returns how many it wrote; existing ones stay untouched.
func (s *Store) InstallDefaults(now time.Time) (int, error) {
	installed := 0
	err := s.db.Update(func(tx *bbolt.Tx) error {
		installed = 0
		b, err := pstore.CreateTenantBucket(tx, pstore.SharedTenant, collFrameworks)
		if err != nil {
			return err
		}
		for _, f := range framework.Defaults() {
			key := []byte(f.ID)
			if b.Get(key) != nil {
				continue
			}
			msg := &crosswalkv1.Framework{
				Name:        f.Name(),
				DisplayName: f.DisplayName,
				Title:       f.Title,
				Publisher:   f.Publisher,
				EditionYear: f.EditionYear,
				Kind:        crosswalkv1.Framework_Kind(f.Kind),
				Model:       f.Model,
				Shared:      true,
				CreateTime:  timestamppb.New(now),
			}
			msg.Etag = pstore.ETag(msg)
			if err := pstore.PutProto(b, key, msg); err != nil {
				return err
			}
			installed++
		}
		return nil
	})
	return installed, err
}

// GetFramework returns the framework with the given id as the tenant sees
// it: its own of that id, else the shared one.
func (s *Store) GetFramework(tenant, id string) (*crosswalkv1.Framework, error) {
	f := &crosswalkv1.Framework{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		found, err := pstore.GetVisible(tx, tenant, collFrameworks, []byte(id), f)
		if err == nil && !found {
			err = errs.NotFoundError("Framework", "frameworks/"+id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// ListFrameworks returns up to limit frameworks the tenant can read, in id
// order, after the id after.
func (s *Store) ListFrameworks(tenant string, after []byte, limit int) (list []*crosswalkv1.Framework, last []byte, more bool, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		var err error
		last, more, err = pstore.ScanVisible(tx, tenant, collFrameworks, nil, after, limit, pstore.Collect(&list))
		return err
	})
	return list, last, more, err
}
