package store

import (
	"encoding/binary"
	"strconv"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/resource"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/appraisal/internal/appraisal"
	"github.com/aim-platform/aim/services/appraisal/internal/audit"
)

// Collections of the appraisal store, under each tenant:
//
//	appraisals  {id}     Appraisal
//	content     {id}/    one bucket per appraisal, holding one bucket per Kind
//	settings    "settings" Settings
//	teams       {subject}{id} member id: who is on which team (see teamKey)
const (
	collAppraisals = "appraisals"
	collContent    = "content"
	collSettings   = "settings"
	collTeams      = "teams"
)

// Kind names a bucket inside an appraisal's content.
type Kind string

// The kinds of an appraisal's content.
const (
	KindMembers    Kind = "members"   // {id} TeamMember
	KindInstances  Kind = "instances" // {id} Instance
	KindEvidence   Kind = "evidence"  // {id} Evidence
	KindChars      Kind = "chars"     // {instance}/{practice} Characterization
	KindFindings   Kind = "findings"  // {id} Finding
	KindDecisions  Kind = "decisions" // {key} TeamDecision
	KindEvents     Kind = "events"    // {sequence, 8 bytes big-endian} AuditEvent
	KindScope      Kind = "scope"     // {practice id} modelv1.Practice
	KindScopeAreas Kind = "areas"     // {acronym} modelv1.PracticeArea
	KindScopeView  Kind = "view"      // "view" modelv1.View
	KindRatings    Kind = "ratings"   // "final" Ratings
	KindAudit      Kind = "audit"     // "head" AuditHead, "checkpoint" AuditCheckpoint
	methodCreate        = "CreateAppraisal"
)

var allKinds = []Kind{KindMembers, KindInstances, KindEvidence, KindChars, KindFindings, KindDecisions, KindEvents, KindScope, KindScopeAreas, KindScopeView, KindRatings, KindAudit}

// Schema is the appraisal store's schema.
var Schema = pstore.Schema{
	Name: "appraisal",
	Migrations: []pstore.Migration{{
		Version: 1,
		Name:    "tenant layout",
		Apply:   func(*bbolt.Tx) error { return nil }, // tenant buckets appear on first write
	}, {
		Version: 2,
		Name:    "team index",
		Apply:   buildTeamIndex,
	}, {
		Version: 3,
		Name:    "audit heads",
		Apply:   recordHeads,
	}},
	Collections: collections(),
}

// Store is the appraisal service's storage.
type Store struct {
	db   *pstore.DB
	now  func() time.Time
	keys atomic.Pointer[audit.Keys] // signs checkpoints; nil: none are written
}

// Open opens (or creates) the store at cfg.Path.
func Open(cfg pstore.Config) (*Store, error) {
	db, err := pstore.Open(cfg, Schema)
	if err != nil {
		return nil, err
	}
	return &Store{db: db, now: time.Now}, nil
}

// DB returns the underlying database, for backups and page tokens.
func (s *Store) DB() *pstore.DB { return s.db }

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// Tx is a transaction on one appraisal: typed access to its record and
// content, and an audit trail that every change is emitted to in the same
// transaction, so no change commits without its event.
type Tx struct {
	tx      *bbolt.Tx
	tenant  string
	id      string
	actor   string
	now     time.Time
	content *bbolt.Bucket
	events  []*appraisalv1.AuditEvent
	// changedContent is set when the transaction writes a content kind
	// (see contentKinds), whose digest seal then recomputes.
	changedContent bool
}

// Name returns the appraisal's resource name.
func (t *Tx) Name() string { return appraisal.Name(t.id) }

// ID returns the appraisal's id.
func (t *Tx) ID() string { return t.id }

// Tenant returns the tenant the appraisal belongs to.
func (t *Tx) Tenant() string { return t.tenant }

// Now returns the transaction's clock reading; every change of one
// transaction carries the same time.
func (t *Tx) Now() time.Time { return t.now }

// Appraisal reads the appraisal record.
func (t *Tx) Appraisal() (*appraisalv1.Appraisal, error) {
	a := &appraisalv1.Appraisal{}
	found, err := pstore.GetProto(pstore.TenantBucket(t.tx, t.tenant, collAppraisals), []byte(t.id), a)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errs.NotFoundError("Appraisal", t.Name())
	}
	return a, nil
}

// PutAppraisal writes the appraisal record.
func (t *Tx) PutAppraisal(a *appraisalv1.Appraisal) error {
	b, err := pstore.CreateTenantBucket(t.tx, t.tenant, collAppraisals)
	if err != nil {
		return err
	}
	return pstore.PutProto(b, []byte(t.id), a)
}

