package catalog

import (
	"bytes"
	"slices"
	"testing"
)

func TestParsePracticeID(t *testing.T) {
	tests := []struct {
		in      string
		want    PracticeID
		wantErr bool
	}{
		{in: "RSK-3.1", want: PracticeID{"RSK", 3, 1}},
		{in: "RSK 3.1", want: PracticeID{"RSK", 3, 1}},
		{in: "rsk-3.1", want: PracticeID{"RSK", 3, 1}},
		{in: "RISK 3.1", want: PracticeID{"RISK", 3, 1}},
		{in: "  PLAN-4.2\n", want: PracticeID{"PLAN", 4, 2}},
		{in: "RSK-2.10", want: PracticeID{"RSK", 2, 10}},
		{in: "CAR-9.999", want: PracticeID{"CAR", 9, 999}},
		{in: "A1B2-1.1", want: PracticeID{"A1B2", 1, 1}},
		{in: "ABCDEFGHIJKLMNOP-1.1", want: PracticeID{"ABCDEFGHIJKLMNOP", 1, 1}},
		{in: "ABCDEFGHIJKLMNOPQ-1.1", wantErr: true},
		{in: "", wantErr: true},
		{in: "RSK", wantErr: true},
		{in: "RSK3.1", wantErr: true},
		{in: "RSK-3", wantErr: true},
		{in: "RSK-3.", wantErr: true},
		{in: "RSK-.1", wantErr: true},
		{in: "RSK-0.1", wantErr: true},
		{in: "RSK-10.1", wantErr: true},
		{in: "RSK-3.0", wantErr: true},
		{in: "RSK-3.01", wantErr: true},
		{in: "RSK-3.1000", wantErr: true},
		{in: "RSK-3.1.2", wantErr: true},
		{in: "RSK-+3.1", wantErr: true},
		{in: "RSK--3.1", wantErr: true},
		{in: "RSK  3.1", wantErr: true},
		{in: "R-SK-3.1", wantErr: true},
		{in: "1RSK-3.1", wantErr: true},
		{in: "-3.1", wantErr: true},
		{in: "RSK-3.1a", wantErr: true},
		{in: "RSK-３.1", wantErr: true},
		{in: "RSÉ-3.1", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParsePracticeID(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParsePracticeID(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestPracticeIDForms(t *testing.T) {
	id := PracticeID{Area: "RSK", Level: 3, Number: 12}
	if got := id.String(); got != "RSK-3.12" {
		t.Errorf("String() = %q", got)
	}
	if got := id.Label(); got != "RSK 3.12" {
		t.Errorf("Label() = %q", got)
	}
	back, err := ParsePracticeKey(id.Key())
	if err != nil || back != id {
		t.Errorf("ParsePracticeKey(Key()) = %+v, %v", back, err)
	}
}

func TestPracticeKeysSortNumerically(t *testing.T) {
	// The wanted order: by area (string order), then level, then number.
	ordered := []string{
		"CAR-1.1", "CAR-5.1",
		"PQA-1.1", "PQA-1.2",
		"PR-1.1", "PR-1.2", "PR-1.10", "PR-2.1",
		"PRX-1.1",
		"RSK-2.1", "RSK-2.2", "RSK-2.9", "RSK-2.10", "RSK-2.11", "RSK-2.100", "RSK-3.1",
	}
	var keys [][]byte
	var ids []PracticeID
	for _, s := range ordered {
		id, err := ParsePracticeID(s)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		keys = append(keys, id.Key())
	}
	shuffled := slices.Clone(keys)
	slices.Reverse(shuffled)
	slices.SortFunc(shuffled, bytes.Compare)
	for i := range keys {
		if !bytes.Equal(shuffled[i], keys[i]) {
			t.Fatalf("key order differs at %d: %x, want %x (%s)", i, shuffled[i], keys[i], ordered[i])
		}
	}
	for i := 1; i < len(ids); i++ {
		if ids[i-1].Compare(ids[i]) >= 0 || bytes.Compare(keys[i-1], keys[i]) >= 0 {
			t.Errorf("%s should sort before %s", ids[i-1], ids[i])
		}
	}
	strs := slices.Clone(ordered)
	slices.Reverse(strs)
	slices.SortFunc(strs, comparePracticeIDStrings)
	if !slices.Equal(strs, ordered) {
		t.Errorf("comparePracticeIDStrings order %q", strs)
	}
}

func TestAreaPrefix(t *testing.T) {
	tests := []struct {
		area  string
		id    string
		match bool
	}{
		{"PR", "PR-1.1", true},
		{"PR", "PR-5.999", true},
		{"PR", "PQA-1.1", false},
		{"PR", "PRX-1.1", false},
		{"PRX", "PR-1.1", false},
		{"pr", "PR-2.1", true},
		{"RSK", "RISK-1.1", false},
	}
	for _, tt := range tests {
		id, err := ParsePracticeID(tt.id)
		if err != nil {
			t.Fatal(err)
		}
		if got := bytes.HasPrefix(id.Key(), AreaPrefix(tt.area)); got != tt.match {
			t.Errorf("key of %s has prefix of %s: %v, want %v", tt.id, tt.area, got, tt.match)
		}
	}
}

func TestParsePracticeKeyRejectsMalformedKeys(t *testing.T) {
	good := PracticeID{Area: "RSK", Level: 2, Number: 300}.Key()
	tests := map[string][]byte{
		"empty":        nil,
		"too short":    good[:4],
		"no separator": []byte("RSKX\x02\x01\x2c"),
		"level zero":   append(AreaPrefix("RSK"), 0, 0, 1),
		"level ten":    append(AreaPrefix("RSK"), 10, 0, 1),
		"number zero":  append(AreaPrefix("RSK"), 1, 0, 0),
		"number 1000":  append(AreaPrefix("RSK"), 1, 0x03, 0xe8),
		"lower area":   []byte("rsk\x00\x01\x00\x01"),
		"empty area":   append(AreaPrefix(""), 1, 0, 1),
		"extra byte":   append(slices.Clone(good), 0),
	}
	for name, k := range tests {
		if id, err := ParsePracticeKey(k); err == nil {
			t.Errorf("%s: ParsePracticeKey(%x) = %+v, want an error", name, k, id)
		}
	}
}

func FuzzParsePracticeID(f *testing.F) {
	for _, s := range []string{"RSK-3.1", "RSK 3.1", "rsk-3.1", "RISK 3.1", "PLAN-4.12", "X-9.999", "", "RSK-3.01", "A-1.1 ", "é-1.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParsePracticeID(s)
		if err != nil {
			return
		}
		again, err := ParsePracticeID(id.String())
		if err != nil || again != id {
			t.Fatalf("ParsePracticeID(%q) = %+v; ParsePracticeID(%q) = %+v, %v", s, id, id.String(), again, err)
		}
		label, err := ParsePracticeID(id.Label())
		if err != nil || label != id {
			t.Fatalf("ParsePracticeID(Label %q) = %+v, %v; want %+v", id.Label(), label, err, id)
		}
		back, err := ParsePracticeKey(id.Key())
		if err != nil || back != id {
			t.Fatalf("ParsePracticeKey(Key of %+v) = %+v, %v", id, back, err)
		}
		if !bytes.HasPrefix(id.Key(), AreaPrefix(id.Area)) {
			t.Fatalf("key %x lacks its area prefix", id.Key())
		}
	})
}
