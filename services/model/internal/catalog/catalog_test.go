package catalog

import "testing"

func TestParseModelName(t *testing.T) {
	tests := []struct {
		name    string
		want    string
		wantErr bool
	}{
		{"models/cmmi-aim", "cmmi-aim", false},
		{"models/a", "a", false},
		{"models/", "", true},
		{"models/Upper", "", true},
		{"models/a/versions/1", "", true},
		{"frameworks/x", "", true},
		{"models/-dash", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		got, err := ParseModelName(tt.name)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseModelName(%q) = %q, %v; want %q, err=%v", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestDefaultModelsAreSampleAndNamed(t *testing.T) {
	models := DefaultModels()
	if len(models) == 0 {
		t.Fatal("no default models")
	}
	for _, m := range models {
		if _, err := ParseModelName(m.Name()); err != nil {
			t.Errorf("default model %q: %v", m.ID, err)
		}
		if !m.Sample || m.DisplayName == "" || m.Description == "" {
			t.Errorf("default model %q must be named, described and marked sample: %+v", m.ID, m)
		}
	}
}
