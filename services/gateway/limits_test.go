package gateway_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/server"
	"github.com/aim-platform/aim/services/gateway"
)

// startGatewayWith is startGateway with the dependencies the limits tests
// set themselves.
func startGatewayWith(t *testing.T, cfg gateway.Config, deps gateway.Deps) string {
	t.Helper()
	env, _ := startBackends(t, modelService, appraisalService, crosswalkService)
	cfg.ModelAddr, cfg.AppraisalAddr, cfg.CrosswalkAddr = bufconnTarget, bufconnTarget, bufconnTarget
	deps.DialOptions = []grpc.DialOption{grpc.WithContextDialer(env.Dialer())}
	deps.Logger = slog.New(slog.DiscardHandler)
	deps.Telemetry = env.Telemetry
	if deps.Auth == nil {
		deps.Auth = env.Auth
	}
	g, err := gateway.New(t.Context(), cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Close() })
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestRedteamH3_GatewayVerifiesTokenBeforeBody: with the Authenticator the
// gateway refuses a forged token as well, not only a missing one, before
// the body.
func TestRedteamH3_GatewayVerifiesTokenBeforeBody(t *testing.T) {
	url := startGatewayWith(t, gateway.Config{}, gateway.Deps{})
	head := "POST /v1/appraisals?appraisalId=h3 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 16777216\r\nAuthorization: Bearer " + unsignedToken()
	if got := rawRequest(t, url, head, []byte(`{"displayName":"`), 5*time.Second); got != "HTTP/1.1 401 Unauthorized" {
		t.Errorf("forged token, body unsent: %q, want HTTP/1.1 401 Unauthorized", got)
	}
}

// TestRedteamH3_BodyBudget: bodies in flight share one budget; a request
// that finds no room waits briefly, then gets 429 with Retry-After, before
// its body is read.
func TestRedteamH3_BodyBudget(t *testing.T) {
	budget, err := server.NewBudget(1<<20, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	env, _ := startBackends(t, modelService, appraisalService, crosswalkService)
	url := startGatewayWith(t, gateway.Config{}, gateway.Deps{Budget: budget, Auth: env.Auth})
	token := env.Token(t, "acme", auth.RoleAdmin)
	head := func(id string) string {
		return fmt.Sprintf("POST /v1/appraisals?appraisalId=%s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\nContent-Length: %d", id, token, 700<<10)
	}
	// The first request holds 700 KiB of the 1 MiB while its body trickles.
	holder, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.Write([]byte(head("a") + "\r\n\r\n{")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if got := rawRequest(t, url, head("b"), []byte("{"), 5*time.Second); got != "HTTP/1.1 429 Too Many Requests" {
		t.Errorf("second body over the budget: %q, want 429", got)
	}
	// Once the first is gone, its bytes are free again.
	holder.Close()
	var wg sync.WaitGroup
	wg.Go(func() {
		if got := rawRequest(t, url, head("c"), []byte("{"), 500*time.Millisecond); got == "HTTP/1.1 429 Too Many Requests" {
			t.Errorf("after the first request ended: still 429")
		}
	})
	wg.Wait()
}

// TestRedteamM1_SlowBodyIsCutOff: a body that trickles in is cut off at
// its read deadline (the read timeout plus its length at the minimum
// rate); before, the gateway waited for it for ever.
func TestRedteamM1_SlowBodyIsCutOff(t *testing.T) {
	env, _ := startBackends(t, modelService, appraisalService, crosswalkService)
	url := startGatewayWith(t, gateway.Config{BodyReadTimeout: time.Second}, gateway.Deps{Auth: env.Auth})
	token := env.Token(t, "acme", auth.RoleAdmin)
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head := "POST /v1/appraisals?appraisalId=slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer " + token + "\r\nContent-Length: 1000\r\n\r\n{"
	if _, err := conn.Write([]byte(head)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ended := make(chan struct{})
	var answer []byte
	go func() {
		defer close(ended)
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		answer, _ = io.ReadAll(conn)
	}()
	// One byte every 200 ms: alive, but far below any useful rate.
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ended:
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("the slow body was cut off after %v, want about 1s", d)
			}
			if !bytes.HasPrefix(answer, []byte("HTTP/1.1 408 ")) || bytes.Contains(answer, []byte("127.0.0.1")) || bytes.Contains(answer, []byte("i/o timeout")) {
				t.Errorf("answer to the slow body: %q, want 408 in the gateway's words", answer)
			}
			return
		case <-tick.C:
			_, _ = conn.Write([]byte(" "))
		}
	}
}

// TestBulkMethodsExist keeps the server's list of bulk methods in step
// with the API: each names a method that exists and has a bulk REST route.
func TestBulkMethodsExist(t *testing.T) {
	want := map[string]bool{
		modelv1.ModelCatalogService_ImportModelVersion_FullMethodName:            true,
		crosswalkv1.CrosswalkService_ImportCrosswalk_FullMethodName:              true,
		appraisalv1.AppraisalService_BatchUpdateCharacterizations_FullMethodName: true,
	}
	got := server.BulkMethods()
	if len(got) != len(want) {
		t.Errorf("bulk methods %v, want %v", got, want)
	}
	for _, m := range got {
		if !want[m] {
			t.Errorf("bulk method %s is not one of the API's document-carrying methods", m)
		}
	}
}
