package errs

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestToStatus(t *testing.T) {
	secret := errors.New("open /var/lib/aim/model.db: permission denied")
	tests := []struct {
		name         string
		err          error
		wantCode     codes.Code
		wantMsg      string
		wantInternal bool
	}{
		{"not found", NotFoundError("Model", "models/x"), codes.NotFound, `Model "models/x" not found`, false},
		{"wrapped not found", fmt.Errorf("get: %w", NotFoundError("Model", "models/x")), codes.NotFound, `Model "models/x" not found`, false},
		{"invalid", InvalidArgument(Violation("page_size", "must not be negative")), codes.InvalidArgument, "the request has an invalid field", false},
		{"aborted", New(Aborted, "ETAG_MISMATCH", "stale etag"), codes.Aborted, "stale etag", false},
		{"internal masked", Wrap(secret, "open store"), codes.Internal, MaskedMessage, true},
		{"plain error masked", secret, codes.Internal, MaskedMessage, true},
		{"status passes", status.Error(codes.Unavailable, "backend down"), codes.Unavailable, "backend down", false},
		{"internal status masked", status.Error(codes.Internal, "stack trace here"), codes.Internal, MaskedMessage, true},
		{"unknown status masked", status.Error(codes.Unknown, "boom"), codes.Internal, MaskedMessage, true},
		{"canceled", context.Canceled, codes.Canceled, "the request was canceled", false},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), codes.DeadlineExceeded, "the request deadline passed", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, internal := ToStatus(tt.err)
			if st.Code() != tt.wantCode || st.Message() != tt.wantMsg || internal != tt.wantInternal {
				t.Fatalf("ToStatus = %v %q internal=%v; want %v %q internal=%v",
					st.Code(), st.Message(), internal, tt.wantCode, tt.wantMsg, tt.wantInternal)
			}
		})
	}
}

func TestStatusDetails(t *testing.T) {
	err := InvalidArgument(
		Violation("appraisal.display_name", "must not be empty"),
		FieldViolation{Field: "page_size", Description: "must not be negative", Reason: "NEGATIVE"},
	)
	st := status.Convert(err)
	var br *errdetails.BadRequest
	var info *errdetails.ErrorInfo
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.BadRequest:
			br = d
		case *errdetails.ErrorInfo:
			info = d
		}
	}
	if info == nil || info.GetReason() != "INVALID_ARGUMENT" || info.GetDomain() != Domain {
		t.Fatalf("ErrorInfo = %v", info)
	}
	if br == nil || len(br.GetFieldViolations()) != 2 {
		t.Fatalf("BadRequest = %v", br)
	}
	if got := br.GetFieldViolations()[1]; got.GetField() != "page_size" || got.GetReason() != "NEGATIVE" {
		t.Fatalf("second violation = %v", got)
	}
	if st.Message() != "the request has 2 invalid fields" {
		t.Fatalf("message = %q", st.Message())
	}

	nf := status.Convert(NotFoundError("Appraisal", "appraisals/a1"))
	var ri *errdetails.ResourceInfo
	for _, d := range nf.Details() {
		if d, ok := d.(*errdetails.ResourceInfo); ok {
			ri = d
		}
	}
	if ri == nil || ri.GetResourceName() != "appraisals/a1" || ri.GetResourceType() != "Appraisal" {
		t.Fatalf("ResourceInfo = %v", ri)
	}

	internal := status.Convert(Wrap(errors.New("disk full at /data"), "write"))
	if len(internal.Details()) != 0 || internal.Message() != MaskedMessage {
		t.Fatalf("internal status leaks: %v", internal.Proto())
	}
}

func TestKindOf(t *testing.T) {
	if KindOf(errors.New("x")) != Internal {
		t.Fatal("plain error should be Internal")
	}
	err := fmt.Errorf("ctx: %w", New(Aborted, "ETAG_MISMATCH", "stale"))
	if KindOf(err) != Aborted || !Is(err, Aborted) || Is(err, NotFound) {
		t.Fatalf("KindOf = %v", KindOf(err))
	}
	for k := Internal; k <= ResourceExhausted; k++ {
		if k.String() == "" || k != Internal && k.Code() == codes.Internal {
			t.Fatalf("kind %d has no name or code", k)
		}
	}
}

func TestErrorText(t *testing.T) {
	err := InvalidArgument(Violation("a", "bad"), Violation("b", "worse"))
	if got, want := err.Error(), "the request has 2 invalid fields; a: bad; b: worse"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	cause := errors.New("cause")
	if w := Wrap(cause, "step"); !errors.Is(w, cause) || w.Error() != "step: cause" {
		t.Fatalf("Wrap = %q", w.Error())
	}
}
