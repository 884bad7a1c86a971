package store

import (
	"go.etcd.io/bbolt"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/errs"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/model/internal/catalog"
)

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
		last, more, err = pstore.ScanVisible(tx, tenant, collModels, nil, after, limit, pstore.Collect(&models))
		return err
	})
	return models, last, more, err
}
