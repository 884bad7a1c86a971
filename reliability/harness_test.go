//go:build linux

package reliability

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/aim-platform/aim/platform/store"
)

// aimBinary is the aim command, built once for every test.
var aimBinary string

// testMain runs the tests and then removes the build directory, so that
// goleak.VerifyTestMain checks for leaks after both.
type testMain struct {
	m   *testing.M
	dir string
}

func (tm testMain) Run() int {
	code := tm.m.Run()
	_ = os.RemoveAll(tm.dir)
	return code
}

func TestMain(m *testing.M) {
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-test.list") {
			os.Exit(m.Run()) // listing tests (make fuzz) needs no binary
		}
	}
	dir, err := os.MkdirTemp("", "aim-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Readable by everyone: the read-only data dir test runs aim as an
	// unprivileged user when the tests run as root.
	_ = os.Chmod(dir, 0o755)
	aimBinary = filepath.Join(dir, "aim")
	// Built from its own directory, so that it works inside the workspace
	// and with GOWORK=off (cmd/aim's go.mod has its own replace lines).
	build := exec.Command("go", "build", "-o", aimBinary, ".")
	build.Dir = filepath.Join("..", "cmd", "aim")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build aim:", err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	goleak.VerifyTestMain(testMain{m: m, dir: dir})
}

// ---- modes -----------------------------------------------------------------

// soak reports whether the long form runs (AIM_SOAK=1).
func soak() bool { return os.Getenv("AIM_SOAK") == "1" }

// envInt returns the integer in the environment variable name, or def.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// envDuration returns the duration in the environment variable name, or def.
func envDuration(t *testing.T, name string, def time.Duration) time.Duration {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q: want a positive duration", name, v)
	}
	return d
}

// newRand returns a random source seeded from AIM_SEED or the clock, and
// logs the seed so that a failing run can be repeated.
func newRand(t *testing.T) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("AIM_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("AIM_SEED=%q: %v", v, err)
		}
		seed = n
	}
	t.Logf("seed %d (repeat with AIM_SEED=%d)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// report writes a suite's figures as JSON into $AIM_RELIABILITY_REPORT, when
// set, for docs/reliability.md.
func report(t *testing.T, name string, v any) {
	t.Helper()
	dir := os.Getenv("AIM_RELIABILITY_REPORT")
	if dir == "" {
		return
	}
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Errorf("report %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".json"), raw, 0o644); err != nil {
		t.Errorf("report %s: %v", name, err)
	}
}

// ---- child processes -------------------------------------------------------

// maxLines bounds the output a proc keeps; past it the oldest half goes.
const maxLines = 200_000

// proc is a running aim process whose output the test reads line by line.
type proc struct {
	t    *testing.T
	args []string
	cmd  *exec.Cmd
	// drop, when set, says which lines not to keep (they are still read,
	// so the child never blocks on a full pipe).
	drop func(string) bool

	mu      sync.Mutex
	out     []string
	dropped int
	news    chan struct{}
	done    chan struct{}
	err     error
}

// procOption changes how a proc starts.
type procOption func(*proc)

// dropLines makes the proc forget lines for which drop is true.
func dropLines(drop func(string) bool) procOption { return func(p *proc) { p.drop = drop } }

// asUser runs the process as another user (the read-only data dir test,
// when the tests run as root).
func asUser(uid, gid uint32) procOption {
	return func(p *proc) {
		p.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
	}
}

// startAim runs aim with args; the process is killed, if still running,
// when the test ends.
func startAim(t *testing.T, args []string, opts ...procOption) *proc {
	t.Helper()
	p := &proc{t: t, args: args, news: make(chan struct{}, 1), done: make(chan struct{})}
	p.cmd = exec.Command(aimBinary, args...)
	p.cmd.Env = append(os.Environ(), "OTEL_EXPORTER_OTLP_ENDPOINT=", "OTEL_TRACES_EXPORTER=none")
	for _, o := range opts {
		o(p)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var readers sync.WaitGroup
	for _, r := range []io.Reader{stdout, stderr} {
		readers.Go(func() {
			sc := bufio.NewScanner(r)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				line := sc.Text()
				if p.drop != nil && p.drop(line) {
					continue
				}
				p.mu.Lock()
				p.out = append(p.out, line)
				if len(p.out) > maxLines {
					p.dropped += len(p.out) / 2
					p.out = append([]string(nil), p.out[len(p.out)/2:]...)
				}
				p.mu.Unlock()
				select {
				case p.news <- struct{}{}:
				default:
				}
			}
		})
	}
	go func() {
		readers.Wait()
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			p.logTail(60)
		}
	})
	return p
}

