package server_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/auth"
)

func TestAuditTrail(t *testing.T) {
	h := newHarness(t)
	f := h.conducting(t, tenantA, "audited", nil, "i1", "i2")
	f.characterizeAll(t, vFM, nil)
	c := h.client

	// Page through it three at a time.
	var events []*appraisalv1.AuditEvent
	token := ""
	pages := 0
	for {
		resp, err := c.ListAppraisalEvents(f.amy, &appraisalv1.ListAppraisalEventsRequest{Parent: f.name, PageSize: 3, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetEvents()) > 3 {
			t.Fatalf("page of %d events, want at most 3", len(resp.GetEvents()))
		}
		pages++
		events = append(events, resp.GetEvents()...)
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
		if pages > 100 {
			t.Fatal("paging does not end")
		}
	}
	if want := len(f.events(t)); len(events) != want || pages != (want+2)/3 {
		t.Fatalf("%d events in %d pages, want %d in %d", len(events), pages, want, (want+2)/3)
	}
	var types []string
	for i, e := range events {
		seq := int64(i + 1)
		if e.GetSequence() != seq || e.GetName() != fmt.Sprintf("%s/events/%d", f.name, seq) || e.GetHash() == "" || e.GetEventTime() == nil {
			t.Fatalf("event %d = %v", i, e)
		}
		if i == 0 && e.GetPreviousHash() != "" || i > 0 && e.GetPreviousHash() != events[i-1].GetHash() {
			t.Fatalf("event %d does not link to the one before: %v", seq, e)
		}
		types = append(types, e.GetType())
	}
	if types[0] != "appraisal.created" || types[1] != "team_member.created" || events[0].GetActor() != "lead" ||
		events[0].GetResource() != f.name || events[0].GetBeforeDigest() != "" || events[0].GetAfterDigest() == "" {
		t.Fatalf("first events %v", events[:2])
	}
	for _, want := range []string{"team_member.updated", "appraisal.planned", "instance.created", "appraisal.started", "characterization.created"} {
		if !slices.Contains(types, want) {
			t.Errorf("no %q event in %q", want, types)
		}
	}
	last := events[len(events)-1]
	if last.GetType() != "characterization.created" || last.GetActor() != "amy" {
		t.Fatalf("last event %v", last)
	}
	// A page token belongs to its query.
	first, err := c.ListAppraisalEvents(f.lead, &appraisalv1.ListAppraisalEventsRequest{Parent: f.name, PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	g := h.draft(t, tenantA, "audited-too", nil)
	_, err = c.ListAppraisalEvents(f.lead, &appraisalv1.ListAppraisalEventsRequest{Parent: g.name, PageSize: 1, PageToken: first.GetNextPageToken()})
	wantViolations(t, err, "page_token")

	v := f.verify(t)
	if !v.GetVerified() || v.GetEventsChecked() != int64(len(events)) || v.GetFirstBrokenEvent() != "" || v.GetReason() != "" {
		t.Fatalf("VerifyAuditTrail = %v", v)
	}

	// Someone with write access to the file rewrites who made a change.
	const seq = 5
	if err := h.store.RewriteEvent(tenantA, f.id, seq, func(e *appraisalv1.AuditEvent) { e.Actor = "mallory" }); err != nil {
		t.Fatal(err)
	}
	v = f.verify(t)
	if v.GetVerified() || v.GetFirstBrokenEvent() != fmt.Sprintf("%s/events/%d", f.name, seq) || v.GetReason() == "" {
		t.Fatalf("after tampering with event %d: %v", seq, v)
	}
	if v.GetEventsChecked() > int64(len(events)) || v.GetEventsChecked() < seq {
		t.Fatalf("events_checked = %d", v.GetEventsChecked())
	}
	// The other appraisal's chain is unaffected.
	if v := g.verify(t); !v.GetVerified() {
		t.Fatalf("untouched appraisal: %v", v)
	}
}

func TestAuditTamperings(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name   string
		seq    int64
		tamper func(e *appraisalv1.AuditEvent)
	}{
		{"actor", 3, func(e *appraisalv1.AuditEvent) { e.Actor = "mallory" }},
		{"previous_hash", 4, func(e *appraisalv1.AuditEvent) { e.PreviousHash = e.GetHash() }},
		{"previous_hash of the first", 1, func(e *appraisalv1.AuditEvent) { e.PreviousHash = "00" }},
		{"type", 2, func(e *appraisalv1.AuditEvent) { e.Type = "nothing.happened" }},
		{"after_digest", 5, func(e *appraisalv1.AuditEvent) { e.AfterDigest = e.GetBeforeDigest() }},
		{"event_time", 4, func(e *appraisalv1.AuditEvent) { e.EventTime.Seconds -= 3600 }},
		{"sequence", 3, func(e *appraisalv1.AuditEvent) { e.Sequence = 30 }},
		{"last event", 0, func(e *appraisalv1.AuditEvent) { e.Resource = "appraisals/elsewhere" }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := h.draft(t, tenantA, fmt.Sprintf("tamper-%d", i), nil)
			f.certifyLead(t)
			f.plan(t)
			f.addInstances(t, "i1")
			n := int64(len(f.events(t)))
			if v := f.verify(t); !v.GetVerified() || v.GetEventsChecked() != n {
				t.Fatalf("before tampering: %v", v)
			}
			seq := tt.seq
			if seq == 0 {
				seq = n
			}
			if err := h.store.RewriteEvent(tenantA, f.id, seq, tt.tamper); err != nil {
				t.Fatal(err)
			}
			v := f.verify(t)
			if v.GetVerified() || v.GetFirstBrokenEvent() != fmt.Sprintf("%s/events/%d", f.name, seq) || v.GetReason() == "" {
				t.Fatalf("after tampering with event %d: %v", seq, v)
			}
		})
	}
	t.Run("missing event", func(t *testing.T) {
		f := h.draft(t, tenantA, "tamper-missing", nil)
		if err := h.store.RewriteEvent(tenantA, f.id, 99, func(*appraisalv1.AuditEvent) {}); err == nil {
			t.Fatal("rewrote an event that does not exist")
		}
		if v := f.verify(t); !v.GetVerified() {
			t.Fatalf("VerifyAuditTrail = %v", v)
		}
	})
}

// recvAll receives from a stream in the background until it ends.
func recvAll(stream appraisalv1.AppraisalService_WatchAppraisalClient) <-chan any {
	out := make(chan any, 1000)
	go func() {
		defer close(out)
		for {
			resp, err := stream.Recv()
			if err != nil {
				out <- err
				return
			}
			out <- resp.GetEvent()
		}
	}()
	return out
}

func nextEvent(t *testing.T, ch <-chan any, within time.Duration) *appraisalv1.AuditEvent {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatal("the stream ended")
		}
		e, isEvent := v.(*appraisalv1.AuditEvent)
		if !isEvent {
			t.Fatalf("the stream failed: %v", v)
		}
		return e
	case <-time.After(within):
		t.Fatalf("no event within %v", within)
	}
	return nil
}

