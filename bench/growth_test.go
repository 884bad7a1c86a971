package bench

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/services/appraisal"
)

// size is one point of a growth series.
type size struct {
	label string
	n     int
	// long sizes are left out with -short (the driver's -quick).
	long bool
}

var (
	recordSizes   = []size{{"1e2", 100, false}, {"1e4", 10_000, false}, {"1e5", 100_000, true}}
	instanceSizes = []size{{"1", 1, false}, {"50", 50, false}, {"200", 200, true}}
)

// lazy memoizes one seeded fixture per size across the runs b.N's
// escalation makes of a sub-benchmark.
type lazy[T any] struct {
	mu   sync.Mutex
	done map[string]T
}

func (l *lazy[T]) get(key string, make func() T) T {
	l.mu.Lock()
	defer l.mu.Unlock()
	if v, ok := l.done[key]; ok {
		return v
	}
	if l.done == nil {
		l.done = map[string]T{}
	}
	v := make()
	l.done[key] = v
	return v
}

// forSizes runs fn as one sub-benchmark per size, skipping long ones with
// -short.
func forSizes(b *testing.B, sizes []size, fn func(b *testing.B, sz size)) {
	for _, sz := range sizes {
		b.Run(sz.label, func(b *testing.B) {
			if sz.long && testing.Short() {
				b.Skip("left out with -short")
			}
			fn(b, sz)
		})
	}
}

// BenchmarkGrowth measures one call as the data behind it grows, at
// concurrency 1 (the cost of one call; the driver reports each size's ratio
// to the smallest):
//
//   - ListAppraisals: the first page (50) of a tenant holding 1e2, 1e4 and
//     1e5 appraisals, each size in its own store, seeded through the API
//     from 64 concurrent clients (the service group-commits them); the page
//     is read as the lead appraiser, who is on every appraisal's team. It
//     also reports the size of appraisal.db (store-MiB). NotOnTeam reads
//     the same stores as an appraiser on no appraisal's team (the store
//     finds a non-admin's appraisals through its team index).
//   - AnalyzeGaps: the whole of ISO/IEC 42001 against a tenant crosswalk of
//     1e2, 1e4 and 1e5 mappings imported as JSON.
//   - Rating: GetRatings (computed, not stored) of a CONDUCTING appraisal of
//     the whole AIM view with 1, 50 and 200 instances, every pair
//     characterized.
func BenchmarkGrowth(b *testing.B) {
	b.Run("ListAppraisals", func(b *testing.B) {
		group := b
		var stacks lazy[*stack]
		fixture := func(b *testing.B, sz size) *stack {
			return stacks.get(sz.label, func() *stack {
				s := startStack(ownedBy(b, group), false)
				t0 := time.Now()
				s.seedAppraisals(b, sz.n, 64)
				b.Logf("seeded %d appraisals through the API in %s", sz.n, time.Since(t0).Round(time.Millisecond))
				return s
			})
		}
		opFor := func(b *testing.B, sz size) func(int) error {
			s := fixture(b, sz)
			lead := s.lead(b)
			req := &appraisalv1.ListAppraisalsRequest{PageSize: 50}
			return func(int) error {
				resp, err := s.appraisal.ListAppraisals(lead, req)
				if err == nil && len(resp.GetAppraisals()) != 50 {
					err = fmt.Errorf("ListAppraisals returned %d appraisals", len(resp.GetAppraisals()))
				}
				return err
			}
		}
		growth(b, recordSizes, opFor, func(b *testing.B, sz size) {
			if fi, err := os.Stat(filepath.Join(fixture(b, sz).dir, appraisal.StoreFile)); err == nil {
				b.ReportMetric(float64(fi.Size())/(1<<20), "store-MiB")
			}
		})

		// The same stores read by an appraiser of the tenant who is on no
		// appraisal's team: ListAppraisals filters by team membership, so
		// the page is empty but every record is visited to fill it.
		b.Run("NotOnTeam", func(b *testing.B) {
			growth(b, recordSizes, func(b *testing.B, sz size) func(int) error {
				s := fixture(b, sz)
				outsider := s.as(b, "outsider", auth.RoleAppraiser)
				req := &appraisalv1.ListAppraisalsRequest{PageSize: 50}
				return func(int) error {
					resp, err := s.appraisal.ListAppraisals(outsider, req)
					if err == nil && len(resp.GetAppraisals()) != 0 {
						err = fmt.Errorf("ListAppraisals returned %d appraisals to a caller on no team", len(resp.GetAppraisals()))
					}
					return err
				}
			}, nil)
		})
	})

	b.Run("AnalyzeGaps", func(b *testing.B) {
		group := b
		var s *stack
		var practices, clauses []string
		var crosswalks lazy[string]
		opFor := func(b *testing.B, sz size) func(int) error {
			if s == nil {
				s = startStack(ownedBy(b, group), false)
				practices, clauses = s.practiceIDs(b), s.clauseIDs(b, iso42001)
			}
			cw := crosswalks.get(sz.label, func() string {
				id := "gaps-" + sz.label
				t0 := time.Now()
				s.importCrosswalk(b, id, cmmiAIM, iso42001, modelVersion, spreadMappings(sz.n, practices, clauses))
				b.Logf("imported %d mappings in %s", sz.n, time.Since(t0).Round(time.Millisecond))
				return "crosswalks/" + id
			})
			reader := s.reader(b)
			req := gapsRequest(cw, practices)
			return func(int) error {
				_, err := s.crosswalk.AnalyzeGaps(reader, req)
				return err
			}
		}
		growth(b, recordSizes, opFor, nil)
	})

	b.Run("Rating", func(b *testing.B) {
		group := b
		var s *stack
		var appraisals lazy[string]
		opFor := func(b *testing.B, sz size) func(int) error {
			if s == nil {
				s = startStack(ownedBy(b, group), false)
			}
			name := appraisals.get(sz.label, func() string {
				t0 := time.Now()
				name, practices := s.conductingAppraisal(b, appraisalSpec{id: "rating-" + sz.label, targetML: 0, instances: sz.n, characterize: true})
				b.Logf("seeded %d instances × %d practices in %s", sz.n, practices, time.Since(t0).Round(time.Millisecond))
				return name
			})
			lead := s.lead(b)
			req := &appraisalv1.GetRatingsRequest{Name: name + "/ratings"}
			return func(int) error {
				resp, err := s.appraisal.GetRatings(lead, req)
				if err == nil && !resp.GetRatings().GetComplete() {
					err = errors.New("GetRatings: incomplete")
				}
				return err
			}
		}
		growth(b, instanceSizes, opFor, nil)
	})
}

// growth runs one sub-benchmark per size at concurrency 1, each beside the
// smallest size's operation (ref "base"); after, when set, reports more
// about a size.
func growth(b *testing.B, sizes []size, opFor func(*testing.B, size) func(int) error, after func(*testing.B, size)) {
	forSizes(b, sizes, func(b *testing.B, sz size) {
		op := opFor(b, sz)
		var refs []ref
		if sz != sizes[0] {
			refs = append(refs, ref{"base", opFor(b, sizes[0])})
		}
		measure(b, 1, op, refs...)
		if after != nil {
			after(b, sz)
		}
	})
}
