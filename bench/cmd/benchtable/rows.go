package main

import (
	"fmt"
	"math"
	"strings"
)

type verdict int

const (
	verdictInfo    verdict = iota // no target on this row
	verdictPass                   // meets its target
	verdictMiss                   // misses its target
	verdictMissing                // not run (filtered out, skipped with -quick, or failed)
)

func (v verdict) String() string {
	switch v {
	case verdictPass:
		return "pass"
	case verdictMiss:
		return "**MISS**"
	case verdictMissing:
		return "not run"
	}
	return ""
}

// row is one line of the table.
type row struct {
	section  string
	name     string // benchmark name, e.g. BenchmarkGRPC/GetPractice/c64
	label    string // what the row measures
	target   string // the target, or "" for a reference row
	measured string
	ratio    string
	verdict  verdict
	command  string
}

// evaluator builds rows from the parsed results.
type evaluator struct {
	results   map[string]result
	benchtime string
	quick     bool
	rows      []row
}

func evaluate(results map[string]result, benchtime string, quick bool) []row {
	e := &evaluator{results: results, benchtime: benchtime, quick: quick}
	e.grpc()
	e.rest()
	e.writes()
	e.growth()
	e.footprint()
	return e.rows
}

// command is the go test line that reproduces one or more benchmarks.
func (e *evaluator) command(names ...string) string {
	var parts [][]string
	for _, n := range names {
		parts = append(parts, strings.Split(n, "/"))
	}
	// One pattern per level: the alternatives of every name at that level.
	levels := 0
	for _, p := range parts {
		levels = max(levels, len(p))
	}
	var pattern []string
	for l := 0; l < levels; l++ {
		var alts []string
		for _, p := range parts {
			if l < len(p) && !contains(alts, p[l]) {
				alts = append(alts, p[l])
			}
		}
		if len(alts) == 1 {
			pattern = append(pattern, "^"+alts[0]+"$")
		} else {
			pattern = append(pattern, "^("+strings.Join(alts, "|")+")$")
		}
	}
	return fmt.Sprintf("`cd bench && GOWORK=off go test -run '^$' -bench '%s' -benchtime %s`", strings.Join(pattern, "/"), e.benchtime)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// get returns a benchmark's result, or nil when it did not run.
func (e *evaluator) get(name string) result { return e.results[name] }

// add appends a row for benchmark name; when r is nil the row says it did
// not run.
func (e *evaluator) add(rw row, r result) {
	if rw.command == "" {
		rw.command = e.command(rw.name)
	}
	if r == nil {
		rw.measured, rw.ratio, rw.verdict = "—", "—", verdictMissing
		if e.quick && (strings.HasSuffix(rw.name, "/1e5") || strings.HasSuffix(rw.name, "/200")) {
			rw.measured = "left out by -quick"
		}
	}
	e.rows = append(e.rows, rw)
}

// throughput describes a throughput row.
func throughput(r result) string {
	return fmt.Sprintf("%s ops/s · p50 %s · p99 %s", ops(r["ops/s"]), dur(r["p50-µs"]), dur(r["p99-µs"]))
}

// judge turns a ratio and a bound into a verdict: at least min when atLeast,
// at most bound otherwise.
func judge(ratio, bound float64, atLeast bool) verdict {
	if math.IsNaN(ratio) || math.IsInf(ratio, 0) {
		return verdictMissing
	}
	if atLeast == (ratio >= bound) {
		return verdictPass
	}
	return verdictMiss
}

func ratioOf(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

var (
	readCalls = []string{"GetPractice", "ListPractices", "SearchPractices", "ResolveMappings1Hop", "ResolveMappings2Hops", "AnalyzeGaps", "GetRatings"}
	concs     = []string{"c1", "c16", "c64"}
)

func (e *evaluator) grpc() {
	const sec = "gRPC reads beside the bare grpc-go floor"
	e.floorRows(sec, "BenchmarkGRPC", "floor: bare unary emptypb, no interceptors")
	// The stack floor has no target: it shows what the production stack
	// alone costs beside the bare floor.
	const stackFloor = "StackFloor"
	for _, call := range append([]string{stackFloor}, readCalls...) {
		for _, c := range concs {
			name := "BenchmarkGRPC/" + call + "/" + c
			r := e.get(name)
			rw := row{section: sec, name: name, label: call + ", " + c}
			switch {
			case call == stackFloor:
				rw.label = "stack floor: the same empty method through the production stack (auth, validation, access log, telemetry), " + c
			case c == "c64":
				rw.target = "≥ 0.70× floor ops/s"
			}
			if r != nil {
				q := ratioOf(r["ops/s"], r["floor-ops/s"])
				rw.measured = throughput(r)
				rw.ratio = fmt.Sprintf("%s floor (%s ops/s beside it)", x(q), ops(r["floor-ops/s"]))
				if rw.target != "" {
					rw.verdict = judge(q, 0.70, true)
				}
			}
			e.add(rw, r)
		}
	}
	// AnalyzeGaps server time: the p50 a client sees at concurrency 1, an
	// upper bound of the time the server spends.
	name := "BenchmarkGRPC/AnalyzeGaps/c1"
	r := e.get(name)
	rw := row{section: sec, name: name, label: "AnalyzeGaps, default model (sample crosswalk) against ISO/IEC 42001: time of one call (p50 at c1, includes the round trip)",
		target: "≤ 5 ms server time"}
	if r != nil {
		rw.measured = "p50 " + dur(r["p50-µs"])
		rw.ratio = x(r["p50-µs"]/5000) + " the 5 ms budget"
		rw.verdict = judge(r["p50-µs"], 5000, false)
	}
	e.add(rw, r)
}

// floorRows adds the rows of a floor benchmark (bench/Floor/c1, c16, c64).
func (e *evaluator) floorRows(sec, bench, label string) {
	for _, c := range concs {
		name := bench + "/Floor/" + c
		r := e.get(name)
		rw := row{section: sec, name: name, label: label + ", " + c}
		if r != nil {
			rw.measured, rw.ratio = throughput(r), "1 (floor)"
		}
		e.add(rw, r)
	}
}

func (e *evaluator) rest() {
	const sec = "REST through the gateway beside a bare net/http JSON handler and the same call over gRPC"
	e.floorRows(sec, "BenchmarkREST", "floor: bare net/http JSON handler")
	for _, call := range []string{"GetPractice", "ResolveMappings1Hop"} {
		for _, c := range concs {
			name := "BenchmarkREST/" + call + "/" + c
			r := e.get(name)
			label := map[string]string{"GetPractice": "GET practice", "ResolveMappings1Hop": "POST crosswalk:resolve (1 hop)"}[call]
			rw := row{section: sec, name: name, label: label + ", " + c, target: "≥ 0.50× direct gRPC ops/s"}
			if r != nil {
				xg, xf := ratioOf(r["ops/s"], r["grpc-ops/s"]), ratioOf(r["ops/s"], r["floor-ops/s"])
				rw.measured = throughput(r)
				rw.ratio = fmt.Sprintf("%s gRPC (%s ops/s beside it); %s REST floor", x(xg), ops(r["grpc-ops/s"]), x(xf))
				rw.verdict = judge(xg, 0.50, true)
			}
			e.add(rw, r)
		}
	}
}

func (e *evaluator) writes() {
	const sec = "Writes beside a raw bbolt batched write (db.Batch, fsync on, same-size value)"
	for _, call := range []string{"Floor", "FloorUnbatched", "UpdateCharacterization", "CreateEvidence"} {
		for _, c := range []string{"c1", "c64"} {
			name := "BenchmarkWrite/" + call + "/" + c
			r := e.get(name)
			label := map[string]string{
				"Floor":                  "floor: bbolt db.Batch of one value",
				"FloorUnbatched":         "reference: bbolt db.Update of one value (one fsync per write)",
				"UpdateCharacterization": "UpdateCharacterization (allow_missing)",
				"CreateEvidence":         "CreateEvidence",
			}[call] + ", " + c
			rw := row{section: sec, name: name, label: label}
			isFloor := strings.HasPrefix(call, "Floor")
			if !isFloor && c == "c64" {
				rw.target = "≥ 0.50× floor ops/s"
			}
			if r != nil {
				rw.measured = throughput(r)
				switch {
				case call == "Floor":
					rw.ratio = "1 (floor)"
				case isFloor:
					rw.ratio = "—"
				default:
					q := ratioOf(r["ops/s"], r["floor-ops/s"])
					rw.ratio = fmt.Sprintf("%s floor (%s ops/s beside it)", x(q), ops(r["floor-ops/s"]))
					if rw.target != "" {
						rw.verdict = judge(q, 0.50, true)
					}
				}
			}
			e.add(rw, r)
		}
	}
}

func (e *evaluator) growth() {
	const sec = "Growth: one call at concurrency 1 as the data grows, beside the smallest size"
	series := []struct {
		call, what string
		sizes      []string
		target     func(size string) (string, float64) // bound on the p50 ratio to the smallest size, or 0
		abs        func(size string) (string, float64) // bound on p50 in µs, or 0
	}{
		{"ListAppraisals", "first page (50) of ListAppraisals with %s appraisals stored", []string{"1e2", "1e4", "1e5"},
			func(s string) (string, float64) {
				if s == "1e5" {
					return "≤ 1.5× the 1e2 cost", 1.5
				}
				return "", 0
			}, nil},
		{"ListAppraisals/NotOnTeam", "ListAppraisals as an appraiser on no appraisal's team (an empty page, found through the team index), %s appraisals stored", []string{"1e2", "1e4", "1e5"},
			func(s string) (string, float64) {
				if s == "1e5" {
					return "≤ 1.5× the 1e2 cost", 1.5
				}
				return "", 0
			}, nil},
		{"AnalyzeGaps", "AnalyzeGaps of ISO/IEC 42001 against a crosswalk of %s mappings", []string{"1e2", "1e4", "1e5"}, nil, nil},
		{"Rating", "GetRatings (computed) of the whole AIM view with %s instance(s) (each with every practice characterized)", []string{"1", "50", "200"}, nil,
			func(s string) (string, float64) {
				if s == "200" {
					return "≤ 20 ms", 20000
				}
				return "", 0
			}},
	}
	for _, ser := range series {
		for i, sz := range ser.sizes {
			name := "BenchmarkGrowth/" + ser.call + "/" + sz
			r := e.get(name)
			rw := row{section: sec, name: name, label: fmt.Sprintf(ser.what, sz)}
			var bound, absBound float64
			if ser.target != nil {
				rw.target, bound = ser.target(sz)
			}
			if ser.abs != nil {
				rw.target, absBound = ser.abs(sz)
			}
			if r != nil {
				rw.measured = fmt.Sprintf("p50 %s · p99 %s · %s ops/s", dur(r["p50-µs"]), dur(r["p99-µs"]), ops(r["ops/s"]))
				if mib, ok := r["store-MiB"]; ok {
					rw.measured += fmt.Sprintf(" · appraisal.db %.1f MiB", mib)
				}
				if i == 0 {
					rw.ratio = "1 (smallest size)"
				} else {
					q := ratioOf(r["p50-µs"], r["base-p50-µs"])
					rw.ratio = fmt.Sprintf("%s the cost at %s (p50 %s beside it)", x(q), ser.sizes[0], dur(r["base-p50-µs"]))
					if bound > 0 {
						rw.verdict = judge(q, bound, false)
					}
				}
				if absBound > 0 {
					rw.verdict = judge(r["p50-µs"], absBound, false)
				}
			}
			e.add(rw, r)
		}
	}
}

func (e *evaluator) footprint() {
	const sec = "Footprint of aim serve with the embedded defaults"
	for _, fs := range []struct{ name, label string }{
		{"BenchmarkFootprint/FirstStart", "start to ready (/readyz 200) on an empty data directory"},
		{"BenchmarkFootprint/Restart", "start to ready on a filled data directory"},
	} {
		r := e.get(fs.name)
		rw := row{section: sec, name: fs.name, label: fs.label, target: "< 1 s"}
		if r != nil {
			rw.measured = fmt.Sprintf("median %.0f ms over %d starts", r["ready-ms"], int(r["N"]))
			rw.ratio = x(r["ready-ms"]/1000) + " the 1 s budget"
			rw.verdict = judge(r["ready-ms"], 1000, false)
		}
		e.add(rw, r)
	}
	name := "BenchmarkFootprint/IdleRSS"
	r := e.get(name)
	rw := row{section: sec, name: name, label: "resident memory after 3 s ready and idle (VmRSS)", target: "< 80 MiB"}
	if r != nil {
		rw.measured = fmt.Sprintf("%.1f MiB (peak %.1f MiB)", r["rss-MiB"], r["hwm-MiB"])
		rw.ratio = x(r["rss-MiB"]/80) + " the 80 MiB budget"
		rw.verdict = judge(r["rss-MiB"], 80, false)
	}
	e.add(rw, r)

	name = "BenchmarkGrowth/ListAppraisals/1e4"
	r = e.get(name)
	rw = row{section: sec, name: name, label: "store size per 1e4 appraisals (appraisal.db after 1e4 creates through the API)"}
	if r != nil {
		rw.measured = fmt.Sprintf("%.1f MiB (%.1f KiB per appraisal)", r["store-MiB"], r["store-MiB"]*1024/1e4)
		rw.ratio = "—"
	}
	e.add(rw, r)
}

// render writes the table as Markdown: the environment, a summary of the
// targets, then every row by section.
func render(rows []row, env []string) string {
	var b strings.Builder
	b.WriteString("## Run\n\n")
	for _, l := range env {
		fmt.Fprintf(&b, "- %s\n", l)
	}
	b.WriteString("\nRatios are to floors measured in the same process, each row's floor again right beside it (half before, half after); " +
		"they are what the targets judge. Absolute numbers drift on this shared 2-core machine.\n\n")

	b.WriteString("## Targets\n\n| target (issue 7) | row | measured | ratio | result |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		if r.target == "" {
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.target, esc(r.label), r.measured, r.ratio, r.verdict)
	}
	b.WriteString("\n## All rows\n")
	section := ""
	for _, r := range rows {
		if r.section != section {
			section = r.section
			fmt.Fprintf(&b, "\n### %s\n\n| row | target | measured | ratio | result | reproduce |\n|---|---|---|---|---|---|\n", section)
		}
		target := r.target
		if target == "" {
			target = "—"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", esc(r.label), target, r.measured, r.ratio, r.verdict, r.command)
	}
	return b.String()
}

func esc(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// x formats a ratio: three decimals below 1 (so 0.496 does not read as a
// pass of ≥ 0.50), two up to 10, none above.
func x(r float64) string {
	switch {
	case r < 1:
		return fmt.Sprintf("%.3f×", r)
	case r < 10:
		return fmt.Sprintf("%.2f×", r)
	}
	return fmt.Sprintf("%.0f×", r)
}

// ops formats a throughput.
func ops(v float64) string {
	switch {
	case v >= 100:
		return commas(int64(math.Round(v)))
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func commas(n int64) string {
	s := fmt.Sprint(n)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// dur formats a latency given in µs.
func dur(us float64) string {
	switch {
	case us >= 1e6:
		return fmt.Sprintf("%.2f s", us/1e6)
	case us >= 1000:
		return fmt.Sprintf("%.1f ms", us/1000)
	}
	return fmt.Sprintf("%.0f µs", us)
}
