//go:build linux

package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
)

// rssAnon returns the RssAnon of process pid in bytes.
func rssAnon(t *testing.T, pid int) int64 {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no RssAnon in /proc status")
	return 0
}

// peakRSS samples the RssAnon of pid every 20 ms while fn runs and returns
// the highest value seen.
func peakRSS(t *testing.T, pid int, fn func()) int64 {
	t.Helper()
	var peak atomic.Int64
	peak.Store(rssAnon(t, pid))
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
				if err != nil {
					continue
				}
				for line := range strings.SplitSeq(string(raw), "\n") {
					if v, ok := strings.CutPrefix(line, "RssAnon:"); ok {
						kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
						if kb<<10 > peak.Load() {
							peak.Store(kb << 10)
						}
					}
				}
			}
		}
	}()
	fn()
	time.Sleep(200 * time.Millisecond) // what is still held after the answers
	close(stop)
	<-sampled
	return max(peak.Load(), rssAnon(t, pid))
}

// preEncodedCodec sends pre-encoded bytes, so that 64 calls share one 16 MiB
// message in the test process instead of marshalling 64 copies.
type preEncodedCodec struct{}

type rawMsg struct{ b []byte }

func (preEncodedCodec) Marshal(v any) (mem.BufferSlice, error) {
	if m, ok := v.(*rawMsg); ok {
		return mem.BufferSlice{mem.SliceBuffer(m.b)}, nil
	}
	b, err := proto.Marshal(v.(proto.Message))
	return mem.BufferSlice{mem.SliceBuffer(b)}, err
}

func (preEncodedCodec) Unmarshal(mem.BufferSlice, any) error { return nil }
func (preEncodedCodec) Name() string                         { return "proto" }

// TestRedteamH3_UnauthenticatedBodiesDoNotRaiseRSS: 64 concurrent
// unauthenticated 16 MiB requests, over REST and then over gRPC, raise the
// RssAnon of aim serve by less than 64 MiB over idle. Before, 48 such REST
// bodies took it to 1.78 GB and 64 gRPC messages to 830 MB: both were read
// and decoded before the credentials were checked.
func TestRedteamH3_UnauthenticatedBodiesDoNotRaiseRSS(t *testing.T) {
	const (
		concurrent = 64
		size       = 16 << 20
		allowed    = 64 << 20
	)
	srv := startServe(t, t.TempDir(), false)
	pid := srv.pid()
	// Warm up both paths once, then let the process settle.
	body := bytes.Repeat([]byte("A"), size)
	copy(body, `{"displayName":"`)
	copy(body[len(body)-2:], `"}`)
	tr := &http.Transport{MaxIdleConnsPerHost: concurrent}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	post := func() (int, error) {
		req, err := http.NewRequest(http.MethodPost, "http://"+srv.httpAddr+"/v1/appraisals?appraisalId=h3", bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	msg, err := proto.Marshal(&appraisalv1.CreateAppraisalRequest{AppraisalId: "h3",
		Appraisal: &appraisalv1.Appraisal{DisplayName: strings.Repeat("A", size)}})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(srv.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(preEncodedCodec{})))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	call := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		return conn.Invoke(ctx, "/aim.appraisal.v1.AppraisalService/CreateAppraisal", &rawMsg{b: msg}, &rawMsg{})
	}
	_, _ = post()
	_ = call()
	time.Sleep(500 * time.Millisecond)
	idle := rssAnon(t, pid)

	var restOK, restRefused, restErr atomic.Int64
	restPeak := peakRSS(t, pid, func() {
		var wg sync.WaitGroup
		for range concurrent {
			wg.Go(func() {
				code, err := post()
				switch {
				case err != nil:
					restErr.Add(1) // the server closed the connection after its 401
				case code == http.StatusUnauthorized:
					restRefused.Add(1)
				default:
					restOK.Add(1)
				}
			})
		}
		wg.Wait()
	})
	var grpcRefused, grpcOther atomic.Int64
	grpcPeak := peakRSS(t, pid, func() {
		var wg sync.WaitGroup
		for range concurrent {
			wg.Go(func() {
				if status.Code(call()) == codes.Unauthenticated {
					grpcRefused.Add(1)
				} else {
					grpcOther.Add(1)
				}
			})
		}
		wg.Wait()
	})
	figures := map[string]any{
		"idle_rss_anon_bytes": idle, "concurrent": concurrent, "body_bytes": size,
		"rest_peak_rss_anon_bytes": restPeak, "rest_rise_bytes": restPeak - idle,
		"grpc_peak_rss_anon_bytes": grpcPeak, "grpc_rise_bytes": grpcPeak - idle,
		"rest_401": restRefused.Load(), "rest_conn_closed": restErr.Load(), "grpc_unauthenticated": grpcRefused.Load(),
	}
	report(t, "redteam-h3-rss", figures)
	t.Logf("idle RssAnon %d MiB; REST peak %d MiB (+%d MiB; %d x 401, %d closed); gRPC peak %d MiB (+%d MiB; %d x UNAUTHENTICATED)",
		idle>>20, restPeak>>20, (restPeak-idle)>>20, restRefused.Load(), restErr.Load(),
		grpcPeak>>20, (grpcPeak-idle)>>20, grpcRefused.Load())
	if restOK.Load() != 0 || restRefused.Load() == 0 {
		t.Errorf("REST: %d answered other than 401, %d got 401", restOK.Load(), restRefused.Load())
	}
	if grpcOther.Load() != 0 {
		t.Errorf("gRPC: %d calls answered other than UNAUTHENTICATED", grpcOther.Load())
	}
	if rise := restPeak - idle; rise >= allowed {
		t.Errorf("REST: RssAnon rose by %d MiB, want under %d MiB", rise>>20, allowed>>20)
	}
	if rise := grpcPeak - idle; rise >= allowed {
		t.Errorf("gRPC: RssAnon rose by %d MiB, want under %d MiB", rise>>20, allowed>>20)
	}
}

