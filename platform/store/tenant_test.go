package store_test

import (
	"crypto/sha256"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/platform/store/storetest"
)

func TestTenantBucketsIsolate(t *testing.T) {
	db := storetest.Open(t, testSchema)
	key := []byte("models/m1")
	err := db.Update(func(tx *bbolt.Tx) error {
		for _, tenant := range []string{"a", "b", store.SharedTenant} {
			b, err := store.CreateTenantBucket(tx, tenant, "models")
			if err != nil {
				return err
			}
			if err := b.Put(key, []byte("of "+tenant)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *bbolt.Tx) error {
		for _, tenant := range []string{"a", "b", store.SharedTenant} {
			if got := string(store.TenantBucket(tx, tenant, "models").Get(key)); got != "of "+tenant {
				t.Errorf("tenant %s reads %q", tenant, got)
			}
		}
		for _, c := range []struct{ tenant, collection string }{
			{"c", "models"}, {"a", "other"}, {"", "models"}, {"a", ""},
		} {
			if store.TenantBucket(tx, c.tenant, c.collection) != nil {
				t.Errorf("TenantBucket(%q, %q) is not nil", c.tenant, c.collection)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, c := range []struct{ tenant, collection string }{{"", "models"}, {"a", ""}} {
			if _, err := store.CreateTenantBucket(tx, c.tenant, c.collection); err == nil {
				t.Errorf("CreateTenantBucket(%q, %q) succeeded", c.tenant, c.collection)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTenantBucketOnFreshFile(t *testing.T) {
	db := storetest.Open(t, store.Schema{Name: "empty"})
	if err := db.View(func(tx *bbolt.Tx) error {
		if store.TenantBucket(tx, "a", "items") != nil {
			t.Error("bucket exists in an empty store")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestProtoRoundTrip(t *testing.T) {
	db := storetest.Open(t, testSchema)
	ts := timestamppb.New(time.Date(2025, 3, 1, 12, 30, 0, 42, time.UTC))
	s := wrapperspb.String("héllo")
	err := db.Update(func(tx *bbolt.Tx) error {
		b := store.TenantBucket(tx, "a", "items")
		if err := store.PutProto(b, []byte("ts"), ts); err != nil {
			return err
		}
		if err := store.PutProto(nil, []byte("x"), ts); err == nil {
			t.Error("PutProto into a nil bucket succeeded")
		}
		if err := b.Put([]byte("bad"), []byte{0xff, 0xff, 0xff}); err != nil {
			return err
		}
		return store.PutProto(b, []byte("s"), s)
	})
	if err != nil {
		t.Fatal(err)
	}
	var gotTS timestamppb.Timestamp
	var gotS wrapperspb.StringValue
	err = db.View(func(tx *bbolt.Tx) error {
		b := store.TenantBucket(tx, "a", "items")
		for _, c := range []struct {
			bucket *bbolt.Bucket
			key    string
			m      proto.Message
			want   bool
		}{
			{b, "ts", &gotTS, true},
			{b, "s", &gotS, true},
			{b, "missing", &wrapperspb.StringValue{}, false},
			{nil, "ts", &timestamppb.Timestamp{}, false},
		} {
			found, err := store.GetProto(c.bucket, []byte(c.key), c.m)
			if err != nil || found != c.want {
				t.Errorf("GetProto(%s) = %v, %v; want %v", c.key, found, err, c.want)
			}
		}
		if _, err := store.GetProto(b, []byte("bad"), &timestamppb.Timestamp{}); err == nil {
			t.Error("GetProto of bytes that are no protobuf succeeded")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The messages must stay valid after the transaction ended.
	if !proto.Equal(&gotTS, ts) || !proto.Equal(&gotS, s) {
		t.Fatalf("round trip: got %v and %v", &gotTS, &gotS)
	}
}

func TestRequestIDs(t *testing.T) {
	db := storetest.Open(t, testSchema)
	fp := func(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }
	const method = "/aim.model.v1.ModelService/CreateModel"

	err := db.Update(func(tx *bbolt.Tx) error {
		if err := store.RecordRequest(tx, "a", "alice", method, "r1", "models/m1", fp("req1")); err != nil {
			return err
		}
		// Subjects are length-prefixed in the key: "al" with request id
		// "icer1" is not "alice" with "r1".
		if err := store.RecordRequest(tx, "a", "al", method, "icer1", "models/m3", fp("req3")); err != nil {
			return err
		}
		// An empty request id asks for no deduplication.
		return store.RecordRequest(tx, "a", "alice", method, "", "models/m2", fp("req2"))
	})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, tenant, subject, method, requestID, fingerprint string
		wantName                                              string
		wantFound                                             bool
		wantField                                             string
	}{
		{"retry", "a", "alice", method, "r1", "req1", "models/m1", true, ""},
		{"other content", "a", "alice", method, "r1", "reqX", "", false, "request_id"},
		{"other request id", "a", "alice", method, "r2", "req1", "", false, ""},
		{"other tenant", "b", "alice", method, "r1", "req1", "", false, ""},
		// Another subject's request id is another request: neither its
		// resource nor a reuse error.
		{"other subject", "a", "bob", method, "r1", "req1", "", false, ""},
		{"other subject, other content", "a", "bob", method, "r1", "reqX", "", false, ""},
		{"subject and request id run together", "a", "al", method, "icer1", "req3", "models/m3", true, ""},
		{"other method", "a", "alice", "/aim.model.v1.ModelService/CreateOther", "r1", "req1", "", false, ""},
		{"empty request id", "a", "alice", method, "", "req2", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.View(func(tx *bbolt.Tx) error {
				name, found, err := store.LookupRequest(tx, tt.tenant, tt.subject, tt.method, tt.requestID, fp(tt.fingerprint))
				if tt.wantField != "" {
					if violationField(err) != tt.wantField {
						t.Errorf("LookupRequest: %v, want a violation on %s", err, tt.wantField)
					}
					return nil
				}
				if err != nil || name != tt.wantName || found != tt.wantFound {
					t.Errorf("LookupRequest = %q, %v, %v; want %q, %v", name, found, err, tt.wantName, tt.wantFound)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}

	err = db.Update(func(tx *bbolt.Tx) error {
		if _, _, err := store.LookupRequest(tx, "", "alice", method, "r1", nil); err == nil {
			t.Error("LookupRequest without a tenant succeeded")
		}
		if _, _, err := store.LookupRequest(tx, "a", "", method, "r1", nil); err == nil {
			t.Error("LookupRequest without a subject succeeded")
		}
		if err := store.RecordRequest(tx, "a", "alice", "", "r1", "models/m1", nil); err == nil {
			t.Error("RecordRequest without a method succeeded")
		}
		if err := store.RecordRequest(tx, "a", "", method, "r1", "models/m1", nil); err == nil {
			t.Error("RecordRequest without a subject succeeded")
		}
		if err := store.RecordRequest(tx, "a", "alice", method, "r9", "", nil); err == nil {
			t.Error("RecordRequest without a name succeeded")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
