package server

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/auth"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/appraisal/internal/audit"
	"github.com/aim-platform/aim/services/appraisal/internal/store"
)

// VerifyAuditTrail checks, in one read transaction, that the trail proves
// the stored state: the hash chain holds, it ends at the head recorded with
// the appraisal and at the signed checkpoint, and every stored record is
// what the last event that changed it says it became.
func (s *Server) VerifyAuditTrail(ctx context.Context, req *appraisalv1.VerifyAuditTrailRequest) (*appraisalv1.VerifyAuditTrailResponse, error) {
	who, err := auth.Caller(ctx, auth.KnownRoles()...)
	if err != nil {
		return nil, err
	}
	var resp *appraisalv1.VerifyAuditTrailResponse
	err = s.store.View(who.Tenant, appraisalID(req.GetName()), func(t *store.Tx) error {
		if _, err := mustRead(t, who); err != nil {
			return err
		}
		var err error
		resp, err = verifyTrail(t, s.store.AuditKeys())
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// lastChange is the latest event that touched a resource.
type lastChange struct {
	seq   int64
	after string
}

// verifyTrail checks the trail of the appraisal t is on.
func verifyTrail(t *store.Tx, keys *audit.Keys) (*appraisalv1.VerifyAuditTrailResponse, error) {
	resp := &appraisalv1.VerifyAuditTrailResponse{Verified: true}
	fail := func(reason string) {
		if resp.GetVerified() {
			resp.Verified, resp.Reason = false, reason
		}
	}
	// The chain, and the last change of every resource it names.
	var v audit.Verifier
	var last *appraisalv1.AuditEvent
	latest := map[string]lastChange{}
	err := t.ForEach(store.KindEvents, func(_, raw []byte) error {
		if resp.GetFirstBrokenEvent() != "" {
			return nil
		}
		e := &appraisalv1.AuditEvent{}
		if err := pstore.UnmarshalProto(raw, e); err != nil {
			resp.FirstBrokenEvent = store.EventName(t.ID(), v.Checked()+1)
			fail("the stored event does not decode")
			return nil
		}
		if why := v.Next(e); why != "" {
			resp.FirstBrokenEvent = store.EventName(t.ID(), v.Checked())
			fail(why)
			return nil
		}
		last = e
		latest[e.GetResource()] = lastChange{seq: e.GetSequence(), after: e.GetAfterDigest()}
		return nil
	})
	if err != nil {
		return nil, err
	}
	resp.EventsChecked = v.Checked()
	chainOK := resp.GetFirstBrokenEvent() == ""

	// The end of the trail: the recorded head and the signed checkpoint. A
	// record that does not decode is a finding, not a failure of the call.
	mismatch := func(resource, why string) {
		fail(why)
		resp.Mismatches = append(resp.Mismatches, &appraisalv1.AuditMismatch{Resource: resource, Reason: why})
	}
	var headErr, checkpointErr error
	resp.Head, headErr = t.Head()
	resp.Checkpoint, checkpointErr = t.Checkpoint()
	if headErr != nil {
		mismatch(t.Name(), "the recorded head does not decode")
	}
	if checkpointErr != nil {
		mismatch(t.Name(), "the signed checkpoint does not decode")
	}
	if chainOK && headErr == nil {
		if why := checkHead(resp.GetHead(), last); why != "" {
			mismatch(t.Name(), why)
		}
	}
	state, why := checkCheckpoint(keys, resp.GetCheckpoint(), t.Name(), last, resp.GetHead())
	if checkpointErr != nil && keys != nil {
		state, why = appraisalv1.VerifyAuditTrailResponse_CHECKPOINT_STATE_INVALID, ""
	}
	resp.CheckpointState = state
	if why != "" {
		mismatch(t.Name(), why)
	}
	if anchor := resp.GetHead().GetAnchorSequence(); anchor > 0 {
		resp.Unproven = append(resp.Unproven, fmt.Sprintf(
			"events 1 to %d were written before the store recorded the trail's head: whether the trail then had more events cannot be proven", anchor))
	}
	if state == appraisalv1.VerifyAuditTrailResponse_CHECKPOINT_STATE_NO_KEY {
		resp.Unproven = append(resp.Unproven,
			"the service has no audit key: a cut of the trail's end together with a rewrite of its recorded head would not be seen")
	}

	// The records no event carries a digest of, against the digest kept
	// with the head.
	content, err := t.ContentDigest()
	if err != nil {
		return nil, err
	}
	if head := resp.GetHead(); head != nil {
		switch recorded := head.GetContentDigest(); {
		case recorded == content:
		case recorded == "" && head.GetAnchorSequence() > 0:
			resp.Unproven = append(resp.Unproven,
				"the scope copied at planning and the stored ratings predate the recorded head and have no recorded digest: they are not checked")
		default:
			mismatch(t.Name()+"/ratings", "the scope copied at planning or the stored ratings are not what the last write that changed them recorded (their digest differs)")
		}
	}

	// The state: each stored record against its last event. Events after a
	// break in the chain prove nothing, so the state is compared only on a
	// whole chain.
	if chainOK {
		mismatches, err := compareState(t, latest)
		if err != nil {
			return nil, err
		}
		if len(mismatches) > 0 {
			fail(mismatches[0].GetResource() + ": " + mismatches[0].GetReason())
		}
		resp.Mismatches = append(resp.Mismatches, mismatches...)
	}
	return resp, nil
}

// checkHead compares the recorded head with the trail's last event.
func checkHead(head *appraisalv1.AuditHead, last *appraisalv1.AuditEvent) string {
	switch {
	case head == nil:
		return "the appraisal has no recorded head: the end of its trail cannot be checked"
	case head.GetSequence() > last.GetSequence():
		return fmt.Sprintf("the trail ends at event %d but its recorded head is event %d: events %d to %d are missing",
			last.GetSequence(), head.GetSequence(), last.GetSequence()+1, head.GetSequence())
	case head.GetSequence() < last.GetSequence():
		return fmt.Sprintf("the trail has events %d to %d after its recorded head", head.GetSequence()+1, last.GetSequence())
	case head.GetHash() != last.GetHash():
		return fmt.Sprintf("the recorded head's hash is not the hash of event %d", last.GetSequence())
	}
	return ""
}

// checkCheckpoint checks the signed checkpoint against the trail's last
// event.
func checkCheckpoint(keys *audit.Keys, c *appraisalv1.AuditCheckpoint, name string, last *appraisalv1.AuditEvent, head *appraisalv1.AuditHead) (appraisalv1.VerifyAuditTrailResponse_CheckpointState, string) {
	if keys == nil {
		return appraisalv1.VerifyAuditTrailResponse_CHECKPOINT_STATE_NO_KEY, ""
	}
	invalid := appraisalv1.VerifyAuditTrailResponse_CHECKPOINT_STATE_INVALID
	switch {
	case c == nil:
		return appraisalv1.VerifyAuditTrailResponse_CHECKPOINT_STATE_MISSING,
			"the appraisal has no signed checkpoint: the end of its trail is not proven (one is signed at its next change)"
	case keys.Check(c) != "":
		return invalid, keys.Check(c)
	case c.GetAppraisal() != name:
		return invalid, fmt.Sprintf("the signed checkpoint is for %s", c.GetAppraisal())
	case c.GetSequence() > last.GetSequence():
		return invalid, fmt.Sprintf("the signed checkpoint is at event %d but the trail ends at event %d: events %d to %d are missing",
			c.GetSequence(), last.GetSequence(), last.GetSequence()+1, c.GetSequence())
	case c.GetSequence() < last.GetSequence():
		return invalid, fmt.Sprintf("events %d to %d come after the latest signed checkpoint (event %d): they were not written by a service holding the audit key",
			c.GetSequence()+1, last.GetSequence(), c.GetSequence())
	case c.GetHash() != last.GetHash():
		return invalid, fmt.Sprintf("the signed checkpoint's hash is not the hash of event %d", last.GetSequence())
	case c.GetContentDigest() != head.GetContentDigest():
		return invalid, "the signed checkpoint's content digest (scope and stored ratings) is not the one recorded with the head"
	}
	return appraisalv1.VerifyAuditTrailResponse_CHECKPOINT_STATE_SIGNED, ""
}

// auditedKind is a kind of stored record that every change of is an event,
// and how its store keys map to resource names.
type auditedKind struct {
	kind store.Kind
	newT func() namedMessage
	name func(appraisal, key string) string
}

type namedMessage interface {
	proto.Message
	GetName() string
}

// auditedKinds are the stored records the trail accounts for one by one.
// The scope copied from the model catalog at planning (KindScope,
// KindScopeAreas, KindScopeView) and the rating engine's raw result
// (finalResultKey), which no event carries a digest of, are covered by the
// content digest kept with the head (store.Tx.ContentDigest).
var auditedKinds = []auditedKind{
	{store.KindMembers, func() namedMessage { return &appraisalv1.TeamMember{} }, childName(members.coll)},
	{store.KindInstances, func() namedMessage { return &appraisalv1.Instance{} }, childName(instances.coll)},
	{store.KindEvidence, func() namedMessage { return &appraisalv1.Evidence{} }, childName(evidence.coll)},
	{store.KindFindings, func() namedMessage { return &appraisalv1.Finding{} }, childName(findings.coll)},
	{store.KindChars, func() namedMessage { return &appraisalv1.Characterization{} }, func(a, key string) string {
		inst, practice, _ := strings.Cut(key, "/")
		return a + "/instances/" + inst + "/characterizations/" + practice
	}},
	{store.KindDecisions, func() namedMessage { return &appraisalv1.TeamDecision{} }, func(a, key string) string {
		return a + "/teamDecisions/" + decisionID(key)
	}},
	{store.KindRatings, func() namedMessage { return &appraisalv1.Ratings{} }, func(a, key string) string {
		if key != finalRatingsKey {
			return "" // the raw result, not a resource
		}
		return a + "/ratings"
	}},
}

func childName(coll string) func(a, key string) string {
	return func(a, key string) string { return a + "/" + coll + "/" + key }
}

// compareState compares every audited record with the after digest of the
// last event that named it, and finds events whose record is gone.
func compareState(t *store.Tx, latest map[string]lastChange) ([]*appraisalv1.AuditMismatch, error) {
	var out []*appraisalv1.AuditMismatch
	seen := map[string]bool{}
	check := func(name string, m namedMessage, decodeErr error) {
		seen[name] = true
		reason := ""
		change, evented := latest[name]
		switch {
		case decodeErr != nil:
			reason = "the stored record does not decode"
		case m.GetName() != name:
			reason = fmt.Sprintf("the record stored as %s names itself %q", name, m.GetName())
		case !evented:
			reason = "the record has no event: it was written outside the trail"
		case change.after == "":
			reason = fmt.Sprintf("event %d deleted the record, but it is stored", change.seq)
		case change.after != audit.Digest(m):
			reason = fmt.Sprintf("the stored record is not what event %d, the last that changed it, made it (its digest differs)", change.seq)
		}
		if reason != "" {
			out = append(out, &appraisalv1.AuditMismatch{Resource: name, Reason: reason})
		}
	}
	a, err := t.Appraisal()
	if err != nil {
		return nil, err
	}
	check(t.Name(), a, nil)
	for _, k := range auditedKinds {
		err := t.ForEach(k.kind, func(key, raw []byte) error {
			name := k.name(t.Name(), string(key))
			if name == "" {
				return nil
			}
			m := k.newT()
			check(name, m, pstore.UnmarshalProto(raw, m))
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	var gone []string
	for name, change := range latest {
		if !seen[name] && change.after != "" {
			gone = append(gone, name)
		}
	}
	sort.Slice(gone, func(i, j int) bool { return latest[gone[i]].seq < latest[gone[j]].seq })
	for _, name := range gone {
		out = append(out, &appraisalv1.AuditMismatch{
			Resource: name, Reason: fmt.Sprintf("event %d says the record exists, but it is not stored", latest[name].seq),
		})
	}
	return out, nil
}
