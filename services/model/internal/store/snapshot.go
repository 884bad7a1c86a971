package store

import (
	"bytes"
	"errors"

	"go.etcd.io/bbolt"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/errs"
	pstore "github.com/aim-platform/aim/platform/store"
)

// Generations.
//
// Every write of a version's content (an import, or the install of a
// default) stamps the version's content bucket with the next value of a
// counter kept on the owner's content root: the bucket's bbolt sequence.
// The root bucket is never deleted, so the counter only grows, and a version
// deleted and imported again under the same name gets a new generation.
// Publishing or deprecating a version rewrites its record, not its content,
// and keeps the generation. Content written before generations existed
// reads as generation 0; any later write of the same name gets a higher
// one.
//
// (owner, model, version, generation) therefore names content that can
// never change, which is what lets the server keep decoded content in
// memory without ever serving a stale copy.

// Locate finds the version the tenant reads under model and version (its
// own, else a shared one) and the generation of its content. It reads a few
// keys and decodes nothing.
func (s *Store) Locate(tenant, model, version string) (VersionRef, uint64, error) {
	var ref VersionRef
	var gen uint64
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		if ref, err = locate(tx, tenant, model, version); err != nil {
			return err
		}
		vb := versionBucket(tx, ref)
		if vb == nil {
			return errs.Wrap(nil, "%s has no content", ref.Name())
		}
		gen = vb.Sequence()
		return nil
	})
	return ref, gen, err
}

// locate is resolveVersion without decoding the version.
func locate(tx *bbolt.Tx, tenant, model, version string) (VersionRef, error) {
	for _, owner := range []string{tenant, pstore.SharedTenant} {
		ref := VersionRef{Model: model, Version: version, Owner: owner}
		if b := pstore.TenantBucket(tx, owner, collVersions); b != nil && b.Get(ref.key()) != nil {
			return ref, nil
		}
	}
	return VersionRef{}, errs.NotFoundError("ModelVersion", VersionName(model, version))
}

// ErrContentChanged is LoadContent's answer when the version's content is
// no longer the generation asked for: it was deleted and imported again
// since Locate.
var ErrContentChanged = errors.New("store: the version's content changed since it was located")

// VersionContent is the decoded content of one generation of a version:
// what the practice reads need, in key order. It is shared by every reader
// and must not be modified.
type VersionContent struct {
	Ref VersionRef
	Gen uint64
	// PracticeAreas and Practices are in key order; PracticeKeys holds the
	// key of each practice.
	PracticeAreas []*modelv1.PracticeArea
	Practices     []*modelv1.Practice
	PracticeKeys  [][]byte
	// Aliases maps "pa:<alias>" and "ca:<alias>" to the canonical id.
	Aliases map[string]string
}

// LoadContent decodes generation gen of the version at ref, which Locate
// returned. It is a NOT_FOUND error when the version is gone, and
// ErrContentChanged when its content is another generation.
func (s *Store) LoadContent(ref VersionRef, gen uint64) (*VersionContent, error) {
	c := &VersionContent{Ref: ref, Gen: gen, Aliases: map[string]string{}}
	err := s.db.View(func(tx *bbolt.Tx) error {
		versions := pstore.TenantBucket(tx, ref.Owner, collVersions)
		vb := versionBucket(tx, ref)
		if versions == nil || versions.Get(ref.key()) == nil || vb == nil {
			return errs.NotFoundError("ModelVersion", ref.Name())
		}
		if vb.Sequence() != gen {
			return ErrContentChanged
		}
		if err := forEach(vb, KindPracticeArea, func(_, v []byte) error {
			pa := &modelv1.PracticeArea{}
			c.PracticeAreas = append(c.PracticeAreas, pa)
			return pstore.UnmarshalProto(v, pa)
		}); err != nil {
			return err
		}
		if err := forEach(vb, KindPractice, func(k, v []byte) error {
			p := &modelv1.Practice{}
			c.Practices = append(c.Practices, p)
			c.PracticeKeys = append(c.PracticeKeys, bytes.Clone(k))
			return pstore.UnmarshalProto(v, p)
		}); err != nil {
			return err
		}
		return forEach(vb, kindAlias, func(k, v []byte) error {
			c.Aliases[string(k)] = string(v)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// forEach calls fn for each key of one kind's bucket; a missing bucket
// holds nothing.
func forEach(vb *bbolt.Bucket, kind string, fn func(k, v []byte) error) error {
	b := vb.Bucket([]byte(kind))
	if b == nil {
		return nil
	}
	return b.ForEach(fn)
}

// versionBucket returns the bucket of a version's content.
func versionBucket(tx *bbolt.Tx, ref VersionRef) *bbolt.Bucket {
	root := pstore.TenantBucket(tx, ref.Owner, collContent)
	if root == nil {
		return nil
	}
	return root.Bucket(ref.key())
}
