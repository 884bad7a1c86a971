package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	"github.com/aim-platform/aim/platform/auth"
)

var (
	restRe  = regexp.MustCompile(`REST\s+http://(\S+)`)
	grpcRe  = regexp.MustCompile(`gRPC\s+(\S+)`)
	tokenRe = regexp.MustCompile(`export AIM_TOKEN=(\S+)`)
)

// TestServe runs `aim serve` as a user would and drives it over REST and
// gRPC.
func TestServe(t *testing.T) {
	dataDir := t.TempDir()
	p := startAim(t, "serve", "--data-dir", dataDir,
		"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0")
	token := p.waitFor(tokenRe, 30*time.Second)
	base := "http://" + p.waitFor(restRe, time.Second)
	grpcAddr := p.waitFor(grpcRe, time.Second)

	if code, body := httpDo(t, "GET", base+"/readyz", "", ""); code != 200 || body["status"] != "ready" {
		t.Fatalf("/readyz = %d %v", code, body)
	}

	t.Run("credentials", func(t *testing.T) {
		expired := signWithDevKey(t, dataDir, time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour))
		forged := forgeToken(t)
		for name, tok := range map[string]string{"none": "", "expired": expired, "forged": forged, "garbage": "not-a-jwt"} {
			code, body := httpDo(t, "GET", base+"/v1/models", tok, "")
			if code != http.StatusUnauthorized || body["code"] != float64(codes.Unauthenticated) {
				t.Errorf("%s token over REST: %d %v; want 401 with code 16", name, code, body)
			}
			ctx := context.Background()
			if tok != "" {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
			}
			_, err := crosswalkv1.NewCrosswalkServiceClient(dialGRPC(t, grpcAddr)).ListFrameworks(ctx, &crosswalkv1.ListFrameworksRequest{})
			if status.Code(err) != codes.Unauthenticated {
				t.Errorf("%s token over gRPC: %v; want UNAUTHENTICATED", name, err)
			}
		}
	})

	t.Run("rest", func(t *testing.T) {
		code, body := httpDo(t, "GET", base+"/v1/models", token, "")
		if code != 200 || !strings.Contains(fmt.Sprint(body["models"]), "models/cmmi-aim") {
			t.Fatalf("list models: %d %v", code, body)
		}
		code, body = httpDo(t, "GET", base+"/v1/frameworks/iso-iec-42001-2023", token, "")
		if code != 200 || body["displayName"] != "ISO/IEC 42001:2023" {
			t.Fatalf("get framework: %d %v", code, body)
		}

		create := `{"displayName":"Acme ML3 benchmark","type":"APPRAISAL_TYPE_BENCHMARK","organizationalUnit":"Acme Payments"}`
		code, body = httpDo(t, "POST", base+"/v1/appraisals?appraisalId=acme-2026&requestId=r-1", token, create)
		if code != http.StatusCreated || body["name"] != "appraisals/acme-2026" || body["state"] != "STATE_DRAFT" {
			t.Fatalf("create appraisal: %d %v", code, body)
		}
		// A retry with the same request id returns the same appraisal, 200.
		code, again := httpDo(t, "POST", base+"/v1/appraisals?appraisalId=acme-2026&requestId=r-1", token, create)
		if code != http.StatusOK || again["etag"] != body["etag"] {
			t.Fatalf("retried create: %d %v", code, again)
		}

		code, body = httpDo(t, "POST", base+"/v1/appraisals", token, `{"type":"APPRAISAL_TYPE_BENCHMARK"}`)
		if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(body["details"]), "appraisal.display_name") {
			t.Fatalf("invalid create: %d %v", code, body)
		}

		// Another tenant cannot see it.
		other := runToken(t, dataDir, "other", "viewer")
		if code, body := httpDo(t, "GET", base+"/v1/appraisals/acme-2026", other, ""); code != http.StatusNotFound {
			t.Fatalf("other tenant reads appraisal: %d %v", code, body)
		}
		if code, _ := httpDo(t, "GET", base+"/v1/appraisals/acme-2026", token, ""); code != 200 {
			t.Fatalf("owner reads appraisal: %d", code)
		}

		if code, body := httpDo(t, "GET", base+"/openapi.json", "", ""); code != 200 || body["swagger"] != "2.0" {
			t.Fatalf("/openapi.json: %d", code)
		}
	})

	t.Run("model catalog", func(t *testing.T) {
		v := base + "/v1/models/cmmi-aim/versions/3.0-sample"
		code, body := httpDo(t, "GET", v+"/practiceAreas?pageSize=50", token, "")
		if areas, _ := body["practiceAreas"].([]any); code != 200 || len(areas) != 31 || body["nextPageToken"] != "" {
			t.Fatalf("list practice areas: %d, %d areas", code, len(areas))
		}
		code, body = httpDo(t, "GET", v+"/practiceAreas/-/practices/RISK-3.1", token, "")
		if code != 200 || body["name"] != "models/cmmi-aim/versions/3.0-sample/practiceAreas/RSK/practices/RSK-3.1" {
			t.Fatalf("get RISK-3.1: %d %v", code, body["name"])
		}
		code, body = httpDo(t, "GET", v+"/practiceAreas/-/practices?filter="+url.QueryEscape(`domain = "data" AND has_ai_context = true`), token, "")
		practices, _ := body["practices"].([]any)
		if code != 200 || len(practices) == 0 {
			t.Fatalf("filter practices: %d %v", code, body)
		}
		for _, p := range practices {
			p := p.(map[string]any)
			area := p["practiceArea"].(string)
			if ai, _ := p["aiContext"].([]any); len(ai) == 0 || !(strings.HasSuffix(area, "/DM") || strings.HasSuffix(area, "/DQ")) {
				t.Errorf("filtered practice %v is not a Data practice with AI context", p["name"])
			}
		}
		code, body = httpDo(t, "GET", v+"/practices:search?pageSize=5&query="+url.QueryEscape("bias in training data"), token, "")
		results, _ := body["results"].([]any)
		if code != 200 || len(results) != 5 {
			t.Fatalf("search: %d %v", code, body)
		}
		for i, r := range results {
			p := r.(map[string]any)["practice"].(map[string]any)
			if ai, _ := p["aiContext"].([]any); len(ai) == 0 {
				t.Errorf("search result %d (%v) has no AI context", i, p["name"])
			}
		}

		m := base + "/v1/models/acme-ai"
		code, body = httpDo(t, "POST", m+"/versions:import", token, readTestdata(t, "acme-bundle-3-errors.json"))
		details := fmt.Sprint(body["details"])
		for _, path := range []string{"bundle.practices[2].id", "bundle.practices[3].practice_area", "bundle.practices[4].level"} {
			if code != http.StatusBadRequest || !strings.Contains(details, path) {
				t.Errorf("import with three errors: %d; want 400 naming %s in %s", code, path, details)
			}
		}
		if code, _ := httpDo(t, "GET", m+"/versions/1.0", token, ""); code != http.StatusNotFound {
			t.Fatalf("a refused import wrote a version: %d", code)
		}
		if code, body = httpDo(t, "POST", m+"/versions:import", token, readTestdata(t, "acme-bundle.json")); code != http.StatusCreated {
			t.Fatalf("import: %d %v", code, body)
		}
		code, body = httpDo(t, "POST", m+"/versions/1.0:publish", token, "{}")
		if code != 200 || body["state"] != "STATE_PUBLISHED" || !strings.HasPrefix(fmt.Sprint(body["digest"]), "sha256:") {
			t.Fatalf("publish: %d %v", code, body)
		}
		code, body = httpDo(t, "GET", m+"/versions/1.0:diff?otherVersion="+url.QueryEscape("models/cmmi-aim/versions/3.0-sample"), token, "")
		if added, _ := body["addedAiContext"].([]any); code != 200 || len(added) != 1 {
			t.Fatalf("diff: %d %v", code, body)
		}
		other := runToken(t, dataDir, "globex", "viewer")
		if code, _ := httpDo(t, "GET", m+"/versions/1.0", other, ""); code != http.StatusNotFound {
			t.Fatalf("another tenant reads the import: %d", code)
		}
	})

	t.Run("grpc reflection", func(t *testing.T) {
		stream, err := reflectionpb.NewServerReflectionClient(dialGRPC(t, grpcAddr)).ServerReflectionInfo(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(&reflectionpb.ServerReflectionRequest{
			MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{},
		}); err != nil {
			t.Fatal(err)
		}
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		_ = stream.CloseSend()
		var names []string
		for _, s := range resp.GetListServicesResponse().GetService() {
			names = append(names, s.GetName())
		}
		for _, want := range []string{
			"aim.model.v1.ModelCatalogService", "aim.appraisal.v1.AppraisalService", "aim.crosswalk.v1.CrosswalkService",
			"grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
		} {
			if !slices.Contains(names, want) {
				t.Errorf("reflection lists %v; missing %s", names, want)
			}
		}
	})

	t.Run("grpc call", func(t *testing.T) {
		ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+token)
		resp, err := crosswalkv1.NewCrosswalkServiceClient(dialGRPC(t, grpcAddr)).ListFrameworks(ctx, &crosswalkv1.ListFrameworksRequest{})
		if err != nil || len(resp.GetFrameworks()) != 5 {
			t.Fatalf("ListFrameworks = %v, %v", resp, err)
		}
	})

	t.Run("second process on the same data dir fails fast", func(t *testing.T) {
		start := time.Now()
		out, err := exec.Command(aimBinary, "serve", "--data-dir", dataDir, "--lock-timeout", "500ms",
			"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--admin-addr", "").CombinedOutput()
		if err == nil || !strings.Contains(string(out), "another process") || time.Since(start) > 10*time.Second {
			t.Fatalf("second serve: err=%v after %s\n%s", err, time.Since(start), out)
		}
	})

	p.stop(15 * time.Second)
}

