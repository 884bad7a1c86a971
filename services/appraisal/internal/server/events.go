package server

import (
	"context"
	"sync"
	"time"

	"google.golang.org/grpc"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/auth"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/appraisal/internal/store"
)

// hub wakes the watchers of an appraisal when its events commit. It only
// signals: a watcher reads what it has not sent yet from the store, so a
// slow watcher never loses an event.
type hub struct {
	mu       sync.Mutex
	closed   bool
	watchers map[string]map[chan struct{}]struct{}
	done     chan struct{}
}

func newHub() *hub {
	return &hub{watchers: map[string]map[chan struct{}]struct{}{}, done: make(chan struct{})}
}

func hubKey(tenant, id string) string { return tenant + "/" + id }

// subscribe returns a channel that receives a signal after each commit of
// the appraisal's events, and a function to unsubscribe.
func (h *hub) subscribe(tenant, id string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	k := hubKey(tenant, id)
	if h.watchers[k] == nil {
		h.watchers[k] = map[chan struct{}]struct{}{}
	}
	h.watchers[k][ch] = struct{}{}
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.watchers[k], ch)
		if len(h.watchers[k]) == 0 {
			delete(h.watchers, k)
		}
	}
}

func (h *hub) publish(tenant, id string, events []*appraisalv1.AuditEvent) {
	if len(events) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.watchers[hubKey(tenant, id)] {
		select {
		case ch <- struct{}{}:
		default: // a signal is already pending
		}
	}
}

// close ends every watch.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.done)
	}
}

// eventsAfter reads up to limit events after a sequence number.
func eventsAfter(t *store.Tx, after int64, limit int) ([]*appraisalv1.AuditEvent, bool, error) {
	var out []*appraisalv1.AuditEvent
	var afterKey []byte
	if after > 0 {
		afterKey = store.SequenceKey(after)
	}
	_, more, err := t.Scan(store.KindEvents, nil, afterKey, limit, func(_, v []byte) (bool, error) {
		e := &appraisalv1.AuditEvent{}
		if err := pstore.UnmarshalProto(v, e); err != nil {
			return false, err
		}
		out = append(out, e)
		return true, nil
	})
	return out, more, err
}

// ListAppraisalEvents pages through the audit trail, oldest first.
func (s *Server) ListAppraisalEvents(ctx context.Context, req *appraisalv1.ListAppraisalEventsRequest) (*appraisalv1.ListAppraisalEventsResponse, error) {
	events, next, err := listPage(ctx, s, "ListAppraisalEvents", req.GetParent(), store.KindEvents, nil, req.GetPageSize(), req.GetPageToken(),
		func() *appraisalv1.AuditEvent { return &appraisalv1.AuditEvent{} }, nil)
	if err != nil {
		return nil, err
	}
	return &appraisalv1.ListAppraisalEventsResponse{Events: events, NextPageToken: next}, nil
}

// WatchAppraisal streams events after a sequence number, then each new
// event as it commits, until the client goes away, the server stops, or no
// event came for the idle timeout. The last two end the stream with OK: a
// client resumes by watching again with after_sequence set to the last
// sequence it received, and misses nothing.
func (s *Server) WatchAppraisal(req *appraisalv1.WatchAppraisalRequest, stream grpc.ServerStreamingServer[appraisalv1.WatchAppraisalResponse]) error {
	ctx := stream.Context()
	who, err := auth.Caller(ctx, auth.KnownRoles()...)
	if err != nil {
		return err
	}
	id := appraisalID(req.GetName())
	signal, unsubscribe := s.hub.subscribe(who.Tenant, id)
	defer unsubscribe()
	idle := time.NewTimer(s.watchIdle)
	defer idle.Stop()
	after := req.GetAfterSequence()
	for {
		sent := false
		for {
			var batch []*appraisalv1.AuditEvent
			var more bool
			err := s.store.View(who.Tenant, id, func(t *store.Tx) error {
				if _, err := mustRead(t, who); err != nil {
					return err
				}
				var err error
				batch, more, err = eventsAfter(t, after, 100)
				return err
			})
			if err != nil {
				return err
			}
			for _, e := range batch {
				if err := stream.Send(&appraisalv1.WatchAppraisalResponse{Event: e}); err != nil {
					return err
				}
				after, sent = e.GetSequence(), true
			}
			if !more {
				break
			}
		}
		if sent {
			idle.Reset(s.watchIdle)
		}
		select {
		case <-signal:
		case <-ctx.Done():
			return nil
		case <-s.hub.done:
			return nil
		case <-idle.C:
			return nil
		}
	}
}
