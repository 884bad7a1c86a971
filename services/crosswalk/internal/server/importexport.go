package server

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/protobuf/encoding/protojson"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/services/crosswalk/internal/algebra"
	"github.com/aim-platform/aim/services/crosswalk/internal/framework"
	"github.com/aim-platform/aim/services/crosswalk/internal/framework/clauses"
	"github.com/aim-platform/aim/services/crosswalk/internal/table"
)

// candidate is a mapping read from a document, with where it came from.
type candidate struct {
	m    *crosswalkv1.Mapping
	line int // 1-based line (tables) or element index + 1 (JSON)
	// what the source said, before practice ids were made canonical
	sourceAsWritten string
}

// problem is one import problem at a line and column.
type problem struct {
	line   int
	column string
	msg    string
}

func (p problem) violation() errs.FieldViolation {
	return errs.FieldViolation{
		Field:       fmt.Sprintf("content.line[%d].%s", p.line, p.column),
		Description: fmt.Sprintf("line %d, column %s: %s", p.line, p.column, p.msg),
	}
}

// parseDocument reads candidates from a document of the given format.
func parseDocument(format crosswalkv1.Format, content string) ([]candidate, []problem) {
	switch format {
	case crosswalkv1.Format_FORMAT_CSV, crosswalkv1.Format_FORMAT_TSV:
		comma := ','
		if format == crosswalkv1.Format_FORMAT_TSV {
			comma = '\t'
		}
		rows, tableProblems, err := table.Parse(strings.NewReader(content), table.Options{Comma: comma})
		if err != nil {
			return nil, []problem{{line: 0, column: "content", msg: err.Error()}}
		}
		var out []candidate
		var problems []problem
		for _, p := range tableProblems {
			problems = append(problems, problem{line: p.Line, column: p.Column, msg: p.Message})
		}
		for _, r := range rows {
			rel, err := algebra.Parse(r.Relationship)
			if err != nil {
				problems = append(problems, problem{line: r.Line, column: "relationship", msg: err.Error()})
				continue
			}
			out = append(out, candidate{
				m:               &crosswalkv1.Mapping{Source: r.Practice, Target: r.Clause, Relationship: crosswalkv1.Relationship(rel), Note: r.ClauseTopic},
				line:            r.Line,
				sourceAsWritten: r.Practice,
			})
		}
		return out, problems
	case crosswalkv1.Format_FORMAT_JSON:
		doc := &crosswalkv1.ListMappingsResponse{}
		if err := protojson.Unmarshal([]byte(content), doc); err != nil {
			return nil, []problem{{line: 1, column: "content", msg: "not a JSON mapping document: " + err.Error()}}
		}
		var out []candidate
		var problems []problem
		for i, m := range doc.GetMappings() {
			if m.GetRelationship() == crosswalkv1.Relationship_RELATIONSHIP_UNSPECIFIED || m.GetRelationship() == crosswalkv1.Relationship_RELATIONSHIP_INDETERMINATE {
				problems = append(problems, problem{line: i + 1, column: "relationship", msg: "a mapping needs one of EQUAL, SUBSET_OF, SUPERSET_OF, INTERSECTS_WITH, NO_RELATIONSHIP"})
				continue
			}
			if m.GetStrength() < 0 || m.GetStrength() > 10 {
				problems = append(problems, problem{line: i + 1, column: "strength", msg: "strength must be from 0 to 10"})
				continue
			}
			out = append(out, candidate{m: &crosswalkv1.Mapping{Source: m.GetSource(), Target: m.GetTarget(), Relationship: m.GetRelationship(),
				Strength: m.GetStrength(), Rationale: m.GetRationale(), Note: m.GetNote()}, line: i + 1, sourceAsWritten: m.GetSource()})
		}
		return out, problems
	case crosswalkv1.Format_FORMAT_OSCAL_MAPPING_JSON:
		return parseOSCALMappings(content)
	}
	return nil, []problem{{line: 0, column: "format", msg: "unsupported format"}}
}