func (t *Tx) bucket(k Kind) *bbolt.Bucket {
	if t.content == nil {
		return nil
	}
	return t.content.Bucket([]byte(k))
}

// Get reads one item of a kind into m and reports whether it was there.
func (t *Tx) Get(k Kind, key string, m proto.Message) (bool, error) {
	return pstore.GetProto(t.bucket(k), []byte(key), m)
}

// Has reports whether an item of a kind exists.
func (t *Tx) Has(k Kind, key string) bool {
	b := t.bucket(k)
	return b != nil && b.Get([]byte(key)) != nil
}

// Put writes one item of a kind. The transaction must be writable. A team
// member (KindMembers takes only *appraisalv1.TeamMember) is also written to
// the tenant's team index, in this transaction.
func (t *Tx) Put(k Kind, key string, m proto.Message) error {
	if k == KindMembers {
		tm, ok := m.(*appraisalv1.TeamMember)
		if !ok {
			return errs.New(errs.Internal, "INTERNAL", "store: %s %s: a team member must be a TeamMember, got %T", k, key, m)
		}
		if err := t.indexMember(key, tm.GetSubject()); err != nil {
			return err
		}
	}
	t.touch(k)
	return pstore.PutProto(t.bucket(k), []byte(key), m)
}

// Delete removes one item of a kind; removing a team member also removes
// it from the team index.
func (t *Tx) Delete(k Kind, key string) error {
	var gone *appraisalv1.TeamMember
	if k == KindMembers {
		gone = &appraisalv1.TeamMember{}
		found, err := t.Get(k, key, gone)
		if err != nil {
			return err
		}
		if !found {
			gone = nil
		}
	}
	t.touch(k)
	if err := t.bucket(k).Delete([]byte(key)); err != nil {
		return errs.Wrap(err, "delete %s %s", k, key)
	}
	if gone != nil {
		return t.unindexMember(key, gone.GetSubject())
	}
	return nil
}

// Scan pages through a kind in key order: keys with prefix, after after.
func (t *Tx) Scan(k Kind, prefix, after []byte, limit int, fn func(k, v []byte) (bool, error)) ([]byte, bool, error) {
	return pstore.ScanPage(t.bucket(k), prefix, after, limit, fn)
}

// ForEach calls fn for every item of a kind, in key order.
func (t *Tx) ForEach(k Kind, fn func(k, v []byte) error) error {
	b := t.bucket(k)
	if b == nil {
		return nil
	}
	return b.ForEach(fn)
}

// Count returns how many items a kind holds.
func (t *Tx) Count(k Kind) int {
	b := t.bucket(k)
	if b == nil {
		return 0
	}
	return b.Stats().KeyN
}

// Emit appends an event to the appraisal's audit trail. When the write
// commits, the trail's head is recorded (and signed, with an audit key)
// after its last event.
func (t *Tx) Emit(typ, resource string, before, after proto.Message) error {
	events := t.bucket(KindEvents)
	prev, err := lastEvent(events)
	if err != nil {
		return err
	}
	e := audit.Link(prev, audit.Event(t.now, t.actor, typ, resource, before, after))
	e.Name = EventName(t.id, e.GetSequence())
	if err := pstore.PutProto(events, SequenceKey(e.GetSequence()), e); err != nil {
		return err
	}
	t.events = append(t.events, e)
	return nil
}

// SequenceKey is the key of an event: its sequence, big-endian, so events
// sort in order.
func SequenceKey(seq int64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], uint64(seq))
	return k[:]
}

// EventName returns the resource name of an event.
func EventName(id string, seq int64) string {
	return appraisal.Name(id) + "/events/" + strconv.FormatInt(seq, 10)
}

// View runs fn in a read transaction on one of the tenant's appraisals. A
// missing appraisal is NOT_FOUND.
func (s *Store) View(tenant, id string, fn func(*Tx) error) error {
	return s.db.View(func(tx *bbolt.Tx) error {
		t, err := s.begin(tx, tenant, id, "")
		if err != nil {
			return err
		}
		return fn(t)
	})
}

// Update runs fn in a write transaction on one of the tenant's appraisals
// and returns the audit events it emitted. Concurrent updates are batched
// into shared commits (one fsync for many writers); fn may therefore run
// more than once and must only act through t.
func (s *Store) Update(tenant, id, actor string, fn func(*Tx) error) ([]*appraisalv1.AuditEvent, error) {
	var events []*appraisalv1.AuditEvent
	err := s.db.Batch(func(tx *bbolt.Tx) error {
		t, err := s.begin(tx, tenant, id, actor)
		if err != nil {
			return err
		}
		if err := fn(t); err != nil {
			return err
		}
		events = t.events
		return t.seal(s.db, s.keys.Load())
	})
	if err != nil {
		return nil, err
	}
	return events, nil
}

