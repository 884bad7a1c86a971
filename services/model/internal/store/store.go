package store

import (
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/resource"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/model/internal/catalog"
	"github.com/aim-platform/aim/services/model/internal/catalog/defaults"
)

// Collections of the model store, each under a tenant (or the shared
// tenant):
//
//	models    {model}                   Model
//	versions  {model}/{version}         ModelVersion
//	content   {model}/{version}/        one bucket per version, holding:
//	            cat  {id}               Category
//	            ca   {id}               CapabilityArea
//	            dom  {id}               Domain
//	            pa   {acronym}          PracticeArea
//	            p    catalog key        Practice (one key per practice; a
//	                                    practice area is one key range)
//	            view {id}               View (built in)
//	            alias pa:{a} / ca:{a}   canonical id
//	            bundle "canonical"      the canonical ModelBundle
//	views     {model}/{version}/{view}  a tenant's own View
const (
	collModels   = "models"
	collVersions = "versions"
	collContent  = "content"
	collViews    = "views"
)

// Kinds of content, the names of the buckets inside a version's content.
const (
	KindCategory       = "cat"
	KindCapabilityArea = "ca"
	KindDomain         = "dom"
	KindPracticeArea   = "pa"
	KindPractice       = "p"
	KindView           = "view"
	kindAlias          = "alias"
	kindBundle         = "bundle"
)

var bundleKey = []byte("canonical")

// Schema is the model store's schema: its name and migrations.
var Schema = pstore.Schema{
	Name: "model",
	Migrations: []pstore.Migration{{
		Version: 1,
		Name:    "shared models collection",
		Apply: func(tx *bbolt.Tx) error {
			_, err := pstore.CreateTenantBucket(tx, pstore.SharedTenant, collModels)
			return err
		},
	}},
	Collections: collections(),
}

// Store is the model catalog's storage.
type Store struct {
	db *pstore.DB
}

