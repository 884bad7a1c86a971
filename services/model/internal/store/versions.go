package store

import (
	"bytes"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/types/known/timestamppb"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/errs"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/model/internal/catalog"
)

// resolveVersion finds a version the tenant can read: its own, else a
// shared one.
func resolveVersion(tx *bbolt.Tx, tenant, model, version string) (VersionRef, *modelv1.ModelVersion, error) {
	for _, owner := range []string{tenant, pstore.SharedTenant} {
		ref := VersionRef{Model: model, Version: version, Owner: owner}
		v := &modelv1.ModelVersion{}
		found, err := pstore.GetProto(pstore.TenantBucket(tx, owner, collVersions), ref.key(), v)
		if err != nil {
			return VersionRef{}, nil, err
		}
		if found {
			return ref, v, nil
		}
	}
	return VersionRef{}, nil, errs.NotFoundError("ModelVersion", VersionName(model, version))
}

// GetVersion returns a version the tenant can read.
func (s *Store) GetVersion(tenant, model, version string) (*modelv1.ModelVersion, VersionRef, error) {
	var v *modelv1.ModelVersion
	var ref VersionRef
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		ref, v, err = resolveVersion(tx, tenant, model, version)
		return err
	})
	return v, ref, err
}

// ListVersions returns a page of a model's versions the tenant can read.
func (s *Store) ListVersions(tenant, model string, after []byte, limit int) (list []*modelv1.ModelVersion, last []byte, more bool, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		if found, err := pstore.GetVisible(tx, tenant, collModels, []byte(model), &modelv1.Model{}); err != nil || !found {
			if err == nil {
				err = errs.NotFoundError("Model", catalog.ModelName(model))
			}
			return err
		}
		var err error
		last, more, err = pstore.ScanVisible(tx, tenant, collVersions, []byte(model+"/"), after, limit, pstore.Collect(&list))
		return err
	})
	return list, last, more, err
}

