package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
)

// Digest returns the hex SHA-256 of a resource's deterministic encoding, or
// "" for nil (nothing before a create, nothing after a delete).
func Digest(m proto.Message) string {
	if m == nil || !m.ProtoReflect().IsValid() {
		return ""
	}
	raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// Hash computes an event's hash from its fields and previous_hash; the
// event's own hash field is not part of it.
func Hash(e *appraisalv1.AuditEvent) string {
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(e.GetSequence()))
	h.Write(n[:])
	ts := e.GetEventTime()
	binary.BigEndian.PutUint64(n[:], uint64(ts.GetSeconds()))
	h.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(ts.GetNanos()))
	h.Write(n[:])
	for _, f := range []string{e.GetActor(), e.GetType(), e.GetResource(), e.GetBeforeDigest(), e.GetAfterDigest(), e.GetPreviousHash()} {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Link fills in the sequence, previous hash and hash of e so that it
// follows prev (nil for the first event of a chain), and returns e.
func Link(prev, e *appraisalv1.AuditEvent) *appraisalv1.AuditEvent {
	e.Sequence = 1
	e.PreviousHash = ""
	if prev != nil {
		e.Sequence = prev.GetSequence() + 1
		e.PreviousHash = prev.GetHash()
	}
	e.Hash = Hash(e)
	return e
}

// Verifier checks a chain one event at a time, in order.
type Verifier struct {
	prev    *appraisalv1.AuditEvent
	checked int64
}

// Next checks the next event of the chain and returns a description of the
// first problem it finds, or "".
func (v *Verifier) Next(e *appraisalv1.AuditEvent) string {
	v.checked++
	wantSeq := int64(1)
	wantPrev := ""
	if v.prev != nil {
		wantSeq = v.prev.GetSequence() + 1
		wantPrev = v.prev.GetHash()
	}
	v.prev = e
	switch {
	case e.GetSequence() != wantSeq:
		return fmt.Sprintf("sequence %d where %d was expected", e.GetSequence(), wantSeq)
	case e.GetPreviousHash() != wantPrev:
		return "its previous_hash does not match the hash of the event before it"
	case e.GetHash() != Hash(e):
		return "its content does not match its hash"
	}
	return ""
}

// Checked returns how many events were checked.
func (v *Verifier) Checked() int64 { return v.checked }

// Event builds an unlinked event.
func Event(now time.Time, actor, typ, resource string, before, after proto.Message) *appraisalv1.AuditEvent {
	return &appraisalv1.AuditEvent{
		EventTime: timestamppb.New(now), Actor: actor, Type: typ, Resource: resource,
		BeforeDigest: Digest(before), AfterDigest: Digest(after),
	}
}