// Open opens (or creates) the store at cfg.Path.
func Open(cfg pstore.Config) (*Store, error) {
	db, err := pstore.Open(cfg, Schema)
	if err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

// DB returns the underlying database, for backups and page tokens.
func (s *Store) DB() *pstore.DB { return s.db }

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// VersionRef locates a version: its key and the tenant that stores it.
type VersionRef struct {
	Model, Version string
	// Owner is the tenant the version is stored under (SharedTenant for
	// shared content).
	Owner string
}

// Name returns the version's resource name.
func (r VersionRef) Name() string { return VersionName(r.Model, r.Version) }

func (r VersionRef) key() []byte { return []byte(r.Model + "/" + r.Version) }

// Shared reports whether every tenant can read the version.
func (r VersionRef) Shared() bool { return r.Owner == pstore.SharedTenant }

// InstallDefault writes a shared, published model and version from a
// bundle unless the version is there already, and reports whether it wrote.
// A restart never overwrites content.
func (s *Store) InstallDefault(model *modelv1.Model, b *modelv1.ModelBundle, now time.Time) (bool, error) {
	canonical := catalog.Canonicalize(b)
	ref := VersionRef{Model: b.GetModel(), Version: b.GetVersion(), Owner: pstore.SharedTenant}
	content, err := BuildContent(ref.Name(), canonical)
	if err != nil {
		return false, errs.Wrap(err, "default model")
	}
	installed := false
	err = s.db.Update(func(tx *bbolt.Tx) error {
		installed = false
		versions, err := pstore.CreateTenantBucket(tx, ref.Owner, collVersions)
		if err != nil {
			return err
		}
		if versions.Get(ref.key()) != nil {
			return nil
		}
		models, err := pstore.CreateTenantBucket(tx, ref.Owner, collModels)
		if err != nil {
			return err
		}
		if models.Get([]byte(b.GetModel())) == nil {
			m := cloneModel(model, now)
			m.Shared = true
			m.Etag = pstore.ETag(m)
			if err := pstore.PutProto(models, []byte(b.GetModel()), m); err != nil {
				return err
			}
		}
		ts := timestamppb.New(now)
		v := &modelv1.ModelVersion{
			Name: ref.Name(), DisplayName: canonical.GetDisplayName(), Description: canonical.GetDescription(),
			State: modelv1.ModelVersion_STATE_PUBLISHED, Sample: canonical.GetSample(), Shared: true,
			Digest: catalog.Digest(canonical), Counts: catalog.Counts(canonical),
			CreateTime: ts, PublishTime: ts,
		}
		v.Etag = pstore.ETag(v)
		if err := pstore.PutProto(versions, ref.key(), v); err != nil {
			return err
		}
		if err := writeContent(tx, ref, canonical, content); err != nil {
			return err
		}
		installed = true
		return nil
	})
	return installed, err
}

func cloneModel(m *modelv1.Model, now time.Time) *modelv1.Model {
	c := &modelv1.Model{
		Name: m.GetName(), DisplayName: m.GetDisplayName(), Description: m.GetDescription(),
		Publisher: m.GetPublisher(), Sample: m.GetSample(),
		CreateTime: timestamppb.New(now), UpdateTime: timestamppb.New(now),
	}
	return c
}

// writeContent stores a version's content bucket, replacing any earlier one.
func writeContent(tx *bbolt.Tx, ref VersionRef, canonical *modelv1.ModelBundle, c *Content) error {
	root, err := pstore.CreateTenantBucket(tx, ref.Owner, collContent)
	if err != nil {
		return err
	}
	if root.Bucket(ref.key()) != nil {
		if err := root.DeleteBucket(ref.key()); err != nil {
			return errs.Wrap(err, "replace content of %s", ref.Name())
		}
	}
	vb, err := root.CreateBucket(ref.key())
	if err != nil {
		return errs.Wrap(err, "content of %s", ref.Name())
	}
	// Stamp the content with a number no earlier content of this owner had
	// (see Locate), so that readers caching it can tell a re-import apart.
	gen, err := root.NextSequence()
	if err != nil {
		return errs.Wrap(err, "content generation of %s", ref.Name())
	}
	if err := vb.SetSequence(gen); err != nil {
		return errs.Wrap(err, "content generation of %s", ref.Name())
	}
	byID := func(name string) ([]byte, error) { return []byte(resource.ID(name)), nil }
	practiceKey := func(name string) ([]byte, error) {
		id, err := catalog.ParsePracticeID(resource.ID(name))
		if err != nil {
			return nil, errs.Wrap(err, "practice key")
		}
		return id.Key(), nil
	}
	steps := []error{
		putAll(vb, KindCategory, c.Categories, byID),
		putAll(vb, KindCapabilityArea, c.CapabilityAreas, byID),
		putAll(vb, KindDomain, c.Domains, byID),
		putAll(vb, KindPracticeArea, c.PracticeAreas, byID),
		putAll(vb, KindPractice, c.Practices, practiceKey),
		putAll(vb, KindView, c.Views, byID),
	}
	for _, err := range steps {
		if err != nil {
			return err
		}
	}
	bb, err := vb.CreateBucket([]byte(kindBundle))
	if err != nil {
		return errs.Wrap(err, "bundle bucket of %s", ref.Name())
	}
	if err := pstore.PutProto(bb, bundleKey, canonical); err != nil {
		return err
	}
	aliases, err := vb.CreateBucket([]byte(kindAlias))
	if err != nil {
		return errs.Wrap(err, "alias bucket of %s", ref.Name())
	}
	for alias, id := range c.Aliases {
		if err := aliases.Put([]byte(alias), []byte(id)); err != nil {
			return errs.Wrap(err, "alias %s of %s", alias, ref.Name())
		}
	}
	return nil
}

// named is a resource with a name.
type named interface {
	proto.Message
	GetName() string
}

// putAll creates the kind's bucket in vb and stores every item under the
// key keyOf derives from its name.
func putAll[T named](vb *bbolt.Bucket, kind string, items []T, keyOf func(name string) ([]byte, error)) error {
	b, err := vb.CreateBucket([]byte(kind))
	if err != nil {
		return errs.Wrap(err, "content bucket %s", kind)
	}
	for _, x := range items {
		key, err := keyOf(x.GetName())
		if err != nil {
			return err
		}
		if err := pstore.PutProto(b, key, x); err != nil {
			return err
		}
	}
	return nil
}

// InstallDefaults installs the embedded sample model (catalog/defaults) as
// shared, published content unless it is there, and returns how many
// versions it installed (0 or 1).
func (s *Store) InstallDefaults(now time.Time) (int, error) {
	b, err := catalog.ParseBundleText(defaults.SampleBundle())
	if err != nil {
		return 0, errs.Wrap(err, "parse the default bundle")
	}
	if violations := catalog.ValidateBundle(b); len(violations) > 0 {
		return 0, errs.Wrap(errs.InvalidArgument(violations...), "the default bundle is invalid")
	}
	for _, m := range catalog.DefaultModels() {
		if m.ID != b.GetModel() {
			continue
		}
		model := &modelv1.Model{
			Name: m.Name(), DisplayName: m.DisplayName, Description: m.Description,
			Publisher: m.Publisher, Sample: m.Sample,
		}
		installed, err := s.InstallDefault(model, b, now)
		if installed {
			return 1, err
		}
		return 0, err
	}
	return 0, errs.Wrap(nil, "no default model named %q", b.GetModel())
}
