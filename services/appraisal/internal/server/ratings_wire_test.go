package server

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
)

// TestCharacterizationValue checks the partial decoder the rating path uses
// against proto.Unmarshal on what proto.Marshal writes (every value, every
// field set, the value missing, unknown fields), and on malformed input up
// to the value, which both must refuse. Past the value it reads nothing, so
// it differs from proto.Unmarshal on bytes the store never holds: those
// rows say what it returns instead.
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
	fm, ny := appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_FULLY_MEETS, appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_NOT_YET
	noValue, err := proto.Marshal(&appraisalv1.Characterization{Name: "appraisals/a/instances/i/characterizations/RSK-3.1", Rationale: "sample"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		raw  []byte
		bad  bool
		// differs: proto.Unmarshal reads something else, and the decoder
		// must return want (bytes proto.Marshal does not write).
		differs bool
		want    appraisalv1.CharacterizationValue
	}{
		{name: "empty message", raw: nil},
		{name: "value only", raw: []byte{0x10, 0x03}},
		{name: "value not set, other fields set", raw: noValue},
		{name: "unknown field after the value", raw: cat(full(appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_LARGELY_MEETS), unknown)},
		{name: "truncated tag", raw: []byte{0x80}, bad: true},
		{name: "truncated varint value", raw: []byte{0x10, 0x80}, bad: true},
		{name: "truncated name", raw: full(fm)[:10], bad: true},
		{name: "field number zero", raw: []byte{0x00, 0x01}, bad: true},
		{name: "two messages concatenated: the first value, not the last", raw: cat(full(fm), full(ny)), differs: true, want: fm},
		{name: "a field above the value first: stops there", raw: cat(unknown, full(ny)), differs: true, want: 0},
	}
	for v := range appraisalv1.CharacterizationValue_name {
		tests = append(tests, struct {
			name    string
			raw     []byte
			bad     bool
			differs bool
			want    appraisalv1.CharacterizationValue
		}{name: "every field set, " + appraisalv1.CharacterizationValue(v).String(), raw: full(appraisalv1.CharacterizationValue(v))})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := characterizationValue(tt.raw)
			ref := &appraisalv1.Characterization{}
			werr := proto.Unmarshal(tt.raw, ref)
			if (err != nil) != tt.bad || (werr != nil) != tt.bad {
				t.Fatalf("errors: partial %v, proto.Unmarshal %v; want failure %v", err, werr, tt.bad)
			}
			want := ref.GetValue()
			if tt.differs {
				want = tt.want
			}
			if !tt.bad && got != want {
				t.Fatalf("value = %v, want %v (proto.Unmarshal says %v)", got, want, ref.GetValue())
			}
		})
	}
}
