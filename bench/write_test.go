package bench

import (
	"fmt"
	"sync/atomic"
	"testing"

	"google.golang.org/protobuf/proto"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
)

// writeConcurrencies are the writer counts of the write floor.
var writeConcurrencies = []int{1, 64}

// BenchmarkWrite measures writes through gRPC (UpdateCharacterization with
// allow_missing, CreateEvidence) on one CONDUCTING appraisal of the AIM view
// beside the raw bbolt floor: db.Batch of one value of the same size as a
// stored characterization, fsync on, with bbolt's own batch settings (the
// services use platform/store's group commit instead, ADR 0004).
// FloorUnbatched is db.Update, one fsync per write, for reference.
func BenchmarkWrite(b *testing.B) {
	s := startStack(b, false)
	lead := s.lead(b)
	const instances = 8
	name, _ := s.conductingAppraisal(b, appraisalSpec{id: "writes", targetML: 0, instances: instances})
	scope := s.scopedPractices(b, name)

	// One write first, to size the floor's value like a stored
	// characterization.
	first, err := s.appraisal.UpdateCharacterization(lead, charRequest(name, scope, instances, 0))
	if err != nil {
		b.Fatal(err)
	}
	valueSize := proto.Size(first.GetCharacterization())
	b.Logf("value size %d bytes (a stored characterization)", valueSize)

	floor := openBoltFloor(b, valueSize)
	runWrites := func(b *testing.B, op func(int) error, refs ...ref) {
		for _, c := range writeConcurrencies {
			b.Run(fmt.Sprintf("c%d", c), func(b *testing.B) {
				measure(b, c, op, refs...)
				b.ReportMetric(float64(valueSize), "value-B")
			})
		}
	}
	fl := ref{"floor", floor.put(true)}
	b.Run("Floor", func(b *testing.B) { runWrites(b, floor.put(true)) })
	b.Run("FloorUnbatched", func(b *testing.B) { runWrites(b, openBoltFloor(b, valueSize).put(false)) })

	var seq atomic.Int64 // distinct work across the runs of b.N's escalation
	seq.Store(1)
	b.Run("UpdateCharacterization", func(b *testing.B) {
		runWrites(b, func(int) error {
			_, err := s.appraisal.UpdateCharacterization(lead, charRequest(name, scope, instances, int(seq.Add(1))))
			return err
		}, fl)
	})
	b.Run("CreateEvidence", func(b *testing.B) {
		runWrites(b, func(i int) error {
			_, err := s.appraisal.CreateEvidence(lead, &appraisalv1.CreateEvidenceRequest{Parent: name, Evidence: &appraisalv1.Evidence{
				Kind: appraisalv1.Evidence_KIND_ARTIFACT, Title: fmt.Sprintf("Project plan, revision %d", i),
				Uri: "https://docs.example.invalid/plans/" + fmt.Sprint(i), Practices: []string{scope[i%len(scope)]},
				Instances: []string{instanceID(i % instances)},
			}})
			return err
		}, fl)
	})
}

// charRequest sets characterization number i: it walks instance by
// instance through the scope and alternates the value, so every call
// changes something.
func charRequest(appraisal string, scope []string, instances, i int) *appraisalv1.UpdateCharacterizationRequest {
	value := appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_FULLY_MEETS
	if (i/(instances*len(scope)))%2 == 1 {
		value = appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_LARGELY_MEETS
	}
	return &appraisalv1.UpdateCharacterizationRequest{AllowMissing: true, Characterization: &appraisalv1.Characterization{
		Name:  fmt.Sprintf("%s/instances/%s/characterizations/%s", appraisal, instanceID(i%instances), scope[(i/instances)%len(scope)]),
		Value: value, Rationale: "Seen in the sampled work products and affirmations.",
	}}
}

// scopedPractices returns the practice ids of an appraisal's scope, from
// the missing list of its ratings.
func (s *stack) scopedPractices(tb testing.TB, appraisal string) []string {
	tb.Helper()
	r, err := s.appraisal.GetRatings(s.lead(tb), &appraisalv1.GetRatingsRequest{Name: appraisal + "/ratings"})
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	seen := map[string]bool{}
	for _, m := range r.GetRatings().GetMissing() {
		if !seen[m.GetPractice()] {
			seen[m.GetPractice()] = true
			out = append(out, m.GetPractice())
		}
	}
	if len(out) == 0 {
		tb.Fatalf("%s has nothing to characterize", appraisal)
	}
	return out
}
