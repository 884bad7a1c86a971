package errs

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	spb "google.golang.org/genproto/googleapis/rpc/status"
)

func TestWriteHTTP(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteHTTP(rec, http.StatusNotFound, status.New(codes.NotFound, "no such appraisal"))
	if rec.Code != http.StatusNotFound || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, content type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	got := &spb.Status{}
	if err := protojson.Unmarshal(rec.Body.Bytes(), got); err != nil {
		t.Fatalf("body %q is not a google.rpc.Status: %v", rec.Body, err)
	}
	if codes.Code(got.GetCode()) != codes.NotFound || got.GetMessage() != "no such appraisal" {
		t.Fatalf("body = %v", got)
	}
}
