package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"google.golang.org/protobuf/types/known/emptypb"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
)

// Framework resource names of the crosswalk service's defaults.
const (
	iso42001 = "frameworks/iso-iec-42001-2023"
	iso23894 = "frameworks/iso-iec-23894-2023"
	cmmiAIM  = "frameworks/cmmi-aim"
)

// BenchmarkGRPC measures the read RPCs as they run in production (auth,
// validation, access log, telemetry; the crosswalk and appraisal services
// calling the catalog and each other over the same loopback listener)
// beside the bare grpc-go floor, at concurrency 1, 16 and 64.
func BenchmarkGRPC(b *testing.B) {
	floor := startGRPCFloor(b)
	s := startStack(b, false)
	reader := s.reader(b)
	lead := s.lead(b)

	practice := s.practiceName(b, "RSK-3.1")
	sources := s.sampleSources(b)

	floorOp := grpcFloorOp(floor)
	fl := ref{"floor", floorOp}
	b.Run("Floor", func(b *testing.B) {
		forConcurrencies(b, func(b *testing.B, c int) { measure(b, c, floorOp) })
	})
	// StackFloor is the floor's empty method served by the production stack
	// (auth, validation, access log, telemetry, recovery): what any read
	// pays before its handler runs. No target; it shows how far the stack
	// alone sits from the bare floor.
	b.Run("StackFloor", func(b *testing.B) {
		forConcurrencies(b, func(b *testing.B, c int) {
			measure(b, c, func(int) error { return s.conn.Invoke(reader, floorMethod, &emptypb.Empty{}, &emptypb.Empty{}) }, fl)
		})
	})
	b.Run("GetPractice", func(b *testing.B) {
		req := &modelv1.GetPracticeRequest{Name: practice}
		forConcurrencies(b, func(b *testing.B, c int) {
			measure(b, c, func(int) error { _, err := s.model.GetPractice(reader, req); return err }, fl)
		})
	})
	b.Run("ListPractices", func(b *testing.B) {
		req := &modelv1.ListPracticesRequest{Parent: modelVersion + "/practiceAreas/-", PageSize: 50}
		forConcurrencies(b, func(b *testing.B, c int) {
			measure(b, c, func(int) error {
				resp, err := s.model.ListPractices(reader, req)
				if err == nil && len(resp.GetPractices()) != 50 {
					err = fmt.Errorf("ListPractices returned %d practices", len(resp.GetPractices()))
				}
				return err
			}, fl)
		})
	})
	b.Run("SearchPractices", func(b *testing.B) {
		req := &modelv1.SearchPracticesRequest{Parent: modelVersion, Query: "bias in training data"}
		forConcurrencies(b, func(b *testing.B, c int) {
			measure(b, c, func(int) error { _, err := s.model.SearchPractices(reader, req); return err }, fl)
		})
	})
	b.Run("ResolveMappings1Hop", func(b *testing.B) {
		req := resolveRequest(sources, 1)
		forConcurrencies(b, func(b *testing.B, c int) {
			measure(b, c, func(int) error { _, err := s.crosswalk.ResolveMappings(reader, req); return err }, fl)
		})
	})
	var twoHops sync.Once
	b.Run("ResolveMappings2Hops", func(b *testing.B) {
		twoHops.Do(func() { s.importSecondCrosswalk(b) })
		req := resolveRequest(sources, 2)
		checkReaches(b, s, reader, req, iso23894)
		forConcurrencies(b, func(b *testing.B, c int) {
			measure(b, c, func(int) error { _, err := s.crosswalk.ResolveMappings(reader, req); return err }, fl)
		})
	})
	b.Run("AnalyzeGaps", func(b *testing.B) {
		req := gapsRequest(sampleCrosswalk, sources)
		forConcurrencies(b, func(b *testing.B, c int) {
			measure(b, c, func(int) error { _, err := s.crosswalk.AnalyzeGaps(reader, req); return err }, fl)
		})
	})
	var ratings lazy[string]
	b.Run("GetRatings", func(b *testing.B) {
		name := ratings.get("", func() string {
			name, _ := s.conductingAppraisal(b, appraisalSpec{id: "ratings-ml2", targetML: 2, instances: 2, characterize: true})
			return name
		})
		req := &appraisalv1.GetRatingsRequest{Name: name + "/ratings"}
		forConcurrencies(b, func(b *testing.B, c int) {
			measure(b, c, func(int) error {
				resp, err := s.appraisal.GetRatings(lead, req)
				if err == nil && (resp.GetRatings().GetFinal() || !resp.GetRatings().GetComplete()) {
					err = fmt.Errorf("GetRatings: final=%v complete=%v, want computed and complete", resp.GetRatings().GetFinal(), resp.GetRatings().GetComplete())
				}
				return err
			}, fl)
		})
	})
}

// resolveRequest resolves the sample crosswalk's source practices forward.
func resolveRequest(elements []string, hops int32) *crosswalkv1.ResolveMappingsRequest {
	return &crosswalkv1.ResolveMappingsRequest{Crosswalk: sampleCrosswalk, Elements: elements, MaxHops: hops,
		Direction: crosswalkv1.ResolveMappingsRequest_DIRECTION_FORWARD}
}

// gapsRequest analyses a crosswalk's whole target framework given the
// first half of sources as satisfied practices.
func gapsRequest(crosswalk string, sources []string) *crosswalkv1.AnalyzeGapsRequest {
	return &crosswalkv1.AnalyzeGapsRequest{Crosswalk: crosswalk, SatisfiedPractices: sources[:max(1, len(sources)/2)]}
}

// importSecondCrosswalk imports a tenant crosswalk ISO/IEC 42001 → 23894
// (JSON): every 42001 clause to two 23894 clauses, so resolution can chain
// a second hop from what the sample crosswalk reaches.
func (s *stack) importSecondCrosswalk(tb testing.TB) {
	tb.Helper()
	from, to := s.clauseIDs(tb, iso42001), s.clauseIDs(tb, iso23894)
	var mappings []*crosswalkv1.Mapping
	for i, c := range from {
		for _, j := range []int{i % len(to), (i*7 + 3) % len(to)} {
			mappings = append(mappings, &crosswalkv1.Mapping{Source: c, Target: to[j],
				Relationship: relationships[(i+j)%len(relationships)], Strength: int32(1 + (i+j)%10)})
		}
	}
	seen := map[string]bool{}
	uniq := mappings[:0]
	for _, m := range mappings {
		if k := m.GetSource() + "\x00" + m.GetTarget(); !seen[k] {
			seen[k] = true
			uniq = append(uniq, m)
		}
	}
	s.importCrosswalk(tb, "iso42001-to-23894", iso42001, iso23894, "", uniq)
}

// checkReaches fails unless req reaches a clause of framework.
func checkReaches(b *testing.B, s *stack, ctx context.Context, req *crosswalkv1.ResolveMappingsRequest, framework string) {
	b.Helper()
	resp, err := s.crosswalk.ResolveMappings(ctx, req)
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range resp.GetResults() {
		if r.GetToFramework() == framework {
			return
		}
	}
	b.Fatalf("resolution of %v in %d hops reaches nothing in %s (%d results)", req.GetElements(), req.GetMaxHops(), framework, len(resp.GetResults()))
}
