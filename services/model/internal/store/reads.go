package store

import (
	"slices"
	"strings"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/resource"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/model/internal/catalog"
)

// resourceTypes names each kind of content in errors.
var resourceTypes = map[string]string{
	KindCategory:       "Category",
	KindCapabilityArea: "CapabilityArea",
	KindDomain:         "Domain",
	KindPracticeArea:   "PracticeArea",
	KindPractice:       "Practice",
	KindView:           "View",
}

// canonicalID maps an alias of a practice area or capability area to its
// canonical id; other ids come back as they are.
func canonicalID(tx *bbolt.Tx, ref VersionRef, kind, id string) string {
	if kind != KindPracticeArea && kind != KindCapabilityArea {
		return id
	}
	if c := contentBucket(tx, ref, kindAlias).Get([]byte(kind + ":" + id)); c != nil {
		return string(c)
	}
	return id
}

// Get reads one item of a version's content into m: a single key lookup
// (after an alias lookup for practice and capability areas). It returns the
// version it read from.
func (s *Store) Get(tenant, model, version, kind, id string, m proto.Message) (VersionRef, error) {
	var ref VersionRef
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		if ref, _, err = resolveVersion(tx, tenant, model, version); err != nil {
			return err
		}
		return getContent(tx, ref, kind, id, m)
	})
	return ref, err
}

func getContent(tx *bbolt.Tx, ref VersionRef, kind, id string, m proto.Message) error {
	key := []byte(canonicalID(tx, ref, kind, id))
	found, err := pstore.GetProto(contentBucket(tx, ref, kind), key, m)
	if err == nil && !found {
		err = errs.NotFoundError(resourceTypes[kind], ref.Name()+"/"+collectionName(kind)+"/"+id)
	}
	return err
}

// collectionName is the collection id of a kind in resource names.
func collectionName(kind string) string {
	switch kind {
	case KindCategory:
		return "categories"
	case KindCapabilityArea:
		return "capabilityAreas"
	case KindDomain:
		return "domains"
	case KindPracticeArea:
		return "practiceAreas"
	case KindView:
		return "views"
	}
	return "practices"
}

