package server_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	"github.com/aim-platform/aim/platform/auth"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/crosswalk/internal/framework/clauses"
	cserver "github.com/aim-platform/aim/services/crosswalk/internal/server"
	"github.com/aim-platform/aim/services/crosswalk/internal/store"
)

// The benchmarks below call the handlers directly (no gRPC, no token), so
// they measure the service's own work: the store, the cache and the rules.
//
//	go test -run '^$' -bench . -benchtime 3x ./internal/server
//
// The sizes follow bench/ (BenchmarkGrowth/AnalyzeGaps): a crosswalk from
// a model of benchPractices practices to ISO/IEC 42001, its mappings spread
// evenly over practices and clauses, paragraph items added under the
// clauses when they run short.

const benchPractices = 276

// benchCatalog takes every practice id as canonical.
type benchCatalog struct{}

func (benchCatalog) Practices(_ context.Context, _ string, refs []string) (map[string]string, error) {
	out := make(map[string]string, len(refs))
	for _, r := range refs {
		out[r] = r
	}
	return out, nil
}

type benchEnv struct {
	srv       *cserver.Server
	ctx       context.Context
	practices []string
	clauses   []string
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	st, err := store.Open(pstore.DefaultConfig(filepath.Join(b.TempDir(), "crosswalk.db")))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	now := time.Now()
	if _, err := st.InstallDefaults(now); err != nil {
		b.Fatal(err)
	}
	if _, err := cserver.InstallSample(st, now); err != nil {
		b.Fatal(err)
	}
	srv, err := cserver.New(st, benchCatalog{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	env := &benchEnv{srv: srv, ctx: auth.WithIdentity(context.Background(), auth.Identity{
		Subject: "bench", Tenant: "bench", Roles: []string{auth.RoleContentManager}, Via: auth.ViaJWT,
	})}
	for i := range benchPractices {
		env.practices = append(env.practices, fmt.Sprintf("A%02d-%d.%d", i/12, 1+i%12/4, 1+i%4))
	}
	trees, err := clauses.Defaults()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range trees["iso-iec-42001-2023"] {
		env.clauses = append(env.clauses, c.ID)
	}
	return env
}

// spread returns n distinct mappings, as bench/seed_test.go spreads them.
func spread(n int, sources, targets []string) []*crosswalkv1.Mapping {
	rels := []crosswalkv1.Relationship{eq, sub, sup, inter}
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
		out[k] = &crosswalkv1.Mapping{Source: sources[p], Target: ts[(q+p)%T], Relationship: rels[k%len(rels)], Strength: int32(1 + k%10)}
	}
	return out
}

// doc is n mappings as one JSON import document.
func (e *benchEnv) doc(b *testing.B, n int) string {
	b.Helper()
	doc, err := protojson.MarshalOptions{UseEnumNumbers: true}.Marshal(&crosswalkv1.ListMappingsResponse{Mappings: spread(n, e.practices, e.clauses)})
	if err != nil {
		b.Fatal(err)
	}
	return string(doc)
}

// importBench creates a crosswalk of the bench tenant and imports a
// document of n mappings into it.
func (e *benchEnv) importBench(b *testing.B, id, doc string, n int) string {
	b.Helper()
	name := "crosswalks/" + id
	if _, err := e.srv.CreateCrosswalk(e.ctx, &crosswalkv1.CreateCrosswalkRequest{CrosswalkId: id, Crosswalk: &crosswalkv1.Crosswalk{
		SourceFramework: cmmi, TargetFramework: iso42001, SourceModelVersion: sampleModelVersion,
	}}); err != nil {
		b.Fatal(err)
	}
	resp, err := e.srv.ImportCrosswalk(e.ctx, &crosswalkv1.ImportCrosswalkRequest{Name: name, Format: crosswalkv1.Format_FORMAT_JSON, Content: doc})
	if err != nil {
		b.Fatal(err)
	}
	if int(resp.GetMappingCount()) != n {
		b.Fatalf("imported %d mappings, want %d", resp.GetMappingCount(), n)
	}
	return name
}

var benchSizes = []struct {
	label string
	n     int
}{{"1e2", 100}, {"1e4", 10_000}, {"1e5", 100_000}}

func BenchmarkImportCrosswalk(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.label, func(b *testing.B) {
			e := newBenchEnv(b)
			doc := e.doc(b, sz.n)
			i := 0
			for b.Loop() {
				e.importBench(b, fmt.Sprintf("import-%d", i), doc, sz.n)
				i++
			}
		})
	}
}

