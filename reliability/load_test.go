//go:build linux

package reliability

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
)

// loadClients is the number of concurrent clients of the load test.
const loadClients = 64

// searchQueries are what the load's SearchPractices calls look for.
var searchQueries = []string{
	"bias in training data", "risk", "model monitoring", "data quality", "estimates", "peer review",
	"requirements traceability", "incident response", "explainability", "supplier agreements",
}

// op is one kind of call of the load mix.
type op struct {
	name   string
	weight int
	write  bool
	call   func(ctx context.Context, w *loadWorker) error
}

// loadFixture is what the calls read and write.
type loadFixture struct {
	practices  []string // practice names
	areas      []string // practice area names
	appraisals []string
	pairs      map[string][]pair // by appraisal
}

// loadWorker is one client of the load.
type loadWorker struct {
	rng   *rand.Rand
	fx    *loadFixture
	model modelv1.ModelCatalogServiceClient
	ac    appraisalv1.AppraisalServiceClient
	seq   int
	// per op: durations of successful calls; errors.
	took map[string][]time.Duration
	errs map[string][]error
}

func (w *loadWorker) appraisal() string { return w.fx.appraisals[w.rng.IntN(len(w.fx.appraisals))] }

var loadOps = []op{
	{name: "GetPractice", weight: 20, call: func(ctx context.Context, w *loadWorker) error {
		_, err := w.model.GetPractice(ctx, &modelv1.GetPracticeRequest{Name: w.fx.practices[w.rng.IntN(len(w.fx.practices))]})
		return err
	}},
	{name: "ListPractices", weight: 10, call: func(ctx context.Context, w *loadWorker) error {
		_, err := w.model.ListPractices(ctx, &modelv1.ListPracticesRequest{Parent: w.fx.areas[w.rng.IntN(len(w.fx.areas))], PageSize: 50})
		return err
	}},
	{name: "SearchPractices", weight: 10, call: func(ctx context.Context, w *loadWorker) error {
		_, err := w.model.SearchPractices(ctx, &modelv1.SearchPracticesRequest{
			Parent: modelVersion, Query: searchQueries[w.rng.IntN(len(searchQueries))], PageSize: 10,
		})
		return err
	}},
	{name: "GetAppraisal", weight: 15, call: func(ctx context.Context, w *loadWorker) error {
		_, err := w.ac.GetAppraisal(ctx, &appraisalv1.GetAppraisalRequest{Name: w.appraisal()})
		return err
	}},
	{name: "ListCharacterizations", weight: 10, call: func(ctx context.Context, w *loadWorker) error {
		_, err := w.ac.ListCharacterizations(ctx, &appraisalv1.ListCharacterizationsRequest{Parent: w.appraisal() + "/instances/-", PageSize: 100})
		return err
	}},
	{name: "UpdateCharacterization", weight: 25, write: true, call: func(ctx context.Context, w *loadWorker) error {
		a := w.appraisal()
		p := w.fx.pairs[a][w.rng.IntN(len(w.fx.pairs[a]))]
		w.seq++
		_, err := w.ac.UpdateCharacterization(ctx, &appraisalv1.UpdateCharacterizationRequest{AllowMissing: true, Characterization: &appraisalv1.Characterization{
			Name: p.charName(a), Value: charValues[w.rng.IntN(len(charValues))], Rationale: "load write " + strconv.Itoa(w.seq),
		}})
		return err
	}},
	{name: "CreateEvidence", weight: 10, write: true, call: func(ctx context.Context, w *loadWorker) error {
		a := w.appraisal()
		p := w.fx.pairs[a][w.rng.IntN(len(w.fx.pairs[a]))]
		w.seq++
		_, err := w.ac.CreateEvidence(ctx, &appraisalv1.CreateEvidenceRequest{Parent: a, Evidence: &appraisalv1.Evidence{
			Kind: appraisalv1.Evidence_KIND_AFFIRMATION, Title: "Load evidence " + strconv.Itoa(w.seq),
			Practices: []string{p.practice}, Instances: []string{p.instance},
		}})
		return err
	}},
}

// pickOp draws an op by weight.
func pickOp(rng *rand.Rand) *op {
	total := 0
	for i := range loadOps {
		total += loadOps[i].weight
	}
	n := rng.IntN(total)
	for i := range loadOps {
		if n < loadOps[i].weight {
			return &loadOps[i]
		}
		n -= loadOps[i].weight
	}
	panic("unreachable")
}

// opStats are one op's figures.
type opStats struct {
	Op     string  `json:"op"`
	Calls  int     `json:"calls"`
	Errors int     `json:"errors"`
	P50ms  float64 `json:"p50_ms"`
	P99ms  float64 `json:"p99_ms"`
	MaxMS  float64 `json:"max_ms"`
}

// memSample is the server's memory at a moment of the load.
type memSample struct {
	At string `json:"at"`
	memInfo
}

