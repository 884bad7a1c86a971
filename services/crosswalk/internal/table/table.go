package table

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aim-platform/aim/platform/errs"
)

// Limits on the input of Parse.
const (
	// MaxBytes is the largest table Parse reads.
	MaxBytes = 32 << 20
	// MaxRows is the most non-empty rows (header rows included) Parse reads.
	MaxRows = 100_000
)

// Row is one mapping of a crosswalk table: a CMMI practice, a relationship
// and an ISO clause, with the context cells as the table writes them.
type Row struct {
	// Line is the 1-based line of the input the row starts on.
	Line int
	// Category, CapabilityArea, Domain and PracticeArea are as written, for
	// example "Managing", "MIR", "Core" and
	// "Risk and Opportunity Management (RISK)".
	Category, CapabilityArea, Domain, PracticeArea string
	// Practice is the practice label as written, for example "RISK 3.1".
	Practice string
	// Relationship is as written, for example "2. Intersects With"; the
	// caller reads it with its own relationship parser.
	Relationship string
	// Clause is the clause id without an "ISO " or "ISO/IEC " prefix, for
	// example "4.1" or "4.1.2.p.1.a".
	Clause string
	// ClauseTopic is the clause's topic as written.
	ClauseTopic string
	// Inherited names the fields (by their Column* names) taken from the
	// row above because the row left them empty.
	Inherited []string
}

// Problem is one thing wrong with the input, at a line and a column.
type Problem struct {
	// Line is the 1-based line the offending row starts on.
	Line int
	// Column is one of the Column* names.
	Column string
	// Message says what is wrong, in words for the user.
	Message string
}

func (p Problem) String() string {
	return fmt.Sprintf("line %d, %s: %s", p.Line, p.Column, p.Message)
}

// Options configure Parse.
type Options struct {
	// Comma is the field delimiter. 0 detects it: a tab if the first
	// non-empty line holds a tab (outside double quotes), else a comma.
	Comma rune
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Parse reads a crosswalk table. It returns the rows it could read and every
// problem it found, in input order; a table with problems must not be
// imported (the rows are then only a best effort). The error is only for a
// failure to read r (Internal), an input over MaxBytes or MaxRows, or an
// invalid Options.Comma (Invalid). Parse never panics.
func Parse(r io.Reader, opt Options) ([]Row, []Problem, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, nil, errs.Wrap(err, "reading the crosswalk table")
	}
	if len(data) > MaxBytes {
		return nil, nil, errs.New(errs.Invalid, "TABLE_TOO_LARGE",
			"the crosswalk table is larger than %d MiB", MaxBytes>>20)
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	comma := opt.Comma
	if comma == 0 {
		comma = detectComma(data)
	} else if !validDelim(comma) {
		return nil, nil, errs.New(errs.Invalid, "INVALID_DELIMITER", "%q cannot separate the fields of a table", comma)
	}

	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = comma
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	// TrimLeadingSpace would swallow the empty leading cells of a
	// tab-separated continuation row, so it is only on for a delimiter that
	// is not white space. Every cell is trimmed afterwards in any case.
	cr.TrimLeadingSpace = !unicode.IsSpace(comma)

	p := parser{layout: defaultLayout}
	n := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			if pe, ok := errors.AsType[*csv.ParseError](err); ok {
				p.problem(pe.StartLine, ColumnRow, "the row cannot be read as CSV: %v", pe.Err)
				p.prevBad = true
				continue
			}
			return nil, nil, errs.Wrap(err, "reading the crosswalk table")
		}
		line, _ := cr.FieldPos(0)
		cells := make([]string, len(rec))
		empty := true
		for i, c := range rec {
			cells[i] = strings.TrimSpace(c)
			if cells[i] != "" {
				empty = false
			}
		}
		if empty {
			continue
		}
		if n++; n > MaxRows {
			return nil, nil, errs.New(errs.Invalid, "TABLE_TOO_LARGE",
				"the crosswalk table has more than %d rows", MaxRows)
		}
		p.record(line, cells)
	}
	return p.rows, p.problems, nil
}

