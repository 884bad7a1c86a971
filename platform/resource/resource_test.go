package resource

import "testing"

func TestID(t *testing.T) {
	tests := []struct{ name, want string }{
		{"models/cmmi-aim/versions/3.0/practices/RSK-3.1", "RSK-3.1"},
		{"appraisals/a1", "a1"},
		{"a1", "a1"},
		{"appraisals/", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := ID(tt.name); got != tt.want {
			t.Errorf("ID(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}
