package server

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/hex"
	"html/template"
	"strings"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/appraisal/internal/store"
)

//go:embed report.html.tmpl
var reportTemplate string

// reportPage is parsed once per server; html/template escapes everything
// the appraisal holds.
var reportPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"short": func(s string) string {
		for _, p := range []string{"CHECKPOINT_STATE_", "STATE_", "APPRAISAL_TYPE_", "ROLE_", "KIND_"} {
			s = strings.TrimPrefix(s, p)
		}
		return strings.ReplaceAll(s, "_", " ")
	},
	"cell": cellClass,
	"hex":  func(b []byte) string { return hex.EncodeToString(b) },
}).Parse(reportTemplate))

// Report is the content of a results report.
type Report struct {
	Appraisal *appraisalv1.Appraisal
	Team      []*appraisalv1.TeamMember
	Instances []*appraisalv1.Instance
	Findings  []*appraisalv1.Finding
	Ratings   *appraisalv1.Ratings
	MaxLevel  int
	// AuditTrail is VerifyAuditTrail's answer at the time of the report:
	// the head of the trail, its latest signed checkpoint and whether the
	// trail proves the state reported.
	AuditTrail *appraisalv1.VerifyAuditTrailResponse
}

// Levels returns 1..MaxLevel, the heat map's columns.
func (r Report) Levels() []int {
	out := make([]int, r.MaxLevel)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

// Cell returns an area's outcome at a level for the heat map.
func (r Report) Cell(pa *appraisalv1.PracticeAreaRating, level int) string {
	for _, l := range pa.GetLevels() {
		if int(l.GetLevel()) == level {
			return strings.TrimPrefix(l.GetOutcome().String(), "OUTCOME_")
		}
	}
	return ""
}

func cellClass(outcome string) string {
	switch outcome {
	case "SATISFIED":
		return "sat"
	case "NOT_SATISFIED":
		return "unsat"
	case "NOT_RATED", "PENDING_DECISION":
		return "nr"
	case "NOT_APPLICABLE":
		return "na"
	}
	return "empty"
}

// reportJSON is the JSON report: the same content, as one object.
func reportJSON(r Report) ([]byte, error) {
	parts := map[string]proto.Message{"appraisal": r.Appraisal, "ratings": r.Ratings, "auditTrail": r.AuditTrail}
	var b bytes.Buffer
	b.WriteString("{")
	first := true
	write := func(key string, raw []byte) {
		if !first {
			b.WriteString(",")
		}
		first = false
		b.WriteString(`"` + key + `":`)
		b.Write(raw)
	}
	opts := protojson.MarshalOptions{EmitDefaultValues: true}
	for _, key := range []string{"appraisal", "ratings", "auditTrail"} {
		raw, err := opts.Marshal(parts[key])
		if err != nil {
			return nil, err
		}
		write(key, raw)
	}
	lists := []struct {
		key  string
		msgs []proto.Message
	}{
		{"teamMembers", toMessages(r.Team)}, {"instances", toMessages(r.Instances)}, {"findings", toMessages(r.Findings)},
	}
	for _, l := range lists {
		var items [][]byte
		for _, m := range l.msgs {
			raw, err := opts.Marshal(m)
			if err != nil {
				return nil, err
			}
			items = append(items, raw)
		}
		write(l.key, append(append([]byte("["), bytes.Join(items, []byte(","))...), ']'))
	}
	b.WriteString("}")
	return b.Bytes(), nil
}

func toMessages[T proto.Message](list []T) []proto.Message {
	out := make([]proto.Message, len(list))
	for i, m := range list {
		out[i] = m
	}
	return out
}

// collectAll decodes every item of a kind.
func collectAll[T proto.Message](t *store.Tx, k store.Kind, newT func() T) ([]T, error) {
	var out []T
	err := t.ForEach(k, func(_, v []byte) error {
		m := newT()
		if err := pstore.UnmarshalProto(v, m); err != nil {
			return err
		}
		out = append(out, m)
		return nil
	})
	return out, err
}

// GetAppraisalReport renders the results report.
func (s *Server) GetAppraisalReport(ctx context.Context, req *appraisalv1.GetAppraisalReportRequest) (*appraisalv1.GetAppraisalReportResponse, error) {
	who, err := auth.Caller(ctx, auth.KnownRoles()...)
	if err != nil {
		return nil, err
	}
	var r Report
	err = s.store.View(who.Tenant, appraisalID(req.GetName()), func(t *store.Tx) error {
		a, err := mustRead(t, who)
		if err != nil {
			return err
		}
		r.Appraisal = a
		if r.Ratings, err = s.currentRatings(t, who, a); err != nil {
			return err
		}
		if r.Team, err = collectAll(t, store.KindMembers, func() *appraisalv1.TeamMember { return &appraisalv1.TeamMember{} }); err != nil {
			return err
		}
		if r.Instances, err = collectAll(t, store.KindInstances, func() *appraisalv1.Instance { return &appraisalv1.Instance{} }); err != nil {
			return err
		}
		if r.Findings, err = collectAll(t, store.KindFindings, func() *appraisalv1.Finding { return &appraisalv1.Finding{} }); err != nil {
			return err
		}
		r.AuditTrail, err = verifyTrail(t, s.store.AuditKeys())
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, pa := range r.Ratings.GetPracticeAreas() {
		r.MaxLevel = max(r.MaxLevel, len(pa.GetLevels()))
	}
	body := &httpbody.HttpBody{}
	switch req.GetFormat() {
	case appraisalv1.GetAppraisalReportRequest_FORMAT_HTML:
		var buf bytes.Buffer
		if err := reportPage.Execute(&buf, r); err != nil {
			return nil, errs.Wrap(err, "render the report of %s", req.GetName())
		}
		body.ContentType, body.Data = "text/html; charset=utf-8", buf.Bytes()
	default:
		raw, err := reportJSON(r)
		if err != nil {
			return nil, errs.Wrap(err, "encode the report of %s", req.GetName())
		}
		body.ContentType, body.Data = "application/json", raw
	}
	return &appraisalv1.GetAppraisalReportResponse{Body: body}, nil
}
