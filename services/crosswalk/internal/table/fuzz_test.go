package table

import (
	"bytes"
	"os"
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics and that a table Parse reads
// without problems comes back the same, lines and inheritance aside, from
// Write and Parse again, as CSV and as TSV.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile(fixture); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		"Category,Capability Area,Domain,Practice Area,Practice,Relationship,Clause ID,Clause Topic\nManaging,MIR,Core,Risk,RISK 3.1,Equal,4.1,\"a, b\nc\"\n",
		"RISK 3.1\t2. Intersects With\tISO 4.1\tContext\n\t\t\t\t\t\tISO 4.1.1\tPlanning\t\n",
		"\uFEFFPLAN 2.2,Subset Of,ISO/IEC A.6.2.4,x\r\n,,,,,,7.2.2.p.1.a,y\r\n",
		",,,,,,4.1\nRISK 3,Maybe,four\nlorem\nCategory,Practice\n",
		"Clause Topic;Clause ID;Relationship;Practice Label\nt;4.1;=;MC 2.4\n",
		"\"RISK 3.1\",\"2. Intersects With\",\"4.1\",\"\"\"quoted\"\"\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		rows, problems, err := Parse(bytes.NewReader(in), Options{})
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		for _, p := range problems {
			if p.Line < 1 || p.Column == "" || p.Message == "" {
				t.Fatalf("incomplete problem %+v", p)
			}
		}
		if len(problems) != 0 {
			return
		}
		for _, comma := range []rune{',', '\t'} {
			var buf bytes.Buffer
			if err := Write(&buf, rows, comma); err != nil {
				t.Fatalf("Write: %v", err)
			}
			again, problems, err := Parse(bytes.NewReader(buf.Bytes()), Options{})
			if err != nil {
				t.Fatalf("Parse of Write (%q): %v", comma, err)
			}
			if len(problems) != 0 {
				t.Fatalf("Parse of Write (%q): problems %v\n%q", comma, problems, buf.String())
			}
			if !reflect.DeepEqual(normalize(again), normalize(rows)) {
				t.Fatalf("round trip (%q) differs:\n got %+v\nwant %+v\n%q", comma, again, rows, buf.String())
			}
		}
	})
}