// TestSplitModeReadiness runs each part as its own process, as Kubernetes
// does, and checks that /readyz follows a backend going away and coming back.
func TestSplitModeReadiness(t *testing.T) {
	dataDir := t.TempDir()
	common := []string{"--data-dir", dataDir, "--grpc-addr", "127.0.0.1:0", "--admin-addr", ""}
	addrs := map[string]string{}
	procs := map[string]*proc{}
	for _, part := range []string{"model", "appraisal", "crosswalk"} {
		procs[part] = startAim(t, append([]string{part}, common...)...)
		addrs[part] = procs[part].loggedAddr("grpc_addr")
	}
	gw := startAim(t, "gateway", "--http-addr", "127.0.0.1:0", "--admin-addr", "",
		"--model-addr", addrs["model"], "--appraisal-addr", addrs["appraisal"], "--crosswalk-addr", addrs["crosswalk"])
	base := "http://" + gw.loggedAddr("http_addr")

	ready := func() int { code, _ := httpDo(t, "GET", base+"/readyz", "", ""); return code }
	eventually(t, 10*time.Second, "ready with every backend up", func() bool { return ready() == 200 })

	// The gateway forwards credentials; the model service checks them.
	token := runToken(t, dataDir, "acme", "viewer")
	if code, body := httpDo(t, "GET", base+"/v1/models/cmmi-aim", token, ""); code != 200 {
		t.Fatalf("get model through split gateway: %d %v", code, body)
	}

	// Kill the model service: readiness drops within seconds.
	killed := time.Now()
	procs["model"].kill()
	eventually(t, 5*time.Second, "/readyz 503 after the model service died", func() bool { return ready() == http.StatusServiceUnavailable })
	t.Logf("readyz went 503 %s after the kill", time.Since(killed).Round(time.Millisecond))
	if code, body := httpDo(t, "GET", base+"/v1/models/cmmi-aim", token, ""); code != http.StatusServiceUnavailable ||
		strings.Contains(fmt.Sprint(body["message"]), "127.0.0.1") {
		t.Fatalf("call to a dead backend: %d %v; want 503 without internal addresses", code, body)
	}

	// Bring it back on the same address: readiness returns.
	restarted := startAim(t, "model", "--data-dir", dataDir, "--grpc-addr", addrs["model"], "--admin-addr", "")
	restarted.loggedAddr("grpc_addr")
	back := time.Now()
	eventually(t, 10*time.Second, "/readyz 200 after the model service returned", func() bool { return ready() == 200 })
	t.Logf("readyz back to 200 %s after the restart", time.Since(back).Round(time.Millisecond))
}

