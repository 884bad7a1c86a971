package table

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/aim-platform/aim/platform/errs"
)

const fixture = "testdata/seed-excerpt.tsv"

func readFixture(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// every is what a continuation row inherits.
var every = []string{ColumnCategory, ColumnCapabilityArea, ColumnDomain, ColumnPracticeArea, ColumnPractice, ColumnRelationship}

const (
	risk = "Risk and Opportunity Management (RISK)"
	plan = "Planning (PLAN)"
	mc   = "Monitor and Control (MC)"
)

// seedRows is what the seed's crosswalk table says, line numbers those of
// the fixture.
var seedRows = []Row{
	{3, "Managing", "MIR", "Core", risk, "RISK 3.1", "2. Intersects With", "4.1", "Understanding the organization and its context", nil},
	{4, "Managing", "MIR", "Core", risk, "RISK 3.1", "2. Intersects With", "4.1.1", "Planning processes to address risks and opportunities", every},
	{5, "Managing", "MIR", "Core", risk, "RISK 3.2", "1. Subset Of", "4.1.1.p.1.b", "Planning processes to address risks and opportunities", []string{ColumnCategory}},
	{6, "Managing", "MIR", "Core", risk, "RISK 3.2", "1. Subset Of", "4.1.2.p.1.a", "Planning AI risk assessment processes", every},
	{7, "Managing", "MIR", "Core", risk, "RISK 3.3", "4. Superior Of", "4.1.2.p.1.b", "Planning AI risk assessment processes", nil},
	{8, "Managing", "MIR", "Core", risk, "RISK 3.3", "4. Superior Of", "4.1.2.p.1.c", "Planning AI risk assessment processes", every},
	{9, "Managing", "PMW", "Core", plan, "PLAN 2.2", "4. Superior Of", "7.2.2", "Sustaining Competence", nil},
	{10, "Managing", "PMW", "Core", plan, "PLAN 2.2", "4. Superior Of", "7.2.2.p.1.a", "Operation: Operational planning and control", every},
	{11, "Managing", "PMW", "Core", plan, "PLAN 2.5", "2. Intersects With", "8.1", "Operation: Operational planning and control", nil},
	{12, "Managing", "PMW", "Core", plan, "PLAN 2.5", "2. Intersects With", "8.1.p.1.a", "Improvement: Performance measurement and corrective action", every},
	{13, "Managing", "PMW", "Core", mc, "MC 2.4", "2. Intersects With", "10.2", "Improvement: Performance measurement and corrective action", nil},
	{14, "Managing", "PMW", "Core", mc, "MC 2.4", "2. Intersects With", "10.2.p.1.a", "Improvement: Performance measurement and corrective action", every},
}

func parseString(t testing.TB, in string, opt Options) ([]Row, []Problem) {
	t.Helper()
	rows, problems, err := Parse(strings.NewReader(in), opt)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return rows, problems
}

func mustParse(t testing.TB, in string, opt Options) []Row {
	t.Helper()
	rows, problems := parseString(t, in, opt)
	for _, p := range problems {
		t.Errorf("unexpected problem: %s", p)
	}
	return rows
}

// normalize drops what a round trip does not keep: lines and inheritance.
func normalize(rows []Row) []Row {
	out := make([]Row, len(rows))
	for i, r := range rows {
		r.Line, r.Inherited = 0, nil
		out[i] = r
	}
	return out
}

func diffRows(t testing.TB, got, want []Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d rows, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		if len(g.Inherited) == 0 && len(w.Inherited) == 0 {
			g.Inherited, w.Inherited = nil, nil
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

func TestFixtureIsTheSeedsCopyPaste(t *testing.T) {
	lines := strings.Split(string(readFixture(t)), "\n")
	if len(lines) != 14 {
		t.Fatalf("fixture has %d lines, want 14", len(lines))
	}
	if !strings.HasPrefix(lines[0], "CMMI Model\tCategory\tCapability Area (CA)\tDomain\t") {
		t.Errorf("line 1 is not the seed's header: %q", lines[0])
	}
	if lines[1] != "\t\t\t\t\t\t\tISO Clause ID\tISO Clause Topic" {
		t.Errorf("line 2 is not the seed's shifted second header: %q", lines[1])
	}
	if !strings.HasPrefix(lines[3], "\t\t\t\t\t\tISO 4.1.1\t") {
		t.Errorf("line 4 is not a continuation row with its clause in the relationship column: %q", lines[3])
	}
	if !strings.HasPrefix(lines[4], "\tMIR\t") {
		t.Errorf("line 5 does not leave its category empty: %q", lines[4])
	}
}

func TestSeedFixture(t *testing.T) {
	rows := mustParse(t, string(readFixture(t)), Options{})
	diffRows(t, rows, seedRows)
	// The same with the delimiter given.
	rows = mustParse(t, string(readFixture(t)), Options{Comma: '\t'})
	diffRows(t, rows, seedRows)
}

func TestSeedWithoutHeader(t *testing.T) {
	_, data, _ := strings.Cut(string(readFixture(t)), "\n")
	_, data, _ = strings.Cut(data, "\n")
	want := make([]Row, len(seedRows))
	for i, r := range seedRows {
		r.Line -= 2
		want[i] = r
	}
	diffRows(t, mustParse(t, data, Options{}), want)
}

func TestSeedCRLFAndBOM(t *testing.T) {
	crlf := strings.ReplaceAll(string(readFixture(t)), "\n", "\r\n")
	diffRows(t, mustParse(t, crlf, Options{}), seedRows)
	diffRows(t, mustParse(t, "\uFEFF"+crlf, Options{}), seedRows)
	diffRows(t, mustParse(t, "\uFEFF"+string(readFixture(t)), Options{}), seedRows)
}

func TestSeedRoundTrip(t *testing.T) {
	for _, comma := range []rune{',', '\t', ';'} {
		var buf bytes.Buffer
		if err := Write(&buf, seedRows, comma); err != nil {
			t.Fatal(err)
		}
		opt := Options{}
		if comma == ';' {
			opt.Comma = ';'
		}
		got := mustParse(t, buf.String(), opt)
		if !reflect.DeepEqual(normalize(got), normalize(seedRows)) {
			t.Errorf("comma %q: round trip differs:\n%s\ngot %+v", comma, buf.String(), got)
		}
		for _, r := range got {
			if len(r.Inherited) != 0 {
				t.Errorf("comma %q: Write left %v to inheritance on line %d", comma, r.Inherited, r.Line)
			}
		}
	}
}

func TestWriteFormat(t *testing.T) {
	var buf bytes.Buffer
	rows := []Row{
		{Category: "Managing", CapabilityArea: "MIR", Domain: "Core", PracticeArea: risk, Practice: "RISK 3.1",
			Relationship: "2. Intersects With", Clause: "ISO 4.1", ClauseTopic: "Context, of \"the\" organization"},
		{Practice: "PLAN 2.2", Relationship: "Equal", Clause: "7.2.2.p.1.a", ClauseTopic: "two\nlines"},
	}
	if err := Write(&buf, rows, 0); err != nil {
		t.Fatal(err)
	}
	want := "Category,Capability Area,Domain,Practice Area,Practice,Relationship,Clause ID,Clause Topic\n" +
		"Managing,MIR,Core,Risk and Opportunity Management (RISK),RISK 3.1,2. Intersects With,4.1,\"Context, of \"\"the\"\" organization\"\n" +
		",,,,PLAN 2.2,Equal,7.2.2.p.1.a,\"two\nlines\"\n"
	if buf.String() != want {
		t.Errorf("Write:\n%s\nwant\n%s", buf.String(), want)
	}
	if err := Write(&buf, rows, '"'); !errs.Is(err, errs.Invalid) {
		t.Errorf("Write with a quote delimiter: %v, want an Invalid error", err)
	}
}

func TestCleanCSVWithHeader(t *testing.T) {
	in := `Category,Capability Area,Domain,Practice Area,Practice,Relationship,Clause ID,Clause Topic
Managing,MIR,Core,Risk and Opportunity Management (RISK),RISK 3.1,Intersects With,4.1,Understanding the organization and its context
Managing,MIR,Core,"Risk and Opportunity Management (RISK)",RISK 3.2,  Subset Of,ISO 4.1.1.p.1.b,"Planning processes, to address risks"
`
	want := []Row{
		{2, "Managing", "MIR", "Core", risk, "RISK 3.1", "Intersects With", "4.1", "Understanding the organization and its context", nil},
		{3, "Managing", "MIR", "Core", risk, "RISK 3.2", "Subset Of", "4.1.1.p.1.b", "Planning processes, to address risks", nil},
	}
	diffRows(t, mustParse(t, in, Options{}), want)
}

func TestHeaderGivesPositions(t *testing.T) {
	// Columns in another order, an extra column the parser ignores.
	in := "Clause Topic;Clause ID;Relationship;Practice Label;Practice Area;Notes\n" +
		"Understanding the organization;4.1;3. Equal;RISK 3.1;" + risk + ";note\n" +
		"Planning;4.1.1;;;;\n"
	want := []Row{
		{2, "", "", "", risk, "RISK 3.1", "3. Equal", "4.1", "Understanding the organization", nil},
		{3, "", "", "", risk, "RISK 3.1", "3. Equal", "4.1.1", "Planning", []string{ColumnPracticeArea, ColumnPractice, ColumnRelationship}},
	}
	diffRows(t, mustParse(t, in, Options{Comma: ';'}), want)
}

func TestWithoutHeader(t *testing.T) {
	in := "Managing,PMW,Core,Planning (PLAN),PLAN 2.2,4. Superior Of,7.2.2,Sustaining Competence\n" +
		",,,,,,7.2.2.p.1.a,Operation\n" +
		// Fewer leading cells: the practice area is the cell before the label.
		"Monitor and Control (MC),MC 2.4,Intersects With,10.2,Improvement\n" +
		// An extra leading column.
		"CMMI AIM,Doing,EXE,Core,Planning (PLAN),PLAN 2.5,Equal,8.1,Operation\n"
	want := []Row{
		{1, "Managing", "PMW", "Core", plan, "PLAN 2.2", "4. Superior Of", "7.2.2", "Sustaining Competence", nil},
		{2, "Managing", "PMW", "Core", plan, "PLAN 2.2", "4. Superior Of", "7.2.2.p.1.a", "Operation", every},
		{3, "Managing", "PMW", "Core", mc, "MC 2.4", "Intersects With", "10.2", "Improvement", []string{ColumnCategory, ColumnCapabilityArea, ColumnDomain}},
		{4, "Doing", "EXE", "Core", plan, "PLAN 2.5", "Equal", "8.1", "Operation", nil},
	}
	diffRows(t, mustParse(t, in, Options{}), want)
}

func TestPracticeAreaNotCarriedToAnotherArea(t *testing.T) {
	in := "Managing,PMW,Core,Planning (PLAN),PLAN 2.2,Equal,7.2.2,a\n" +
		",,,,PLAN 2.5,Equal,8.1,b\n" +
		",,,,MC 2.4,Equal,10.2,c\n"
	rows := mustParse(t, in, Options{})
	if len(rows) != 3 {
		t.Fatalf("got %d rows", len(rows))
	}
	if rows[1].PracticeArea != plan || rows[2].PracticeArea != "" {
		t.Errorf("practice areas %q, %q; want %q, \"\"", rows[1].PracticeArea, rows[2].PracticeArea, plan)
	}
	if want := []string{ColumnCategory, ColumnCapabilityArea, ColumnDomain}; !reflect.DeepEqual(rows[2].Inherited, want) {
		t.Errorf("inherited %v, want %v", rows[2].Inherited, want)
	}
}

func TestCommaDetection(t *testing.T) {
	tsv := "\n  \nRISK 3.1\t2. Intersects With\t4.1\tA, B and C\n"
	csvIn := "\n\nRISK 3.1,2. Intersects With,4.1,\"A\tB\"\n"
	if rows := mustParse(t, tsv, Options{}); len(rows) != 1 || rows[0].ClauseTopic != "A, B and C" || rows[0].Line != 3 {
		t.Errorf("tab: %+v", rows)
	}
	if rows := mustParse(t, csvIn, Options{}); len(rows) != 1 || rows[0].ClauseTopic != "A\tB" {
		t.Errorf("comma: %+v", rows)
	}
	// Forcing the wrong delimiter leaves one cell per row.
	if _, problems := parseString(t, tsv, Options{Comma: ','}); len(problems) == 0 {
		t.Error("tab-separated input read with a comma: no problem")
	}
	if _, _, err := Parse(strings.NewReader(tsv), Options{Comma: '\n'}); !errs.Is(err, errs.Invalid) {
		t.Errorf("newline delimiter: %v, want an Invalid error", err)
	}
}

func TestClauseIDs(t *testing.T) {
	for in, want := range map[string]string{
		"4.1":              "4.1",
		"ISO 4.1":          "4.1",
		"ISO4.1":           "4.1",
		"iso 4.1.2":        "4.1.2",
		"ISO/IEC 10.2":     "10.2",
		"ISO / IEC 6.1.2":  "6.1.2",
		"ISO 4.1.2.p.1.a":  "4.1.2.p.1.a",
		"8.1.p.1.a":        "8.1.p.1.a",
		"4.1.p.2":          "4.1.p.2",
		"A.6.2.4":          "A.6.2.4",
		"ISO A.6.2.4":      "A.6.2.4",
		"ISO/IEC A.10":     "A.10",
		"10":               "10",
		"ISO 7.2.2.p.12.b": "7.2.2.p.12.b",
	} {
		rows := mustParse(t, "RISK 3.1,Equal,"+in+",topic\n", Options{})
		if len(rows) != 1 || rows[0].Clause != want || rows[0].ClauseTopic != "topic" {
			t.Errorf("clause %q: %+v, want %q", in, rows, want)
		}
	}
	for _, in := range []string{"ISO 42001", "4.1.", "4..1", "4.1.2.p.1.ab", "4.1.P.1.a", "B.6.2", "Clause 4.1"} {
		_, problems := parseString(t, "RISK 3.1,Equal,"+in+"\n", Options{})
		if len(problems) != 1 || problems[0].Column != ColumnClause {
			t.Errorf("clause %q: problems %v, want one clause problem", in, problems)
		}
	}
}

func TestRelationshipSpellings(t *testing.T) {
	for _, rel := range []string{
		"1. Subset Of", "2. Intersects With", "3. Equal", "4. Superior Of", "5. Not Related",
		"Subset Of", "Intersects With", "Equal", "Superior Of", "Not Related",
		"subset of", "INTERSECTS WITH", "equal", "superset of", "no relationship",
		"SUBSET_OF", "INTERSECTS_WITH", "SUPERSET_OF", "NO_RELATIONSHIP", "RELATIONSHIP_EQUAL",
		"1) Subset Of", "2 Intersects With", "3.Equal", "intersects", "subset", "superset",
		"equals", "unrelated", "disjoint", "not-related", "=", "⊂", "⊃",
	} {
		rows := mustParse(t, "RISK 3.1\t"+rel+"\t4.1\ttopic\n", Options{})
		if len(rows) != 1 || rows[0].Relationship != rel {
			t.Errorf("relationship %q: %+v", rel, rows)
		}
	}
}

func TestPracticeLabels(t *testing.T) {
	for _, label := range []string{"RISK 3.1", "PLAN 2.2", "MC 2.4", "GOV 4.12", "RISK-3.1", "RISK3.1", "PAD 2.100"} {
		rows := mustParse(t, label+",Equal,4.1\n", Options{})
		if len(rows) != 1 || rows[0].Practice != label {
			t.Errorf("label %q: %+v", label, rows)
		}
	}
}

func TestContinuationRows(t *testing.T) {
	in := "Managing,MIR,Core,Risk and Opportunity Management (RISK),RISK 3.1,2. Intersects With,4.1,a\n" +
		",,,,,,4.1.1,b\n" +
		// A continuation row may state its own relationship.
		",,,,,Equal,4.1.2,c\n" +
		// Or repeat the leading cells, as long as they agree.
		"Managing,MIR,Core,Risk and Opportunity Management (RISK),,,4.1.3,d\n" +
		// Or be shifted: its clause id where the relationship belongs.
		",,,,,4.1.4,e\n"
	rows := mustParse(t, in, Options{})
	want := []Row{
		{1, "Managing", "MIR", "Core", risk, "RISK 3.1", "2. Intersects With", "4.1", "a", nil},
		{2, "Managing", "MIR", "Core", risk, "RISK 3.1", "2. Intersects With", "4.1.1", "b", every},
		{3, "Managing", "MIR", "Core", risk, "RISK 3.1", "Equal", "4.1.2", "c", every[:5]},
		{4, "Managing", "MIR", "Core", risk, "RISK 3.1", "Equal", "4.1.3", "d", []string{ColumnPractice, ColumnRelationship}},
		{5, "Managing", "MIR", "Core", risk, "RISK 3.1", "Equal", "4.1.4", "e", every},
	}
	diffRows(t, rows, want)
}

func TestQuotedFields(t *testing.T) {
	in := "Practice,Relationship,Clause ID,Clause Topic\n" +
		"RISK 3.1,Equal,4.1,\"Context, scope,\nand \"\"needs\"\"\"\n" +
		"RISK 3.2,Equal,4.2,plain\n" +
		"\"PLAN 2.2\",\"Subset Of\",\"ISO 7.2\",\"x\r\ny\"\r\n"
	want := []Row{
		{2, "", "", "", "", "RISK 3.1", "Equal", "4.1", "Context, scope,\nand \"needs\"", nil},
		{4, "", "", "", "", "RISK 3.2", "Equal", "4.2", "plain", nil},
		{5, "", "", "", "", "PLAN 2.2", "Subset Of", "7.2", "x\ny", nil},
	}
	diffRows(t, mustParse(t, in, Options{}), want)
}

func TestProblems(t *testing.T) {
	const full = "Managing,MIR,Core,Risk and Opportunity Management (RISK),RISK 3.1,2. Intersects With,4.1,topic\n"
	tests := []struct {
		name, in string
		want     []Problem // Message holds a fragment of the message
		rows     int
	}{
		{
			name: "ambiguous relationship",
			in:   full + "Managing,MIR,Core,Risk,RISK 3.2,Equal,4.2,Subset Of\n",
			want: []Problem{{2, ColumnRelationship, `ambiguous row: cells 6 and 8 both look like a relationship ("Equal", "Subset Of")`}},
			rows: 1,
		},
		{
			name: "ambiguous clause in a continuation row",
			in:   full + ",,,,,4.1.1,4.1.2,topic\n",
			want: []Problem{{2, ColumnClause, "positions disagree"}},
			rows: 1,
		},
		{
			name: "ambiguous practice",
			in:   "RISK 3.1,PLAN 2.2,Equal,4.1\n",
			want: []Problem{{1, ColumnPractice, `cells 1 and 2 both look like a practice label`}},
		},
		{
			name: "missing clause",
			in:   full + "Managing,MIR,Core,Risk,RISK 3.2,Equal,,topic\n" + "RISK 3.3,Equal,clause four\n",
			want: []Problem{
				{2, ColumnClause, "no clause id found: the row has no cell"},
				{3, ColumnClause, `no clause id found: "clause four" (cell 3)`},
			},
			rows: 1,
		},
		{
			name: "unknown relationship",
			in:   full + "Managing,MIR,Core,Risk,RISK 3.2,Partly,4.2,topic\n" + ",,,,,Sort of,4.3,topic\n",
			want: []Problem{
				{2, ColumnRelationship, `unknown relationship "Partly" (cell 6)`},
				{3, ColumnRelationship, `unknown relationship "Sort of" (cell 6)`},
			},
			rows: 1,
		},
		{
			name: "numbered relationship without words",
			in:   "RISK 3.1,2.,4.1\n",
			want: []Problem{{1, ColumnRelationship, `unknown relationship "2."`}},
		},
		{
			name: "no relationship",
			in:   full + "Managing,MIR,Core,Risk,RISK 3.2,,4.2,topic\n",
			want: []Problem{{2, ColumnRelationship, "no relationship: a row with a practice label states its relationship"}},
			rows: 1,
		},
		{
			name: "no relationship, shifted cells",
			in:   "Managing,MIR,Core,Risk,RISK 3.2,4.2,topic\n",
			want: []Problem{{1, ColumnRelationship, `cell 6, where the relationship belongs, holds "4.2"; the cells are shifted and positions disagree`}},
		},
		{
			name: "first row continuation",
			in:   ",,,,,,4.1,topic\n" + ",,,,,,4.1.1,topic\n" + full,
			want: []Problem{{1, ColumnPractice, "the first data row has no practice label"}},
			rows: 1,
		},
		{
			name: "first row continuation after the seed's header",
			in:   strings.Join(strings.Split(string(readFixture(t)), "\n")[:2], "\n") + "\n\t\t\t\t\t\tISO 4.1.1\tPlanning\t\n",
			want: []Problem{{3, ColumnPractice, "the first data row has no practice label"}},
		},
		{
			name: "malformed label",
			in:   full + "Managing,MIR,Core,Risk,RISK 3,Equal,4.2,topic\n" + ",,,,,,4.2.1,cont\n" + "risk 3.3,Equal,4.3\n",
			want: []Problem{
				{2, ColumnPractice, `malformed practice label "RISK 3" (cell 5)`},
				{4, ColumnPractice, `malformed practice label "risk 3.3" (cell 1)`},
			},
			rows: 1,
		},
		{
			name: "garbage row",
			in:   full + "lorem,ipsum,dolor\n" + full,
			want: []Problem{{2, ColumnRow, `the row holds no practice label (like RISK 3.1), relationship (like 2. Intersects With) or clause id (like 4.1): "lorem", "ipsum", "dolor"`}},
			rows: 2,
		},
		{
			name: "header below data",
			in:   full + "Category,Practice,Relationship,Clause ID\n",
			want: []Problem{{2, ColumnRow, "a header row below the data rows"}},
			rows: 1,
		},
		{
			name: "continuation disagrees with the row above",
			in:   full + ",PMW,,,,,4.1.1,topic\n",
			want: []Problem{{2, ColumnCapabilityArea, `a continuation row (no practice label) has capability area "PMW" (cell 2), but the row above has "MIR"`}},
			rows: 1,
		},
		{
			name: "every problem at once, multi-line cell",
			in: "Practice,Relationship,Clause ID,Clause Topic\n" +
				"RISK 3.1,Equal,4.1,\"two\nlines\"\n" +
				"RISK 3.2,Maybe,,x\n" +
				",,4.2,y\n",
			want: []Problem{
				{4, ColumnRelationship, `unknown relationship "Maybe" (cell 2)`},
				{4, ColumnClause, "no clause id found"},
			},
			rows: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, problems := parseString(t, tt.in, Options{})
			if len(problems) != len(tt.want) {
				t.Fatalf("problems:\n%v\nwant %d like\n%v", problems, len(tt.want), tt.want)
			}
			for i, p := range problems {
				w := tt.want[i]
				if p.Line != w.Line || p.Column != w.Column || !strings.Contains(p.Message, w.Message) {
					t.Errorf("problem %d = %s\nwant line %d, %s: …%s…", i, p, w.Line, w.Column, w.Message)
				}
			}
			if len(rows) != tt.rows {
				t.Errorf("got %d rows, want %d: %+v", len(rows), tt.rows, rows)
			}
		})
	}
}

func TestEmptyInput(t *testing.T) {
	for _, in := range []string{"", "\n\n", "\uFEFF", " \t \n,,,\n", string(Header[0])} {
		rows, problems := parseString(t, in, Options{})
		if len(rows) != 0 || len(problems) != 0 {
			t.Errorf("%q: rows %v, problems %v", in, rows, problems)
		}
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestLimitsAndErrors(t *testing.T) {
	if _, _, err := Parse(failingReader{}, Options{}); err == nil || errs.KindOf(err) != errs.Internal {
		t.Errorf("failing reader: %v", err)
	}
	big := bytes.Repeat([]byte("x"), MaxBytes+1)
	if _, _, err := Parse(bytes.NewReader(big), Options{}); !errs.Is(err, errs.Invalid) {
		t.Errorf("input over MaxBytes: %v", err)
	}
	many := strings.Repeat("RISK 3.1,Equal,4.1\n", MaxRows)
	if rows, problems, err := Parse(strings.NewReader(many), Options{}); err != nil || len(problems) != 0 || len(rows) != MaxRows {
		t.Errorf("MaxRows rows: %d rows, %d problems, %v", len(rows), len(problems), err)
	}
	if _, _, err := Parse(strings.NewReader(many+"\n\nRISK 3.1,Equal,4.2\n"), Options{}); !errs.Is(err, errs.Invalid) {
		t.Errorf("MaxRows+1 rows: %v", err)
	}
}
