package store

import (
	"bytes"
	"encoding/binary"

	"go.etcd.io/bbolt"

	"github.com/aim-platform/aim/platform/errs"
)

// requestsCollection is the per-tenant collection of AIP-155 request ids.
const requestsCollection = "_requests"

// subjectKeyMark follows the method in the key of a request record that
// belongs to one subject. Records written before request ids were per
// subject have a 0 byte there instead (method, 0, request id); they are never
// matched, so a retry that spans that upgrade is a new request.
const subjectKeyMark = 1

// requestRecordVersion leads every stored request record.
const requestRecordVersion = 1

// LookupRequest finds the outcome of an earlier Create with the same tenant,
// subject, method and request_id. found is false when there was none, or
// when requestID is empty (the client asked for no deduplication).
//
// Request ids belong to the caller (the token's subject) who sent them: the
// same request_id from another subject of the tenant is another request, so
// it neither returns nor reveals what the first caller made. A replay still
// returns a resource the caller may no longer be allowed to read (it may
// have been taken off a team since); the service checks that before it
// answers with the stored resource. fingerprint
// identifies the request's content without its request_id (for example a
// SHA-256 of its deterministic encoding); when the earlier request had a
// different fingerprint the error is errs.Invalid on field "request_id".
//
// A Create calls LookupRequest and, when nothing was found, creates the
// resource and calls RecordRequest, all in one Update transaction.
func LookupRequest(tx *bbolt.Tx, tenant, subject, method, requestID string, fingerprint []byte) (name string, found bool, err error) {
	if requestID == "" {
		return "", false, nil
	}
	key, err := requestKey(tenant, subject, method, requestID)
	if err != nil {
		return "", false, err
	}
	b := TenantBucket(tx, tenant, requestsCollection)
	if b == nil {
		return "", false, nil
	}
	raw := b.Get(key)
	if raw == nil {
		return "", false, nil
	}
	stored, fp, err := decodeRequestRecord(raw)
	if err != nil {
		return "", false, errs.Wrap(err, "store: request %q of tenant %q", requestID, tenant)
	}
	if !bytes.Equal(fp, fingerprint) {
		return "", false, errs.InvalidArgument(errs.Violation("request_id", "request_id was already used for a different request"))
	}
	return stored, true, nil
}

// RecordRequest remembers that the request with this tenant, subject,
// method and request_id created the resource called name. It does nothing when
// requestID is empty. tx must be writable. Records are kept until the tenant's
// data is removed.
func RecordRequest(tx *bbolt.Tx, tenant, subject, method, requestID, name string, fingerprint []byte) error {
	if requestID == "" {
		return nil
	}
	if name == "" {
		return faultf("store: record request %q: empty resource name", requestID)
	}
	key, err := requestKey(tenant, subject, method, requestID)
	if err != nil {
		return err
	}
	b, err := CreateTenantBucket(tx, tenant, requestsCollection)
	if err != nil {
		return err
	}
	if err := b.Put(key, encodeRequestRecord(name, fingerprint)); err != nil {
		return errs.Wrap(err, "store: record request %q of tenant %q", requestID, tenant)
	}
	return nil
}

// requestKey is method | subjectKeyMark | uvarint length of subject |
// subject | request id. The length prefix keeps subjects and request ids of
// any bytes apart; methods are constants of the services, without 0 or 1
// bytes.
func requestKey(tenant, subject, method, requestID string) ([]byte, error) {
	if tenant == "" || subject == "" || method == "" {
		return nil, faultf("store: request ids need a tenant, a subject and a method, got %q, %q and %q", tenant, subject, method)
	}
	key := make([]byte, 0, len(method)+1+binary.MaxVarintLen64+len(subject)+len(requestID))
	key = append(key, method...)
	key = append(key, subjectKeyMark)
	key = binary.AppendUvarint(key, uint64(len(subject)))
	key = append(key, subject...)
	key = append(key, requestID...)
	if len(key) > bbolt.MaxKeySize {
		return nil, errs.InvalidArgument(errs.Violation("request_id", "is too long"))
	}
	return key, nil
}

// A request record is: version byte | uvarint fingerprint length |
// fingerprint | resource name.
func encodeRequestRecord(name string, fingerprint []byte) []byte {
	out := make([]byte, 0, 1+binary.MaxVarintLen64+len(fingerprint)+len(name))
	out = append(out, requestRecordVersion)
	out = binary.AppendUvarint(out, uint64(len(fingerprint)))
	out = append(out, fingerprint...)
	return append(out, name...)
}

func decodeRequestRecord(raw []byte) (name string, fingerprint []byte, err error) {
	if len(raw) == 0 || raw[0] != requestRecordVersion {
		return "", nil, faultf("unknown request record format")
	}
	n, w := binary.Uvarint(raw[1:])
	if w <= 0 || n > uint64(len(raw)-1-w) {
		return "", nil, faultf("corrupt request record")
	}
	rest := raw[1+w:]
	return string(rest[n:]), bytes.Clone(rest[:n]), nil
}