// readTestdata returns a file of testdata/ as a string.
func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dialGRPC connects to addr and closes the connection when the test ends.
func dialGRPC(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// runToken mints a token with the aim token command.
func runToken(t *testing.T, dataDir, tenant, roles string) string {
	t.Helper()
	return runTokenAs(t, dataDir, tenant, roles, "dev-user")
}

// execAim runs aim and returns its standard output.
func execAim(_ string, args ...string) (string, error) {
	out, err := exec.Command(aimBinary, args...).Output()
	return string(out), err
}

// signWithDevKey signs a token with the data dir's development key but the
// given times, to make an expired one.
func signWithDevKey(t *testing.T, dataDir string, issued, expiry time.Time) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dataDir, auth.DevKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	var key jose.JSONWebKey
	if err := json.Unmarshal(raw, &key); err != nil {
		t.Fatal(err)
	}
	return signClaims(t, key, issued, expiry)
}

// forgeToken signs an otherwise valid token with a key the server does not
// know, under a key id it does not know either.
func forgeToken(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := auth.EnsureDevKey(dir); err != nil {
		t.Fatal(err)
	}
	signer, err := auth.LoadSigner(dir, auth.DefaultIssuer, auth.DefaultAudience)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := signer.Mint("mallory", "dev", []string{auth.RoleAdmin}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func signClaims(t *testing.T, key jose.JSONWebKey, issued, expiry time.Time) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", key.KeyID))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(sig).Claims(jwt.Claims{
		Issuer: auth.DefaultIssuer, Subject: "dev-user", Audience: jwt.Audience{auth.DefaultAudience},
		IssuedAt: jwt.NewNumericDate(issued), NotBefore: jwt.NewNumericDate(issued), Expiry: jwt.NewNumericDate(expiry),
	}).Claims(map[string]any{"tenant": "dev", "roles": []string{"admin"}}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