// withNoFile runs aim under a file descriptor limit of n (soft and hard:
// the Go runtime raises the soft limit to the hard one).
func withNoFile(n int) procOption {
	return func(p *proc) {
		args := append([]string{"sh", "-c", fmt.Sprintf(`ulimit -n %d && exec "$0" "$@"`, n), aimBinary}, p.args...)
		p.cmd.Path = "/bin/sh"
		p.cmd.Args = args
	}
}

// TestRedteamM1_SlowBodiesEndAndReadyzAnswers: more slow-body connections
// than the process has file descriptors. Each body is cut off at its read
// deadline and each listener holds at most --max-connections, so /readyz
// answers during the attack. Before, slow bodies were held for as long as
// they trickled, the process ran out of descriptors, and /readyz, the
// admin port and gRPC all stopped answering.
func TestRedteamM1_SlowBodiesEndAndReadyzAnswers(t *testing.T) {
	const (
		fdLimit  = 128
		maxConns = 30
		attack   = 160
	)
	dir := t.TempDir()
	args := []string{"serve", "--data-dir", dir, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0"}
	if help, _ := exec.Command(aimBinary, "serve", "--help").CombinedOutput(); bytes.Contains(help, []byte("--max-connections")) {
		args = append(args, "--max-connections", strconv.Itoa(maxConns), "--body-read-timeout", "1s")
	}
	p := startAim(t, append(args, serviceFlags(t, "serve")...), withNoFile(fdLimit))
	httpAddr := p.waitFor(restRe, 30*time.Second)
	token := mintToken(t, dir, "acme", "admin", "slow")

	// The attacker: authenticated (an unauthenticated one is refused before
	// its body now), a body of 1000 bytes of which one arrives every 500 ms.
	head := "POST /v1/appraisals?appraisalId=slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
		"Authorization: Bearer " + token + "\r\nContent-Length: 1000\r\n\r\n{"
	stop := make(chan struct{})
	var attackers sync.WaitGroup
	var opened, cut atomic.Int64
	for range attack {
		attackers.Go(func() {
			c, err := net.DialTimeout("tcp", httpAddr, 5*time.Second)
			if err != nil {
				return
			}
			defer c.Close()
			opened.Add(1)
			if _, err := io.WriteString(c, head); err != nil {
				cut.Add(1)
				return
			}
			closed := make(chan struct{})
			go func() {
				_, _ = io.Copy(io.Discard, c) // the answer, then EOF when the server cuts it off
				close(closed)
			}()
			tick := time.NewTicker(500 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-closed:
					cut.Add(1)
					return
				case <-tick.C:
					if _, err := c.Write([]byte(" ")); err != nil {
						cut.Add(1)
						return
					}
				}
			}
		})
	}
	defer func() {
		close(stop)
		attackers.Wait()
	}()
	time.Sleep(time.Second) // every attacker connected and sent its headers

	start := time.Now()
	rc := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := rc.Get("http://" + httpAddr + "/readyz")
	took := time.Since(start)
	if err != nil {
		t.Fatalf("/readyz during the attack: %v after %v (%d attackers connected, %d cut off)", err, took, opened.Load(), cut.Load())
	}
	resp.Body.Close()
	t.Logf("/readyz answered %d after %v; %d attackers connected, %d cut off by then", resp.StatusCode, took, opened.Load(), cut.Load())
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz = %d during the attack, want 200", resp.StatusCode)
	}
	if cut.Load() == 0 {
		t.Errorf("no slow body was cut off")
	}
	if strings.Contains(p.output(), "too many open files") {
		t.Errorf("the process ran out of file descriptors")
	}
}

