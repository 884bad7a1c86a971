package store

import (
	"go.etcd.io/bbolt"

	"github.com/aim-platform/aim/platform/errs"
)

// SharedTenant is the tenant id under which content readable by every tenant
// is stored. Services must not accept it as a caller's tenant id.
const SharedTenant = "_shared"

// tenantsBucket is the top-level bucket that holds one bucket per tenant.
const tenantsBucket = "t"

// TenantBucket returns the bucket of one tenant's collection, or nil when it
// does not exist yet or tenant or collection is empty. It never creates
// anything and suits read transactions; writers use CreateTenantBucket.
func TenantBucket(tx *bbolt.Tx, tenant, collection string) *bbolt.Bucket {
	if tenant == "" || collection == "" {
		return nil
	}
	root := tx.Bucket([]byte(tenantsBucket))
	if root == nil {
		return nil
	}
	tb := root.Bucket([]byte(tenant))
	if tb == nil {
		return nil
	}
	return tb.Bucket([]byte(collection))
}

// CreateTenantBucket returns the bucket of one tenant's collection, creating
// it and its parents when missing. tx must be writable.
func CreateTenantBucket(tx *bbolt.Tx, tenant, collection string) (*bbolt.Bucket, error) {
	if tenant == "" || collection == "" {
		return nil, faultf("store: tenant bucket needs a tenant and a collection, got %q and %q", tenant, collection)
	}
	root, err := tx.CreateBucketIfNotExists([]byte(tenantsBucket))
	if err != nil {
		return nil, errs.Wrap(err, "store: create the tenants bucket")
	}
	tb, err := root.CreateBucketIfNotExists([]byte(tenant))
	if err != nil {
		return nil, errs.Wrap(err, "store: create the bucket of tenant %q", tenant)
	}
	b, err := tb.CreateBucketIfNotExists([]byte(collection))
	if err != nil {
		return nil, errs.Wrap(err, "store: create collection %q of tenant %q", collection, tenant)
	}
	return b, nil
}
