package gateway_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/server"
	"github.com/aim-platform/aim/platform/server/servertest"
	"github.com/aim-platform/aim/platform/telemetry"
	"github.com/aim-platform/aim/services/gateway"
)

var (
	modelService     = modelv1.ModelCatalogService_ServiceDesc.ServiceName
	appraisalService = appraisalv1.AppraisalService_ServiceDesc.ServiceName
	crosswalkService = crosswalkv1.CrosswalkService_ServiceDesc.ServiceName
)

const (
	bufconnTarget   = "passthrough:///bufconn"
	listModelsRPC   = "/aim.model.v1.ModelCatalogService/ListModels"
	createApprRPC   = "/aim.appraisal.v1.AppraisalService/CreateAppraisal"
	getModelRPC     = "/aim.model.v1.ModelCatalogService/GetModel"
	bearerChallenge = `Bearer realm="aim-platform"`
)

// startBackends starts one in-memory server with the three fakes and marks
// the services in serving as SERVING.
func startBackends(t *testing.T, serving ...string) (*servertest.Env, *recorder) {
	t.Helper()
	rec := &recorder{}
	env := servertest.Start(t, func(s *server.Server) {
		s.Register(&modelv1.ModelCatalogService_ServiceDesc, &fakeModels{rec: rec})
		s.Register(&appraisalv1.AppraisalService_ServiceDesc, &fakeAppraisals{rec: rec})
		s.Register(&crosswalkv1.CrosswalkService_ServiceDesc, &fakeCrosswalk{rec: rec})
		for _, name := range serving {
			s.SetServing(name)
		}
	})
	return env, rec
}

// gw is a gateway served over HTTP.
type gw struct {
	url    string
	client *http.Client
	logs   *syncBuffer
}

// startGateway builds a gateway in front of env (every address at the
// bufconn listener unless cfg names them, in which case it dials them for
// real) and serves it with httptest.
func startGateway(t *testing.T, env *servertest.Env, cfg gateway.Config) *gw {
	t.Helper()
	var dial []grpc.DialOption
	if cfg.ModelAddr == "" {
		cfg.ModelAddr, cfg.AppraisalAddr, cfg.CrosswalkAddr = bufconnTarget, bufconnTarget, bufconnTarget
		dial = []grpc.DialOption{grpc.WithContextDialer(env.Dialer())}
	}
	logs := &syncBuffer{}
	logger, err := telemetry.NewLogger(logs, telemetry.LogConfig{Level: "debug"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(t.Context(), cfg, gateway.Deps{Logger: logger, Telemetry: env.Telemetry, DialOptions: dial})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Close(); err != nil {
			t.Errorf("gateway close: %v", err)
		}
	})
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	c := srv.Client()
	c.Timeout = 30 * time.Second
	return &gw{url: srv.URL, client: c, logs: logs}
}

// request is one HTTP request to a gateway.
type request struct {
	method string
	path   string
	body   string
	// chunked sends the body without a Content-Length.
	chunked bool
	header  map[string]string
}

// do sends r and returns the response with its body read.
func (g *gw) do(t *testing.T, r request) (*http.Response, []byte) {
	t.Helper()
	method := r.method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
		if r.chunked {
			body = io.MultiReader(body) // hides the length
		}
	}
	req, err := http.NewRequestWithContext(t.Context(), method, g.url+r.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if r.chunked {
		req.ContentLength = -1
	}
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.header {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, r.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, r.path, err)
	}
	return resp, b
}

// rpcStatus is the plain-JSON shape of google.rpc.Status.
type rpcStatus struct {
	Code    int               `json:"code"`
	Message string            `json:"message"`
	Details []json.RawMessage `json:"details"`
}