// ImportCrosswalk checks a document and replaces the crosswalk's mappings.
func (s *Server) ImportCrosswalk(ctx context.Context, req *crosswalkv1.ImportCrosswalkRequest) (*crosswalkv1.ImportCrosswalkResponse, error) {
	who, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	id := crosswalkID(req.GetName())
	cw, ref, err := s.store.GetCrosswalk(who.Tenant, id)
	if err != nil {
		return nil, err
	}
	if ref.Owner != who.Tenant {
		return nil, errs.New(errs.PermissionDenied, "SHARED_CONTENT", "%s is shared content; create a crosswalk of your own to import into", cw.GetName())
	}
	candidates, problems := parseDocument(req.GetFormat(), req.GetContent())
	mappings, more, warnings, err := s.checkCandidates(ctx, who.Tenant, cw, candidates)
	if err != nil {
		return nil, err
	}
	problems = append(problems, more...)
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].line < problems[j].line })
		violations := make([]errs.FieldViolation, len(problems))
		for i, p := range problems {
			violations[i] = p.violation()
		}
		return nil, errs.InvalidArgument(violations...)
	}
	resp := &crosswalkv1.ImportCrosswalkResponse{Crosswalk: cw, MappingCount: int32(len(mappings)), Warnings: warnings}
	if req.GetValidateOnly() {
		return resp, nil
	}
	if resp.Crosswalk, err = s.store.ReplaceMappings(who.Tenant, id, "", mappings, s.now()); err != nil {
		return nil, err
	}
	return resp, nil
}

// checkCandidates makes practice ids canonical (through the catalog for a
// maturity-model source), checks clause ids against the target's tree and
// finds conflicting duplicates. It returns the mappings to store, the
// problems and the warnings (target ids kept though the tree lacks them).
func (s *Server) checkCandidates(ctx context.Context, tenant string, cw *crosswalkv1.Crosswalk, candidates []candidate) ([]*crosswalkv1.Mapping, []problem, []string, error) {
	var problems []problem
	srcID, _ := framework.ParseName(cw.GetSourceFramework())
	tgtID, _ := framework.ParseName(cw.GetTargetFramework())
	src, err := s.store.GetFramework(tenant, srcID)
	if err != nil {
		return nil, nil, nil, err
	}
	if src.GetKind() == crosswalkv1.Framework_KIND_MATURITY_MODEL {
		// The distinct labels in the order they first appear (a set, not a
		// search of the list: a document may hold 1e5 distinct labels).
		var refs []string
		asked := map[string]bool{}
		for _, c := range candidates {
			if !asked[c.sourceAsWritten] {
				asked[c.sourceAsWritten] = true
				refs = append(refs, c.sourceAsWritten)
			}
		}
		canonical := map[string]string{}
		if len(refs) > 0 {
			if s.catalog == nil {
				return nil, nil, nil, errs.New(errs.Unavailable, "NO_CATALOG", "the model catalog is not configured")
			}
			if canonical, err = s.catalog.Practices(ctx, cw.GetSourceModelVersion(), refs); err != nil {
				return nil, nil, nil, err
			}
		}
		for _, c := range candidates {
			id, ok := canonical[c.sourceAsWritten]
			if !ok {
				problems = append(problems, problem{line: c.line, column: "practice", msg: fmt.Sprintf("no practice %q in %s", c.sourceAsWritten, cw.GetSourceModelVersion())})
				continue
			}
			c.m.Source = id
		}
	} else if t := s.trees.get(srcID); t != nil {
		for _, c := range candidates {
			if !t.has(c.m.GetSource()) && !clauses.ValidID(c.m.GetSource()) {
				problems = append(problems, problem{line: c.line, column: "source", msg: fmt.Sprintf("%q is not a clause id", c.m.GetSource())})
			}
		}
	}
	var warnings []string
	warned := map[string]bool{}
	t := s.trees.get(tgtID)
	for _, c := range candidates {
		target := c.m.GetTarget()
		switch {
		case t == nil:
		case t.has(target):
		case clauses.ValidID(target):
			if !warned[target] {
				warned[target] = true
				warnings = append(warnings, target)
			}
		default:
			problems = append(problems, problem{line: c.line, column: "clause", msg: fmt.Sprintf("%q is not a clause id of %s", target, cw.GetTargetFramework())})
		}
	}
	seen := map[string]candidate{}
	var out []*crosswalkv1.Mapping
	for _, c := range candidates {
		key := c.m.GetSource() + "\x00" + c.m.GetTarget()
		if prev, ok := seen[key]; ok {
			if prev.m.GetRelationship() != c.m.GetRelationship() {
				problems = append(problems, problem{line: c.line, column: "relationship", msg: fmt.Sprintf(
					"%s to %s is %s here but %s on line %d", c.m.GetSource(), target(c), rel(c.m), rel(prev.m), prev.line)})
			}
			continue
		}
		seen[key] = c
		c.m.Name = cw.GetName() + "/mappings/" + mappingID(c.m.GetSource(), c.m.GetTarget())
		out = append(out, c.m)
	}
	sort.Strings(warnings)
	return out, problems, warnings, nil
}