// TestLoad runs 64 concurrent clients against `aim serve` over loopback
// gRPC, for a bounded time and number of calls, with a mix of catalog and
// appraisal reads and appraisal writes (characterizations without etags
// and new evidence, so no conflict is expected). It requires zero errors,
// reports p50 and p99 per method, checks the server's memory stays flat
// (anonymous resident memory at the end within max(1.5 × middle, middle
// + 64 MiB)) and its goroutines return to their level before the load;
// goleak checks the test process.
func TestLoad(t *testing.T) {
	duration, warmup, maxCalls := 5*time.Second, time.Second, 200_000
	if soak() {
		duration, warmup, maxCalls = 60*time.Second, 5*time.Second, 10_000_000
	}
	duration = envDuration(t, "AIM_LOAD_DURATION", duration)
	rng := newRand(t)
	loadavg, _ := os.ReadFile("/proc/loadavg")
	t.Logf("host: %d CPUs, load average %s", runtime.NumCPU(), strings.TrimSpace(string(loadavg)))
	dataDir := t.TempDir()
	// Successful calls' access log lines are read but not kept.
	srv := startServe(t, dataDir, true, dropLines(func(l string) bool {
		return strings.Contains(l, `"msg":"rpc"`) && strings.Contains(l, `"code":"OK"`)
	}))
	token := mintToken(t, dataDir, "load", "lead-appraiser,appraiser", "lead")
	var conns []*grpc.ClientConn
	for range 4 {
		conns = append(conns, dialGRPC(t, srv.grpcAddr, token))
	}
	fx := setupLoad(t, conns[0])
	metrics := newREST(t, srv.adminAddr, "")

	run := func(d time.Duration, limit int, measure bool, samples *[]memSample) ([]*loadWorker, int) {
		var (
			wg      sync.WaitGroup
			calls   atomic.Int64
			workers = make([]*loadWorker, loadClients)
			end     = time.Now().Add(d)
			stop    = make(chan struct{})
		)
		for i := range workers {
			conn := conns[i%len(conns)]
			workers[i] = &loadWorker{
				rng: rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())), fx: fx,
				model: modelv1.NewModelCatalogServiceClient(conn), ac: appraisalv1.NewAppraisalServiceClient(conn),
				took: map[string][]time.Duration{}, errs: map[string][]error{},
			}
		}
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			if samples == nil {
				return
			}
			start := time.Now()
			take := func(at string) {
				m, err := readMem(srv.pid())
				if err != nil {
					t.Errorf("memory of the server: %v", err)
					return
				}
				*samples = append(*samples, memSample{At: at, memInfo: m})
			}
			take("start")
			mid := time.After(d / 2)
			tick := time.NewTicker(d / 10)
			defer tick.Stop()
			for {
				select {
				case <-mid:
					take("middle")
				case <-tick.C:
					take(time.Since(start).Round(100 * time.Millisecond).String())
				case <-stop:
					take("end")
					return
				}
			}
		}()
		for _, w := range workers {
			wg.Go(func() {
				for time.Now().Before(end) && calls.Add(1) <= int64(limit) {
					o := pickOp(w.rng)
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					start := time.Now()
					err := o.call(ctx, w)
					took := time.Since(start)
					cancel()
					if !measure {
						continue
					}
					if err != nil {
						w.errs[o.name] = append(w.errs[o.name], err)
					} else {
						w.took[o.name] = append(w.took[o.name], took)
					}
				}
			})
		}
		wg.Wait()
		close(stop)
		<-sampled
		return workers, int(min(calls.Load(), int64(limit)))
	}

	run(warmup, maxCalls, false, nil)
	goroutinesBefore := scrapeGauge(t, metrics, "go_goroutines")
	var samples []memSample
	start := time.Now()
	workers, total := run(duration, maxCalls, true, &samples)
	elapsed := time.Since(start)

	// Per-method figures.
	var stats []opStats
	errorsSeen := 0
	var firstErrors []string
	writes := 0
	for _, o := range loadOps {
		var took []time.Duration
		var errs []error
		for _, w := range workers {
			took = append(took, w.took[o.name]...)
			errs = append(errs, w.errs[o.name]...)
		}
		sortDurations(took)
		s := opStats{Op: o.name, Calls: len(took) + len(errs), Errors: len(errs)}
		if len(took) > 0 {
			s.P50ms = float64(percentile(took, 50)) / 1e6
			s.P99ms = float64(percentile(took, 99)) / 1e6
			s.MaxMS = float64(took[len(took)-1]) / 1e6
		}
		stats = append(stats, s)
		errorsSeen += len(errs)
		if o.write {
			writes += len(took)
		}
		for _, err := range errs {
			if len(firstErrors) < 10 {
				firstErrors = append(firstErrors, o.name+": "+status.Convert(err).Code().String()+" "+status.Convert(err).Message())
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d clients, %s, %d calls (%.0f/s, %d acknowledged writes):\n", loadClients, elapsed.Round(time.Millisecond), total, float64(total)/elapsed.Seconds(), writes)
	fmt.Fprintf(&b, "  %-24s %8s %6s %10s %10s %10s\n", "method", "calls", "errors", "p50", "p99", "max")
	for _, s := range stats {
		fmt.Fprintf(&b, "  %-24s %8d %6d %7.2f ms %7.2f ms %7.2f ms\n", s.Op, s.Calls, s.Errors, s.P50ms, s.P99ms, s.MaxMS)
	}
	t.Log(b.String())
	if errorsSeen > 0 {
		t.Errorf("%d calls failed under load; first: %s", errorsSeen, strings.Join(firstErrors, "; "))
	}
	if total < loadClients {
		t.Errorf("only %d calls in %s", total, elapsed)
	}

	// Memory: flat across the run.
	var startMem, midMem, endMem memInfo
	var series []string
	for _, s := range samples {
		switch s.At {
		case "start":
			startMem = s.memInfo
		case "middle":
			midMem = s.memInfo
		case "end":
			endMem = s.memInfo
		}
		series = append(series, s.At+" "+mib(s.Anon))
	}
	t.Logf("server memory (RssAnon / VmRSS): start %s / %s, middle %s / %s, end %s / %s; RssAnon series: %s",
		mib(startMem.Anon), mib(startMem.RSS), mib(midMem.Anon), mib(midMem.RSS), mib(endMem.Anon), mib(endMem.RSS), strings.Join(series, ", "))
	if midMem.Anon == 0 || endMem.Anon == 0 {
		t.Errorf("memory samples missing: %+v", samples)
	} else if bound := max(midMem.Anon*3/2, midMem.Anon+64<<20); endMem.Anon > bound {
		t.Errorf("the server's anonymous memory grew from %s in the middle of the load to %s at its end (bound %s)",
			mib(midMem.Anon), mib(endMem.Anon), mib(bound))
	}

	// Goroutines: the server's return to their level before the load once
	// the clients are gone.
	for _, c := range conns {
		_ = c.Close()
	}
	goroutinesAfter := 0.0
	eventuallyOK(t, 15*time.Second, "the server's goroutines settle", func() bool {
		goroutinesAfter = scrapeGauge(t, metrics, "go_goroutines")
		return goroutinesAfter <= goroutinesBefore+10
	})
	t.Logf("server goroutines: %.0f before the load, %.0f after it", goroutinesBefore, goroutinesAfter)

	if out := srv.output(); strings.Contains(out, "panic") || strings.Contains(out, `"level":"ERROR"`) {
		t.Errorf("the server logged errors or a panic under load")
	}
	srv.stop(15 * time.Second)
	inspectStores(t, dataDir)

	report(t, "load", map[string]any{
		"clients": loadClients, "duration_s": elapsed.Seconds(), "calls": total, "calls_per_s": float64(total) / elapsed.Seconds(),
		"acked_writes": writes, "errors": errorsSeen, "ops": stats, "memory": samples,
		"cpus": runtime.NumCPU(), "loadavg_before": strings.TrimSpace(string(loadavg)), "race": raceEnabled,
		"goroutines_before": goroutinesBefore, "goroutines_after": goroutinesAfter,
	})
}

// setupLoad makes four CONDUCTING appraisals with three instances each and
// lists the catalog's practices and practice areas.
func setupLoad(t *testing.T, conn *grpc.ClientConn) *loadFixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fx := &loadFixture{pairs: map[string][]pair{}}
	mc := modelv1.NewModelCatalogServiceClient(conn)
	token := ""
	for {
		resp, err := mc.ListPractices(ctx, &modelv1.ListPracticesRequest{Parent: modelVersion + "/practiceAreas/-", PageSize: 1000, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range resp.GetPractices() {
			fx.practices = append(fx.practices, p.GetName())
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	areas, err := mc.ListPracticeAreas(ctx, &modelv1.ListPracticeAreasRequest{Parent: modelVersion, PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range areas.GetPracticeAreas() {
		fx.areas = append(fx.areas, a.GetName())
	}
	ac := appraisalv1.NewAppraisalServiceClient(conn)
	for i := range 4 {
		a, pairs := conductingAppraisal(t, ctx, ac, fmt.Sprintf("load-%d", i), []string{"north", "south", "east"})
		fx.appraisals = append(fx.appraisals, a.GetName())
		fx.pairs[a.GetName()] = pairs
	}
	sort.Strings(fx.appraisals)
	if len(fx.practices) < 100 || len(fx.areas) < 10 {
		t.Fatalf("the catalog lists %d practices in %d areas", len(fx.practices), len(fx.areas))
	}
	return fx
}

// scrapeGauge reads one unlabelled gauge from the admin /metrics.
func scrapeGauge(t *testing.T, c *restClient, name string) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.c.Do(req)
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return v
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return 0
}