// logTail logs the last n lines of output.
func (p *proc) logTail(n int) {
	lines := p.lines()
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	p.mu.Lock()
	forgotten := p.dropped
	p.mu.Unlock()
	p.t.Logf("last %d lines of aim %s (%d older lines forgotten):\n%s", len(lines), strings.Join(p.args, " "), forgotten, strings.Join(lines, "\n"))
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) lines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.out...)
}

func (p *proc) output() string { return strings.Join(p.lines(), "\n") }

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitFor returns the last submatch of the first match of re in the
// output, waiting up to d.
func (p *proc) waitFor(re *regexp.Regexp, d time.Duration) string {
	p.t.Helper()
	deadline := time.After(d)
	for {
		if m := re.FindStringSubmatch(p.output()); m != nil {
			return m[len(m)-1]
		}
		select {
		case <-p.news:
		case <-p.done:
			if m := re.FindStringSubmatch(p.output()); m != nil {
				return m[len(m)-1]
			}
			p.t.Fatalf("aim %s exited (%v) before printing %s", p.args[0], p.err, re)
		case <-deadline:
			p.t.Fatalf("aim %s: no %s within %s", p.args[0], re, d)
		}
	}
}

// loggedAddr waits for the JSON "serving" log line and returns the address
// under key.
func (p *proc) loggedAddr(key string) string {
	p.t.Helper()
	return p.waitFor(regexp.MustCompile(`"msg":"serving".*"`+key+`":"([^"]+)"`), 30*time.Second)
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop(d time.Duration) {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			p.t.Fatalf("aim %s: exit after SIGTERM: %v", p.args[0], p.err)
		}
	case <-time.After(d):
		p.t.Fatalf("aim %s: still running %s after SIGTERM", p.args[0], d)
	}
}

// kill sends SIGKILL and waits until the process is gone.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// wait waits up to d for the process to end and returns its exit error.
func (p *proc) wait(d time.Duration) (error, bool) {
	select {
	case <-p.done:
		return p.err, true
	case <-time.After(d):
		return nil, false
	}
}

// serveProc is a running `aim serve`.
type serveProc struct {
	*proc
	grpcAddr, httpAddr, adminAddr string
}

var (
	restRe  = regexp.MustCompile(`REST\s+http://(\S+)`)
	grpcRe  = regexp.MustCompile(`gRPC\s+(\S+)`)
	adminRe = regexp.MustCompile(`metrics\s+http://(\S+)/metrics`)
)

// startServe runs `aim serve` on dataDir with loopback listeners on free
// ports (the admin listener too when withAdmin) and waits until it serves.
func startServe(t *testing.T, dataDir string, withAdmin bool, opts ...procOption) *serveProc {
	t.Helper()
	admin := ""
	if withAdmin {
		admin = "127.0.0.1:0"
	}
	args := append([]string{"serve", "--data-dir", dataDir,
		"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--admin-addr", admin}, serviceFlags(t, "serve")...)
	p := startAim(t, args, opts...)
	s := &serveProc{proc: p}
	s.grpcAddr = p.waitFor(grpcRe, 30*time.Second)
	s.httpAddr = p.waitFor(restRe, time.Second)
	if withAdmin {
		s.adminAddr = p.waitFor(adminRe, time.Second)
	}
	return s
}

var rateLimitFlags sync.Map // command → []string

// serviceFlags turns off the per-tenant rate limit when the aim command
// has one: the crash and load suites measure the services themselves, and
// their clients call far faster than one tenant is allowed to on purpose.
func serviceFlags(t *testing.T, command string) []string {
	t.Helper()
	if v, ok := rateLimitFlags.Load(command); ok {
		return v.([]string)
	}
	var flags []string
	out, _ := exec.Command(aimBinary, command, "--help").CombinedOutput()
	if regexp.MustCompile(`--rate-limit\b`).Match(out) {
		flags = []string{"--rate-limit=0"}
	}
	rateLimitFlags.Store(command, flags)
	return flags
}

