// Command benchtable runs the benchmark suite of package bench (issue 7),
// prints one table of every row against its target and writes it into
// BENCHMARKS.md.
//
//	cd bench && go run ./cmd/benchtable -out ../BENCHMARKS.md          # full run, 3.5-7 min
//	cd bench && go run ./cmd/benchtable -quick                         # no 1e5 / 200-instance rows, short benchtime
//
// It runs `go test -run '^$' -bench ... -benchtime ...` once in the bench
// module (so every floor is measured in the same process as the rows set
// against it, and each row's floor again right beside it, see
// bench/measure_test.go), parses the benchmark lines and judges each row by
// a ratio to its floor or to the smallest size, never by an absolute time,
// except where the target is one (server time in ms, start time,
// memory).
//
// When the output file exists and holds the markers
// "<!-- benchtable:begin -->" and "<!-- benchtable:end -->", only the text
// between them is replaced, so the analysis written around the table stays.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

const (
	beginMarker = "<!-- benchtable:begin -->"
	endMarker   = "<!-- benchtable:end -->"
)

func main() {
	out := flag.String("out", "", "file to write the table into (BENCHMARKS.md); empty prints only")
	quick := flag.Bool("quick", false, "quick mode: go test -short (leaves out the 1e5-record and 200-instance rows) and -benchtime 200ms")
	benchtime := flag.String("benchtime", "", "go test -benchtime (default 1s, 200ms with -quick)")
	bench := flag.String("bench", ".", "go test -bench: which benchmarks to run")
	input := flag.String("input", "", "read go test -bench output from this file instead of running the suite")
	flag.Parse()

	if *benchtime == "" {
		*benchtime = "1s"
		if *quick {
			*benchtime = "200ms"
		}
	}
	args := []string{"test", "-run", "^$", "-bench", *bench, "-benchtime", *benchtime, "-timeout", "60m"}
	if *quick {
		args = append(args, "-short")
	}
	args = append(args, ".")

	start := time.Now()
	env := environment(*benchtime, *quick)
	var raw []byte
	var err error
	if *input != "" {
		raw, err = os.ReadFile(*input)
		env = []string{"rendered from saved go test output " + *input + " (the lines below describe the machine now, not the run)", env[1]}
	} else {
		fmt.Fprintf(os.Stderr, "benchtable: GOWORK=off go %s\n", strings.Join(args, " "))
		raw, err = runSuite(args)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	results := parse(raw)
	if len(results) == 0 {
		fmt.Fprintln(os.Stderr, "benchtable: no benchmark results")
		os.Exit(1)
	}
	if *input == "" {
		env = append(env, fmt.Sprintf("wall time of the run: %s", time.Since(start).Round(time.Second)))
	}
	rows := evaluate(results, *benchtime, *quick)
	table := render(rows, env)
	fmt.Print(table)
	if *out != "" {
		if err := write(*out, table); err != nil {
			fmt.Fprintln(os.Stderr, "benchtable:", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "benchtable: wrote %s\n", *out)
	}
	// Misses are reported, not failures: the machine is shared and noisy.
}

// runSuite runs go test in the bench module, echoing its output to stderr.
func runSuite(args []string) ([]byte, error) {
	cmd := exec.Command("go", args...)
	// bench/ is a module of its own beside the workspace's; GOWORK=off
	// builds it with its replace directives whether or not go.work lists it.
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var buf bytes.Buffer
	cmd.Stdout = io.MultiWriter(&buf, os.Stderr)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return buf.Bytes(), fmt.Errorf("go test: %w", err)
	}
	return buf.Bytes(), nil
}

// result is one benchmark line: its metrics by unit.
type result map[string]float64

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

// parse reads the benchmark lines of go test output.
func parse(raw []byte) map[string]result {
	out := map[string]result{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		r := result{}
		n, _ := strconv.ParseFloat(m[2], 64)
		r["N"] = n
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			r[f[i+1]] = v
		}
		out[m[1]] = r
	}
	return out
}

// environment describes the machine and the code measured.
func environment(benchtime string, quick bool) []string {
	env := []string{
		"date: " + time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		fmt.Sprintf("%s, GOMAXPROCS %d, %s", runtime.Version(), runtime.GOMAXPROCS(0), cpuModel()),
		"benchtime " + benchtime + map[bool]string{true: " (quick: -short)", false: ""}[quick],
	}
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		env = append(env, "load average at start: "+strings.Join(strings.Fields(string(la))[:3], " "))
	}
	if rev, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		line := "commit " + strings.TrimSpace(string(rev))
		if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no", "--", "..").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
			line += fmt.Sprintf(" plus uncommitted changes in %d files", len(strings.Split(strings.TrimSpace(string(st)), "\n")))
		}
		env = append(env, line)
	}
	return env
}

func cpuModel() string {
	raw, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// write puts the table into path between the markers, or writes a new file.
func write(path, table string) error {
	block := beginMarker + "\n" + table + endMarker + "\n"
	old, err := os.ReadFile(path)
	if err == nil {
		s := string(old)
		i, j := strings.Index(s, beginMarker), strings.Index(s, endMarker)
		if i >= 0 && j > i {
			return os.WriteFile(path, []byte(s[:i]+block+strings.TrimPrefix(s[j+len(endMarker):], "\n")), 0o644)
		}
	}
	doc := "# Benchmarks\n\nWritten by `cd bench && go run ./cmd/benchtable -out ../BENCHMARKS.md` (issue 7).\n\n" + block
	return os.WriteFile(path, []byte(doc), 0o644)
}