func (s *Store) begin(tx *bbolt.Tx, tenant, id, actor string) (*Tx, error) {
	t := &Tx{tx: tx, tenant: tenant, id: id, actor: actor, now: s.now()}
	if root := pstore.TenantBucket(tx, tenant, collContent); root != nil {
		t.content = root.Bucket([]byte(id))
	}
	if t.content == nil {
		return nil, errs.NotFoundError("Appraisal", appraisal.Name(id))
	}
	return t, nil
}

// Create stores a new appraisal with its creator as first team member and
// its first audit event. When requestID is set and a create by the same
// actor with that id and fingerprint already ran, it returns that create's
// appraisal instead (replayed true); the caller checks the actor may still
// read it.
func (s *Store) Create(tenant, id, actor, requestID string, fingerprint []byte, a *appraisalv1.Appraisal, creator *appraisalv1.TeamMember) (stored *appraisalv1.Appraisal, replayed bool, events []*appraisalv1.AuditEvent, err error) {
	err = s.db.Batch(func(tx *bbolt.Tx) error {
		stored, replayed, events = nil, false, nil
		if requestID != "" {
			name, found, err := pstore.LookupRequest(tx, tenant, actor, methodCreate, requestID, fingerprint)
			if err != nil {
				return err
			}
			if found {
				prevID, err := appraisal.ParseName(name)
				if err != nil {
					return errs.Wrap(err, "recorded request")
				}
				t, err := s.begin(tx, tenant, prevID, actor)
				if err != nil {
					return err
				}
				stored, err = t.Appraisal()
				replayed = true
				return err
			}
		}
		records, err := pstore.CreateTenantBucket(tx, tenant, collAppraisals)
		if err != nil {
			return err
		}
		if records.Get([]byte(id)) != nil {
			return errs.AlreadyExistsError("Appraisal", appraisal.Name(id))
		}
		root, err := pstore.CreateTenantBucket(tx, tenant, collContent)
		if err != nil {
			return err
		}
		content, err := root.CreateBucket([]byte(id))
		if err != nil {
			return errs.Wrap(err, "content of %s", id)
		}
		// Every kind gets its (empty) bucket now. Making them on first write
		// instead would not shrink the file: empty buckets are stored inline,
		// a few dozen bytes each inside the appraisal's content page, and the
		// content bucket always has a page of its own because it holds
		// buckets (bbolt never inlines those). Measured on a new appraisal:
		// one 4 KiB leaf page with about 1.3 KiB of it in use.
		for _, k := range allKinds {
			if _, err := content.CreateBucket([]byte(k)); err != nil {
				return errs.Wrap(err, "content bucket %s of %s", k, id)
			}
		}
		t := &Tx{tx: tx, tenant: tenant, id: id, actor: actor, now: s.now(), content: content}
		if err := t.PutAppraisal(a); err != nil {
			return err
		}
		if err := t.Emit("appraisal.created", a.GetName(), nil, a); err != nil {
			return err
		}
		if creator != nil {
			if err := t.Put(KindMembers, resource.ID(creator.GetName()), creator); err != nil {
				return err
			}
			if err := t.Emit("team_member.created", creator.GetName(), nil, creator); err != nil {
				return err
			}
		}
		if requestID != "" {
			if err := pstore.RecordRequest(tx, tenant, actor, methodCreate, requestID, a.GetName(), fingerprint); err != nil {
				return err
			}
		}
		stored, events = a, t.events
		return t.seal(s.db, s.keys.Load())
	})
	return stored, replayed, events, err
}

// ListAppraisals pages through the tenant's appraisals in id order,
// keeping those keep accepts. after and last are appraisal ids.
func (s *Store) ListAppraisals(tenant string, after []byte, limit int, keep func(id string, a *appraisalv1.Appraisal, t *Tx) bool) (list []*appraisalv1.Appraisal, last []byte, more bool, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		visit := s.visitAppraisal(tx, tenant, keep, &list)
		var err error
		last, more, err = pstore.ScanPage(pstore.TenantBucket(tx, tenant, collAppraisals), nil, after, limit, visit)
		return err
	})
	return list, last, more, err
}

