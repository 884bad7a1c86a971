package server_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/server"
	aserver "github.com/aim-platform/aim/services/appraisal/internal/server"
)

// openWatch starts a watch of name and waits for its first event, so that
// the server holds it open when it returns. It returns the events channel
// and the function that closes the watch and waits for its end.
func openWatch(t *testing.T, c appraisalv1.AppraisalServiceClient, ctx context.Context, name string) (<-chan any, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	stream, err := c.WatchAppraisal(ctx, &appraisalv1.WatchAppraisalRequest{Name: name})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ch := recvAll(stream)
	nextEvent(t, ch, 5*time.Second)
	return ch, func() {
		cancel()
		for range ch {
		}
	}
}

// watchRefused opens a watch and wants it refused with RESOURCE_EXHAUSTED,
// reason TOO_MANY_STREAMS, and a message that says why.
func watchRefused(t *testing.T, c appraisalv1.AppraisalServiceClient, ctx context.Context, name, why string) {
	t.Helper()
	stream, err := c.WatchAppraisal(ctx, &appraisalv1.WatchAppraisalRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	_, err = stream.Recv()
	wantReason(t, err, codes.ResourceExhausted, "TOO_MANY_STREAMS")
	if msg := status.Convert(err).Message(); !strings.Contains(msg, why) {
		t.Fatalf("refusal %q does not say %q", msg, why)
	}
}

// TestRedteamM2_WatchStreamsAreBoundedPerTenant: a tenant cannot hold more
// watch streams open than its limit (nor a caller more than theirs, nor the
// process more than its total), while another tenant can still watch; a
// closed stream gives its slot back.
func TestRedteamM2_WatchStreamsAreBoundedPerTenant(t *testing.T) {
	h := newHarnessWith(t, server.Config{ShutdownTimeout: 2 * time.Second, StreamsPerSubject: 2, StreamsPerTenant: 3, StreamsTotal: 5})
	a := h.draft(t, tenantA, "watched-a", nil)
	b := h.draft(t, tenantB, "watched-b", nil)
	c := h.client

	_, closeFirst := openWatch(t, c, a.lead, a.name)
	openWatch(t, c, a.lead, a.name)
	// The caller's limit, then the tenant's.
	watchRefused(t, c, a.lead, a.name, `caller "lead" has 2 streams open`)
	openWatch(t, c, a.amy, a.name)
	watchRefused(t, c, a.amy, a.name, `tenant "acme" has 3 streams open`)
	watchRefused(t, c, as(t, h.env, "zed", tenantA, auth.RoleAdmin), a.name, `tenant "acme"`)

	// Another tenant still watches, up to the process's total.
	openWatch(t, c, b.lead, b.name)
	openWatch(t, c, b.amy, b.name)
	watchRefused(t, c, b.lead, b.name, "the server has 5 streams open")

	// A closed stream frees its slot (the server releases it when the
	// call ends, just after the client's cancel).
	closeFirst()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ctx, cancel := context.WithCancel(a.lead)
		stream, err := c.WatchAppraisal(ctx, &appraisalv1.WatchAppraisalRequest{Name: a.name})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		_, err = stream.Recv()
		cancel()
		if err == nil {
			break
		}
		if status.Code(err) != codes.ResourceExhausted || time.Now().After(deadline) {
			t.Fatalf("a watch after one closed: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRedteamM2_IdleWatchEndsAndResumes: a watch that gets no event for the
// idle timeout ends with OK, one that keeps getting events stays open, and
// a client resumes from the last sequence it received without missing an
// event.
func TestRedteamM2_IdleWatchEndsAndResumes(t *testing.T) {
	const idle = 500 * time.Millisecond
	h := newHarnessWith(t, server.Config{ShutdownTimeout: 2 * time.Second}, aserver.WatchIdleTimeout(idle))
	f := h.conducting(t, tenantA, "idle", nil, "i1")
	c := h.client
	existing := f.events(t)

	stream, err := c.WatchAppraisal(f.amy, &appraisalv1.WatchAppraisalRequest{Name: f.name})
	if err != nil {
		t.Fatal(err)
	}
	ch := recvAll(stream)
	var last int64
	for range existing {
		last = nextEvent(t, ch, 5*time.Second).GetSequence()
	}
	// Events every idle/5 keep it open for three idle periods.
	for i := range 15 {
		time.Sleep(idle / 5)
		value := vFM
		if i%2 == 1 {
			value = vLM
		}
		if _, err := c.UpdateCharacterization(f.amy, &appraisalv1.UpdateCharacterizationRequest{
			Characterization: &appraisalv1.Characterization{Name: f.charName("i1", "RSK-1.1"), Value: value}, AllowMissing: true,
		}); err != nil {
			t.Fatalf("characterize %d: %v", i, err)
		}
		e := nextEvent(t, ch, 5*time.Second)
		if e.GetSequence() != last+1 {
			t.Fatalf("event %d: sequence %d after %d", i, e.GetSequence(), last)
		}
		last = e.GetSequence()
	}
	// Then silence: the stream ends cleanly (io.EOF, status OK).
	start := time.Now()
	select {
	case v, ok := <-ch:
		if err, isErr := v.(error); !ok || !isErr || !errors.Is(err, io.EOF) {
			t.Fatalf("the idle watch ended with %v, want io.EOF (OK)", v)
		}
	case <-time.After(idle + 10*time.Second):
		t.Fatalf("the watch was still open %v after its last event", idle+10*time.Second)
	}
	if d := time.Since(start); d < idle/2 {
		t.Fatalf("the watch ended %v after its last event, before the idle timeout %v", d, idle)
	}

	// What commits while the client is away reaches it when it resumes
	// from the last sequence it received.
	if _, err := c.UpdateCharacterization(f.amy, &appraisalv1.UpdateCharacterizationRequest{
		Characterization: &appraisalv1.Characterization{Name: f.charName("i1", "CM-2.2"), Value: vFM}, AllowMissing: true,
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(f.amy)
	defer cancel()
	resumed, err := c.WatchAppraisal(ctx, &appraisalv1.WatchAppraisalRequest{Name: f.name, AfterSequence: last})
	if err != nil {
		t.Fatal(err)
	}
	rch := recvAll(resumed)
	if e := nextEvent(t, rch, 5*time.Second); e.GetSequence() != last+1 || e.GetResource() != f.charName("i1", "CM-2.2") {
		t.Fatalf("resumed with %v, want sequence %d", e, last+1)
	}
	cancel()
	for range rch {
	}
}
