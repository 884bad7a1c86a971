package store

import (
	"bytes"
	"encoding/binary"
	"slices"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/types/known/timestamppb"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	"github.com/aim-platform/aim/platform/errs"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/crosswalk/internal/mapindex"
)

// More collections of the crosswalk store:
//
//	crosswalks  {crosswalk}                      Crosswalk
//	mappings    {crosswalk}/{source}\x00{target}  Mapping
//	revisions   {crosswalk}                      uint64, big-endian
//
// A crosswalk's revision changes in the same transaction as anything that
// changes its mappings or its existence (create, import, delete), and is
// never reused: it comes from the tenant's revisions bucket sequence, which
// only grows. Readers compare it with the mapping cache's entry inside
// their own transaction, so the cache cannot serve mappings their snapshot
// does not hold. Stores written before revisions existed read as revision
// 0 until their next change.
const (
	collCrosswalks = "crosswalks"
	collMappings   = "mappings"
	collRevisions  = "revisions"
)

// revision returns a crosswalk's revision as tx sees it (0 when none was
// recorded).
func revision(tx *bbolt.Tx, owner, id string) uint64 {
	b := pstore.TenantBucket(tx, owner, collRevisions)
	if b == nil {
		return 0
	}
	v := b.Get([]byte(id))
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// bumpRevision gives a crosswalk a revision no earlier state of it had.
func bumpRevision(tx *bbolt.Tx, owner, id string) error {
	b, err := pstore.CreateTenantBucket(tx, owner, collRevisions)
	if err != nil {
		return err
	}
	seq, err := b.NextSequence()
	if err != nil {
		return errs.Wrap(err, "next revision of crosswalk %s", id)
	}
	if err := b.Put([]byte(id), binary.BigEndian.AppendUint64(nil, seq)); err != nil {
		return errs.Wrap(err, "put the revision of crosswalk %s", id)
	}
	return nil
}

// CrosswalkName returns crosswalks/{id}.
func CrosswalkName(id string) string { return "crosswalks/" + id }

// MappingKey is a mapping's key: its crosswalk, source and target.
func MappingKey(crosswalk, source, target string) []byte {
	return []byte(crosswalk + "/" + source + "\x00" + target)
}

// CrosswalkRef locates a crosswalk: its id and the tenant that stores it.
type CrosswalkRef struct {
	ID    string
	Owner string
}

func resolveCrosswalk(tx *bbolt.Tx, tenant, id string) (CrosswalkRef, *crosswalkv1.Crosswalk, error) {
	for _, owner := range []string{tenant, pstore.SharedTenant} {
		c := &crosswalkv1.Crosswalk{}
		found, err := pstore.GetProto(pstore.TenantBucket(tx, owner, collCrosswalks), []byte(id), c)
		if err != nil {
			return CrosswalkRef{}, nil, err
		}
		if found {
			return CrosswalkRef{ID: id, Owner: owner}, c, nil
		}
	}
	return CrosswalkRef{}, nil, errs.NotFoundError("Crosswalk", CrosswalkName(id))
}

// GetCrosswalk returns a crosswalk the tenant can read.
func (s *Store) GetCrosswalk(tenant, id string) (*crosswalkv1.Crosswalk, CrosswalkRef, error) {
	var c *crosswalkv1.Crosswalk
	var ref CrosswalkRef
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		ref, c, err = resolveCrosswalk(tx, tenant, id)
		return err
	})
	return c, ref, err
}

// ListCrosswalks pages through the crosswalks the tenant can read.
func (s *Store) ListCrosswalks(tenant string, after []byte, limit int) (list []*crosswalkv1.Crosswalk, last []byte, more bool, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		var err error
		last, more, err = pstore.ScanVisible(tx, tenant, collCrosswalks, nil, after, limit, pstore.Collect(&list))
		return err
	})
	return list, last, more, err
}

