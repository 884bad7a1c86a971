package store

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/appraisal/internal/audit"
)

func headOf(t *testing.T, st *Store, tenant, id string) (head *appraisalv1.AuditHead, last *appraisalv1.AuditEvent) {
	t.Helper()
	err := st.View(tenant, id, func(tx *Tx) error {
		var err error
		if head, err = tx.Head(); err != nil {
			return err
		}
		last, err = lastEvent(tx.bucket(KindEvents))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return head, last
}

// TestRedteamM5_MigrationAnchorsExistingTrails: a store written before
// heads were recorded (schema version 2) gets, from migration 3, a head at
// the current end of each trail with anchor_sequence saying where the
// proof starts; nothing about the events before it is made up. Later
// writes move the head and keep the anchor.
func TestRedteamM5_MigrationAnchorsExistingTrails(t *testing.T) {
	cfg := pstore.DefaultConfig(filepath.Join(t.TempDir(), "appraisal.db"))
	db, err := pstore.Open(cfg, pstore.Schema{Name: Schema.Name, Migrations: Schema.Migrations[:2]})
	if err != nil {
		t.Fatal(err)
	}
	old := &Store{db: db, now: time.Now}
	a := &appraisalv1.Appraisal{Name: "appraisals/a1", DisplayName: "a1"}
	lead := &appraisalv1.TeamMember{Name: a.GetName() + "/teamMembers/lead", Subject: "lead"}
	if _, _, _, err := old.Create("acme", "a1", "lead", "", nil, a, lead); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"i1", "i2"} {
		if _, err := old.Update("acme", "a1", "lead", func(tx *Tx) error {
			in := &appraisalv1.Instance{Name: a.GetName() + "/instances/" + id}
			if err := tx.Put(KindInstances, id, in); err != nil {
				return err
			}
			return tx.Emit("instance.created", in.GetName(), nil, in)
		}); err != nil {
			t.Fatal(err)
		}
	}
	// What version 2 wrote had no audit bucket: take away the one this
	// code made.
	err = db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(tenantsRoot)).Bucket([]byte("acme")).Bucket([]byte(collContent)).Bucket([]byte("a1")).DeleteBucket([]byte(KindAudit))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	st, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	}()
	head, last := headOf(t, st, "acme", "a1")
	if last.GetSequence() != 4 || head.GetSequence() != 4 || head.GetHash() != last.GetHash() || head.GetAnchorSequence() != 4 {
		t.Fatalf("after the migration: head %v, last event %v; want the head at event 4, anchored there", head, last)
	}
	if _, err := st.Update("acme", "a1", "lead", func(tx *Tx) error {
		return tx.Emit("instance.deleted", a.GetName()+"/instances/i2", &appraisalv1.Instance{}, nil)
	}); err != nil {
		t.Fatal(err)
	}
	head, last = headOf(t, st, "acme", "a1")
	if head.GetSequence() != 5 || head.GetHash() != last.GetHash() || head.GetAnchorSequence() != 4 {
		t.Fatalf("after a write: head %v, last event %v", head, last)
	}
	// A new appraisal's head is anchored from its first event.
	b := &appraisalv1.Appraisal{Name: "appraisals/b1"}
	if _, _, _, err := st.Create("acme", "b1", "lead", "", nil, b, nil); err != nil {
		t.Fatal(err)
	}
	if head, _ := headOf(t, st, "acme", "b1"); head.GetSequence() != 1 || head.GetAnchorSequence() != 0 {
		t.Fatalf("new appraisal's head %v", head)
	}
}

// Concurrent writes share group transactions and one checkpoint signature
// per appraisal and group; whatever the grouping, each appraisal's
// checkpoint ends up signing its head.
func TestRedteamM5_CheckpointOfGroupedWrites(t *testing.T) {
	st, err := Open(pstore.DefaultConfig(filepath.Join(t.TempDir(), "appraisal.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	keys, _, err := audit.EnsureKey(filepath.Join(t.TempDir(), "audit-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	st.SetAuditKeys(keys)
	ids := []string{"a1", "a2", "a3"}
	for _, id := range ids {
		if _, _, _, err := st.Create("acme", id, "lead", "", nil, &appraisalv1.Appraisal{Name: "appraisals/" + id}, nil); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for w := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := ids[w%len(ids)]
			for i := range 5 {
				_, err := st.Update("acme", id, "lead", func(tx *Tx) error {
					in := &appraisalv1.Instance{Name: fmt.Sprintf("appraisals/%s/instances/w%d-%d", id, w, i)}
					if err := tx.Put(KindInstances, fmt.Sprintf("w%d-%d", w, i), in); err != nil {
						return err
					}
					return tx.Emit("instance.created", in.GetName(), nil, in)
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, id := range ids {
		err := st.View("acme", id, func(tx *Tx) error {
			head, err := tx.Head()
			if err != nil {
				return err
			}
			c, err := tx.Checkpoint()
			if err != nil {
				return err
			}
			last, err := lastEvent(tx.bucket(KindEvents))
			if err != nil {
				return err
			}
			if last.GetSequence() != 1+8*5 || head.GetSequence() != last.GetSequence() || c.GetSequence() != head.GetSequence() ||
				c.GetHash() != head.GetHash() || keys.Check(c) != "" || c.GetAppraisal() != "appraisals/"+id {
				t.Errorf("%s: last event %d, head %v, checkpoint %v (%s)", id, last.GetSequence(), head, c, keys.Check(c))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
