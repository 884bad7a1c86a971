package gateway_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/aim-platform/aim/platform/server"
	"github.com/aim-platform/aim/platform/telemetry"
	"github.com/aim-platform/aim/services/gateway"
)

// TestRedteamL5_GatewayShutdownEndsRESTWatchesAtOnce: a gateway that runs
// apart from the services (aim gateway, its own pod in Kubernetes) waited
// out the whole shutdown timeout while REST watches were open, because the
// services behind it keep the streams going. Shutdown now ends them at
// once; other requests keep their time to drain.
func TestRedteamL5_GatewayShutdownEndsRESTWatchesAtOnce(t *testing.T) {
	env, _ := startBackends(t, modelService, appraisalService, crosswalkService)
	logger, err := telemetry.NewLogger(&syncBuffer{}, telemetry.LogConfig{Level: "error"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := gateway.DefaultConfig(bufconnTarget)
	g, err := gateway.New(t.Context(), cfg, gateway.Deps{Logger: logger, Telemetry: env.Telemetry,
		DialOptions: []grpc.DialOption{grpc.WithContextDialer(env.Dialer())}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Close() })
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	const timeout = 10 * time.Second
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- server.ServeHTTP(ctx, lis, g.Handler(), timeout, g.EndStreams) }()

	const watches = 5
	bodies := make([]*bufio.Reader, watches)
	for i := range bodies {
		req, err := http.NewRequest(http.MethodGet, "http://"+lis.Addr().String()+"/v1/appraisals/x:watch", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+env.Token(t, "acme", "viewer"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = resp.Body.Close() })
		bodies[i] = bufio.NewReader(resp.Body)
		if line, err := bodies[i].ReadString('\n'); err != nil || !strings.Contains(line, `"sequence"`) {
			t.Fatalf("watch %d: first line %q, %v; want an event", i, line, err)
		}
	}

	start := time.Now()
	stop()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("ServeHTTP: %v", err)
		}
	case <-time.After(timeout + 5*time.Second):
		t.Fatal("ServeHTTP did not return")
	}
	if took := time.Since(start); took > timeout/2 {
		t.Errorf("shutdown took %v with %d REST watches open; want well under the timeout %v", took, watches, timeout)
	}
	for i, b := range bodies {
		done := make(chan struct{})
		go func() {
			for {
				if _, err := b.ReadString('\n'); err != nil {
					close(done)
					return
				}
			}
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Errorf("watch %d is still open after the shutdown", i)
		}
	}
}