// AllCrosswalks returns every crosswalk the tenant can read (for chaining
// across crosswalks; a tenant has few).
func (s *Store) AllCrosswalks(tenant string) ([]*crosswalkv1.Crosswalk, error) {
	var out []*crosswalkv1.Crosswalk
	after := []byte(nil)
	for {
		list, last, more, err := s.ListCrosswalks(tenant, after, 1000)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
		if !more {
			return out, nil
		}
		after = last
	}
}

// CreateCrosswalk stores a new crosswalk for the tenant (or, with tenant
// SharedTenant, for everyone). An id the tenant can already read is
// ALREADY_EXISTS.
func (s *Store) CreateCrosswalk(tenant, id string, c *crosswalkv1.Crosswalk) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		if _, _, err := resolveCrosswalk(tx, tenant, id); err == nil {
			return errs.AlreadyExistsError("Crosswalk", CrosswalkName(id))
		} else if !errs.Is(err, errs.NotFound) {
			return err
		}
		b, err := pstore.CreateTenantBucket(tx, tenant, collCrosswalks)
		if err != nil {
			return err
		}
		if err := bumpRevision(tx, tenant, id); err != nil {
			return err
		}
		return pstore.PutProto(b, []byte(id), c)
	})
}

// ownCrosswalk returns one of the tenant's own crosswalks for a change.
func ownCrosswalk(tx *bbolt.Tx, tenant, id, etag string) (*crosswalkv1.Crosswalk, error) {
	ref, c, err := resolveCrosswalk(tx, tenant, id)
	if err != nil {
		return nil, err
	}
	if ref.Owner != tenant {
		return nil, errs.New(errs.PermissionDenied, "SHARED_CONTENT", "%s is shared content; tenants cannot change it", CrosswalkName(id))
	}
	if etag != "" && etag != c.GetEtag() {
		return nil, errs.New(errs.Aborted, "ETAG_MISMATCH", "%s changed since etag %q was read", CrosswalkName(id), etag)
	}
	return c, nil
}

// DeleteCrosswalk deletes one of the tenant's crosswalks and its mappings.
func (s *Store) DeleteCrosswalk(tenant, id, etag string) error {
	err := s.db.Update(func(tx *bbolt.Tx) error {
		if _, err := ownCrosswalk(tx, tenant, id, etag); err != nil {
			return err
		}
		if err := deleteMappings(tx, tenant, id); err != nil {
			return err
		}
		// A new revision rather than none: a crosswalk created again under
		// the id gets a later one still, so no entry read before matches.
		if err := bumpRevision(tx, tenant, id); err != nil {
			return err
		}
		if err := pstore.TenantBucket(tx, tenant, collCrosswalks).Delete([]byte(id)); err != nil {
			return errs.Wrap(err, "delete crosswalk %s", id)
		}
		return nil
	})
	s.cache.drop(cacheKey{owner: tenant, id: id})
	return err
}

func deleteMappings(tx *bbolt.Tx, tenant, id string) error {
	b := pstore.TenantBucket(tx, tenant, collMappings)
	if b == nil {
		return nil
	}
	prefix := []byte(id + "/")
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return errs.Wrap(err, "delete mapping")
		}
	}
	return nil
}

// ReplaceMappings swaps a crosswalk's mappings for new ones in one
// transaction and updates its count, time and etag. owner is the tenant
// that stores the crosswalk (SharedTenant for the defaults).
func (s *Store) ReplaceMappings(owner, id, etag string, mappings []*crosswalkv1.Mapping, now time.Time) (*crosswalkv1.Crosswalk, error) {
	var out *crosswalkv1.Crosswalk
	err := s.db.Update(func(tx *bbolt.Tx) error {
		c, err := ownCrosswalk(tx, owner, id, etag)
		if err != nil {
			return err
		}
		if err := deleteMappings(tx, owner, id); err != nil {
			return err
		}
		b, err := pstore.CreateTenantBucket(tx, owner, collMappings)
		if err != nil {
			return err
		}
		// Put the keys in ascending order. bbolt splits a node only when the
		// transaction commits, so keys put in random order into one growing
		// node each shift the ones after them: quadratic in the number of
		// mappings (30 s for 1e5). In order, every put appends.
		keys := make([][]byte, len(mappings))
		order := make([]int, len(mappings))
		for i, m := range mappings {
			keys[i] = MappingKey(id, m.GetSource(), m.GetTarget())
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int { return bytes.Compare(keys[a], keys[b]) })
		for _, i := range order {
			if err := pstore.PutProto(b, keys[i], mappings[i]); err != nil {
				return err
			}
		}
		c.MappingCount = int32(len(mappings))
		c.UpdateTime = timestamppb.New(now)
		c.Etag = ""
		c.Etag = pstore.ETag(c)
		out = c
		if err := bumpRevision(tx, owner, id); err != nil {
			return err
		}
		return pstore.PutProto(pstore.TenantBucket(tx, owner, collCrosswalks), []byte(id), c)
	})
	s.cache.drop(cacheKey{owner: owner, id: id})
	return out, err
}

