package store

import (
	"go.etcd.io/bbolt"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/errs"
	pstore "github.com/aim-platform/aim/platform/store"
)

// RewriteEvent changes one stored audit event in place, bypassing the
// chain, as an attacker with write access to the file could. It exists for
// tests and incident drills that check VerifyAuditTrail notices; no API
// reaches it.
func (s *Store) RewriteEvent(tenant, id string, seq int64, fn func(*appraisalv1.AuditEvent)) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		t, err := s.begin(tx, tenant, id, "")
		if err != nil {
			return err
		}
		e := &appraisalv1.AuditEvent{}
		found, err := pstore.GetProto(t.bucket(KindEvents), SequenceKey(seq), e)
		if err != nil {
			return err
		}
		if !found {
			return errs.NotFoundError("AuditEvent", EventName(id, seq))
		}
		fn(e)
		return pstore.PutProto(t.bucket(KindEvents), SequenceKey(seq), e)
	})
}