// startPart runs one part (model, appraisal, crosswalk or gateway) alone
// and returns it with its gRPC address (the gateway: its HTTP address).
func startPart(t *testing.T, part string, args ...string) (*proc, string) {
	t.Helper()
	all := append([]string{part}, args...)
	if part == "gateway" {
		p := startAim(t, all)
		return p, p.loggedAddr("http_addr")
	}
	p := startAim(t, append(all, serviceFlags(t, part)...))
	return p, p.loggedAddr("grpc_addr")
}

// mintToken mints a token with `aim token` for the data dir's development
// key.
func mintToken(t *testing.T, dataDir, tenant, roles, subject string) string {
	t.Helper()
	out, err := exec.Command(aimBinary, "token", "--data-dir", dataDir, "--tenant", tenant,
		"--roles", roles, "--subject", subject, "--ttl", "3h").Output()
	if err != nil {
		t.Fatalf("aim token: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// ---- clients ---------------------------------------------------------------

// bearer sends a token with every call.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return false }

// dialGRPC connects to addr with token; the connection closes when the
// test ends.
func dialGRPC(t *testing.T, addr, token string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(bearer(token)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// restClient calls the REST gateway. Its transport is closed when the test
// ends, so that no idle connection outlives it (goleak).
type restClient struct {
	base  string
	token string
	c     *http.Client
}

func newREST(t *testing.T, addr, token string) *restClient {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	t.Cleanup(tr.CloseIdleConnections)
	return &restClient{base: "http://" + addr, token: token, c: &http.Client{Transport: tr}}
}

// do makes a request with a bound of limit and returns the status, the
// decoded JSON body and how long it took. A transport error or the bound
// passing is returned as err.
func (r *restClient) do(method, path, body string, limit time.Duration) (int, map[string]any, time.Duration, error) {
	return r.doWith(method, path, body, limit)
}

// doWith is do with extra headers, given as name, value pairs.
func (r *restClient) doWith(method, path, body string, limit time.Duration, headers ...string) (int, map[string]any, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, rd)
	if err != nil {
		return 0, nil, 0, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	start := time.Now()
	resp, err := r.c.Do(req)
	if err != nil {
		return 0, nil, time.Since(start), err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	took := time.Since(start)
	if err != nil {
		return resp.StatusCode, nil, took, err
	}
	var out map[string]any
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out); err != nil {
			return resp.StatusCode, nil, took, fmt.Errorf("body is not JSON: %v: %s", err, raw)
		}
	}
	return resp.StatusCode, out, took, nil
}

// ---- checks ----------------------------------------------------------------

// digest is the audit trail's digest of a resource: the hex SHA-256 of its
// deterministic encoding (services/appraisal/internal/audit.Digest, which
// another module cannot import).
func digest(m proto.Message) string {
	raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// inspectStores runs store.Inspect on every .db file of dataDir and
// returns how many it checked.
func inspectStores(t *testing.T, dataDir string) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dataDir, "*.db"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no .db file in %s", dataDir)
	}
	for _, f := range files {
		info, err := store.Inspect(f, 2*time.Second)
		if err != nil {
			t.Errorf("store.Inspect(%s): %v", filepath.Base(f), err)
			continue
		}
		if info.Schema == "" || info.Version < 1 {
			t.Errorf("store.Inspect(%s) = %+v", filepath.Base(f), info)
		}
	}
	return len(files)
}

// memInfo is a process's resident memory from /proc/<pid>/status.
type memInfo struct {
	RSS  int64 `json:"vm_rss_bytes"`   // VmRSS: everything resident, file-backed mmap included
	Anon int64 `json:"rss_anon_bytes"` // RssAnon: heap, stacks and other anonymous memory
}

func readMem(pid int) (memInfo, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memInfo{}, err
	}
	var m memInfo
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[2] != "kB" {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			m.RSS = n << 10
		case "RssAnon:":
			m.Anon = n << 10
		}
	}
	if m.RSS == 0 {
		return m, fmt.Errorf("/proc/%d/status has no VmRSS", pid)
	}
	return m, nil
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// percentile returns the p-th percentile (0 < p ≤ 100) of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.999999) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

func sortDurations(d []time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
}

// ms formats a duration in milliseconds with two decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