// visitAppraisal returns a step for ScanPage: given an appraisal id and
// its stored record (or nil, to have it looked up), it decodes the
// appraisal, asks keep about it and appends it to list when kept. An id
// without a record is skipped.
func (s *Store) visitAppraisal(tx *bbolt.Tx, tenant string, keep func(id string, a *appraisalv1.Appraisal, t *Tx) bool, list *[]*appraisalv1.Appraisal) func(id, raw []byte) (bool, error) {
	records := pstore.TenantBucket(tx, tenant, collAppraisals)
	return func(id, raw []byte) (bool, error) {
		if raw == nil && records != nil {
			raw = records.Get(id)
		}
		if raw == nil {
			return false, nil
		}
		a := &appraisalv1.Appraisal{}
		if err := pstore.UnmarshalProto(raw, a); err != nil {
			return false, err
		}
		if keep != nil {
			t, err := s.begin(tx, tenant, string(id), "")
			if err != nil {
				return false, err
			}
			if !keep(string(id), a, t) {
				return false, nil
			}
		}
		*list = append(*list, a)
		return true, nil
	}
}

// Settings returns the tenant's settings (defaults when never set).
func (s *Store) Settings(tenant string) (*appraisalv1.Settings, error) {
	st := &appraisalv1.Settings{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		_, err := pstore.GetProto(pstore.TenantBucket(tx, tenant, collSettings), []byte("settings"), st)
		return err
	})
	st.Name = "settings"
	if st.GetEtag() == "" {
		st.Etag = pstore.ETag(st)
	}
	return st, err
}

// UpdateSettings changes the tenant's settings with fn, under an etag
// check.
func (s *Store) UpdateSettings(tenant, etag string, fn func(*appraisalv1.Settings)) (*appraisalv1.Settings, error) {
	var out *appraisalv1.Settings
	err := s.db.Update(func(tx *bbolt.Tx) error {
		b, err := pstore.CreateTenantBucket(tx, tenant, collSettings)
		if err != nil {
			return err
		}
		st := &appraisalv1.Settings{}
		if _, err := pstore.GetProto(b, []byte("settings"), st); err != nil {
			return err
		}
		st.Name = "settings"
		if st.GetEtag() == "" {
			st.Etag = pstore.ETag(st)
		}
		if etag != "" && etag != st.GetEtag() {
			return errs.New(errs.Aborted, "ETAG_MISMATCH", "the settings changed since etag %q was read", etag)
		}
		fn(st)
		st.Etag = ""
		st.Etag = pstore.ETag(st)
		out = st
		return pstore.PutProto(b, []byte("settings"), st)
	})
	return out, err
}

// LookupRequest finds an earlier create by the transaction's actor (the
// caller's subject) in this tenant with the same request id (AIP-155): the
// name it created, or found false.
func (t *Tx) LookupRequest(method, requestID string, fingerprint []byte) (string, bool, error) {
	return pstore.LookupRequest(t.tx, t.tenant, t.actor, method, requestID, fingerprint)
}

// RecordRequest remembers what a create with a request id by the
// transaction's actor made.
func (t *Tx) RecordRequest(method, requestID, name string, fingerprint []byte) error {
	return pstore.RecordRequest(t.tx, t.tenant, t.actor, method, requestID, name, fingerprint)
}

// Other opens another appraisal of the same tenant in the same transaction,
// read-only in intent (to read what an appraisal builds on).
func (t *Tx) Other(id string) (*Tx, error) {
	o := &Tx{tx: t.tx, tenant: t.tenant, id: id, now: t.now}
	if root := pstore.TenantBucket(t.tx, t.tenant, collContent); root != nil {
		o.content = root.Bucket([]byte(id))
	}
	if o.content == nil {
		return nil, errs.NotFoundError("Appraisal", appraisal.Name(id))
	}
	return o, nil
}

// GetRaw and PutRaw read and write a value that is not a proto message
// (the rating engine's result, as JSON).
func (t *Tx) GetRaw(k Kind, key string) []byte {
	b := t.bucket(k)
	if b == nil {
		return nil
	}
	if v := b.Get([]byte(key)); v != nil {
		return append([]byte(nil), v...)
	}
	return nil
}

// PutRaw writes a raw value. Team members are not raw values: they go
// through Put, which keeps the team index.
func (t *Tx) PutRaw(k Kind, key string, v []byte) error {
	if k == KindMembers {
		return errs.New(errs.Internal, "INTERNAL", "store: team member %s written raw; use Put", key)
	}
	t.touch(k)
	if err := t.bucket(k).Put([]byte(key), v); err != nil {
		return errs.Wrap(err, "put %s %s", k, key)
	}
	return nil
}