// GetPractice reads one practice. The practice area in id may be an alias
// (RISK-3.1 finds RSK-3.1).
func (s *Store) GetPractice(tenant, model, version string, id catalog.PracticeID) (*modelv1.Practice, error) {
	p := &modelv1.Practice{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		ref, _, err := resolveVersion(tx, tenant, model, version)
		if err != nil {
			return err
		}
		return getPractice(tx, ref, id, p)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func getPractice(tx *bbolt.Tx, ref VersionRef, id catalog.PracticeID, p *modelv1.Practice) error {
	id.Area = canonicalID(tx, ref, KindPracticeArea, id.Area)
	found, err := pstore.GetProto(contentBucket(tx, ref, KindPractice), id.Key(), p)
	if err == nil && !found {
		err = errs.NotFoundError("Practice", PracticeName(ref.Name(), id))
	}
	return err
}

// BatchGetPractices reads several practices of one version in one
// transaction, in the order given.
func (s *Store) BatchGetPractices(tenant, model, version string, ids []catalog.PracticeID) ([]*modelv1.Practice, error) {
	out := make([]*modelv1.Practice, 0, len(ids))
	err := s.db.View(func(tx *bbolt.Tx) error {
		ref, _, err := resolveVersion(tx, tenant, model, version)
		if err != nil {
			return err
		}
		for _, id := range ids {
			p := &modelv1.Practice{}
			if err := getPractice(tx, ref, id, p); err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// List scans one kind of a version's content in key order from after,
// limited to keys with prefix, calling fn for each item until limit items
// were included.
func (s *Store) List(tenant, model, version, kind string, prefix, after []byte, limit int, fn func(k, v []byte) (bool, error)) (last []byte, more bool, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		ref, _, err := resolveVersion(tx, tenant, model, version)
		if err != nil {
			return err
		}
		last, more, err = pstore.ScanPage(contentBucket(tx, ref, kind), prefix, after, limit, fn)
		return err
	})
	return last, more, err
}

// CanonicalPracticeArea maps a practice area acronym or alias to the
// canonical acronym of a version, or returns it unchanged when unknown.
func (s *Store) CanonicalPracticeArea(tenant, model, version, acronym string) (string, error) {
	var out string
	err := s.db.View(func(tx *bbolt.Tx) error {
		ref, _, err := resolveVersion(tx, tenant, model, version)
		if err != nil {
			return err
		}
		out = canonicalID(tx, ref, KindPracticeArea, strings.ToUpper(acronym))
		return nil
	})
	return out, err
}

// Bundle returns a version's canonical bundle with the version itself.
func (s *Store) Bundle(tenant, model, version string) (*modelv1.ModelBundle, *modelv1.ModelVersion, VersionRef, error) {
	var b *modelv1.ModelBundle
	var v *modelv1.ModelVersion
	var ref VersionRef
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		if ref, v, err = resolveVersion(tx, tenant, model, version); err != nil {
			return err
		}
		b, err = loadBundle(tx, ref)
		return err
	})
	return b, v, ref, err
}

// viewKey is a tenant view's key: {model}/{version}/{view}.
func viewKey(ref VersionRef, id string) []byte {
	return []byte(ref.Model + "/" + ref.Version + "/" + id)
}

// GetView returns a built-in view of the version or the tenant's own.
func (s *Store) GetView(tenant, model, version, id string) (*modelv1.View, error) {
	v := &modelv1.View{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		ref, _, err := resolveVersion(tx, tenant, model, version)
		if err != nil {
			return err
		}
		return getView(tx, tenant, ref, id, v)
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

func getView(tx *bbolt.Tx, tenant string, ref VersionRef, id string, v *modelv1.View) error {
	found, err := pstore.GetProto(contentBucket(tx, ref, KindView), []byte(id), v)
	if err != nil || found {
		return err
	}
	found, err = pstore.GetProto(pstore.TenantBucket(tx, tenant, collViews), viewKey(ref, id), v)
	if err == nil && !found {
		err = errs.NotFoundError("View", ref.Name()+"/views/"+id)
	}
	return err
}

// ListViews returns a page of the version's built-in views and the
// tenant's own, by id. A version holds few views, so they are merged in
// memory.
func (s *Store) ListViews(tenant, model, version string, after string, limit int) (views []*modelv1.View, more bool, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		ref, _, err := resolveVersion(tx, tenant, model, version)
		if err != nil {
			return err
		}
		var all []*modelv1.View
		if err := contentBucket(tx, ref, KindView).ForEach(func(_, v []byte) error {
			return collectInto(&all, v)
		}); err != nil {
			return err
		}
		if own := pstore.TenantBucket(tx, tenant, collViews); own != nil {
			prefix := viewKey(ref, "")
			c := own.Cursor()
			for k, v := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, v = c.Next() {
				if err := collectInto(&all, v); err != nil {
					return err
				}
			}
		}
		slices.SortFunc(all, func(a, b *modelv1.View) int { return strings.Compare(a.GetName(), b.GetName()) })
		for _, v := range all {
			if after != "" && resource.ID(v.GetName()) <= after {
				continue
			}
			if len(views) == limit {
				more = true
				break
			}
			views = append(views, v)
		}
		return nil
	})
	return views, more, err
}

func collectInto(list *[]*modelv1.View, raw []byte) error {
	v := &modelv1.View{}
	if err := pstore.UnmarshalProto(raw, v); err != nil {
		return err
	}
	*list = append(*list, v)
	return nil
}

// CreateView stores a tenant's own view of a version. The view must already
// be checked against the version's bundle.
func (s *Store) CreateView(tenant, model, version, id string, v *modelv1.View) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		ref, _, err := resolveVersion(tx, tenant, model, version)
		if err != nil {
			return err
		}
		if err := getView(tx, tenant, ref, id, &modelv1.View{}); err == nil {
			return errs.AlreadyExistsError("View", ref.Name()+"/views/"+id)
		} else if !errs.Is(err, errs.NotFound) {
			return err
		}
		b, err := pstore.CreateTenantBucket(tx, tenant, collViews)
		if err != nil {
			return err
		}
		return pstore.PutProto(b, viewKey(ref, id), v)
	})
}

// DeleteView deletes a tenant's own view. A built-in view is
// FAILED_PRECONDITION.
func (s *Store) DeleteView(tenant, model, version, id, etag string) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		ref, _, err := resolveVersion(tx, tenant, model, version)
		if err != nil {
			return err
		}
		if contentBucket(tx, ref, KindView).Get([]byte(id)) != nil {
			return errs.New(errs.FailedPrecondition, "BUILT_IN_VIEW", "%s/views/%s ships with the version and cannot be deleted", ref.Name(), id)
		}
		own := pstore.TenantBucket(tx, tenant, collViews)
		v := &modelv1.View{}
		found, err := pstore.GetProto(own, viewKey(ref, id), v)
		if err != nil {
			return err
		}
		if !found {
			return errs.NotFoundError("View", ref.Name()+"/views/"+id)
		}
		if etag != "" && etag != v.GetEtag() {
			return errs.New(errs.Aborted, "ETAG_MISMATCH", "the view changed since etag %q was read", etag)
		}
		if err := own.Delete(viewKey(ref, id)); err != nil {
			return errs.Wrap(err, "delete view")
		}
		return nil
	})
}
