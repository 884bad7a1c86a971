package gateway_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/services/gateway"
)

// rawRequest writes head (a request line and headers, without the blank
// line) and then the first bytes of a body that it never finishes, and
// returns the status line the gateway answers with within wait ("" when
// none came).
func rawRequest(t *testing.T, url, head string, partialBody []byte, wait time.Duration) string {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, head+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_, _ = conn.Write(partialBody)
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	line, _ := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimSpace(line)
}

// TestRedteamH3_GatewayRefusesBeforeReadingBody: a request without valid
// credentials gets its 401 while its 16 MiB body is still on the way; the
// gateway read and decoded whole bodies before (1.78 GB RSS from 48
// unauthenticated requests).
func TestRedteamH3_GatewayRefusesBeforeReadingBody(t *testing.T) {
	env, rec := startBackends(t, modelService, appraisalService, crosswalkService)
	g := startGateway(t, env, gateway.Config{})
	partial := append([]byte(`{"displayName":"`), bytes.Repeat([]byte("A"), 64<<10)...)
	for _, tc := range []struct{ name, header string }{
		{"no credentials", ""},
		{"grpc-metadata header only", "\r\nGrpc-Metadata-Authorization: Bearer " + env.Token(t, "acme", auth.RoleAdmin)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			head := "POST /v1/appraisals?appraisalId=h3 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 16777216\r\nX-Request-Id: h3-" +
				strings.ReplaceAll(tc.name, " ", "-") + tc.header
			if got := rawRequest(t, g.url, head, partial, 5*time.Second); got != "HTTP/1.1 401 Unauthorized" {
				t.Errorf("answer while the body is unsent: %q, want HTTP/1.1 401 Unauthorized", got)
			}
		})
	}
	if calls := rec.byRequestID("h3-no-credentials"); len(calls) != 0 {
		t.Errorf("the service handled the call: %+v", calls)
	}
}

// TestRedteamH3_SmallRoutesHaveSmallLimits: only the bulk routes take
// documents; every other route refuses a body above 1 MiB before reading
// it.
func TestRedteamH3_SmallRoutesHaveSmallLimits(t *testing.T) {
	env, _ := startBackends(t, modelService, appraisalService, crosswalkService)
	g := startGateway(t, env, gateway.Config{})
	token := env.Token(t, "acme", auth.RoleAdmin)
	head := fmt.Sprintf("POST /v1/appraisals?appraisalId=big HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\nContent-Length: %d", token, 2<<20)
	if got := rawRequest(t, g.url, head, []byte(`{"displayName":"`), 5*time.Second); got != "HTTP/1.1 413 Request Entity Too Large" {
		t.Errorf("2 MiB body on a small route: %q, want 413 at once", got)
	}
	// A bulk route still takes a large body (the fake has no import: the
	// service answers UNIMPLEMENTED, which shows the body passed).
	body := `{"format":"FORMAT_JSON","content":"` + strings.Repeat("x", 3<<20) + `"}`
	resp, out := g.do(t, request{method: http.MethodPost, path: "/v1/crosswalks/c:import", body: body,
		header: map[string]string{"Authorization": "Bearer " + token}})
	if resp.StatusCode == http.StatusRequestEntityTooLarge {
		t.Errorf("3 MiB import: 413 %s", out)
	}
}

// TestRedteamL1_HostHeaderDoesNotGrowMetrics: distinct Host headers used
// to make a series each (server_address, server_port), up to the SDK's
// cap per instrument.
func TestRedteamL1_HostHeaderDoesNotGrowMetrics(t *testing.T) {
	env, _ := startBackends(t, modelService, appraisalService, crosswalkService)
	g := startGateway(t, env, gateway.Config{})
	scrape := func() string {
		rr := httptest.NewRecorder()
		env.Telemetry.MetricsHandler().ServeHTTP(rr, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		return rr.Body.String()
	}
	get := func(host string) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, g.url+"/healthz", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		resp, err := g.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	get("first.example:1")
	before := strings.Count(scrape(), "\n")
	for i := range 200 {
		get(fmt.Sprintf("h%d.example:%d", i, 1000+i))
	}
	after := scrape()
	if n := strings.Count(after, "\n"); n != before {
		t.Errorf("/metrics grew from %d to %d lines after 200 distinct Host headers", before, n)
	}
	for _, leak := range []string{"h17.example", "1017", "server_address", "server_port"} {
		if strings.Contains(after, leak) {
			t.Errorf("/metrics carries %q, taken from a Host header", leak)
		}
	}
}

// TestRedteamL2_LargeExportIsRelayed: an export above grpc's default 4 MiB
// receive limit used to answer 429 with grpc's own text.
func TestRedteamL2_LargeExportIsRelayed(t *testing.T) {
	env, _ := startBackends(t, modelService, appraisalService, crosswalkService)
	g := startGateway(t, env, gateway.Config{})
	token := env.Token(t, "acme", auth.RoleViewer)
	resp, body := g.do(t, request{path: "/v1/crosswalks/big:export", header: map[string]string{"Authorization": "Bearer " + token}})
	if resp.StatusCode != http.StatusOK || len(body) != bigExportBytes {
		t.Fatalf("export: %d with %d bytes, want 200 with %d; %.300s", resp.StatusCode, len(body), bigExportBytes, body)
	}
}

// TestRedteamL2_NoGRPCTextInRESTErrors: a status grpc made (no ErrorInfo of
// ours) reaches a REST client in the gateway's own words, and a message
// size limit is not a 429 that invites a retry.
func TestRedteamL2_NoGRPCTextInRESTErrors(t *testing.T) {
	env, _ := startBackends(t, modelService, appraisalService, crosswalkService)
	g := startGateway(t, env, gateway.Config{})
	token := env.Token(t, "acme", auth.RoleViewer)
	resp, body := g.do(t, request{path: "/v1/crosswalks/grpc-text:export", header: map[string]string{"Authorization": "Bearer " + token}})
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode < 500 {
		t.Errorf("status %d, want a 5xx that does not invite a retry", resp.StatusCode)
	}
	for _, leak := range []string{"grpc:", "68204447", "4194304", "larger than max"} {
		if bytes.Contains(body, []byte(leak)) {
			t.Errorf("body carries %q: %s", leak, body)
		}
	}
	decodeStatus(t, resp, body, codes.FailedPrecondition)
}
