package store

import (
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/types/known/timestamppb"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/errs"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/model/internal/catalog"
)

// Collections of the model store.
const (
	collModels = "models"
)

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

// InstallDefaults writes the embedded default models that are missing from
// the shared collection and returns how many it wrote. Existing models are
// left as they are, so a restart never overwrites content.
func (s *Store) InstallDefaults(now time.Time) (int, error) {
	installed := 0
	err := s.db.Update(func(tx *bbolt.Tx) error {
		installed = 0
		b, err := pstore.CreateTenantBucket(tx, pstore.SharedTenant, collModels)
		if err != nil {
			return err
		}
		for _, m := range catalog.DefaultModels() {
			key := []byte(m.ID)
			if b.Get(key) != nil {
				continue
			}
			msg := &modelv1.Model{
				Name:        m.Name(),
				DisplayName: m.DisplayName,
				Description: m.Description,
				Publisher:   m.Publisher,
				Shared:      true,
				Sample:      m.Sample,
				CreateTime:  timestamppb.New(now),
				UpdateTime:  timestamppb.New(now),
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

// GetModel returns the model with the given id as the tenant sees it: its
// own model of that id, else the shared one.
func (s *Store) GetModel(tenant, id string) (*modelv1.Model, error) {
	m := &modelv1.Model{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		found, err := pstore.GetVisible(tx, tenant, collModels, []byte(id), m)
		if err == nil && !found {
			err = errs.NotFoundError("Model", catalog.ModelName(id))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// ListModels returns up to limit models the tenant can read, in id order,
// starting after the id after. more reports whether another page follows.
func (s *Store) ListModels(tenant string, after []byte, limit int) (models []*modelv1.Model, last []byte, more bool, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		var err error
		last, more, err = pstore.ScanVisible(tx, tenant, collModels, after, limit, func(_, v []byte) (bool, error) {
			m := &modelv1.Model{}
			if err := pstore.UnmarshalProto(v, m); err != nil {
				return false, err
			}
			models = append(models, m)
			return true, nil
		})
		return err
	})
	return models, last, more, err
}
