package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkFootprint measures `aim serve` as a user runs it: the binary
// built with go build from cmd/aim, started on loopback ports with the
// embedded defaults.
//
//   - FirstStart: start on an empty data directory (it creates the signing
//     key and installs the default model, frameworks and sample crosswalk)
//     until GET /readyz answers 200. ready-ms is the median of the runs.
//   - Restart: the same on a data directory a first start filled.
//   - IdleRSS: VmRSS of the process (from /proc/<pid>/status) after it has
//     been ready and idle for 3 s, and its peak (VmHWM).
//
// The store size per 1e4 appraisals is reported by
// BenchmarkGrowth/ListAppraisals/1e4 (store-MiB).
func BenchmarkFootprint(b *testing.B) {
	bin := buildAim(b)
	b.Run("FirstStart", func(b *testing.B) {
		readyTimes(b, func() string { return b.TempDir() }, bin)
	})
	b.Run("Restart", func(b *testing.B) {
		dir := b.TempDir()
		p := startAim(b, bin, dir)
		p.stop(b)
		readyTimes(b, func() string { return dir }, bin)
	})
	b.Run("IdleRSS", func(b *testing.B) {
		var rss, hwm []float64
		for range b.N {
			p := startAim(b, bin, b.TempDir())
			time.Sleep(3 * time.Second)
			status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
			if err != nil {
				b.Fatal(err)
			}
			rss = append(rss, procKiB(b, status, "VmRSS")/1024)
			hwm = append(hwm, procKiB(b, status, "VmHWM")/1024)
			p.stop(b)
		}
		b.ReportMetric(median(rss), "rss-MiB")
		b.ReportMetric(median(hwm), "hwm-MiB")
	})
}

// readyTimes starts aim serve b.N times on the directory dir returns and
// reports the median time from start to a 200 from /readyz.
func readyTimes(b *testing.B, dir func() string, bin string) {
	var ms []float64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		d := dir()
		b.StartTimer()
		p := startAim(b, bin, d)
		b.StopTimer()
		ms = append(ms, p.ready.Seconds()*1000)
		p.stop(b)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(median(ms), "ready-ms")
}

// buildAim builds cmd/aim into a temporary directory, in the workspace as
// `make build` does.
func buildAim(b *testing.B) string {
	b.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "cmd", "aim", "main.go")); err != nil {
		b.Fatalf("cmd/aim not found beside bench/: %v", err)
	}
	bin := filepath.Join(b.TempDir(), "aim")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Join(root, "cmd", "aim")
	// The driver runs the suite with GOWORK=off (bench/ is its own module);
	// the build of cmd/aim uses the repository's workspace like make build.
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "GOWORK=") })
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build ./cmd/aim: %v\n%s", err, out)
	}
	return bin
}

// aimProc is a running aim serve.
type aimProc struct {
	cmd    *exec.Cmd
	ready  time.Duration // from start to the first 200 from /readyz
	logs   *bytes.Buffer
	stopCh chan error // cmd.Wait's result; nil once stopped
}

// startAim starts aim serve on dir with free loopback ports and waits until
// /readyz answers 200; it polls every millisecond from the start.
func startAim(b *testing.B, bin, dir string) *aimProc {
	b.Helper()
	grpcAddr, httpAddr := freeAddr(b), freeAddr(b)
	cmd := exec.Command(bin, "serve", "--data-dir", dir, "--grpc-addr", grpcAddr, "--http-addr", httpAddr, "--admin-addr", "")
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "AIM_") || strings.HasPrefix(kv, "OTEL_")
	})
	logs := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	url := "http://" + httpAddr + "/readyz"
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	p := &aimProc{cmd: cmd, logs: logs}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := start.Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			b.Fatalf("aim serve exited before it was ready: %v\n%s", err, logs)
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				p.ready = time.Since(start)
				p.stopCh = exited
				b.Cleanup(p.kill)
				return p
			}
		}
		time.Sleep(time.Millisecond)
	}
	_ = cmd.Process.Kill()
	b.Fatalf("aim serve not ready after 30s\n%s", logs)
	return nil
}

// stop ends the process with SIGTERM and waits for it.
func (p *aimProc) stop(b *testing.B) {
	b.Helper()
	if p.stopCh == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.stopCh:
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			b.Logf("aim serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.stopCh
		b.Logf("aim serve did not stop within 20s; killed")
	}
	p.stopCh = nil
}

// kill ends a process a failed benchmark left running.
func (p *aimProc) kill() {
	if p.stopCh == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.stopCh
	p.stopCh = nil
}

// freeAddr returns a loopback address no one listens on now.
func freeAddr(b *testing.B) string {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// procKiB reads a "Name:   1234 kB" line of /proc/<pid>/status.
func procKiB(b *testing.B, status []byte, name string) float64 {
	b.Helper()
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != name {
			continue
		}
		n, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		if err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		return n
	}
	b.Fatalf("no %s in /proc status", name)
	return 0
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
