package store

import (
	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

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

// RewriteAppraisal changes the stored appraisal record in place, as an
// attacker with write access to the file could: no event, no head, no
// checkpoint. For tests and incident drills only.
func (s *Store) RewriteAppraisal(tenant, id string, fn func(*appraisalv1.Appraisal)) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		t, err := s.begin(tx, tenant, id, "")
		if err != nil {
			return err
		}
		a, err := t.Appraisal()
		if err != nil {
			return err
		}
		fn(a)
		return t.PutAppraisal(a)
	})
}

// RewriteRecord changes one stored item of a kind in place: it decodes the
// item into m, lets fn change m and writes it back, bypassing the trail.
// For tests and incident drills only.
func (s *Store) RewriteRecord(tenant, id string, k Kind, key string, m proto.Message, fn func()) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		t, err := s.begin(tx, tenant, id, "")
		if err != nil {
			return err
		}
		found, err := t.Get(k, key, m)
		if err != nil {
			return err
		}
		if !found {
			return errs.NotFoundError(string(k), key)
		}
		fn()
		return pstore.PutProto(t.bucket(k), []byte(key), m)
	})
}

// PutRecord stores m as an item of a kind, bypassing the trail. For tests
// and incident drills only.
func (s *Store) PutRecord(tenant, id string, k Kind, key string, m proto.Message) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		t, err := s.begin(tx, tenant, id, "")
		if err != nil {
			return err
		}
		return pstore.PutProto(t.bucket(k), []byte(key), m)
	})
}

// DeleteRecord removes one stored item of a kind, bypassing the trail.
// For tests and incident drills only.
func (s *Store) DeleteRecord(tenant, id string, k Kind, key string) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		t, err := s.begin(tx, tenant, id, "")
		if err != nil {
			return err
		}
		return t.bucket(k).Delete([]byte(key))
	})
}

// TruncateEvents removes the last n events of the trail, as the red team
// did with bbolt (finding M5); with rewriteHead it also sets the recorded
// head to the new last event, so that the appraisal's record agrees with
// the shortened trail and only a signed checkpoint can tell. For tests and
// incident drills only.
func (s *Store) TruncateEvents(tenant, id string, n int, rewriteHead bool) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		t, err := s.begin(tx, tenant, id, "")
		if err != nil {
			return err
		}
		events := t.bucket(KindEvents)
		for range n {
			k, _ := events.Cursor().Last()
			if k == nil {
				break
			}
			if err := events.Delete(k); err != nil {
				return err
			}
		}
		if !rewriteHead {
			return nil
		}
		last, err := lastEvent(events)
		if err != nil {
			return err
		}
		head, err := t.Head()
		if err != nil || head == nil {
			return errs.New(errs.FailedPrecondition, "NO_HEAD", "store: %s has no head to rewrite (%v)", id, err)
		}
		head.Sequence, head.Hash = last.GetSequence(), last.GetHash()
		return pstore.PutProto(t.bucket(KindAudit), []byte(headKey), head)
	})
}

// RewriteRaw changes one stored value of a kind in place, byte for byte,
// bypassing the trail. For tests and incident drills only.
func (s *Store) RewriteRaw(tenant, id string, k Kind, key string, fn func([]byte) []byte) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		t, err := s.begin(tx, tenant, id, "")
		if err != nil {
			return err
		}
		v := t.GetRaw(k, key)
		if v == nil {
			return errs.NotFoundError(string(k), key)
		}
		return t.bucket(k).Put([]byte(key), fn(v))
	})
}

// RewriteHead changes the recorded head of the trail in place. For tests
// and incident drills only.
func (s *Store) RewriteHead(tenant, id string, fn func(*appraisalv1.AuditHead)) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		t, err := s.begin(tx, tenant, id, "")
		if err != nil {
			return err
		}
		head, err := t.Head()
		if err != nil {
			return err
		}
		if head == nil {
			return errs.NotFoundError("AuditHead", t.Name())
		}
		fn(head)
		return pstore.PutProto(t.bucket(KindAudit), []byte(headKey), head)
	})
}

// PutRaw stores raw bytes as an item of a kind, bypassing the trail. For
// tests and incident drills only.
func (s *Store) PutRaw(tenant, id string, k Kind, key string, v []byte) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		t, err := s.begin(tx, tenant, id, "")
		if err != nil {
			return err
		}
		return t.bucket(k).Put([]byte(key), v)
	})
}