// decodeStatus checks that body is a google.rpc.Status JSON with the given
// code, in both a plain decoding and a strict protojson one (which must
// resolve every detail type), and returns the latter.
func decodeStatus(t *testing.T, resp *http.Response, body []byte, code codes.Code) *spb.Status {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json; body %s", ct, body)
	}
	var plain rpcStatus
	if err := json.Unmarshal(body, &plain); err != nil {
		t.Fatalf("body is not Status JSON: %v: %s", err, body)
	}
	st := &spb.Status{}
	if err := protojson.Unmarshal(body, st); err != nil {
		t.Fatalf("body is not a google.rpc.Status: %v: %s", err, body)
	}
	if plain.Code != int(code) || st.GetCode() != int32(code) {
		t.Errorf("status code = %d, want %d (%s); body %s", plain.Code, code, code, body)
	}
	if plain.Message == "" {
		t.Errorf("status has no message: %s", body)
	}
	if len(plain.Details) != len(st.GetDetails()) {
		t.Errorf("details: plain %d, proto %d", len(plain.Details), len(st.GetDetails()))
	}
	return st
}

// details unpacks the details of st.
func details(t *testing.T, st *spb.Status) []proto.Message {
	t.Helper()
	var out []proto.Message
	for _, a := range st.GetDetails() {
		m, err := a.UnmarshalNew()
		if err != nil {
			t.Fatalf("detail %s: %v", a.GetTypeUrl(), err)
		}
		out = append(out, m)
	}
	return out
}

func errorInfo(t *testing.T, st *spb.Status) *errdetails.ErrorInfo {
	t.Helper()
	for _, d := range details(t, st) {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info
		}
	}
	return nil
}

func badRequest(t *testing.T, st *spb.Status) *errdetails.BadRequest {
	t.Helper()
	for _, d := range details(t, st) {
		if br, ok := d.(*errdetails.BadRequest); ok {
			return br
		}
	}
	return nil
}

// logLine is one access-log line of the server.
type logLine struct {
	Msg       string `json:"msg"`
	Method    string `json:"method"`
	Code      string `json:"code"`
	RequestID string `json:"request_id"`
}

// serviceLogged reports whether the server's own access log has a line for
// method with code under request id rid.
func serviceLogged(t *testing.T, env *servertest.Env, method, code, rid string) bool {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(env.Logs()))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var l logLine
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue
		}
		if l.Msg == "rpc" && l.Method == method && l.Code == code && l.RequestID == rid {
			return true
		}
	}
	return false
}