// detectComma returns a tab if the first non-empty line holds one outside
// double quotes, else a comma. (A quoted cell may hold a tab, or run over
// several lines.)
func detectComma(data []byte) rune {
	i := 0
	for i < len(data) {
		end := bytes.IndexByte(data[i:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += i
		}
		if len(bytes.TrimSpace(data[i:end])) == 0 {
			i = end + 1
			continue
		}
		quoted := false
		for ; i < len(data); i++ {
			switch c := data[i]; {
			case c == '"':
				quoted = !quoted
			case c == '\t' && !quoted:
				return '\t'
			case c == '\n' && !quoted:
				return ','
			}
		}
		break
	}
	return ','
}

// validDelim is encoding/csv's rule for a delimiter.
func validDelim(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && utf8.ValidRune(r) && r != utf8.RuneError
}

type parser struct {
	layout   layout
	header   [numRoles]struct{ col, prio int }
	dataSeen bool
	// prev is the last data row, the source of inheritance; prevBad says
	// it had a problem, so rows continuing it are not returned.
	prev     *Row
	prevBad  bool
	rows     []Row
	problems []Problem
	rowProbs int
}

func (p *parser) problem(line int, column, format string, args ...any) {
	p.problems = append(p.problems, Problem{Line: line, Column: column, Message: fmt.Sprintf(format, args...)})
	p.rowProbs++
}

// addHeader merges a header row into the layout. The header decides the
// layout once it names both the practice and the clause columns.
func (p *parser) addHeader(cells []string) {
	for i, c := range cells {
		r, prio, ok := headerRole(c)
		if !ok {
			continue
		}
		if h := &p.header[r]; h.prio < prio {
			h.col, h.prio = i, prio
		}
	}
	if p.header[rolePractice].prio == 0 || p.header[roleClause].prio == 0 {
		return
	}
	for r := range numRoles {
		p.layout[r] = -1
		if p.header[r].prio > 0 {
			p.layout[r] = p.header[r].col
		}
	}
}

// record reads one non-empty row.
func (p *parser) record(line int, cells []string) {
	kinds := make([]kind, len(cells))
	var practices, relationships, clauses []int
	for i, c := range cells {
		kinds[i] = classify(c)
		switch kinds[i] {
		case kindPractice:
			practices = append(practices, i)
		case kindRelationship:
			relationships = append(relationships, i)
		case kindClause:
			clauses = append(clauses, i)
		}
	}
	if len(practices)+len(relationships)+len(clauses) == 0 {
		if isHeader(cells) {
			if !p.dataSeen {
				p.addHeader(cells)
				return
			}
			p.problem(line, ColumnRow, "a header row below the data rows: header rows belong at the top of the table")
		} else {
			p.problem(line, ColumnRow, "the row holds no practice label (like RISK 3.1), relationship (like 2. Intersects With) or clause id (like 4.1): %s", quoteCells(cells))
		}
		p.dataSeen = true
		p.prevBad = true
		return
	}
	p.dataSeen = true
	p.rowProbs = 0

	// The row's shift against the layout, from its practice label, or else
	// its clause id, or else its relationship: a copy-paste may move every
	// cell of a row left or right, and positions are read relative to the
	// cell the row is sure of.
	shift := 0
	switch L := p.layout; {
	case len(practices) == 1 && L[rolePractice] >= 0:
		shift = practices[0] - L[rolePractice]
	case len(clauses) == 1 && L[roleClause] >= 0:
		shift = clauses[0] - L[roleClause]
	case len(relationships) == 1 && L[roleRelationship] >= 0:
		shift = relationships[0] - L[roleRelationship]
	}
	pos := func(r role) int {
		if p.layout[r] < 0 {
			return -1
		}
		return p.layout[r] + shift
	}
	// text returns the free-text cell at i, "" for an empty, recognized or
	// missing cell.
	text := func(i int) string {
		if i < 0 || i >= len(cells) || kinds[i] != kindText {
			return ""
		}
		return cells[i]
	}
	at := func(i int) string {
		if i < 0 || i >= len(cells) {
			return ""
		}
		return cells[i]
	}

	row := Row{Line: line}
	p.ambiguous(line, rolePractice, "a practice label", practices, cells)
	p.ambiguous(line, roleRelationship, "a relationship", relationships, cells)
	p.ambiguous(line, roleClause, "a clause id", clauses, cells)

	// Practice.
	practiceGiven := len(practices) > 0
	switch {
	case len(practices) == 1:
		row.Practice = cells[practices[0]]
	case len(practices) == 0:
		if i := pos(rolePractice); text(i) != "" {
			p.problem(line, ColumnPractice, "malformed practice label %q (cell %d): a practice label is a practice area's acronym and a number, like RISK 3.1", cells[i], i+1)
			row.Practice = cells[i]
			practiceGiven = true
		}
	}

	// Category, capability area, domain, practice area.
	leading := [...]struct {
		r     role
		field *string
	}{
		{roleCategory, &row.Category},
		{roleCapabilityArea, &row.CapabilityArea},
		{roleDomain, &row.Domain},
		{rolePracticeArea, &row.PracticeArea},
	}
	taken := map[int]bool{}
	for _, l := range leading {
		i := pos(l.r)
		*l.field = text(i)
		if *l.field != "" {
			taken[i] = true
		}
	}
	prev := p.prev
	switch {
	case practiceGiven && prev != nil:
		for _, l := range leading {
			if *l.field != "" {
				continue
			}
			above := prevField(prev, l.r)
			if above == "" {
				continue
			}
			// A practice area belongs to its practices: it is not carried
			// over to a practice of another area.
			if l.r == rolePracticeArea && (row.Practice == "" || practiceAcronym(row.Practice) != practiceAcronym(prev.Practice)) {
				continue
			}
			*l.field = above
			row.Inherited = append(row.Inherited, l.r.column())
		}
	case !practiceGiven && prev == nil:
		p.problem(line, ColumnPractice, "the first data row has no practice label, so there is no row above it to continue")
	case !practiceGiven:
		for _, l := range leading {
			above := prevField(prev, l.r)
			switch {
			case *l.field == "":
				*l.field = above
				if above != "" {
					row.Inherited = append(row.Inherited, l.r.column())
				}
			case *l.field != above && !p.prevBad:
				p.problem(line, l.r.column(), "a continuation row (no practice label) has %s %q (cell %d), but the row above has %q: write the practice label, or leave the cell empty", l.r.column(), *l.field, pos(l.r)+1, above)
			}
		}
		row.Practice = prev.Practice
		row.Inherited = append(row.Inherited, ColumnPractice)
	}

	// Relationship.
	switch len(relationships) {
	case 1:
		row.Relationship = cells[relationships[0]]
	case 0:
		i := pos(roleRelationship)
		switch {
		case text(i) != "":
			p.problem(line, ColumnRelationship, "unknown relationship %q (cell %d): write one of 1. Subset Of, 2. Intersects With, 3. Equal, 4. Superior Of, 5. Not Related, or the words alone", cells[i], i+1)
		case !practiceGiven && prev != nil:
			row.Relationship = prev.Relationship
			row.Inherited = append(row.Inherited, ColumnRelationship)
		case !practiceGiven:
			// The missing practice is reported already.
		case at(i) != "":
			p.problem(line, ColumnRelationship, "no relationship: cell %d, where the relationship belongs, holds %q; the cells are shifted and positions disagree, so write the relationship after the practice label", i+1, cells[i])
		default:
			p.problem(line, ColumnRelationship, "no relationship: a row with a practice label states its relationship (only a continuation row, with no practice label, inherits the one above)")
		}
	}

	// Clause and topic.
	switch len(clauses) {
	case 1:
		c := clauses[0]
		row.Clause = clauseID(cells[c])
		if L := p.layout; L[roleTopic] >= 0 {
			candidates := []int{pos(roleTopic)}
			if L[roleClause] >= 0 {
				candidates = []int{c + L[roleTopic] - L[roleClause], pos(roleTopic)}
			}
			for _, i := range candidates {
				if t := text(i); t != "" && !taken[i] && i != c {
					row.ClauseTopic = t
					break
				}
			}
		}
	case 0:
		i := pos(roleClause)
		if t := text(i); t != "" {
			p.problem(line, ColumnClause, "no clause id found: %q (cell %d) is not a clause id like 4.1, 4.1.2.p.1.a or A.6.2.4", t, i+1)
		} else {
			p.problem(line, ColumnClause, "no clause id found: the row has no cell holding a clause id like 4.1, 4.1.2.p.1.a or A.6.2.4")
		}
	}

	bad := p.rowProbs > 0
	if !practiceGiven && p.prevBad {
		bad = true
	}
	if !bad {
		p.rows = append(p.rows, row)
	}
	p.prev = &row
	p.prevBad = bad
}

// ambiguous reports two or more cells that look like the same thing.
func (p *parser) ambiguous(line int, r role, what string, at []int, cells []string) {
	if len(at) < 2 {
		return
	}
	nums := make([]string, len(at))
	vals := make([]string, len(at))
	for k, i := range at {
		nums[k] = fmt.Sprint(i + 1)
		vals[k] = fmt.Sprintf("%q", cells[i])
	}
	cellList := strings.Join(nums[:len(nums)-1], ", ") + " and " + nums[len(nums)-1]
	quantifier := "both"
	if len(at) > 2 {
		quantifier = "all"
	}
	p.problem(line, r.column(), "ambiguous row: cells %s %s look like %s (%s), but a row has one %s column; "+
		"the cells' positions disagree with the table's columns, so the row cannot say which one is meant: write one %s per row",
		cellList, quantifier, what, strings.Join(vals, ", "), r.column(), r.column())
}

func prevField(prev *Row, r role) string {
	switch r {
	case roleCategory:
		return prev.Category
	case roleCapabilityArea:
		return prev.CapabilityArea
	case roleDomain:
		return prev.Domain
	case rolePracticeArea:
		return prev.PracticeArea
	}
	return ""
}

// isHeader reports whether a row with no recognized cell names at least one
// column.
func isHeader(cells []string) bool {
	for _, c := range cells {
		if _, _, ok := headerRole(c); ok {
			return true
		}
	}
	return false
}

// quoteCells shows a row's non-empty cells, shortened, for a message.
func quoteCells(cells []string) string {
	var parts []string
	for _, c := range cells {
		if c == "" {
			continue
		}
		if len(parts) == 4 {
			parts = append(parts, "…")
			break
		}
		if r := []rune(c); len(r) > 40 {
			c = string(r[:40]) + "…"
		}
		parts = append(parts, fmt.Sprintf("%q", c))
	}
	return strings.Join(parts, ", ")
}

// Header is the header row Write writes. Do not modify it.
var Header = []string{"Category", "Capability Area", "Domain", "Practice Area", "Practice", "Relationship", "Clause ID", "Clause Topic"}

// Write writes rows as a clean table: the Header row, then one complete row
// per mapping (nothing left to inheritance), the relationship as given and
// the clause id without an "ISO " prefix, quoted by encoding/csv. A comma of
// 0 writes CSV. Parse reads the output of rows it returned back to the same
// rows, Line and Inherited aside.
func Write(w io.Writer, rows []Row, comma rune) error {
	if comma == 0 {
		comma = ','
	}
	if !validDelim(comma) {
		return errs.New(errs.Invalid, "INVALID_DELIMITER", "%q cannot separate the fields of a table", comma)
	}
	cw := csv.NewWriter(w)
	cw.Comma = comma
	if err := cw.Write(Header); err != nil {
		return errs.Wrap(err, "writing the crosswalk table")
	}
	for _, r := range rows {
		rec := []string{r.Category, r.CapabilityArea, r.Domain, r.PracticeArea, r.Practice, r.Relationship, clauseID(r.Clause), r.ClauseTopic}
		if err := cw.Write(rec); err != nil {
			return errs.Wrap(err, "writing the crosswalk table")
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return errs.Wrap(err, "writing the crosswalk table")
	}
	return nil
}