func TestWatchAppraisal(t *testing.T) {
	h := newHarness(t)
	f := h.conducting(t, tenantA, "watched", nil, "i1")
	c := h.client
	existing := f.events(t)

	ctx, cancel := context.WithCancel(f.amy)
	defer cancel()
	stream, err := c.WatchAppraisal(ctx, &appraisalv1.WatchAppraisalRequest{Name: f.name})
	if err != nil {
		t.Fatal(err)
	}
	ch := recvAll(stream)
	for _, want := range existing {
		if got := nextEvent(t, ch, 5*time.Second); got.GetSequence() != want.GetSequence() || got.GetHash() != want.GetHash() {
			t.Fatalf("replayed %v, want %v", got, want)
		}
	}
	for i, p := range []string{"RSK-1.1", "RSK-2.1", "CM-1.1"} {
		start := time.Now()
		if _, err := c.UpdateCharacterization(f.amy, &appraisalv1.UpdateCharacterizationRequest{
			Characterization: &appraisalv1.Characterization{Name: f.charName("i1", p), Value: vFM}, AllowMissing: true,
		}); err != nil {
			t.Fatal(err)
		}
		e := nextEvent(t, ch, time.Second)
		if e.GetSequence() != int64(len(existing)+i+1) || e.GetType() != "characterization.created" || e.GetResource() != f.charName("i1", p) {
			t.Fatalf("watched %v", e)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("the event took %v", d)
		}
	}
	// Another appraisal's events do not reach this watch.
	h.draft(t, tenantA, "unwatched", nil)
	select {
	case v := <-ch:
		t.Fatalf("received %v from another appraisal", v)
	case <-time.After(100 * time.Millisecond):
	}

	cancel()
	for v := range ch { // the stream ends with CANCELED
		if err, ok := v.(error); ok {
			if status.Code(err) != codes.Canceled {
				t.Fatalf("stream ended with %v", err)
			}
		}
	}

	t.Run("after sequence", func(t *testing.T) {
		all := f.events(t)
		ctx, cancel := context.WithCancel(f.lead)
		defer cancel()
		stream, err := c.WatchAppraisal(ctx, &appraisalv1.WatchAppraisalRequest{Name: f.name, AfterSequence: int64(len(all) - 2)})
		if err != nil {
			t.Fatal(err)
		}
		ch := recvAll(stream)
		for _, want := range all[len(all)-2:] {
			if got := nextEvent(t, ch, 5*time.Second); got.GetSequence() != want.GetSequence() {
				t.Fatalf("got %v, want %v", got, want)
			}
		}
		cancel()
		for range ch {
		}
	})

	t.Run("not readable", func(t *testing.T) {
		for _, ctx := range []context.Context{
			as(t, h.env, "amy", tenantB, auth.RoleAppraiser),
			as(t, h.env, "walt", tenantA, auth.RoleViewer),
		} {
			stream, err := c.WatchAppraisal(ctx, &appraisalv1.WatchAppraisalRequest{Name: f.name})
			if err != nil {
				t.Fatal(err)
			}
			_, err = stream.Recv()
			wantStatus(t, err, codes.NotFound)
		}
	})
}