// unsignedToken is an alg=none token with otherwise good claims.
func unsignedToken() string {
	now := time.Now()
	claims, _ := json.Marshal(map[string]any{
		"iss": auth.DefaultIssuer, "aud": []string{auth.DefaultAudience}, "sub": "mallory",
		"tenant": "acme", "roles": []string{auth.RoleAdmin},
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(claims) + "."
}

// foreignToken is a well-formed token signed by a key the server does not
// know.
func foreignToken(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := auth.EnsureDevKey(dir); err != nil {
		t.Fatal(err)
	}
	s, err := auth.LoadSigner(dir, auth.DefaultIssuer, auth.DefaultAudience)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Mint("mallory", "acme", []string{auth.RoleAdmin}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// expiredToken is a token signed by the server's own key that expired long
// ago. Signer.Mint refuses a ttl that is not positive, so it is minted inside
// a synctest bubble, whose clock starts at 2000-01-01: valid for an hour then.
func expiredToken(t *testing.T, env *servertest.Env) string {
	t.Helper()
	if _, err := env.Signer.Mint("test-user", "acme", nil, -time.Minute); err == nil {
		t.Fatal("Mint accepted a negative ttl")
	}
	var tok string
	synctest.Test(t, func(t *testing.T) {
		var err error
		tok, err = env.Signer.Mint("test-user", "acme", []string{auth.RoleViewer}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
	})
	return tok
}

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestGateway(t *testing.T) {
	env, rec := startBackends(t, modelService, appraisalService, crosswalkService)
	g := startGateway(t, env, gateway.Config{})
	token := env.Token(t, "acme", auth.RoleAppraiser, auth.RoleViewer)

	t.Run("refusals come from the service", func(t *testing.T) {
		cases := []struct {
			name   string
			header map[string]string
			reason string
			// atGateway: a request with no credential at all is refused
			// by the gateway before it reads the body (H3); it never
			// reaches a service.
			atGateway bool
		}{
			{"no credentials", nil, "MISSING_CREDENTIALS", true},
			{"alg none", map[string]string{"Authorization": "Bearer " + unsignedToken()}, "INVALID_TOKEN", false},
			{"foreign key", map[string]string{"Authorization": "Bearer " + foreignToken(t)}, "INVALID_TOKEN", false},
			{"expired", map[string]string{"Authorization": "Bearer " + expiredToken(t, env)}, "TOKEN_EXPIRED", false},
			{"basic scheme", map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}, "INVALID_CREDENTIALS", false},
			// The server has no API keys file: a key that arrives as
			// x-api-key is refused as such.
			{"api key", map[string]string{"X-Api-Key": "k-123456789"}, "INVALID_API_KEY", false},
			// Only Authorization and X-Api-Key carry credentials: a valid
			// token smuggled in a grpc-gateway metadata header is not passed.
			{"grpc-metadata header", map[string]string{"Grpc-Metadata-Authorization": "Bearer " + token}, "MISSING_CREDENTIALS", true},
			{"two credentials", map[string]string{"Authorization": "Bearer " + token, "X-Api-Key": "k-123456789"}, "INVALID_CREDENTIALS", false},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				rid := "auth-" + strconv.Itoa(i)
				hdr := map[string]string{"X-Request-Id": rid}
				for k, v := range tc.header {
					hdr[k] = v
				}
				resp, body := g.do(t, request{path: "/v1/models", header: hdr})
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("status = %d, want 401; body %s", resp.StatusCode, body)
				}
				st := decodeStatus(t, resp, body, codes.Unauthenticated)
				info := errorInfo(t, st)
				if info == nil || info.GetReason() != tc.reason || info.GetDomain() != errs.Domain {
					t.Errorf("ErrorInfo = %v, want reason %s in %s", info, tc.reason, errs.Domain)
				}
				if got := resp.Header.Get("WWW-Authenticate"); got != bearerChallenge {
					t.Errorf("WWW-Authenticate = %q, want %q", got, bearerChallenge)
				}
				if logged := serviceLogged(t, env, listModelsRPC, "Unauthenticated", rid); logged == tc.atGateway {
					t.Errorf("service logged %s Unauthenticated for request %s: %v, want %v; logs:\n%s", listModelsRPC, rid, logged, !tc.atGateway, env.Logs())
				}
				if calls := rec.byRequestID(rid); len(calls) != 0 {
					t.Errorf("the handler ran: %+v", calls)
				}
			})
		}
	})

	t.Run("valid token", func(t *testing.T) {
		resp, body := g.do(t, request{path: "/v1/models", header: map[string]string{
			"Authorization": "Bearer " + token, "X-Request-Id": "valid-token",
		}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %d, want 200; body %s", resp.StatusCode, body)
		}
		var list struct {
			Models []struct {
				Name        string `json:"name"`
				DisplayName string `json:"displayName"`
			} `json:"models"`
			NextPageToken *string `json:"nextPageToken"`
		}
		if err := json.Unmarshal(body, &list); err != nil {
			t.Fatalf("body: %v: %s", err, body)
		}
		if len(list.Models) != 1 || list.Models[0].Name != "models/cmmi-aim" || list.Models[0].DisplayName == "" {
			t.Errorf("models = %+v; body %s", list.Models, body)
		}
		if list.NextPageToken == nil {
			t.Errorf("nextPageToken is not written when empty: %s", body)
		}
		calls := rec.byRequestID("valid-token")
		if len(calls) != 1 {
			t.Fatalf("calls = %+v, want one", calls)
		}
		id := calls[0].Identity
		if !calls[0].HasID || id.Subject != "test-user" || id.Tenant != "acme" || id.Via != auth.ViaJWT ||
			!slices.Equal(id.Roles, []string{auth.RoleAppraiser, auth.RoleViewer}) {
			t.Errorf("identity = %+v", id)
		}
		if !serviceLogged(t, env, listModelsRPC, "OK", "valid-token") {
			t.Errorf("no OK access-log line for the call")
		}
	})

	t.Run("response body is the resource", func(t *testing.T) {
		resp, body := g.do(t, request{path: "/v1/models/cmmi-aim", header: map[string]string{"Authorization": "Bearer " + token}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %d; body %s", resp.StatusCode, body)
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		if m["name"] != "models/cmmi-aim" || m["publisher"] != "test" {
			t.Errorf("body = %s, want the model itself", body)
		}
		if _, wrapped := m["model"]; wrapped {
			t.Errorf("body is wrapped in the response message: %s", body)
		}
		if m["shared"] != true || m["sample"] != false {
			t.Errorf("defaults not emitted as expected: %s", body)
		}
	})

	t.Run("path maps to name", func(t *testing.T) {
		resp, body := g.do(t, request{path: "/v1/appraisals/x", header: map[string]string{
			"Authorization": "Bearer " + token, "X-Request-Id": "get-appraisal",
		}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %d; body %s", resp.StatusCode, body)
		}
		var a map[string]any
		if err := json.Unmarshal(body, &a); err != nil {
			t.Fatal(err)
		}
		if a["name"] != "appraisals/x" || a["type"] != "APPRAISAL_TYPE_BENCHMARK" || a["state"] != "STATE_DRAFT" {
			t.Errorf("body = %s", body)
		}
		calls := rec.byRequestID("get-appraisal")
		if len(calls) != 1 || calls[0].Request.(*appraisalv1.GetAppraisalRequest).GetName() != "appraisals/x" {
			t.Errorf("calls = %+v", calls)
		}
		// Another name reaches the service as such and is its NotFound.
		resp, body = g.do(t, request{path: "/v1/appraisals/y", header: map[string]string{"Authorization": "Bearer " + token}})
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("status = %d, want 404; body %s", resp.StatusCode, body)
		}
		st := decodeStatus(t, resp, body, codes.NotFound)
		if !strings.Contains(st.GetMessage(), "appraisals/y") {
			t.Errorf("message = %q", st.GetMessage())
		}
	})

	t.Run("create", func(t *testing.T) {
		resp, body := g.do(t, request{
			method: http.MethodPost, path: "/v1/appraisals?appraisalId=acme-1",
			body:   `{"displayName":"Acme ML2","type":"APPRAISAL_TYPE_BENCHMARK","organizationalUnit":"Payments"}`,
			header: map[string]string{"Authorization": "Bearer " + token, "X-Request-Id": "create-ok"},
		})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("status = %d, want 201 (x-http-code); body %s", resp.StatusCode, body)
		}
		var a map[string]any
		if err := json.Unmarshal(body, &a); err != nil {
			t.Fatal(err)
		}
		if a["name"] != "appraisals/acme-1" || a["displayName"] != "Acme ML2" {
			t.Errorf("body = %s", body)
		}
		if resp.Header.Get("Grpc-Metadata-X-Http-Code") != "" || resp.Header.Get("Grpc-Metadata-X-Request-Id") != "" {
			t.Errorf("response metadata leaked into headers: %v", resp.Header)
		}
		calls := rec.byRequestID("create-ok")
		if len(calls) != 1 {
			t.Fatalf("calls = %+v", calls)
		}
		req := calls[0].Request.(*appraisalv1.CreateAppraisalRequest)
		if req.GetAppraisalId() != "acme-1" || req.GetAppraisal().GetOrganizationalUnit() != "Payments" {
			t.Errorf("request = %v", req)
		}
	})

	t.Run("bad bodies", func(t *testing.T) {
		authHdr := map[string]string{"Authorization": "Bearer " + token}
		cases := []struct {
			name        string
			contentType string
			body        string
			status      int
			// fromService: the service's validation refused it (and logged it).
			fromService bool
		}{
			{"unknown field", "application/json", `{"displayName":"a","bogus":1}`, http.StatusBadRequest, false},
			{"malformed json", "application/json", `{"displayName":`, http.StatusBadRequest, false},
			{"wrong type", "application/json", `{"displayName":42}`, http.StatusBadRequest, false},
			{"text/plain", "text/plain", `{"displayName":"a"}`, http.StatusUnsupportedMediaType, false},
			{"no content type", "", `{"displayName":"a"}`, http.StatusUnsupportedMediaType, false},
			{"empty appraisal", "application/json", `{}`, http.StatusBadRequest, true},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				rid := "body-" + strconv.Itoa(i)
				hdr := map[string]string{"X-Request-Id": rid, "Content-Type": tc.contentType}
				for k, v := range authHdr {
					hdr[k] = v
				}
				resp, body := g.do(t, request{method: http.MethodPost, path: "/v1/appraisals", body: tc.body, header: hdr})
				if resp.StatusCode != tc.status {
					t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tc.status, body)
				}
				st := decodeStatus(t, resp, body, codes.InvalidArgument)
				if calls := rec.byRequestID(rid); len(calls) != 0 {
					t.Errorf("the handler ran: %+v", calls)
				}
				if logged := serviceLogged(t, env, createApprRPC, "InvalidArgument", rid); logged != tc.fromService {
					t.Errorf("service logged the refusal: %v, want %v", logged, tc.fromService)
				}
				if !tc.fromService {
					return
				}
				br := badRequest(t, st)
				if br == nil {
					t.Fatalf("no BadRequest detail: %s", body)
				}
				var fields []string
				for _, v := range br.GetFieldViolations() {
					fields = append(fields, v.GetField())
				}
				for _, want := range []string{"appraisal.display_name", "appraisal.type", "appraisal.organizational_unit"} {
					if !slices.Contains(fields, want) {
						t.Errorf("violations %v lack %s", fields, want)
					}
				}
				if info := errorInfo(t, st); info == nil || info.GetReason() != "INVALID_ARGUMENT" {
					t.Errorf("ErrorInfo = %v", info)
				}
			})
		}
	})

	t.Run("routing", func(t *testing.T) {
		cases := []struct {
			method, path string
			status       int
			code         codes.Code
		}{
			{http.MethodGet, "/v1/nothing", http.StatusNotFound, codes.NotFound},
			{http.MethodGet, "/v1/models/cmmi-aim/nothing", http.StatusNotFound, codes.NotFound},
			{http.MethodDelete, "/v1/models", http.StatusMethodNotAllowed, codes.Unimplemented},
			{http.MethodPut, "/v1/frameworks", http.StatusMethodNotAllowed, codes.Unimplemented},
			{http.MethodGet, "/nothing-at-all", http.StatusNotFound, codes.NotFound},
			{http.MethodGet, "/", http.StatusNotFound, codes.NotFound},
		}
		for _, tc := range cases {
			t.Run(tc.method+" "+tc.path, func(t *testing.T) {
				resp, body := g.do(t, request{method: tc.method, path: tc.path, header: map[string]string{"Authorization": "Bearer " + token}})
				if resp.StatusCode != tc.status {
					t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tc.status, body)
				}
				decodeStatus(t, resp, body, tc.code)
			})
		}
	})

	t.Run("request id", func(t *testing.T) {
		cases := []struct {
			name, sent string
			kept       bool
		}{
			{"sent", "client-chosen-id-42", true},
			{"absent", "", false},
			{"too long", strings.Repeat("a", 200), false},
			{"not printable ascii", "id-\u00e9", false},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				hdr := map[string]string{"Authorization": "Bearer " + token}
				if tc.sent != "" {
					hdr["X-Request-Id"] = tc.sent
				}
				resp, body := g.do(t, request{path: "/v1/frameworks", header: hdr})
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status = %d; body %s", resp.StatusCode, body)
				}
				got := resp.Header.Get("X-Request-Id")
				switch {
				case tc.kept && got != tc.sent:
					t.Errorf("X-Request-Id = %q, want %q echoed", got, tc.sent)
				case !tc.kept && !hex32.MatchString(got):
					t.Errorf("X-Request-Id = %q, want a generated 32-hex id", got)
				}
				if vals := resp.Header.Values("X-Request-Id"); len(vals) != 1 {
					t.Errorf("X-Request-Id sent %d times: %q", len(vals), vals)
				}
				calls := rec.byRequestID(got)
				if len(calls) != 1 || calls[0].Method != "ListFrameworks" {
					t.Errorf("the service did not see request id %q: %+v", got, calls)
				}
			})
		}
	})

	t.Run("healthz", func(t *testing.T) {
		resp, body := g.do(t, request{path: "/healthz"})
		if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
			t.Errorf("status = %d, body %q", resp.StatusCode, body)
		}
	})

	t.Run("readyz", func(t *testing.T) {
		resp, body := g.do(t, request{path: "/readyz"})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %d, want 200; body %s", resp.StatusCode, body)
		}
		var r struct {
			Status   string            `json:"status"`
			Services map[string]string `json:"services"`
		}
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{modelService: "SERVING", appraisalService: "SERVING", crosswalkService: "SERVING"}
		if r.Status != "ready" || !maps.Equal(r.Services, want) {
			t.Errorf("body = %s", body)
		}
	})

	t.Run("openapi", func(t *testing.T) {
		resp, body := g.do(t, request{path: "/openapi.json"})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %d", resp.StatusCode)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type = %q", ct)
		}
		var doc struct {
			Swagger string                     `json:"swagger"`
			Paths   map[string]json.RawMessage `json:"paths"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("not JSON: %v", err)
		}
		if doc.Swagger != "2.0" {
			t.Errorf("swagger = %q", doc.Swagger)
		}
		for _, p := range []string{"/v1/models", "/v1/appraisals", "/v1/frameworks"} {
			if _, ok := doc.Paths[p]; !ok {
				t.Errorf("paths lack %s", p)
			}
		}
	})

	t.Run("backend failure is masked", func(t *testing.T) {
		resp, body := g.do(t, request{path: "/v1/models/broken", header: map[string]string{
			"Authorization": "Bearer " + token, "X-Request-Id": "broken",
		}})
		if resp.StatusCode != http.StatusInternalServerError {
			t.Fatalf("status = %d, want 500; body %s", resp.StatusCode, body)
		}
		st := decodeStatus(t, resp, body, codes.Internal)
		if strings.Contains(string(body), "/var/secret") || strings.Contains(string(body), "db at") {
			t.Errorf("body leaks the internal error: %s", body)
		}
		if st.GetMessage() != errs.MaskedMessage {
			t.Errorf("message = %q, want %q", st.GetMessage(), errs.MaskedMessage)
		}
		if !serviceLogged(t, env, getModelRPC, "Internal", "broken") {
			t.Errorf("the service did not log the call")
		}
	})

	t.Run("slow backend", func(t *testing.T) {
		const timeout = 300 * time.Millisecond
		slow := startGateway(t, env, gateway.Config{RequestTimeout: timeout})
		start := time.Now()
		resp, body := slow.do(t, request{path: "/v1/models/slow", header: map[string]string{"Authorization": "Bearer " + token}})
		if elapsed := time.Since(start); elapsed > timeout+5*time.Second {
			t.Errorf("took %v with a request timeout of %v", elapsed, timeout)
		}
		if resp.StatusCode != http.StatusGatewayTimeout {
			t.Fatalf("status = %d, want 504; body %s", resp.StatusCode, body)
		}
		decodeStatus(t, resp, body, codes.DeadlineExceeded)
	})

	t.Run("body limit", func(t *testing.T) {
		small := startGateway(t, env, gateway.Config{MaxBodyBytes: 1024})
		big := `{"displayName":"` + strings.Repeat("a", 4096) + `","type":"APPRAISAL_TYPE_BENCHMARK","organizationalUnit":"Payments"}`
		hdr := func(rid string) map[string]string {
			return map[string]string{"Authorization": "Bearer " + token, "X-Request-Id": rid}
		}

		resp, body := small.do(t, request{method: http.MethodPost, path: "/v1/appraisals", body: big, header: hdr("big-length")})
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("with Content-Length: status = %d, want 413; body %s", resp.StatusCode, body)
		} else {
			decodeStatus(t, resp, body, codes.InvalidArgument)
		}

		resp, body = small.do(t, request{method: http.MethodPost, path: "/v1/appraisals", body: big, chunked: true, header: hdr("big-chunked")})
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked: status = %d, want 413; body %s", resp.StatusCode, body)
		} else {
			decodeStatus(t, resp, body, codes.InvalidArgument)
		}
		for _, rid := range []string{"big-length", "big-chunked"} {
			if calls := rec.byRequestID(rid); len(calls) != 0 {
				t.Errorf("%s reached the service: %+v", rid, calls)
			}
		}

		// A body within the limit still passes, chunked or not.
		ok := `{"displayName":"a","type":"APPRAISAL_TYPE_BENCHMARK","organizationalUnit":"b"}`
		for _, chunked := range []bool{false, true} {
			resp, body = small.do(t, request{method: http.MethodPost, path: "/v1/appraisals", body: ok, chunked: chunked, header: hdr("small")})
			if resp.StatusCode != http.StatusCreated {
				t.Errorf("small body (chunked %v): status = %d; body %s", chunked, resp.StatusCode, body)
			}
		}
	})

	t.Run("cors", func(t *testing.T) {
		c := startGateway(t, env, gateway.Config{CORSOrigins: []string{"https://app.example"}})
		preflight := func(origin string) *http.Response {
			resp, _ := c.do(t, request{method: http.MethodOptions, path: "/v1/models", header: map[string]string{
				"Origin": origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization",
			}})
			return resp
		}
		resp := preflight("https://app.example")
		if resp.StatusCode != http.StatusNoContent {
			t.Errorf("preflight status = %d, want 204", resp.StatusCode)
		}
		h := resp.Header
		if h.Get("Access-Control-Allow-Origin") != "https://app.example" {
			t.Errorf("Allow-Origin = %q", h.Get("Access-Control-Allow-Origin"))
		}
		if m := h.Get("Access-Control-Allow-Methods"); !strings.Contains(m, "GET") || !strings.Contains(m, "POST") {
			t.Errorf("Allow-Methods = %q", m)
		}
		if ah := strings.ToLower(h.Get("Access-Control-Allow-Headers")); !strings.Contains(ah, "authorization") || !strings.Contains(ah, "content-type") {
			t.Errorf("Allow-Headers = %q", ah)
		}
		if !slices.Contains(h.Values("Vary"), "Origin") {
			t.Errorf("Vary = %q", h.Values("Vary"))
		}

		resp = preflight("https://evil.example")
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("disallowed origin got Allow-Origin %q", got)
		}
		if resp.StatusCode == http.StatusNoContent {
			t.Errorf("disallowed origin got a 204 preflight")
		}

		// An actual call from the allowed origin is marked and exposes the
		// request id.
		resp, body := c.do(t, request{path: "/v1/models", header: map[string]string{
			"Origin": "https://app.example", "Authorization": "Bearer " + token,
		}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %d; body %s", resp.StatusCode, body)
		}
		if resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
			!strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "X-Request-Id") {
			t.Errorf("headers = %v", resp.Header)
		}

		// The gateway without CORSOrigins adds nothing.
		resp, _ = g.do(t, request{method: http.MethodOptions, path: "/v1/models", header: map[string]string{
			"Origin": "https://app.example", "Access-Control-Request-Method": "GET",
		}})
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("CORS off: Allow-Origin %q", got)
		}
	})

	t.Run("unreachable backend", func(t *testing.T) {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := lis.Addr().String()
		_ = lis.Close()
		_, port, _ := net.SplitHostPort(addr)
		const timeout = 5 * time.Second
		down := startGateway(t, env, gateway.Config{
			ModelAddr: addr, AppraisalAddr: addr, CrosswalkAddr: addr, RequestTimeout: timeout,
		})
		start := time.Now()
		resp, body := down.do(t, request{path: "/v1/models", header: map[string]string{"Authorization": "Bearer " + token}})
		if elapsed := time.Since(start); elapsed > timeout {
			t.Errorf("took %v, more than the request timeout %v", elapsed, timeout)
		}
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("status = %d, want 503; body %s", resp.StatusCode, body)
		}
		decodeStatus(t, resp, body, codes.Unavailable)
		for _, leak := range []string{addr, "127.0.0.1", ":" + port, "dial", "connection refused"} {
			if strings.Contains(string(body), leak) {
				t.Errorf("body names %q: %s", leak, body)
			}
		}
		if !strings.Contains(down.logs.String(), "backend call failed") {
			t.Errorf("the gateway did not log the backend failure: %s", down.logs.String())
		}

		resp, body = down.do(t, request{path: "/readyz"})
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "UNREACHABLE") {
			t.Errorf("readyz: status = %d; body %s", resp.StatusCode, body)
		}
	})

	t.Run("access log", func(t *testing.T) {
		g.do(t, request{path: "/v1/frameworks", header: map[string]string{"Authorization": "Bearer " + token, "X-Request-Id": "gw-log"}})
		found := false
		for _, line := range strings.Split(g.logs.String(), "\n") {
			var l struct {
				Msg       string `json:"msg"`
				Path      string `json:"path"`
				Status    int    `json:"status"`
				RequestID string `json:"request_id"`
			}
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "http" && l.Path == "/v1/frameworks" && l.RequestID == "gw-log" {
				found = true
				if l.Status != http.StatusOK {
					t.Errorf("logged status %d", l.Status)
				}
			}
		}
		if !found {
			t.Errorf("no access-log line: %s", g.logs.String())
		}
		if strings.Contains(g.logs.String(), token) {
			t.Errorf("the gateway logged the token")
		}
	})
}

// TestReadyzNotServing checks /readyz when one service is registered but
// not yet marked serving.
func TestReadyzNotServing(t *testing.T) {
	env, _ := startBackends(t, modelService, appraisalService) // crosswalk stays NOT_SERVING
	g := startGateway(t, env, gateway.Config{})
	resp, body := g.do(t, request{path: "/readyz"})
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503; body %s", resp.StatusCode, body)
	}
	var r struct {
		Status   string            `json:"status"`
		Services map[string]string `json:"services"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	want := map[string]string{modelService: "SERVING", appraisalService: "SERVING", crosswalkService: "NOT_SERVING"}
	if r.Status != "not ready" || !maps.Equal(r.Services, want) {
		t.Errorf("body = %s, want services %v", body, want)
	}
	// /healthz does not depend on the backends.
	if resp, _ := g.do(t, request{path: "/healthz"}); resp.StatusCode != http.StatusOK {
		t.Errorf("healthz = %d", resp.StatusCode)
	}
}

// TestNewRequires checks the configuration New refuses.
func TestNewRequires(t *testing.T) {
	env, _ := startBackends(t)
	logger, err := telemetry.NewLogger(io.Discard, telemetry.LogConfig{})
	if err != nil {
		t.Fatal(err)
	}
	full := gateway.DefaultConfig("127.0.0.1:1")
	cases := []struct {
		name string
		cfg  gateway.Config
		deps gateway.Deps
	}{
		{"no model address", gateway.Config{AppraisalAddr: "a:1", CrosswalkAddr: "a:1"}, gateway.Deps{Logger: logger, Telemetry: env.Telemetry}},
		{"no logger", full, gateway.Deps{Telemetry: env.Telemetry}},
		{"no telemetry", full, gateway.Deps{Logger: logger}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := gateway.New(context.Background(), tc.cfg, tc.deps)
			if err == nil {
				_ = g.Close()
				t.Fatal("New succeeded")
			}
		})
	}
}
