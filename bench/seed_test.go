package bench

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
)

// Everything here goes through the public gRPC API, as a user would; none
// of it is measured.

// practiceName returns the canonical resource name of a practice id.
func (s *stack) practiceName(tb testing.TB, id string) string {
	tb.Helper()
	resp, err := s.model.GetPractice(s.reader(tb), &modelv1.GetPracticeRequest{Name: modelVersion + "/practiceAreas/-/practices/" + id})
	if err != nil {
		tb.Fatalf("GetPractice %s: %v", id, err)
	}
	return resp.GetPractice().GetName()
}

// practiceIDs returns the id of every practice of the default model.
func (s *stack) practiceIDs(tb testing.TB) []string {
	tb.Helper()
	var ids []string
	token := ""
	for {
		resp, err := s.model.ListPractices(s.reader(tb), &modelv1.ListPracticesRequest{
			Parent: modelVersion + "/practiceAreas/-", PageSize: 1000, PageToken: token})
		if err != nil {
			tb.Fatalf("ListPractices: %v", err)
		}
		for _, p := range resp.GetPractices() {
			ids = append(ids, lastSegment(p.GetName()))
		}
		if token = resp.GetNextPageToken(); token == "" {
			return ids
		}
	}
}

// clauseIDs returns the clause ids of a framework in document order.
func (s *stack) clauseIDs(tb testing.TB, framework string) []string {
	tb.Helper()
	var ids []string
	token := ""
	for {
		resp, err := s.crosswalk.ListClauses(s.reader(tb), &crosswalkv1.ListClausesRequest{Parent: framework, PageSize: 1000, PageToken: token})
		if err != nil {
			tb.Fatalf("ListClauses %s: %v", framework, err)
		}
		for _, c := range resp.GetClauses() {
			ids = append(ids, c.GetId())
		}
		if token = resp.GetNextPageToken(); token == "" {
			return ids
		}
	}
}

// sampleSources returns the distinct source practices of the sample
// crosswalk, in order.
func (s *stack) sampleSources(tb testing.TB) []string {
	tb.Helper()
	resp, err := s.crosswalk.ListMappings(s.reader(tb), &crosswalkv1.ListMappingsRequest{Parent: sampleCrosswalk, PageSize: 1000})
	if err != nil {
		tb.Fatalf("ListMappings: %v", err)
	}
	var out []string
	seen := map[string]bool{}
	for _, m := range resp.GetMappings() {
		if !seen[m.GetSource()] {
			seen[m.GetSource()] = true
			out = append(out, m.GetSource())
		}
	}
	return out
}

// importCrosswalk creates a crosswalk of the bench tenant and imports
// mappings into it as one JSON document (FORMAT_JSON, enum numbers to keep
// a 1e5-mapping document under the server's 8 MiB message limit).
func (s *stack) importCrosswalk(tb testing.TB, id, source, target, sourceModelVersion string, mappings []*crosswalkv1.Mapping) {
	tb.Helper()
	ctx := s.lead(tb)
	_, err := s.crosswalk.CreateCrosswalk(ctx, &crosswalkv1.CreateCrosswalkRequest{CrosswalkId: id, Crosswalk: &crosswalkv1.Crosswalk{
		DisplayName: "bench " + id, SourceFramework: source, TargetFramework: target, SourceModelVersion: sourceModelVersion,
	}})
	if err != nil {
		tb.Fatalf("CreateCrosswalk %s: %v", id, err)
	}
	doc, err := protojson.MarshalOptions{UseEnumNumbers: true}.Marshal(&crosswalkv1.ListMappingsResponse{Mappings: mappings})
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := s.crosswalk.ImportCrosswalk(ctx, &crosswalkv1.ImportCrosswalkRequest{
		Name: "crosswalks/" + id, Format: crosswalkv1.Format_FORMAT_JSON, Content: string(doc)})
	if err != nil {
		tb.Fatalf("ImportCrosswalk %s (%d mappings, %d bytes): %v", id, len(mappings), len(doc), err)
	}
	if int(resp.GetMappingCount()) != len(mappings) {
		tb.Fatalf("ImportCrosswalk %s: %d mappings stored, want %d", id, resp.GetMappingCount(), len(mappings))
	}
}

