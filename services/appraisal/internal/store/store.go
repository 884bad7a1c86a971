package store

import (
	"go.etcd.io/bbolt"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/errs"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/appraisal/internal/appraisal"
)

// Collections of the appraisal store.
const (
	collAppraisals = "appraisals"
)

// Method names recorded with request ids (AIP-155).
const (
	methodCreateAppraisal = "CreateAppraisal"
)

// Schema is the appraisal store's schema.
var Schema = pstore.Schema{
	Name: "appraisal",
	Migrations: []pstore.Migration{{
		Version: 1,
		Name:    "tenant layout",
		Apply:   func(*bbolt.Tx) error { return nil }, // tenant buckets appear on first write
	}},
}

// Store is the appraisal service's storage.
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

// Create stores a new appraisal for the tenant. When requestID is set and a
// create with that id and the same fingerprint already ran, it returns the
// appraisal that call made instead (replayed is true).
func (s *Store) Create(tenant, id, requestID string, fingerprint []byte, a *appraisalv1.Appraisal) (stored *appraisalv1.Appraisal, replayed bool, err error) {
	err = s.db.Update(func(tx *bbolt.Tx) error {
		stored, replayed = nil, false
		if requestID != "" {
			name, found, err := pstore.LookupRequest(tx, tenant, methodCreateAppraisal, requestID, fingerprint)
			if err != nil {
				return err
			}
			if found {
				prev, err := get(tx, tenant, name)
				if err != nil {
					return err
				}
				stored, replayed = prev, true
				return nil
			}
		}
		b, err := pstore.CreateTenantBucket(tx, tenant, collAppraisals)
		if err != nil {
			return err
		}
		if b.Get([]byte(id)) != nil {
			return errs.AlreadyExistsError("Appraisal", appraisal.Name(id))
		}
		if err := pstore.PutProto(b, []byte(id), a); err != nil {
			return err
		}
		if requestID != "" {
			if err := pstore.RecordRequest(tx, tenant, methodCreateAppraisal, requestID, a.GetName(), fingerprint); err != nil {
				return err
			}
		}
		stored = a
		return nil
	})
	return stored, replayed, err
}

func get(tx *bbolt.Tx, tenant, name string) (*appraisalv1.Appraisal, error) {
	id, err := appraisal.ParseName(name)
	if err != nil {
		return nil, errs.NotFoundError("Appraisal", name)
	}
	a := &appraisalv1.Appraisal{}
	found, err := pstore.GetProto(pstore.TenantBucket(tx, tenant, collAppraisals), []byte(id), a)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errs.NotFoundError("Appraisal", name)
	}
	return a, nil
}

// Get returns the tenant's appraisal with the given name. Another tenant's
// appraisal is NOT_FOUND, exactly like a missing one.
func (s *Store) Get(tenant, name string) (*appraisalv1.Appraisal, error) {
	var a *appraisalv1.Appraisal
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		a, err = get(tx, tenant, name)
		return err
	})
	return a, err
}

// List returns up to limit of the tenant's appraisals in id order, starting
// after the id after.
func (s *Store) List(tenant string, after []byte, limit int) (list []*appraisalv1.Appraisal, last []byte, more bool, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		var err error
		last, more, err = pstore.ScanPage(pstore.TenantBucket(tx, tenant, collAppraisals), nil, after, limit,
			func(_, v []byte) (bool, error) {
				a := &appraisalv1.Appraisal{}
				if err := pstore.UnmarshalProto(v, a); err != nil {
					return false, err
				}
				list = append(list, a)
				return true, nil
			})
		return err
	})
	return list, last, more, err
}
