package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// aimBinary is the aim command built once for the tests that run it as a
// child process, as a user would.
var aimBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "aim-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	aimBinary = filepath.Join(dir, "aim")
	build := exec.Command("go", "build", "-o", aimBinary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build aim:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running aim process whose output the test reads line by line.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  []string // stdout and stderr lines, in arrival order per stream
	news chan struct{}
	done chan struct{}
	err  error
}

// startAim runs aim with args and stops it (SIGKILL if still running) when
// the test ends.
func startAim(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, news: make(chan struct{}, 1), done: make(chan struct{})}
	p.cmd = exec.Command(aimBinary, args...)
	p.cmd.Env = append(os.Environ(), "OTEL_EXPORTER_OTLP_ENDPOINT=")
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
				p.mu.Lock()
				p.out = append(p.out, sc.Text())
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
			t.Logf("output of %v:\n%s", args, p.output())
		}
	})
	return p
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.out, "\n")
}

// waitFor returns the first submatch of re in the output, waiting up to d.
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
			p.t.Fatalf("process exited (%v) before printing %s", p.err, re)
		case <-deadline:
			p.t.Fatalf("no %s within %s", re, d)
		}
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop(d time.Duration) {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			p.t.Fatalf("exit after SIGTERM: %v", p.err)
		}
	case <-time.After(d):
		p.t.Fatalf("still running %s after SIGTERM", d)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// loggedAddr waits for the JSON "serving" log line and returns the address
// under key.
func (p *proc) loggedAddr(key string) string {
	p.t.Helper()
	return p.waitFor(regexp.MustCompile(`"msg":"serving".*"`+key+`":"([^"]+)"`), 20*time.Second)
}

// httpDo makes a request and returns the status and decoded JSON body.
func httpDo(t *testing.T, method, url, token string, body string, headers ...string) (int, map[string]any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: body is not JSON: %v\n%s", method, url, err, raw)
		}
	}
	return resp.StatusCode, out
}

// eventually retries check until it returns true or d passes.
func eventually(t *testing.T, d time.Duration, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