func target(c candidate) string { return c.m.GetTarget() }

func rel(m *crosswalkv1.Mapping) string {
	return strings.TrimPrefix(m.GetRelationship().String(), "RELATIONSHIP_")
}

// ExportCrosswalk writes the mappings as a table, JSON or OSCAL.
func (s *Server) ExportCrosswalk(ctx context.Context, req *crosswalkv1.ExportCrosswalkRequest) (*crosswalkv1.ExportCrosswalkResponse, error) {
	who, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	cw, _, err := s.store.GetCrosswalk(who.Tenant, crosswalkID(req.GetName()))
	if err != nil {
		return nil, err
	}
	mappings, err := s.store.Mappings(who.Tenant, crosswalkID(req.GetName()))
	if err != nil {
		return nil, err
	}
	body := &httpbody.HttpBody{}
	switch req.GetFormat() {
	case crosswalkv1.Format_FORMAT_JSON:
		raw, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(&crosswalkv1.ListMappingsResponse{Mappings: mappings})
		if err != nil {
			return nil, errs.Wrap(err, "encode mappings")
		}
		body.ContentType, body.Data = "application/json", raw
	case crosswalkv1.Format_FORMAT_OSCAL_MAPPING_JSON:
		raw, err := exportOSCALMappings(cw, mappings, s.now())
		if err != nil {
			return nil, errs.Wrap(err, "encode OSCAL")
		}
		body.ContentType, body.Data = "application/json", raw
	default:
		comma, ct := ',', "text/csv; charset=utf-8"
		if req.GetFormat() == crosswalkv1.Format_FORMAT_TSV {
			comma, ct = '\t', "text/tab-separated-values; charset=utf-8"
		}
		var buf bytes.Buffer
		if err := table.Write(&buf, toRows(mappings), comma); err != nil {
			return nil, errs.Wrap(err, "write table")
		}
		body.ContentType, body.Data = ct, buf.Bytes()
	}
	return &crosswalkv1.ExportCrosswalkResponse{Body: body}, nil
}

// toRows turns mappings into table rows (relationship in the seed's
// numbered wording, so the table reads like the published guide).
func toRows(mappings []*crosswalkv1.Mapping) []table.Row {
	rows := make([]table.Row, 0, len(mappings))
	for _, m := range mappings {
		rows = append(rows, table.Row{
			Practice:     m.GetSource(),
			Relationship: algebra.Relationship(m.GetRelationship()).SeedLabel(),
			Clause:       m.GetTarget(),
			ClauseTopic:  m.GetNote(),
		})
	}
	return rows
}