// Import stores a valid, canonical bundle as a DRAFT version of the
// tenant's. The model is created for the tenant when the tenant cannot read
// one of that id. A version id the tenant can already read (its own or a
// shared one) is ALREADY_EXISTS.
func (s *Store) Import(tenant string, canonical *modelv1.ModelBundle, now time.Time) (*modelv1.ModelVersion, error) {
	ref := VersionRef{Model: canonical.GetModel(), Version: canonical.GetVersion(), Owner: tenant}
	content, err := BuildContent(ref.Name(), canonical)
	if err != nil {
		return nil, errs.Wrap(err, "import %s", ref.Name())
	}
	ts := timestamppb.New(now)
	v := &modelv1.ModelVersion{
		Name: ref.Name(), DisplayName: canonical.GetDisplayName(), Description: canonical.GetDescription(),
		State: modelv1.ModelVersion_STATE_DRAFT, Sample: canonical.GetSample(),
		Counts: catalog.Counts(canonical), CreateTime: ts,
	}
	v.Etag = pstore.ETag(v)
	err = s.db.Update(func(tx *bbolt.Tx) error {
		if _, _, err := resolveVersion(tx, tenant, ref.Model, ref.Version); err == nil {
			return errs.AlreadyExistsError("ModelVersion", ref.Name())
		} else if !errs.Is(err, errs.NotFound) {
			return err
		}
		if found, err := pstore.GetVisible(tx, tenant, collModels, []byte(ref.Model), &modelv1.Model{}); err != nil {
			return err
		} else if !found {
			models, err := pstore.CreateTenantBucket(tx, tenant, collModels)
			if err != nil {
				return err
			}
			m := &modelv1.Model{
				Name: catalog.ModelName(ref.Model), DisplayName: canonical.GetDisplayName(),
				Description: canonical.GetDescription(), Sample: canonical.GetSample(),
				CreateTime: ts, UpdateTime: ts,
			}
			m.Etag = pstore.ETag(m)
			if err := pstore.PutProto(models, []byte(ref.Model), m); err != nil {
				return err
			}
		}
		versions, err := pstore.CreateTenantBucket(tx, tenant, collVersions)
		if err != nil {
			return err
		}
		if err := pstore.PutProto(versions, ref.key(), v); err != nil {
			return err
		}
		return writeContent(tx, ref, canonical, content)
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// ownVersion returns one of the tenant's own versions for a change. A
// shared version is PERMISSION_DENIED: the tenant may read it, not change
// it.
func ownVersion(tx *bbolt.Tx, tenant, model, version, etag string) (VersionRef, *modelv1.ModelVersion, error) {
	ref, v, err := resolveVersion(tx, tenant, model, version)
	if err != nil {
		return VersionRef{}, nil, err
	}
	if ref.Owner != tenant {
		return VersionRef{}, nil, errs.New(errs.PermissionDenied, "SHARED_CONTENT",
			"%s is shared content; tenants cannot change it", ref.Name())
	}
	if etag != "" && etag != v.GetEtag() {
		return VersionRef{}, nil, errs.New(errs.Aborted, "ETAG_MISMATCH",
			"%s changed since etag %q was read; read it again", ref.Name(), etag)
	}
	return ref, v, nil
}

// Publish freezes one of the tenant's drafts: digest, counts, publish time.
func (s *Store) Publish(tenant, model, version, etag string, now time.Time) (*modelv1.ModelVersion, error) {
	var out *modelv1.ModelVersion
	err := s.db.Update(func(tx *bbolt.Tx) error {
		ref, v, err := ownVersion(tx, tenant, model, version, etag)
		if err != nil {
			return err
		}
		if v.GetState() != modelv1.ModelVersion_STATE_DRAFT {
			return errs.New(errs.FailedPrecondition, "NOT_DRAFT", "%s is %s; only a draft can be published", ref.Name(), v.GetState())
		}
		b, err := loadBundle(tx, ref)
		if err != nil {
			return err
		}
		v.State = modelv1.ModelVersion_STATE_PUBLISHED
		v.Digest = catalog.Digest(b)
		v.Counts = catalog.Counts(b)
		v.PublishTime = timestamppb.New(now)
		v.Etag = pstore.ETag(v)
		out = v
		return pstore.PutProto(pstore.TenantBucket(tx, tenant, collVersions), ref.key(), v)
	})
	return out, err
}

// Deprecate marks one of the tenant's published versions as superseded.
func (s *Store) Deprecate(tenant, model, version, etag string, now time.Time) (*modelv1.ModelVersion, error) {
	var out *modelv1.ModelVersion
	err := s.db.Update(func(tx *bbolt.Tx) error {
		ref, v, err := ownVersion(tx, tenant, model, version, etag)
		if err != nil {
			return err
		}
		if v.GetState() != modelv1.ModelVersion_STATE_PUBLISHED {
			return errs.New(errs.FailedPrecondition, "NOT_PUBLISHED", "%s is %s; only a published version can be deprecated", ref.Name(), v.GetState())
		}
		v.State = modelv1.ModelVersion_STATE_DEPRECATED
		v.DeprecateTime = timestamppb.New(now)
		v.Etag = pstore.ETag(v)
		out = v
		return pstore.PutProto(pstore.TenantBucket(tx, tenant, collVersions), ref.key(), v)
	})
	return out, err
}

// Delete removes one of the tenant's drafts, its content and its views.
func (s *Store) Delete(tenant, model, version, etag string) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		ref, v, err := ownVersion(tx, tenant, model, version, etag)
		if err != nil {
			return err
		}
		if v.GetState() != modelv1.ModelVersion_STATE_DRAFT {
			return errs.New(errs.FailedPrecondition, "NOT_DRAFT", "%s is %s; only a draft can be deleted", ref.Name(), v.GetState())
		}
		if err := pstore.TenantBucket(tx, tenant, collVersions).Delete(ref.key()); err != nil {
			return errs.Wrap(err, "delete %s", ref.Name())
		}
		if root := pstore.TenantBucket(tx, tenant, collContent); root != nil && root.Bucket(ref.key()) != nil {
			if err := root.DeleteBucket(ref.key()); err != nil {
				return errs.Wrap(err, "delete content of %s", ref.Name())
			}
		}
		if views := pstore.TenantBucket(tx, tenant, collViews); views != nil {
			prefix := append(ref.key(), '/')
			var keys [][]byte
			c := views.Cursor()
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				keys = append(keys, append([]byte(nil), k...))
			}
			for _, k := range keys {
				if err := views.Delete(k); err != nil {
					return errs.Wrap(err, "delete view")
				}
			}
		}
		return nil
	})
}

// loadBundle reads a version's canonical bundle.
func loadBundle(tx *bbolt.Tx, ref VersionRef) (*modelv1.ModelBundle, error) {
	b := &modelv1.ModelBundle{}
	found, err := pstore.GetProto(contentBucket(tx, ref, kindBundle), bundleKey, b)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errs.Wrap(nil, "%s has no stored bundle", ref.Name())
	}
	return b, nil
}

// contentBucket returns one kind's bucket of a version's content.
func contentBucket(tx *bbolt.Tx, ref VersionRef, kind string) *bbolt.Bucket {
	vb := versionBucket(tx, ref)
	if vb == nil {
		return nil
	}
	return vb.Bucket([]byte(kind))
}