// relationships are the ones a mapping may carry, cycled through.
var relationships = []crosswalkv1.Relationship{
	crosswalkv1.Relationship_RELATIONSHIP_EQUAL, crosswalkv1.Relationship_RELATIONSHIP_SUBSET_OF,
	crosswalkv1.Relationship_RELATIONSHIP_SUPERSET_OF, crosswalkv1.Relationship_RELATIONSHIP_INTERSECTS_WITH,
}

// spreadMappings returns n distinct source→target mappings spread evenly
// over sources and targets: mapping k joins sources[k%S] and
// targets[(k/S + k%S) % T]. When the targets run short it adds paragraph
// items under them ("6.1.2.p.3", a valid clause id the tree lacks, which
// imports keep with a warning and gap analysis counts under 6.1.2).
func spreadMappings(n int, sources, targets []string) []*crosswalkv1.Mapping {
	S := len(sources)
	need := (n + S - 1) / S
	ts := append([]string(nil), targets...)
	for j := 1; len(ts) < need; j++ {
		for _, t := range targets {
			if len(ts) >= need {
				break
			}
			ts = append(ts, fmt.Sprintf("%s.p.%d", t, j))
		}
	}
	T := len(ts)
	out := make([]*crosswalkv1.Mapping, n)
	for k := range out {
		p, q := k%S, k/S
		out[k] = &crosswalkv1.Mapping{
			Source: sources[p], Target: ts[(q+p)%T], Relationship: relationships[k%len(relationships)], Strength: int32(1 + k%10),
		}
	}
	return out
}

// appraisalSpec is an appraisal to set up for reading and writing.
type appraisalSpec struct {
	id        string
	targetML  int32 // 0 scopes the whole view
	instances int
	// characterize sets every pair GetRatings lists as missing to Fully
	// Meets, so that the ratings are complete.
	characterize bool
}

// conductingAppraisal creates an appraisal of the AIM view (AI usage
// scenario SUPPORT_AUGMENTATION) led by the lead identity, with a second
// team member, plans it, adds the instances and starts it. It returns the
// appraisal's name and its scoped practice count.
func (s *stack) conductingAppraisal(tb testing.TB, spec appraisalSpec) (string, int) {
	tb.Helper()
	ctx := s.lead(tb)
	must := func(what string, err error) {
		tb.Helper()
		if err != nil {
			tb.Fatalf("%s %s: %v", what, spec.id, err)
		}
	}
	scen := modelv1.AiUsageScenario_AI_USAGE_SCENARIO_SUPPORT_AUGMENTATION
	a, err := s.appraisal.CreateAppraisal(ctx, &appraisalv1.CreateAppraisalRequest{AppraisalId: spec.id, Appraisal: &appraisalv1.Appraisal{
		DisplayName: "bench " + spec.id, Type: appraisalv1.AppraisalType_APPRAISAL_TYPE_BENCHMARK, OrganizationalUnit: "Bench Unit",
		View: aimView, TargetMaturityLevel: spec.targetML, AiUsageScenarios: []modelv1.AiUsageScenario{scen},
	}})
	must("CreateAppraisal", err)
	name := a.GetAppraisal().GetName()
	_, err = s.appraisal.UpdateTeamMember(ctx, &appraisalv1.UpdateTeamMemberRequest{
		TeamMember: &appraisalv1.TeamMember{Name: name + "/teamMembers/lead", Certifications: []appraisalv1.TeamMember_Certification{
			appraisalv1.TeamMember_CERTIFICATION_LEAD_APPRAISER, appraisalv1.TeamMember_CERTIFICATION_AAIM}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"certifications"}}})
	must("UpdateTeamMember", err)
	_, err = s.appraisal.CreateTeamMember(ctx, &appraisalv1.CreateTeamMemberRequest{Parent: name, TeamMember: &appraisalv1.TeamMember{
		Subject: "amy", DisplayName: "Amy Appraiser", Role: appraisalv1.TeamMember_ROLE_TEAM_MEMBER}})
	must("CreateTeamMember", err)
	planned, err := s.appraisal.PlanAppraisal(ctx, &appraisalv1.PlanAppraisalRequest{Name: name})
	must("PlanAppraisal", err)
	err = parallel(spec.instances, 16, func(i int) error {
		_, err := s.appraisal.CreateInstance(ctx, &appraisalv1.CreateInstanceRequest{Parent: name, InstanceId: instanceID(i),
			Instance: &appraisalv1.Instance{DisplayName: "instance " + instanceID(i), AiUsageScenario: scen, Subgroup: "payments"}})
		return err
	})
	must("CreateInstance", err)
	_, err = s.appraisal.StartAppraisal(ctx, &appraisalv1.StartAppraisalRequest{Name: name})
	must("StartAppraisal", err)
	if spec.characterize {
		s.characterizeAll(tb, ctx, name)
	}
	return name, int(planned.GetAppraisal().GetScopedPracticeCount())
}

