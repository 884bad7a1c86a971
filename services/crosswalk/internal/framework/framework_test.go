package framework

import "testing"

func TestParseName(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"frameworks/iso-iec-42001-2023", "iso-iec-42001-2023", false},
		{"frameworks/", "", true},
		{"frameworks/ISO", "", true},
		{"frameworks/a/clauses/4.1", "", true},
		{"models/cmmi-aim", "", true},
	}
	for _, tt := range tests {
		got, err := ParseName(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseName(%q) = %q, %v", tt.in, got, err)
		}
	}
}

func TestDefaults(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Defaults() {
		if _, err := ParseName(f.Name()); err != nil {
			t.Error(err)
		}
		if seen[f.ID] {
			t.Errorf("duplicate default framework %s", f.ID)
		}
		seen[f.ID] = true
		if f.DisplayName == "" || f.Title == "" || f.Kind == KindUnspecified {
			t.Errorf("default framework %s incomplete: %+v", f.ID, f)
		}
		if (f.Kind == KindMaturityModel) != (f.Model != "") {
			t.Errorf("framework %s: a maturity model, and only one, names its catalog model", f.ID)
		}
	}
	for _, id := range []string{"iso-iec-42001-2023", "iso-iec-23894-2023", "iso-iec-23053-2022", "iso-31000-2018", "cmmi-aim"} {
		if !seen[id] {
			t.Errorf("missing default framework %s", id)
		}
	}
}
