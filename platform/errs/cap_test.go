package errs_test

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/proto"

	"github.com/aim-platform/aim/platform/errs"
)

// TestRedteamM3_ViolationsAreCapped: a request with 1e5 bad rows gets a
// status that lists the first violations, says how many there are, and fits
// a transport's trailer limit (the uncapped one was 17 MB and broke the
// gateway's shared connection).
func TestRedteamM3_ViolationsAreCapped(t *testing.T) {
	const rows = 100_000
	vs := make([]errs.FieldViolation, rows)
	for i := range vs {
		vs[i] = errs.Violation(fmt.Sprintf("mappings[%d].target", i), "%q is not a clause id of framework iso-27001-2022", fmt.Sprintf("bad target %d", i))
	}
	vs[1].Description = strings.Repeat("é", 10_000) // one huge text is cut, too
	st := errs.InvalidArgument(vs...).GRPCStatus()
	if size := proto.Size(st.Proto()); size > 24<<10 {
		t.Errorf("the status is %d bytes, want at most 24 KiB", size)
	}
	var listed []*errdetails.BadRequest_FieldViolation
	var info *errdetails.ErrorInfo
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.BadRequest:
			listed = d.GetFieldViolations()
		case *errdetails.ErrorInfo:
			info = d
		}
	}
	if len(listed) != 100 {
		t.Errorf("%d violations listed, want the first 100", len(listed))
	}
	if len(listed) > 0 && listed[0].GetField() != "mappings[0].target" {
		t.Errorf("first listed violation is %q, want the first row's", listed[0].GetField())
	}
	if got := info.GetMetadata()["violations_total"]; got != "100000" {
		t.Errorf("violations_total = %q, want 100000", got)
	}
	if !strings.Contains(st.Message(), "100000 invalid fields") || !strings.Contains(st.Message(), "are listed") {
		t.Errorf("message %q does not give the count and say only some are listed", st.Message())
	}
	if n := len(errs.InvalidArgument(vs...).Error()); n > 64<<10 {
		t.Errorf("Error() is %d bytes; the log line must be bounded too", n)
	}
	// A short list is complete and unmarked.
	few := errs.InvalidArgument(vs[:3]...).GRPCStatus()
	if strings.Contains(few.Message(), "listed") {
		t.Errorf("message %q for 3 violations", few.Message())
	}
}
