package server

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
)

// TestCharacterizationValue checks the partial decoder the rating path uses
// against proto.Unmarshal on the same bytes: every value, a message with
// every field set, the value missing, the value twice (the last wins),
// unknown fields, and malformed input, which both must refuse.
func TestCharacterizationValue(t *testing.T) {
	if n := (&appraisalv1.Characterization{}).ProtoReflect().Descriptor().Fields().ByName("value").Number(); n != 2 {
		t.Fatalf("Characterization.value is field %d; characterizationValue reads field 2", n)
	}
	full := func(v appraisalv1.CharacterizationValue) []byte {
		raw, err := proto.Marshal(&appraisalv1.Characterization{
			Name: "appraisals/a/instances/i/characterizations/RSK-3.1", Value: v,
			Rationale: "sample rationale", Evidence: []string{"appraisals/a/evidence/e1", "appraisals/a/evidence/e2"},
			Updater: "user-1", UpdateTime: timestamppb.Now(), Etag: "W/\"x\"",
		})
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	cat := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	unknown := protowire.AppendString(protowire.AppendTag(nil, 99, protowire.BytesType), "from a newer version")
	tests := []struct {
		name string
		raw  []byte
		bad  bool
	}{
		{"empty message", nil, false},
		{"value only", []byte{0x10, 0x03}, false},
		{"value twice, the last wins", cat(full(appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_FULLY_MEETS), full(appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_NOT_YET)), false},
		{"unknown field after the value", cat(full(appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_LARGELY_MEETS), unknown), false},
		{"unknown field before the value", cat(unknown, full(appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_DOES_NOT_MEET)), false},
		{"truncated tag", []byte{0x80}, true},
		{"truncated varint value", []byte{0x10, 0x80}, true},
		{"truncated string", full(appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_FULLY_MEETS)[:10], true},
		{"field number zero", []byte{0x00, 0x01}, true},
	}
	for v := range appraisalv1.CharacterizationValue_name {
		tests = append(tests, struct {
			name string
			raw  []byte
			bad  bool
		}{"every field set, " + appraisalv1.CharacterizationValue(v).String(), full(appraisalv1.CharacterizationValue(v)), false})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := characterizationValue(tt.raw)
			want := &appraisalv1.Characterization{}
			werr := proto.Unmarshal(tt.raw, want)
			if (err != nil) != tt.bad || (werr != nil) != tt.bad {
				t.Fatalf("errors: partial %v, proto.Unmarshal %v; want failure %v", err, werr, tt.bad)
			}
			if !tt.bad && got != want.GetValue() {
				t.Fatalf("value = %v, proto.Unmarshal says %v", got, want.GetValue())
			}
		})
	}
}
