package store_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/errs"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/appraisal/internal/audit"
	"github.com/aim-platform/aim/services/appraisal/internal/store"
)

const (
	tenantA = "acme"
	tenantB = "globex"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(pstore.DefaultConfig(filepath.Join(t.TempDir(), "appraisal.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return st
}

func newAppraisal(id string) (*appraisalv1.Appraisal, *appraisalv1.TeamMember) {
	now := timestamppb.Now()
	a := &appraisalv1.Appraisal{
		Name: "appraisals/" + id, DisplayName: "A " + id, Type: appraisalv1.AppraisalType_APPRAISAL_TYPE_BENCHMARK,
		OrganizationalUnit: "Unit", State: appraisalv1.Appraisal_STATE_DRAFT, CreateTime: now, UpdateTime: now,
	}
	a.Etag = pstore.ETag(a)
	m := &appraisalv1.TeamMember{Name: a.GetName() + "/teamMembers/lead", Subject: "lead", DisplayName: "Lead", Role: appraisalv1.TeamMember_ROLE_LEAD_APPRAISER}
	return a, m
}

func create(t *testing.T, st *store.Store, tenant, id string) *appraisalv1.Appraisal {
	t.Helper()
	a, m := newAppraisal(id)
	stored, replayed, events, err := st.Create(tenant, id, "lead", "", nil, a, m)
	if err != nil {
		t.Fatalf("Create %s/%s: %v", tenant, id, err)
	}
	if replayed || len(events) != 2 || !proto.Equal(stored, a) {
		t.Fatalf("Create = %v, replayed %v, %d events", stored, replayed, len(events))
	}
	return stored
}

func wantKind(t *testing.T, err error, kind errs.Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %v", kind)
	}
	if got := errs.KindOf(err); got != kind {
		t.Fatalf("err = %v (%v), want %v", err, got, kind)
	}
}

// chain reads an appraisal's events and checks they link.
func chain(t *testing.T, st *store.Store, tenant, id string) []*appraisalv1.AuditEvent {
	t.Helper()
	var events []*appraisalv1.AuditEvent
	err := st.View(tenant, id, func(tx *store.Tx) error {
		return tx.ForEach(store.KindEvents, func(_, v []byte) error {
			e := &appraisalv1.AuditEvent{}
			if err := pstore.UnmarshalProto(v, e); err != nil {
				return err
			}
			events = append(events, e)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// verify returns the sequence of the first event that does not hold, or 0.
func verify(events []*appraisalv1.AuditEvent) int64 {
	var v audit.Verifier
	for _, e := range events {
		if why := v.Next(e); why != "" {
			return v.Checked()
		}
	}
	return 0
}

func TestCreateAndView(t *testing.T) {
	st := openStore(t)
	a := create(t, st, tenantA, "a1")
	err := st.View(tenantA, "a1", func(tx *store.Tx) error {
		if tx.Name() != "appraisals/a1" {
			t.Errorf("Name = %q", tx.Name())
		}
		got, err := tx.Appraisal()
		if err != nil {
			return err
		}
		if !proto.Equal(got, a) {
			t.Errorf("Appraisal = %v, want %v", got, a)
		}
		m := &appraisalv1.TeamMember{}
		if ok, err := tx.Get(store.KindMembers, "lead", m); err != nil || !ok || m.GetSubject() != "lead" {
			t.Errorf("creator: %v %v %v", m, ok, err)
		}
		if n := tx.Count(store.KindMembers); n != 1 {
			t.Errorf("%d members", n)
		}
		if !tx.Has(store.KindMembers, "lead") || tx.Has(store.KindMembers, "amy") || tx.Has(store.KindInstances, "lead") {
			t.Error("Has is wrong")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	events := chain(t, st, tenantA, "a1")
	if len(events) != 2 || events[0].GetType() != "appraisal.created" || events[1].GetType() != "team_member.created" ||
		events[0].GetActor() != "lead" || events[0].GetName() != "appraisals/a1/events/1" || events[1].GetName() != "appraisals/a1/events/2" ||
		events[0].GetAfterDigest() != audit.Digest(a) || events[0].GetBeforeDigest() != "" {
		t.Fatalf("events = %v", events)
	}
	if bad := verify(events); bad != 0 {
		t.Fatalf("chain broken at %d", bad)
	}

	// Missing appraisals, and other tenants', are NOT_FOUND.
	for _, c := range []struct{ tenant, id string }{{tenantA, "nope"}, {tenantB, "a1"}} {
		err := st.View(c.tenant, c.id, func(*store.Tx) error { t.Fatal("fn ran"); return nil })
		wantKind(t, err, errs.NotFound)
		_, err = st.Update(c.tenant, c.id, "x", func(*store.Tx) error { t.Fatal("fn ran"); return nil })
		wantKind(t, err, errs.NotFound)
	}
}

func TestCreateDuplicateAndReplay(t *testing.T) {
	st := openStore(t)
	create(t, st, tenantA, "a1")
	a, m := newAppraisal("a1")
	_, _, _, err := st.Create(tenantA, "a1", "lead", "", nil, a, m)
	wantKind(t, err, errs.AlreadyExists)
	// Same id, other tenant: fine.
	create(t, st, tenantB, "a1")

	fp := []byte("fingerprint-1")
	b, bm := newAppraisal("b1")
	first, replayed, events, err := st.Create(tenantA, "b1", "lead", "req-1", fp, b, bm)
	if err != nil || replayed || len(events) != 2 {
		t.Fatalf("first create: %v %v %d", err, replayed, len(events))
	}
	// A retry (which would pick another id) returns the first appraisal.
	c, cm := newAppraisal("c1")
	again, replayed, events, err := st.Create(tenantA, "c1", "lead", "req-1", fp, c, cm)
	if err != nil || !replayed || len(events) != 0 || !proto.Equal(again, first) {
		t.Fatalf("retry: %v, replayed %v, %d events, %v", again, replayed, len(events), err)
	}
	err = st.View(tenantA, "c1", func(*store.Tx) error { return nil })
	wantKind(t, err, errs.NotFound)
	// The request id with another fingerprint is refused.
	_, _, _, err = st.Create(tenantA, "c1", "lead", "req-1", []byte("other"), c, cm)
	wantKind(t, err, errs.Invalid)
	// Request ids are per tenant.
	if _, replayed, _, err := st.Create(tenantB, "c1", "lead", "req-1", []byte("other"), c, cm); err != nil || replayed {
		t.Fatalf("tenant B: %v %v", replayed, err)
	}
}

func TestUpdateIsAtomic(t *testing.T) {
	st := openStore(t)
	create(t, st, tenantA, "a1")
	boom := errors.New("boom")
	events, err := st.Update(tenantA, "a1", "amy", func(tx *store.Tx) error {
		inst := &appraisalv1.Instance{Name: "appraisals/a1/instances/i1", DisplayName: "I1"}
		if err := tx.Put(store.KindInstances, "i1", inst); err != nil {
			return err
		}
		if err := tx.Emit("instance.created", inst.GetName(), nil, inst); err != nil {
			return err
		}
		a, err := tx.Appraisal()
		if err != nil {
			return err
		}
		a.DisplayName = "changed"
		if err := tx.PutAppraisal(a); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || events != nil {
		t.Fatalf("Update = %v, %v; want boom and no events", events, err)
	}
	err = st.View(tenantA, "a1", func(tx *store.Tx) error {
		a, err := tx.Appraisal()
		if err != nil {
			return err
		}
		if a.GetDisplayName() == "changed" || tx.Has(store.KindInstances, "i1") || tx.Count(store.KindEvents) != 2 {
			t.Errorf("the failed update left traces: %v, %d events", a, tx.Count(store.KindEvents))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// A successful update returns its events, linked to the chain.
	events, err = st.Update(tenantA, "a1", "amy", func(tx *store.Tx) error {
		now := tx.Now()
		for _, id := range []string{"i1", "i2", "i3"} {
			inst := &appraisalv1.Instance{Name: "appraisals/a1/instances/" + id, DisplayName: id}
			if err := tx.Put(store.KindInstances, id, inst); err != nil {
				return err
			}
			if err := tx.Emit("instance.created", inst.GetName(), nil, inst); err != nil {
				return err
			}
			if !tx.Now().Equal(now) {
				t.Error("the transaction's clock moved")
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 || events[0].GetSequence() != 3 || events[2].GetSequence() != 5 || events[1].GetActor() != "amy" {
		t.Fatalf("events = %v", events)
	}
	all := chain(t, st, tenantA, "a1")
	if len(all) != 5 || verify(all) != 0 || !proto.Equal(all[4], events[2]) {
		t.Fatalf("chain = %v", all)
	}
	// Delete and Scan.
	if _, err := st.Update(tenantA, "a1", "amy", func(tx *store.Tx) error {
		if err := tx.Delete(store.KindInstances, "i2"); err != nil {
			return err
		}
		return tx.Emit("instance.deleted", "appraisals/a1/instances/i2", &appraisalv1.Instance{DisplayName: "i2"}, nil)
	}); err != nil {
		t.Fatal(err)
	}
	err = st.View(tenantA, "a1", func(tx *store.Tx) error {
		var keys []string
		last, more, err := tx.Scan(store.KindInstances, nil, nil, 1, func(k, _ []byte) (bool, error) {
			keys = append(keys, string(k))
			return true, nil
		})
		if err != nil {
			return err
		}
		if !slices.Equal(keys, []string{"i1"}) || string(last) != "i1" || !more {
			t.Errorf("page 1: %q %q %v", keys, last, more)
		}
		keys = nil
		_, more, err = tx.Scan(store.KindInstances, nil, last, 10, func(k, _ []byte) (bool, error) {
			keys = append(keys, string(k))
			return true, nil
		})
		if !slices.Equal(keys, []string{"i3"}) || more {
			t.Errorf("page 2: %q %v", keys, more)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentUpdatesKeepTheChain(t *testing.T) {
	st := openStore(t)
	create(t, st, tenantA, "a1")
	create(t, st, tenantA, "a2")
	const n = 40
	var wg sync.WaitGroup
	errc := make(chan error, 2*n)
	for i := range n {
		for _, id := range []string{"a1", "a2"} {
			wg.Go(func() {
				key := fmt.Sprintf("i%02d/RSK-1.1", i)
				_, err := st.Update(tenantA, id, fmt.Sprint("w", i%4), func(tx *store.Tx) error {
					c := &appraisalv1.Characterization{Name: "appraisals/" + id + "/instances/" + key, Value: appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_FULLY_MEETS}
					if err := tx.Put(store.KindChars, key, c); err != nil {
						return err
					}
					return tx.Emit("characterization.created", c.GetName(), nil, c)
				})
				if err != nil {
					errc <- err
				}
			})
		}
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	for _, id := range []string{"a1", "a2"} {
		events := chain(t, st, tenantA, id)
		if len(events) != n+2 || verify(events) != 0 {
			t.Fatalf("%s: %d events, broken at %d", id, len(events), verify(events))
		}
		err := st.View(tenantA, id, func(tx *store.Tx) error {
			if c := tx.Count(store.KindChars); c != n {
				t.Errorf("%s: %d characterizations", id, c)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestRewriteEvent(t *testing.T) {
	st := openStore(t)
	create(t, st, tenantA, "a1")
	if _, err := st.Update(tenantA, "a1", "amy", func(tx *store.Tx) error {
		for i := range 3 {
			if err := tx.Emit("finding.created", fmt.Sprintf("appraisals/a1/findings/f%d", i), nil, &appraisalv1.Finding{Text: fmt.Sprint(i)}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if bad := verify(chain(t, st, tenantA, "a1")); bad != 0 {
		t.Fatalf("broken at %d before tampering", bad)
	}
	if err := st.RewriteEvent(tenantA, "a1", 4, func(e *appraisalv1.AuditEvent) { e.Actor = "mallory" }); err != nil {
		t.Fatal(err)
	}
	events := chain(t, st, tenantA, "a1")
	if events[3].GetActor() != "mallory" || verify(events) != 4 {
		t.Fatalf("after tampering: %v, broken at %d", events[3], verify(events))
	}
	wantKind(t, st.RewriteEvent(tenantA, "a1", 99, func(*appraisalv1.AuditEvent) {}), errs.NotFound)
	wantKind(t, st.RewriteEvent(tenantB, "a1", 1, func(*appraisalv1.AuditEvent) {}), errs.NotFound)
	// A new event links to the stored (tampered) one: the break stays visible
	// where it happened.
	if _, err := st.Update(tenantA, "a1", "amy", func(tx *store.Tx) error {
		return tx.Emit("finding.created", "appraisals/a1/findings/f9", nil, &appraisalv1.Finding{Text: "9"})
	}); err != nil {
		t.Fatal(err)
	}
	if bad := verify(chain(t, st, tenantA, "a1")); bad != 4 {
		t.Fatalf("broken at %d, want 4", bad)
	}
}

func TestSettings(t *testing.T) {
	st := openStore(t)
	def, err := st.Settings(tenantA)
	if err != nil {
		t.Fatal(err)
	}
	if def.GetName() != "settings" || def.GetAllowUncertifiedAiLead() || def.GetEtag() == "" {
		t.Fatalf("defaults = %v", def)
	}
	got, err := st.UpdateSettings(tenantA, def.GetEtag(), func(s *appraisalv1.Settings) { s.AllowUncertifiedAiLead = true })
	if err != nil {
		t.Fatal(err)
	}
	if !got.GetAllowUncertifiedAiLead() || got.GetEtag() == def.GetEtag() || got.GetName() != "settings" {
		t.Fatalf("updated = %v", got)
	}
	_, err = st.UpdateSettings(tenantA, def.GetEtag(), func(s *appraisalv1.Settings) { s.AllowUncertifiedAiLead = false })
	wantKind(t, err, errs.Aborted)
	now, err := st.Settings(tenantA)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(now, got) {
		t.Fatalf("settings = %v, want %v", now, got)
	}
	other, err := st.Settings(tenantB)
	if err != nil {
		t.Fatal(err)
	}
	if other.GetAllowUncertifiedAiLead() || other.GetEtag() != def.GetEtag() {
		t.Fatalf("tenant B = %v", other)
	}
}

func TestListAppraisals(t *testing.T) {
	st := openStore(t)
	var want []string
	for i := range 7 {
		id := fmt.Sprintf("a%d", (i*3)%7)
		create(t, st, tenantA, id)
		want = append(want, "appraisals/"+id)
	}
	create(t, st, tenantB, "b0")
	slices.Sort(want)

	var got []string
	var after []byte
	for range 10 {
		list, last, more, err := st.ListAppraisals(tenantA, after, 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range list {
			got = append(got, a.GetName())
		}
		if !more {
			break
		}
		after = last
	}
	if !slices.Equal(got, want) {
		t.Fatalf("listed %q, want %q", got, want)
	}

	even := func(id string, a *appraisalv1.Appraisal, tx *store.Tx) bool {
		if tx.Name() != a.GetName() || a.GetName() != "appraisals/"+id {
			t.Errorf("keep(%q) with %v in %s", id, a.GetName(), tx.Name())
		}
		return (id[1]-'0')%2 == 0
	}
	list, _, more, err := st.ListAppraisals(tenantA, nil, 10, even)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range list {
		names = append(names, a.GetName())
	}
	if !slices.Equal(names, []string{"appraisals/a0", "appraisals/a2", "appraisals/a4", "appraisals/a6"}) || more {
		t.Fatalf("filtered list %q, more %v", names, more)
	}
	list, _, _, err = st.ListAppraisals("nobody", nil, 10, nil)
	if err != nil || len(list) != 0 {
		t.Fatalf("empty tenant: %v %v", list, err)
	}
}

func TestOtherAndRaw(t *testing.T) {
	st := openStore(t)
	create(t, st, tenantA, "prev")
	create(t, st, tenantA, "next")
	create(t, st, tenantB, "secret")
	if _, err := st.Update(tenantA, "prev", "lead", func(tx *store.Tx) error {
		if raw := tx.GetRaw(store.KindRatings, "result.json"); raw != nil {
			t.Errorf("GetRaw before PutRaw = %q", raw)
		}
		return tx.PutRaw(store.KindRatings, "result.json", []byte(`{"ok":true}`))
	}); err != nil {
		t.Fatal(err)
	}
	var raw []byte
	err := st.View(tenantA, "next", func(tx *store.Tx) error {
		o, err := tx.Other("prev")
		if err != nil {
			return err
		}
		if o.Name() != "appraisals/prev" {
			t.Errorf("Other name %q", o.Name())
		}
		a, err := o.Appraisal()
		if err != nil || a.GetName() != "appraisals/prev" {
			t.Errorf("Other appraisal %v %v", a, err)
		}
		raw = o.GetRaw(store.KindRatings, "result.json")
		_, err = tx.Other("secret") // tenant B's
		wantKind(t, err, errs.NotFound)
		_, err = tx.Other("missing")
		wantKind(t, err, errs.NotFound)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The raw value is a copy, valid after the transaction.
	if string(raw) != `{"ok":true}` {
		t.Fatalf("raw = %q", raw)
	}
}

func TestSequenceKeysSort(t *testing.T) {
	prev := store.SequenceKey(1)
	for _, seq := range []int64{2, 255, 256, 65536, 1 << 40} {
		k := store.SequenceKey(seq)
		if string(k) <= string(prev) {
			t.Fatalf("key of %d does not sort after the one before", seq)
		}
		prev = k
	}
	if got := store.EventName("a1", 12); got != "appraisals/a1/events/12" {
		t.Fatalf("EventName = %q", got)
	}
}