// testHookBeforePut, when set by a test, runs after MappingIndex read the
// mappings and before it caches them.
var testHookBeforePut func()

// MappingIndex returns every mapping of a crosswalk the tenant can read,
// by source then target, indexed. The index and its mappings are shared
// with other callers (and kept in the mapping cache): they must not be
// changed.
func (s *Store) MappingIndex(tenant, id string) (*mapindex.Index, error) {
	var (
		key        cacheKey
		idx        *mapindex.Index
		wait, lead *flight
		mappings   []*crosswalkv1.Mapping
		encoded    int64
	)
	err := s.db.View(func(tx *bbolt.Tx) error {
		ref, c, err := resolveCrosswalk(tx, tenant, id)
		if err != nil {
			return err
		}
		key = cacheKey{owner: ref.Owner, id: id}
		if idx, wait, lead = s.cache.lookup(key, revision(tx, ref.Owner, id), c.GetEtag()); lead == nil {
			return nil
		}
		if n := c.GetMappingCount(); n > 0 {
			mappings = make([]*crosswalkv1.Mapping, 0, n)
		}
		_, _, err = pstore.ScanPage(pstore.TenantBucket(tx, ref.Owner, collMappings), []byte(id+"/"), nil, 1<<30, func(_, v []byte) (bool, error) {
			m := &crosswalkv1.Mapping{}
			if err := pstore.UnmarshalProto(v, m); err != nil {
				return false, err
			}
			encoded += int64(len(v))
			mappings = append(mappings, m)
			return true, nil
		})
		return err
	})
	switch {
	case lead != nil && err != nil:
		s.cache.finish(key, lead, nil, 0, err)
		return nil, err
	case err != nil:
		return nil, err
	case wait != nil:
		// Out of the transaction: an open read transaction would keep a
		// writer that must grow the file waiting on this reader too.
		<-wait.done
		return wait.index, wait.err
	case lead == nil:
		return idx, nil
	}
	if testHookBeforePut != nil {
		testHookBeforePut()
	}
	// Indexed outside the transaction too.
	idx = mapindex.New(mappings)
	s.cache.finish(key, lead, idx, mappingBytes(len(mappings), encoded), nil)
	return idx, nil
}

// Mappings returns every mapping of a crosswalk the tenant can read, by
// source then target. The slice and the mappings are shared (see
// MappingIndex): callers must not change them.
func (s *Store) Mappings(tenant, id string) ([]*crosswalkv1.Mapping, error) {
	idx, err := s.MappingIndex(tenant, id)
	if err != nil {
		return nil, err
	}
	return idx.All(), nil
}

// ListMappings pages through a crosswalk's mappings.
func (s *Store) ListMappings(tenant, id string, after []byte, limit int) (list []*crosswalkv1.Mapping, last []byte, more bool, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		ref, _, err := resolveCrosswalk(tx, tenant, id)
		if err != nil {
			return err
		}
		last, more, err = pstore.ScanPage(pstore.TenantBucket(tx, ref.Owner, collMappings), []byte(id+"/"), after, limit, pstore.Collect(&list))
		return err
	})
	return list, last, more, err
}