// TestRedteamM3_BadImportDoesNotBreakOtherTenants: a crosswalk import of
// 1e5 bad rows through the gateway gets its 400 with a capped list of
// violations and their total, and a tenant reading through the same
// gateway meanwhile sees no failure. Before, the 17 MB error trailer broke
// the gateway's shared connection: the import got 503, and so did every
// read in flight on that connection.
func TestRedteamM3_BadImportDoesNotBreakOtherTenants(t *testing.T) {
	dir := t.TempDir()
	srv := startServe(t, dir, false)
	acme := newREST(t, srv.httpAddr, mintToken(t, dir, "acme", "content-manager", "cm"))
	globex := newREST(t, srv.httpAddr, mintToken(t, dir, "globex", "viewer", "gv"))

	type mapping struct {
		Source       string `json:"source"`
		Target       string `json:"target"`
		Relationship string `json:"relationship"`
	}
	rows := make([]mapping, 100_000)
	for i := range rows {
		rows[i] = mapping{Source: "RSK-3.4", Target: fmt.Sprintf("bad target %d", i), Relationship: "RELATIONSHIP_INTERSECTS_WITH"}
	}
	content, err := json.Marshal(map[string]any{"mappings": rows})
	if err != nil {
		t.Fatal(err)
	}
	bad, err := json.Marshal(map[string]any{"format": "FORMAT_JSON", "content": string(content)})
	if err != nil {
		t.Fatal(err)
	}

	code, out, _, err := acme.do(http.MethodPost, "/v1/crosswalks?crosswalkId=big", `{"displayName":"Big","sourceFramework":"frameworks/cmmi-aim",`+
		`"targetFramework":"frameworks/iso-iec-42001-2023","sourceModelVersion":"models/cmmi-aim/versions/3.0-sample"}`, 30*time.Second)
	if err != nil || code != http.StatusOK && code != http.StatusCreated {
		t.Fatalf("create crosswalk: %d %v %v", code, out, err)
	}
	stop := make(chan struct{})
	var reads, failures atomic.Int64
	var firstFailure atomic.Value
	var readers sync.WaitGroup
	for range 6 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				code, body, _, err := globex.do(http.MethodGet, "/v1/frameworks", "", 30*time.Second)
				reads.Add(1)
				if err != nil || code != http.StatusOK {
					failures.Add(1)
					firstFailure.CompareAndSwap(nil, fmt.Sprintf("%d %v %v", code, body, err))
				}
			}
		})
	}
	code, body, took, err := acme.do(http.MethodPost, "/v1/crosswalks/big:import", string(bad), 2*time.Minute)
	close(stop)
	readers.Wait()
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	t.Logf("import of %d bytes: %d after %v; globex: %d reads, %d failures", len(bad), code, took, reads.Load(), failures.Load())
	if code != http.StatusBadRequest {
		t.Fatalf("import = %d, want 400; %.500v", code, body)
	}
	raw, _ := json.Marshal(body)
	if len(raw) > 64<<10 {
		t.Errorf("the error body is %d bytes", len(raw))
	}
	var listed int
	var total string
	details, _ := body["details"].([]any)
	for _, d := range details {
		m, _ := d.(map[string]any)
		if v, ok := m["fieldViolations"].([]any); ok {
			listed = len(v)
		}
		if md, ok := m["metadata"].(map[string]any); ok {
			total, _ = md["violations_total"].(string)
		}
	}
	if listed != 100 || total != "100000" {
		t.Errorf("violations listed %d (want 100), violations_total %q (want 100000)", listed, total)
	}
	if failures.Load() != 0 {
		t.Errorf("globex: %d of %d reads failed during acme's import; first: %v", failures.Load(), reads.Load(), firstFailure.Load())
	}
}
