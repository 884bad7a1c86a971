package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"

	"go.etcd.io/bbolt"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/errs"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/appraisal/internal/audit"
)

// The keys of KindAudit: the head of the trail and the latest signed
// checkpoint. Only the latest checkpoint is kept: a file that held every
// checkpoint would hand whoever copies it a signed head for every earlier
// point of the trail, to cut it back to.
const (
	headKey       = "head"       // AuditHead
	checkpointKey = "checkpoint" // AuditCheckpoint
)

// SetAuditKeys makes every later write sign a checkpoint of the trail's
// head with keys (nil: none). Call it before the store serves.
func (s *Store) SetAuditKeys(k *audit.Keys) { s.keys.Store(k) }

// AuditKeys returns the keys checkpoints are signed and checked with, or
// nil when the service has none.
func (s *Store) AuditKeys() *audit.Keys { return s.keys.Load() }

// contentKinds hold the records no event carries a digest of: the scope
// copied from the model catalog at planning, and the ratings bucket, whose
// raw engine result is not a resource (its "final" Ratings is, and is also
// evented). Their digest is kept with the head instead.
var contentKinds = []Kind{KindScope, KindScopeAreas, KindScopeView, KindRatings}

func (t *Tx) touch(k Kind) {
	if slices.Contains(contentKinds, k) {
		t.changedContent = true
	}
}

// ContentDigest returns the hex SHA-256 over every record of the content
// kinds (kind, key and stored bytes, each length-prefixed), or "" when
// there are none.
func (t *Tx) ContentDigest() (string, error) {
	h := sha256.New()
	n := 0
	var l [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(l[:], uint64(len(b)))
		h.Write(l[:])
		h.Write(b)
	}
	for _, k := range contentKinds {
		err := t.ForEach(k, func(key, v []byte) error {
			n++
			field([]byte(k))
			field(key)
			field(v)
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	if n == 0 {
		return "", nil
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// seal records the head of the trail after a write that emitted events or
// changed the content kinds, in the write's transaction, and has a
// checkpoint of it signed when the store has an audit key. It runs once per
// write, after its last event. The signature is the costly part (tens of
// microseconds, on the committer's goroutine), so it is made once per
// appraisal at the end of the group transaction (pstore.DB.AtEnd), over the
// head the group's last write to the appraisal left: a group commits all
// or nothing, so no head inside it is ever the end of a committed trail.
func (t *Tx) seal(db *pstore.DB, keys *audit.Keys) error {
	if len(t.events) == 0 && !t.changedContent {
		return nil
	}
	last, err := lastEvent(t.bucket(KindEvents))
	if err != nil {
		return err
	}
	b, err := t.content.CreateBucketIfNotExists([]byte(KindAudit))
	if err != nil {
		return errs.Wrap(err, "audit bucket of %s", t.id)
	}
	head := &appraisalv1.AuditHead{}
	found, err := pstore.GetProto(b, []byte(headKey), head)
	if err != nil {
		return err
	}
	if !found {
		// A trail without a head (only a new appraisal's, since migration
		// 3): it is anchored from the event before this write's first one.
		head.AnchorSequence = last.GetSequence()
		if len(t.events) > 0 {
			head.AnchorSequence = t.events[0].GetSequence() - 1
		}
	}
	head.Sequence, head.Hash = last.GetSequence(), last.GetHash()
	if t.changedContent {
		if head.ContentDigest, err = t.ContentDigest(); err != nil {
			return err
		}
	}
	if err := pstore.PutProto(b, []byte(headKey), head); err != nil {
		return err
	}
	if keys == nil {
		return nil
	}
	name, now := t.Name(), t.now
	return db.AtEnd(t.tx, "audit-checkpoint/"+t.tenant+"/"+t.id, func(*bbolt.Tx) error {
		last := &appraisalv1.AuditHead{}
		if _, err := pstore.GetProto(b, []byte(headKey), last); err != nil {
			return err
		}
		return pstore.PutProto(b, []byte(checkpointKey), keys.Sign(name, last, now))
	})
}

// Head returns the recorded head of the trail, or nil when the appraisal
// has none (a trail that predates heads and has not changed since).
func (t *Tx) Head() (*appraisalv1.AuditHead, error) {
	h := &appraisalv1.AuditHead{}
	found, err := pstore.GetProto(t.bucket(KindAudit), []byte(headKey), h)
	if err != nil || !found {
		return nil, err
	}
	return h, nil
}

// Checkpoint returns the latest signed checkpoint, or nil.
func (t *Tx) Checkpoint() (*appraisalv1.AuditCheckpoint, error) {
	c := &appraisalv1.AuditCheckpoint{}
	found, err := pstore.GetProto(t.bucket(KindAudit), []byte(checkpointKey), c)
	if err != nil || !found {
		return nil, err
	}
	return c, nil
}

// lastEvent returns the last event of a trail, or nil when it is empty.
func lastEvent(events *bbolt.Bucket) (*appraisalv1.AuditEvent, error) {
	if events == nil {
		return nil, nil
	}
	k, v := events.Cursor().Last()
	if k == nil {
		return nil, nil
	}
	e := &appraisalv1.AuditEvent{}
	if err := pstore.UnmarshalProto(v, e); err != nil {
		return nil, err
	}
	return e, nil
}

// recordHeads is migration 3: every appraisal gets the audit bucket and a
// head at the current end of its trail, with anchor_sequence set to that
// end. Nothing is computed about the past: the events before the anchor
// were written without a head, and the content digest stays empty (what
// the scope and ratings were before cannot be known), and VerifyAuditTrail
// says so; from the migration on, a cut of the trail's end no longer goes
// unseen.
func recordHeads(tx *bbolt.Tx) error {
	root := tx.Bucket([]byte(tenantsRoot))
	if root == nil {
		return nil
	}
	return root.ForEachBucket(func(tenant []byte) error {
		content := root.Bucket(tenant).Bucket([]byte(collContent))
		if content == nil {
			return nil
		}
		return content.ForEachBucket(func(id []byte) error {
			c := content.Bucket(id)
			b, err := c.CreateBucketIfNotExists([]byte(KindAudit))
			if err != nil {
				return errs.Wrap(err, "store: audit bucket of %s in tenant %q", id, tenant)
			}
			if b.Get([]byte(headKey)) != nil {
				return nil
			}
			last, err := lastEvent(c.Bucket([]byte(KindEvents)))
			if err != nil {
				return errs.Wrap(err, "store: last event of %s in tenant %q", id, tenant)
			}
			head := &appraisalv1.AuditHead{Sequence: last.GetSequence(), Hash: last.GetHash(), AnchorSequence: last.GetSequence()}
			return pstore.PutProto(b, []byte(headKey), head)
		})
	})
}