func instanceID(i int) string { return fmt.Sprintf("inst-%03d", i) }

// characterizeAll sets every missing characterization to Fully Meets, in
// batches of 1000 (the API's limit), until GetRatings is complete.
func (s *stack) characterizeAll(tb testing.TB, ctx context.Context, name string) {
	tb.Helper()
	r, err := s.appraisal.GetRatings(ctx, &appraisalv1.GetRatingsRequest{Name: name + "/ratings"})
	if err != nil {
		tb.Fatalf("GetRatings %s: %v", name, err)
	}
	missing := r.GetRatings().GetMissing()
	var reqs []*appraisalv1.UpdateCharacterizationRequest
	for _, m := range missing {
		reqs = append(reqs, &appraisalv1.UpdateCharacterizationRequest{AllowMissing: true, Characterization: &appraisalv1.Characterization{
			Name:  fmt.Sprintf("%s/instances/%s/characterizations/%s", name, m.GetInstance(), m.GetPractice()),
			Value: appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_FULLY_MEETS, Rationale: "Seen in the sampled work.",
		}})
	}
	for start := 0; start < len(reqs); start += 1000 {
		_, err := s.appraisal.BatchUpdateCharacterizations(ctx, &appraisalv1.BatchUpdateCharacterizationsRequest{
			Parent: name, Requests: reqs[start:min(start+1000, len(reqs))]})
		if err != nil {
			tb.Fatalf("BatchUpdateCharacterizations %s: %v", name, err)
		}
	}
	r, err = s.appraisal.GetRatings(ctx, &appraisalv1.GetRatingsRequest{Name: name + "/ratings"})
	if err != nil {
		tb.Fatalf("GetRatings %s: %v", name, err)
	}
	if !r.GetRatings().GetComplete() || len(r.GetRatings().GetMissing()) > 0 {
		tb.Fatalf("%s after characterizing %d pairs: complete=%v, %d missing, open decisions %v", name, len(reqs),
			r.GetRatings().GetComplete(), len(r.GetRatings().GetMissing()), r.GetRatings().GetOpenDecisions())
	}
}

// seedAppraisals creates n DRAFT appraisals through the API from c
// concurrent clients (the service batches concurrent creates into shared
// commits).
func (s *stack) seedAppraisals(tb testing.TB, n, c int) {
	tb.Helper()
	ctx := s.lead(tb)
	err := parallel(n, c, func(i int) error {
		_, err := s.appraisal.CreateAppraisal(ctx, &appraisalv1.CreateAppraisalRequest{AppraisalId: fmt.Sprintf("a%07d", i),
			Appraisal: &appraisalv1.Appraisal{
				DisplayName: fmt.Sprintf("Appraisal %d", i), Type: appraisalv1.AppraisalType_APPRAISAL_TYPE_BENCHMARK,
				OrganizationalUnit: "Bench Unit", View: aimView, TargetMaturityLevel: 2,
			}})
		return err
	})
	if err != nil {
		tb.Fatalf("seed %d appraisals: %v", n, err)
	}
}

func lastSegment(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			return name[i+1:]
		}
	}
	return name
}
