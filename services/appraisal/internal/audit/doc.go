// Package audit is the appraisal audit trail's hash chain, free of storage:
// how an event's hash is computed, how an event is linked to the one before
// it, and how a chain is verified.
//
// An event's hash is the SHA-256 of its fields (sequence, time, actor,
// type, resource, before and after digests) and the previous event's hash,
// each field length-prefixed so no two different events encode alike. An
// event whose content or position changes no longer matches its hash, and
// every later event's link breaks with it.
package audit