func BenchmarkAnalyzeGaps(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.label, func(b *testing.B) {
			e := newBenchEnv(b)
			name := e.importBench(b, "gaps", e.doc(b, sz.n), sz.n)
			req := &crosswalkv1.AnalyzeGapsRequest{Crosswalk: name, SatisfiedPractices: e.practices[:len(e.practices)/2]}
			if _, err := e.srv.AnalyzeGaps(e.ctx, req); err != nil { // the steady state: read once
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := e.srv.AnalyzeGaps(e.ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGetMapping(b *testing.B) {
	for _, sz := range benchSizes[:2] {
		b.Run(sz.label, func(b *testing.B) {
			e := newBenchEnv(b)
			name := e.importBench(b, "get", e.doc(b, sz.n), sz.n)
			m := spread(sz.n, e.practices, e.clauses)[sz.n/2]
			req := &crosswalkv1.GetMappingRequest{Name: name + "/mappings/" + mappingIDOf(m.GetSource(), m.GetTarget())}
			if _, err := e.srv.GetMapping(e.ctx, req); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := e.srv.GetMapping(e.ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkResolveMappings resolves the sample crosswalk's practices, over
// one hop and over two (through a crosswalk from ISO/IEC 42001 to 23894
// that maps every clause to two, as bench/ does).
func BenchmarkResolveMappings(b *testing.B) {
	e := newBenchEnv(b)
	sample, err := e.srv.ListMappings(e.ctx, &crosswalkv1.ListMappingsRequest{Parent: sampleName, PageSize: 1000})
	if err != nil {
		b.Fatal(err)
	}
	var sources []string
	for _, m := range sample.GetMappings() {
		if len(sources) == 0 || sources[len(sources)-1] != m.GetSource() {
			sources = append(sources, m.GetSource())
		}
	}
	trees, err := clauses.Defaults()
	if err != nil {
		b.Fatal(err)
	}
	var to []string
	for _, c := range trees["iso-iec-23894-2023"] {
		to = append(to, c.ID)
	}
	var mappings []*crosswalkv1.Mapping
	seen := map[string]bool{}
	for i, c := range e.clauses {
		for _, j := range []int{i % len(to), (i*7 + 3) % len(to)} {
			if k := c + "\x00" + to[j]; !seen[k] {
				seen[k] = true
				mappings = append(mappings, &crosswalkv1.Mapping{Source: c, Target: to[j], Relationship: crosswalkv1.Relationship(1 + (i+j)%4), Strength: int32(1 + (i+j)%10)})
			}
		}
	}
	if _, err := e.srv.CreateCrosswalk(e.ctx, &crosswalkv1.CreateCrosswalkRequest{CrosswalkId: "hop2", Crosswalk: &crosswalkv1.Crosswalk{
		SourceFramework: iso42001, TargetFramework: iso23894,
	}}); err != nil {
		b.Fatal(err)
	}
	doc, err := protojson.Marshal(&crosswalkv1.ListMappingsResponse{Mappings: mappings})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.srv.ImportCrosswalk(e.ctx, &crosswalkv1.ImportCrosswalkRequest{Name: "crosswalks/hop2", Format: crosswalkv1.Format_FORMAT_JSON, Content: string(doc)}); err != nil {
		b.Fatal(err)
	}
	for _, hops := range []int32{1, 2} {
		b.Run(fmt.Sprintf("hops=%d", hops), func(b *testing.B) {
			req := &crosswalkv1.ResolveMappingsRequest{Crosswalk: sampleName, Elements: sources, MaxHops: hops,
				Direction: crosswalkv1.ResolveMappingsRequest_DIRECTION_FORWARD}
			if _, err := e.srv.ResolveMappings(e.ctx, req); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := e.srv.ResolveMappings(e.ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
