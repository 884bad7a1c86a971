package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
)

// createWatched creates an appraisal over REST as token's caller and
// returns its name.
func createWatched(t *testing.T, base, token, id string) string {
	t.Helper()
	code, body := httpDo(t, "POST", base+"/v1/appraisals?appraisalId="+id, token, `{
		"displayName": "Watched", "type": "APPRAISAL_TYPE_BENCHMARK", "organizationalUnit": "Payments",
		"view": "models/cmmi-aim/versions/3.0-sample/views/aim", "targetMaturityLevel": 2}`)
	if code != http.StatusCreated {
		t.Fatalf("create %s: %d %v", id, code, body)
	}
	return body["name"].(string)
}

// restWatch is an open REST watch (NDJSON over a chunked response).
type restWatch struct {
	resp  *http.Response
	lines *bufio.Scanner
}

// openRESTWatch starts GET name:watch and returns the response; when it is
// 200, it has read the first event line, so the watch is open.
func openRESTWatch(t *testing.T, ctx context.Context, base, token, name string) (*restWatch, int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/v1/"+name+":watch", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("watch %s: %v", name, err)
	}
	w := &restWatch{resp: resp, lines: bufio.NewScanner(resp.Body)}
	w.lines.Buffer(make([]byte, 64<<10), 1<<20)
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		return nil, resp.StatusCode, string(raw)
	}
	if !w.lines.Scan() {
		t.Fatalf("watch %s: no first event: %v", name, w.lines.Err())
	}
	var first struct {
		Result struct {
			Event struct {
				Sequence string `json:"sequence"`
			} `json:"event"`
		} `json:"result"`
	}
	if err := json.Unmarshal(w.lines.Bytes(), &first); err != nil || first.Result.Event.Sequence != "1" {
		t.Fatalf("watch %s: first line %s (%v)", name, w.lines.Bytes(), err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return w, http.StatusOK, ""
}

// TestRedteamM2_WatchStreamsBoundedPerTenant runs aim serve with its
// default limits: a tenant's watch past --streams-per-tenant is refused
// (RESOURCE_EXHAUSTED over gRPC, 429 over REST) while another tenant still
// watches.
func TestRedteamM2_WatchStreamsBoundedPerTenant(t *testing.T) {
	dataDir := t.TempDir()
	p := startAim(t, "serve", "--data-dir", dataDir,
		"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--admin-addr", "")
	p.waitFor(tokenRe, 30*time.Second)
	base := "http://" + p.waitFor(restRe, time.Second)
	grpcAddr := p.waitFor(grpcRe, time.Second)

	// The documented defaults of --streams-per-tenant and
	// --streams-per-subject. Tenant admins read every appraisal of their
	// tenant; one subject holds at most perSubject watches, so several
	// share the tenant's perTenant.
	const perTenant, perSubject = 128, 32
	var acme []string
	for i := range perTenant/perSubject + 1 {
		acme = append(acme, runTokenAs(t, dataDir, "acme", "admin", fmt.Sprintf("watcher-%d", i)))
	}
	globex := runTokenAs(t, dataDir, "globex", "admin", "watcher-0")
	acmeName := createWatched(t, base, acme[0], "acme-watched")
	globexName := createWatched(t, base, globex, "globex-watched")

	client := appraisalv1.NewAppraisalServiceClient(dialGRPC(t, grpcAddr))
	watch := func(token string) error {
		ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+token)
		stream, err := client.WatchAppraisal(ctx, &appraisalv1.WatchAppraisalRequest{Name: acmeName})
		if err != nil {
			return err
		}
		_, err = stream.Recv()
		return err
	}
	for i := range perTenant {
		if err := watch(acme[i/perSubject]); err != nil {
			t.Fatalf("acme's watch %d of %d: %v", i+1, perTenant, err)
		}
	}
	err := watch(acme[len(acme)-1])
	if st := status.Convert(err); st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), `tenant "acme" has 128 streams open`) {
		t.Fatalf("acme's watch %d over gRPC: %v; want RESOURCE_EXHAUSTED naming the tenant's limit", perTenant+1, err)
	}
	_, code, body := openRESTWatch(t, t.Context(), base, acme[len(acme)-1], acmeName)
	if code != http.StatusTooManyRequests || !strings.Contains(body, "TOO_MANY_STREAMS") {
		t.Fatalf("acme's watch over REST past its limit: %d %s; want 429 TOO_MANY_STREAMS", code, body)
	}
	if w, code, body := openRESTWatch(t, t.Context(), base, globex, globexName); w == nil {
		t.Fatalf("globex's watch while acme is at its limit: %d %s", code, body)
	}
}

// TestRedteamL5_SIGTERMEndsOpenWatchesAtOnce: with gRPC and REST watches
// open, aim serve exits on SIGTERM well within --shutdown-timeout, and every
// watch ends cleanly (OK over gRPC, a complete response over REST).
func TestRedteamL5_SIGTERMEndsOpenWatchesAtOnce(t *testing.T) {
	const shutdownTimeout = 10 * time.Second
	dataDir := t.TempDir()
	p := startAim(t, "serve", "--data-dir", dataDir, "--shutdown-timeout", shutdownTimeout.String(),
		"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--admin-addr", "")
	token := p.waitFor(tokenRe, 30*time.Second)
	base := "http://" + p.waitFor(restRe, time.Second)
	grpcAddr := p.waitFor(grpcRe, time.Second)
	name := createWatched(t, base, token, "watched")

	const grpcWatches, restWatches = 20, 5
	ended := make(chan error, grpcWatches+restWatches)
	client := appraisalv1.NewAppraisalServiceClient(dialGRPC(t, grpcAddr))
	ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+token)
	for range grpcWatches {
		stream, err := client.WatchAppraisal(ctx, &appraisalv1.WatchAppraisalRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Recv(); err != nil {
			t.Fatal(err)
		}
		go func() {
			for {
				if _, err := stream.Recv(); err != nil {
					if errors.Is(err, io.EOF) {
						err = nil
					}
					ended <- err
					return
				}
			}
		}()
	}
	for range restWatches {
		w, code, body := openRESTWatch(t, t.Context(), base, token, name)
		if w == nil {
			t.Fatalf("REST watch: %d %s", code, body)
		}
		go func() {
			for w.lines.Scan() {
			}
			ended <- w.lines.Err()
		}()
	}

	start := time.Now()
	p.stop(shutdownTimeout + 5*time.Second)
	took := time.Since(start)
	if took >= shutdownTimeout/2 {
		t.Fatalf("aim serve exited %v after SIGTERM with %d watches open; want well under --shutdown-timeout %v", took, grpcWatches+restWatches, shutdownTimeout)
	}
	for range grpcWatches + restWatches {
		select {
		case err := <-ended:
			if err != nil {
				t.Fatalf("a watch did not end cleanly: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a watch is still open after the process exited")
		}
	}
	if strings.Contains(p.output(), "graceful stop timed out") {
		t.Fatal("the drain timed out")
	}
	t.Logf("exit %v after SIGTERM with %d gRPC and %d REST watches open", took, grpcWatches, restWatches)
}
