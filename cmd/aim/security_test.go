package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/auth"
)

// This file holds the security suite (issue 8, item 5) and the fixture it
// shares with the hostile-input suite (hostile_test.go): every test runs
// against a real `aim serve` child process, over REST and gRPC.

// ---- a served aim and its clients -----------------------------------------

// serveEnv is one `aim serve` started by a test.
type serveEnv struct {
	p        *proc
	dataDir  string
	root     string // http://host:port
	base     string // root + "/v1"
	grpcAddr string
	conn     *grpc.ClientConn
	signer   *auth.Signer
}

// startServe runs aim serve on loopback ports with its data in a temporary
// directory, adding extra flags. The per-tenant rate limit is off unless
// extra sets it (a later flag wins): these suites send thousands of calls
// as one tenant, and a 429 would pass for the 4xx they expect.
func startServe(t *testing.T, extra ...string) *serveEnv {
	t.Helper()
	dataDir := t.TempDir()
	args := append([]string{"serve", "--data-dir", dataDir,
		"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--admin-addr", "", "--rate-limit", "0"}, extra...)
	p := startAim(t, args...)
	p.waitFor(tokenRe, 30*time.Second)
	root := "http://" + p.waitFor(restRe, time.Second)
	grpcAddr := p.waitFor(grpcRe, time.Second)
	signer, err := auth.LoadSigner(dataDir, auth.DefaultIssuer, auth.DefaultAudience)
	if err != nil {
		t.Fatal(err)
	}
	return &serveEnv{p: p, dataDir: dataDir, root: root, base: root + "/v1", grpcAddr: grpcAddr, conn: dialGRPC(t, grpcAddr), signer: signer}
}

// token mints a token of the served data dir's development key.
func (e *serveEnv) token(t *testing.T, tenant, subject string, roles ...string) string {
	t.Helper()
	tok, err := e.signer.Mint(subject, tenant, roles, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// must makes a REST call and fails the test unless it answers one of want.
func (e *serveEnv) must(t *testing.T, token, method, path, body string, want ...int) map[string]any {
	t.Helper()
	code, out := httpDo(t, method, e.base+path, token, body)
	if !slices.Contains(want, code) {
		t.Fatalf("%s %s: %d, want %v: %v", method, path, code, want, out)
	}
	return out
}

// allRoles are the platform's roles, most powerful first.
var allRoles = auth.KnownRoles()

// ---- gRPC calls by method name --------------------------------------------

// aimServices are the three APIs, whose every method the matrices cover.
var aimServices = []protoreflect.FullName{
	"aim.model.v1.ModelCatalogService",
	"aim.appraisal.v1.AppraisalService",
	"aim.crosswalk.v1.CrosswalkService",
}

// The generated packages register the services' descriptors.
var (
	_ = modelv1.File_aim_model_v1_model_catalog_service_proto
	_ = appraisalv1.File_aim_appraisal_v1_appraisal_service_proto
	_ = crosswalkv1.File_aim_crosswalk_v1_crosswalk_service_proto
)

// allMethods returns "Service/Method" for every method of aimServices.
func allMethods(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, svc := range aimServices {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(svc)
		if err != nil {
			t.Fatal(err)
		}
		methods := d.(protoreflect.ServiceDescriptor).Methods()
		for i := range methods.Len() {
			out = append(out, string(svc.Name())+"/"+string(methods.Get(i).Name()))
		}
	}
	return out
}

// methodDesc finds "Service/Method" among aimServices.
func methodDesc(t *testing.T, name string) protoreflect.MethodDescriptor {
	t.Helper()
	svc, method, _ := strings.Cut(name, "/")
	for _, full := range aimServices {
		if string(full.Name()) != svc {
			continue
		}
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(full)
		if err != nil {
			t.Fatal(err)
		}
		if md := d.(protoreflect.ServiceDescriptor).Methods().ByName(protoreflect.Name(method)); md != nil {
			return md
		}
	}
	t.Fatalf("no method %s", name)
	return nil
}

// invoke calls a method with a request written as protojson, with token's
// credentials, and returns the response as JSON. A server-streaming method
// returns its first message.
func invoke(t *testing.T, conn *grpc.ClientConn, token, name, reqJSON string) (string, error) {
	t.Helper()
	md := methodDesc(t, name)
	req := dynamicpb.NewMessage(md.Input())
	if err := protojson.Unmarshal([]byte(reqJSON), req); err != nil {
		t.Fatalf("%s: request %s: %v", name, reqJSON, err)
	}
	resp := dynamicpb.NewMessage(md.Output())
	full := "/" + string(md.Parent().FullName()) + "/" + string(md.Name())
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	}
	var err error
	if md.IsStreamingServer() {
		var s grpc.ClientStream
		if s, err = conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, full); err == nil {
			if err = s.SendMsg(req); err == nil {
				_ = s.CloseSend()
				err = s.RecvMsg(resp)
			}
		}
	} else {
		err = conn.Invoke(ctx, full, req, resp)
	}
	if err != nil {
		return "", err
	}
	out, _ := protojson.Marshal(resp)
	return string(out), nil
}

// ---- the fixture: one tenant's resources of every type ---------------------

// fixture names one tenant's resources, one of each type: an imported model
// version with a view, a crosswalk with a mapping, and an appraisal in
// CONDUCTING with a team, an instance, evidence, a finding and a
// characterization.
type fixture struct {
	tenant  string
	owner   string // token: every role, lead appraiser of the appraisal
	model   string // models/acme-ai
	version string // models/acme-ai/versions/1.0
	view    string
	cw      string // crosswalks/{id}
	mapping string
	appraisalFixture
}

// appraisalFixture is an appraisal in CONDUCTING and its children.
type appraisalFixture struct {
	appraisal, lead, member, instance, evidence, finding, characterization string
	practice                                                               string // in scope, characterized
}

// catalog content shared by the fixtures.
const (
	fxModel     = "models/acme-ai"
	fxVersion   = "models/acme-ai/versions/1.0"
	fxViewID    = "acme-view"
	fxCrosswalk = "acme-cw"
	// fxMappings is a JSON mapping document of one mapping.
	fxMappings = `{"mappings":[{"source":"RSK-3.4","target":"6.1.2","relationship":"RELATIONSHIP_EQUAL","strength":7}]}`
)

// buildFixture creates the fixture in tenant over REST.
func buildFixture(t *testing.T, e *serveEnv, tenant string) fixture {
	t.Helper()
	fx := fixture{tenant: tenant, owner: e.token(t, tenant, "owner", allRoles...), model: fxModel, version: fxVersion}
	fx.view = fx.version + "/views/" + fxViewID
	fx.cw = "crosswalks/" + fxCrosswalk
	e.must(t, fx.owner, "POST", "/"+fx.model+"/versions:import", readTestdata(t, "acme-bundle.json"), http.StatusCreated)
	e.must(t, fx.owner, "POST", "/"+fx.version+"/views?viewId="+fxViewID,
		`{"displayName": "Acme verification", "practiceAreas": ["VV"]}`, http.StatusOK, http.StatusCreated)
	e.must(t, fx.owner, "POST", "/crosswalks?crosswalkId="+fxCrosswalk, `{"displayName": "Acme to ISO 42001",
		"sourceFramework": "frameworks/cmmi-aim", "targetFramework": "frameworks/iso-iec-42001-2023",
		"sourceModelVersion": "models/cmmi-aim/versions/3.0-sample"}`, http.StatusCreated)
	content, _ := json.Marshal(fxMappings)
	e.must(t, fx.owner, "POST", "/"+fx.cw+":import", `{"format": "FORMAT_JSON", "content": `+string(content)+`}`, http.StatusOK)
	maps := e.must(t, fx.owner, "GET", "/"+fx.cw+"/mappings", "", http.StatusOK)["mappings"].([]any)
	fx.mapping = maps[0].(map[string]any)["name"].(string)
	fx.appraisalFixture = buildAppraisal(t, e, fx.owner, "acme-a", nil)
	return fx
}

// buildAppraisal creates an appraisal led by lead (who must hold the
// lead-appraiser role), with members (subject → team member id) on its team
// as team members, and takes it to CONDUCTING with one of each child.
func buildAppraisal(t *testing.T, e *serveEnv, lead, id string, members map[string]string) appraisalFixture {
	t.Helper()
	ap := "appraisals/" + id
	fx := appraisalFixture{appraisal: ap, instance: ap + "/instances/checkout", evidence: ap + "/evidence/ev-1", finding: ap + "/findings/f-1"}
	e.must(t, lead, "POST", "/appraisals?appraisalId="+id, `{"displayName": "Acme ML2 benchmark",
		"type": "APPRAISAL_TYPE_BENCHMARK", "organizationalUnit": "Acme Payments",
		"view": "models/cmmi-aim/versions/3.0-sample/views/aim", "targetMaturityLevel": 2}`, http.StatusCreated)
	team := e.must(t, lead, "GET", "/"+ap+"/teamMembers", "", http.StatusOK)["teamMembers"].([]any)
	fx.lead = team[0].(map[string]any)["name"].(string)
	fx.member = ap + "/teamMembers/amy"
	e.must(t, lead, "POST", "/"+ap+"/teamMembers?teamMemberId=amy", `{"subject": "amy", "displayName": "Amy", "role": "ROLE_TEAM_MEMBER"}`, http.StatusCreated)
	for _, subject := range sortedKeys(members) {
		e.must(t, lead, "POST", "/"+ap+"/teamMembers?teamMemberId="+members[subject],
			`{"subject": "`+subject+`", "displayName": "`+subject+`", "role": "ROLE_TEAM_MEMBER"}`, http.StatusCreated)
	}
	e.must(t, lead, "POST", "/"+ap+":plan", "{}", http.StatusOK)
	e.must(t, lead, "POST", "/"+ap+"/instances?instanceId=checkout", `{"displayName": "Checkout", "subgroup": "payments"}`, http.StatusCreated)
	e.must(t, lead, "POST", "/"+ap+":start", "{}", http.StatusOK)
	missing := e.must(t, lead, "GET", "/"+ap+"/ratings", "", http.StatusOK)["missing"].([]any)
	fx.practice = missing[0].(map[string]any)["practice"].(string)
	fx.characterization = fx.instance + "/characterizations/" + fx.practice
	e.must(t, lead, "POST", "/"+ap+"/evidence?evidenceId=ev-1", `{"kind": "KIND_ARTIFACT", "title": "Project plan",
		"practices": ["`+fx.practice+`"], "instances": ["checkout"]}`, http.StatusCreated)
	e.must(t, lead, "POST", "/"+ap+"/findings?findingId=f-1", `{"kind": "KIND_STRENGTH", "text": "Planning is thorough.",
		"practices": ["`+fx.practice+`"]}`, http.StatusCreated)
	e.must(t, lead, "PATCH", "/"+fx.characterization+"?allowMissing=true", `{"value": "CHARACTERIZATION_VALUE_FULLY_MEETS",
		"rationale": "Seen in the plan.", "evidence": ["ev-1"]}`, http.StatusOK)
	return fx
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// replacer fills a request template's placeholders with the fixture's names.
func (fx fixture) replacer() *strings.Replacer {
	bundle, _ := json.Marshal(json.RawMessage(bundleJSON))
	return strings.NewReplacer(
		"{AP}", fx.appraisal, "{LEAD}", fx.lead, "{MEM}", fx.member, "{INST}", fx.instance, "{EV}", fx.evidence,
		"{FI}", fx.finding, "{CH}", fx.characterization, "{P}", fx.practice, "{CW}", fx.cw, "{MAP}", fx.mapping,
		"{MODEL}", fx.model, "{MV}", fx.version, "{VIEW}", fx.view, "{BUNDLE}", string(bundle),
		"{MAPPINGS}", strings.Trim(strings.TrimSpace(mustJSON(fxMappings)), "\n"),
	)
}

// bundleJSON is the model bundle of the fixture's imported version.
var bundleJSON = func() string {
	raw, err := os.ReadFile(filepath.Join("testdata", "acme-bundle.json"))
	if err != nil {
		return "{}"
	}
	var doc struct {
		Bundle json.RawMessage `json:"bundle"`
	}
	if json.Unmarshal(raw, &doc) != nil {
		return "{}"
	}
	return string(doc.Bundle)
}()

func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// snapshot reads, as token, everything of the fixture a change could touch,
// as "GET path" → status and body.
func snapshot(t *testing.T, e *serveEnv, token string, fxs ...fixture) map[string]string {
	t.Helper()
	paths := []string{"/appraisals?pageSize=1000", "/crosswalks?pageSize=1000", "/models?pageSize=1000", "/settings"}
	for _, fx := range fxs {
		ap := "/" + fx.appraisal
		paths = append(paths,
			ap, ap+"/teamMembers", ap+"/instances", ap+"/evidence", ap+"/findings", ap+"/instances/-/characterizations",
			ap+"/teamDecisions", ap+"/events?pageSize=1000", ap+"/ratings",
			"/"+fx.cw, "/"+fx.cw+"/mappings?pageSize=1000",
			"/"+fx.model, "/"+fx.model+"/versions", "/"+fx.version, "/"+fx.version+"/views", "/"+fx.view,
		)
	}
	out := map[string]string{}
	for _, p := range paths {
		code, body := httpDo(t, "GET", e.base+p, token, "")
		delete(body, "computeTime") // ratings are computed on each read
		raw, _ := json.Marshal(body)
		out["GET "+p] = fmt.Sprintf("%d %s", code, raw)
	}
	for _, fx := range fxs {
		code, body := httpDo(t, "POST", e.base+"/"+fx.appraisal+":verifyAuditTrail", token, "")
		if code != http.StatusOK || body["verified"] != true {
			t.Errorf("audit trail of %s: %d %v", fx.appraisal, code, body)
		}
	}
	return out
}

// sameSnapshot reports every difference between two snapshots.
func sameSnapshot(t *testing.T, before, after map[string]string) {
	t.Helper()
	for _, k := range sortedKeys(before) {
		b, a := before[k], after[k]
		if b == a {
			continue
		}
		i := 0
		for i < len(b) && i < len(a) && b[i] == a[i] {
			i++
		}
		from := max(0, i-200)
		t.Errorf("%s changed at byte %d:\nbefore …%.400s\nafter  …%.400s", k, i, b[from:], a[from:])
	}
}

// ---- tenant isolation -------------------------------------------------------

// isolationCase is one call of tenant B against tenant A's resources.
type isolationCase struct {
	method string // Service/Method
	req    string // protojson, with the fixture's placeholders
	// want are the codes allowed.
	want []codes.Code
}

// TestSecurityTenantIsolation calls every method of the three services as
// tenant B, holding every role, with tenant A's names: each answers
// NOT_FOUND (or, for calls on B's own namespace, leaks none of A's names),
// and afterwards A reads back exactly what it had.
func TestSecurityTenantIsolation(t *testing.T) {
	e := startServe(t)
	a := buildFixture(t, e, "acme")
	mallory := e.token(t, "globex", "mallory", allRoles...)
	before := snapshot(t, e, a.owner, a)

	nf := []codes.Code{codes.NotFound}
	ok := []codes.Code{codes.OK}
	cases := []isolationCase{
		// Model catalog: A's imported version and view.
		{"ModelCatalogService/GetModel", `{"name":"{MODEL}"}`, nf},
		{"ModelCatalogService/ListModels", `{}`, ok},
		{"ModelCatalogService/GetModelVersion", `{"name":"{MV}"}`, nf},
		{"ModelCatalogService/ListModelVersions", `{"parent":"{MODEL}"}`, []codes.Code{codes.NotFound, codes.OK}},
		// An import into the same model id checks B's namespace only: no
		// ALREADY_EXISTS that would reveal A's version.
		{"ModelCatalogService/ImportModelVersion", `{"parent":"{MODEL}","bundle":{BUNDLE},"validateOnly":true}`, ok},
		{"ModelCatalogService/PublishModelVersion", `{"name":"{MV}"}`, nf},
		{"ModelCatalogService/DeprecateModelVersion", `{"name":"{MV}"}`, nf},
		{"ModelCatalogService/DeleteModelVersion", `{"name":"{MV}"}`, nf},
		{"ModelCatalogService/DiffModelVersions", `{"name":"{MV}","otherVersion":"models/cmmi-aim/versions/3.0-sample"}`, nf},
		{"ModelCatalogService/ExportModelVersion", `{"name":"{MV}"}`, nf},
		{"ModelCatalogService/GetCategory", `{"name":"{MV}/categories/doing"}`, nf},
		{"ModelCatalogService/ListCategories", `{"parent":"{MV}"}`, nf},
		{"ModelCatalogService/GetCapabilityArea", `{"name":"{MV}/capabilityAreas/EQ"}`, nf},
		{"ModelCatalogService/ListCapabilityAreas", `{"parent":"{MV}"}`, nf},
		{"ModelCatalogService/GetDomain", `{"name":"{MV}/domains/core"}`, nf},
		{"ModelCatalogService/ListDomains", `{"parent":"{MV}"}`, nf},
		{"ModelCatalogService/GetPracticeArea", `{"name":"{MV}/practiceAreas/VV"}`, nf},
		{"ModelCatalogService/ListPracticeAreas", `{"parent":"{MV}"}`, nf},
		{"ModelCatalogService/GetPractice", `{"name":"{MV}/practiceAreas/VV/practices/VV-1.1"}`, nf},
		{"ModelCatalogService/ListPractices", `{"parent":"{MV}/practiceAreas/VV"}`, nf},
		{"ModelCatalogService/BatchGetPractices", `{"parent":"{MV}","names":["{MV}/practiceAreas/VV/practices/VV-1.1"]}`, nf},
		{"ModelCatalogService/SearchPractices", `{"parent":"{MV}","query":"check"}`, nf},
		{"ModelCatalogService/GetView", `{"name":"{VIEW}"}`, nf},
		{"ModelCatalogService/ListViews", `{"parent":"{MV}"}`, nf},
		{"ModelCatalogService/CreateView", `{"parent":"{MV}","viewId":"mine","view":{"displayName":"x","practiceAreas":["VV"]}}`, nf},
		{"ModelCatalogService/DeleteView", `{"name":"{VIEW}"}`, nf},
		{"ModelCatalogService/ResolveView", `{"name":"{VIEW}"}`, nf},

		// Appraisals: A's appraisal and each kind of child.
		{"AppraisalService/GetAppraisal", `{"name":"{AP}"}`, nf},
		{"AppraisalService/ListAppraisals", `{}`, ok},
		{"AppraisalService/UpdateAppraisal", `{"appraisal":{"name":"{AP}","displayName":"pwned"},"updateMask":"displayName"}`, nf},
		{"AppraisalService/PlanAppraisal", `{"name":"{AP}"}`, nf},
		{"AppraisalService/StartAppraisal", `{"name":"{AP}"}`, nf},
		{"AppraisalService/RateAppraisal", `{"name":"{AP}"}`, nf},
		{"AppraisalService/ReportAppraisal", `{"name":"{AP}"}`, nf},
		{"AppraisalService/CloseAppraisal", `{"name":"{AP}"}`, nf},
		{"AppraisalService/CancelAppraisal", `{"name":"{AP}"}`, nf},
		{"AppraisalService/CreateTeamMember", `{"parent":"{AP}","teamMemberId":"mallory","teamMember":{"subject":"mallory","displayName":"M","role":"ROLE_LEAD_APPRAISER"}}`, nf},
		{"AppraisalService/GetTeamMember", `{"name":"{MEM}"}`, nf},
		{"AppraisalService/ListTeamMembers", `{"parent":"{AP}"}`, nf},
		{"AppraisalService/UpdateTeamMember", `{"teamMember":{"name":"{MEM}","role":"ROLE_OBSERVER"},"updateMask":"role"}`, nf},
		{"AppraisalService/DeleteTeamMember", `{"name":"{LEAD}"}`, nf},
		{"AppraisalService/CreateInstance", `{"parent":"{AP}","instanceId":"evil","instance":{"displayName":"x"}}`, nf},
		{"AppraisalService/GetInstance", `{"name":"{INST}"}`, nf},
		{"AppraisalService/ListInstances", `{"parent":"{AP}"}`, nf},
		{"AppraisalService/DeleteInstance", `{"name":"{INST}"}`, nf},
		{"AppraisalService/CreateEvidence", `{"parent":"{AP}","evidenceId":"evil","evidence":{"kind":"KIND_ARTIFACT","title":"x","practices":["{P}"]}}`, nf},
		{"AppraisalService/GetEvidence", `{"name":"{EV}"}`, nf},
		{"AppraisalService/ListEvidence", `{"parent":"{AP}"}`, nf},
		{"AppraisalService/DeleteEvidence", `{"name":"{EV}"}`, nf},
		{"AppraisalService/CreateFinding", `{"parent":"{AP}","findingId":"evil","finding":{"kind":"KIND_WEAKNESS","text":"x"}}`, nf},
		{"AppraisalService/GetFinding", `{"name":"{FI}"}`, nf},
		{"AppraisalService/ListFindings", `{"parent":"{AP}"}`, nf},
		{"AppraisalService/UpdateFinding", `{"finding":{"name":"{FI}","text":"pwned"},"updateMask":"text"}`, nf},
		{"AppraisalService/DeleteFinding", `{"name":"{FI}"}`, nf},
		{"AppraisalService/GetCharacterization", `{"name":"{CH}"}`, nf},
		{"AppraisalService/ListCharacterizations", `{"parent":"{AP}/instances/-"}`, nf},
		{"AppraisalService/UpdateCharacterization", `{"characterization":{"name":"{CH}","value":"CHARACTERIZATION_VALUE_DOES_NOT_MEET"},"allowMissing":true}`, nf},
		{"AppraisalService/BatchUpdateCharacterizations", `{"parent":"{AP}","requests":[{"characterization":{"name":"{CH}","value":"CHARACTERIZATION_VALUE_DOES_NOT_MEET"},"allowMissing":true}]}`, nf},
		{"AppraisalService/RecordTeamDecision", `{"parent":"{AP}","teamDecision":{"key":"par:PLAN:2","value":"satisfied","rationale":"x"}}`, nf},
		{"AppraisalService/ListTeamDecisions", `{"parent":"{AP}"}`, nf},
		{"AppraisalService/GetRatings", `{"name":"{AP}/ratings"}`, nf},
		{"AppraisalService/GetAppraisalReport", `{"name":"{AP}"}`, nf},
		{"AppraisalService/CompareAppraisals", `{"name":"{AP}","otherAppraisal":"{AP}"}`, nf},
		{"AppraisalService/ListAppraisalEvents", `{"parent":"{AP}"}`, nf},
		{"AppraisalService/VerifyAuditTrail", `{"name":"{AP}"}`, nf},
		{"AppraisalService/WatchAppraisal", `{"name":"{AP}"}`, nf},
		// Settings are each tenant's own: B reads and changes B's.
		{"AppraisalService/GetSettings", `{"name":"settings"}`, ok},
		{"AppraisalService/UpdateSettings", `{"settings":{"name":"settings","allowUncertifiedAiLead":true},"updateMask":"allowUncertifiedAiLead"}`, ok},

		// Crosswalks: frameworks are shared content; A's crosswalk is not.
		{"CrosswalkService/GetFramework", `{"name":"frameworks/iso-iec-42001-2023"}`, ok},
		{"CrosswalkService/ListFrameworks", `{}`, ok},
		{"CrosswalkService/GetClause", `{"name":"frameworks/iso-iec-42001-2023/clauses/4.1"}`, ok},
		{"CrosswalkService/ListClauses", `{"parent":"frameworks/iso-iec-42001-2023"}`, ok},
		{"CrosswalkService/GetCrosswalk", `{"name":"{CW}"}`, nf},
		{"CrosswalkService/ListCrosswalks", `{}`, ok},
		{"CrosswalkService/DeleteCrosswalk", `{"name":"{CW}"}`, nf},
		{"CrosswalkService/GetMapping", `{"name":"{MAP}"}`, nf},
		{"CrosswalkService/ListMappings", `{"parent":"{CW}"}`, nf},
		{"CrosswalkService/ImportCrosswalk", `{"name":"{CW}","format":"FORMAT_JSON","content":{MAPPINGS}}`, nf},
		{"CrosswalkService/ExportCrosswalk", `{"name":"{CW}","format":"FORMAT_JSON"}`, nf},
		{"CrosswalkService/ResolveMappings", `{"crosswalk":"{CW}","elements":["RSK-3.4"]}`, nf},
		{"CrosswalkService/ExportTraceabilityMatrix", `{"crosswalk":"{CW}"}`, nf},
		{"CrosswalkService/AnalyzeGaps", `{"crosswalk":"{CW}","satisfiedPractices":["RSK-3.4"]}`, nf},
	}
	// References from B's own resources to A's. B's own resources may
	// carry the names B gave them, so their answers are not scanned for A's
	// names; what matters is that nothing of A's is reached through them.
	crossRefs := []isolationCase{
		// The crosswalk service keeps the model version name without looking
		// it up (a dangling reference of B's own), but B's imports resolve
		// practices with B's credentials, so A's version stays out of reach.
		{"CrosswalkService/CreateCrosswalk", `{"crosswalkId":"b-cw","crosswalk":{"displayName":"x","sourceFramework":"frameworks/cmmi-aim","targetFramework":"frameworks/iso-iec-42001-2023","sourceModelVersion":"{MV}"}}`,
			[]codes.Code{codes.OK, codes.NotFound, codes.InvalidArgument}},
		{"CrosswalkService/ImportCrosswalk", `{"name":"crosswalks/b-cw","format":"FORMAT_JSON","content":"{\"mappings\":[{\"source\":\"VV-1.1\",\"target\":\"4.1\",\"relationship\":\"RELATIONSHIP_EQUAL\"}]}","validateOnly":true}`,
			[]codes.Code{codes.NotFound, codes.InvalidArgument, codes.FailedPrecondition}},
		{"ModelCatalogService/DiffModelVersions", `{"name":"models/cmmi-aim/versions/3.0-sample","otherVersion":"{MV}"}`, nf},
		{"CrosswalkService/AnalyzeGaps", `{"crosswalk":"crosswalks/cmmi-aim-iso-42001-sample","appraisal":"{AP}"}`, nf},
		{"AppraisalService/CreateAppraisal", `{"appraisalId":"b-ref","appraisal":{"displayName":"B","type":"APPRAISAL_TYPE_BENCHMARK","organizationalUnit":"B","view":"{VIEW}","targetMaturityLevel":1,"previousAppraisal":"{AP}"}}`,
			[]codes.Code{codes.OK, codes.NotFound, codes.InvalidArgument}},
		{"AppraisalService/PlanAppraisal", `{"name":"appraisals/b-ref"}`, []codes.Code{codes.NotFound, codes.InvalidArgument, codes.FailedPrecondition}},
		{"AppraisalService/CompareAppraisals", `{"name":"appraisals/b-ref","otherAppraisal":"{AP}"}`, []codes.Code{codes.NotFound, codes.FailedPrecondition}},
	}

	covered := map[string]bool{}
	for _, c := range append(cases, crossRefs...) {
		covered[c.method] = true
	}
	for _, m := range allMethods(t) {
		if !covered[m] {
			t.Errorf("the isolation matrix has no row for %s", m)
		}
	}

	r := a.replacer()
	aNames := []string{"acme-a", fxCrosswalk, "acme-ai", fxViewID}
	for i, c := range append(cases, crossRefs...) {
		req := r.Replace(c.req)
		out, err := invoke(t, e.conn, mallory, c.method, req)
		code := status.Code(err)
		if !slices.Contains(c.want, code) {
			t.Errorf("%s as tenant B: %v (%v), want %v\n  request %s", c.method, code, err, c.want, req)
			continue
		}
		if i >= len(cases) || strings.HasSuffix(c.method, "/ImportModelVersion") {
			continue // B's own namespace, under names B chose
		}
		for _, n := range aNames {
			if strings.Contains(out, n) {
				t.Errorf("%s as tenant B mentions A's %q: %.300s %v", c.method, n, out, err)
			}
		}
	}
	// The same over REST, for the resources' main routes: 404 with a
	// google.rpc.Status naming nothing but what was asked.
	for _, p := range []string{"/" + a.appraisal, "/" + a.evidence, "/" + a.characterization, "/" + a.cw, "/" + a.mapping, "/" + a.version, "/" + a.view} {
		code, body := httpDo(t, "GET", e.base+p, mallory, "")
		if code != http.StatusNotFound || body["code"] != float64(codes.NotFound) {
			t.Errorf("GET %s as tenant B over REST: %d %v", p, code, body)
		}
	}

	sameSnapshot(t, before, snapshot(t, e, a.owner, a))
}

// ---- roles -------------------------------------------------------------------

// roleCase is one row of the role matrix.
type roleCase struct {
	method string
	// allowed has one letter per role, in roleColumns order: Y where the
	// role may make the call, - where it gets PERMISSION_DENIED.
	allowed string
	// code is what an allowed call answers. The requests are built to pass
	// every access check and then stop (stale etag, existing id, state)
	// before writing anything.
	code codes.Code
	req  string
}

// roleColumns are the roles of the matrix, one token each, in the order of
// roleCase.allowed.
var roleColumns = []string{auth.RoleViewer, auth.RoleAppraiser, auth.RoleLeadAppraiser, auth.RoleContentManager, auth.RoleAdmin}

// TestSecurityRoleMatrix calls every method as a caller holding exactly one
// role. The expected table comes from the services' code:
//
//   - model catalog and crosswalks (services/model/internal/server/server.go
//     reader/writer, services/crosswalk/internal/server/server.go reader and
//     crosswalks.go writer): reading needs any role; writing content needs
//     content-manager (admin passes every role check, auth.Require).
//   - appraisals (services/appraisal/internal/server/access.go): creating
//     needs appraiser or lead-appraiser; reading needs any role and a place
//     on the team (or admin); "lead" work (scope, plan, start, cancel, team,
//     instances) needs the team's lead appraiser or an admin; rating,
//     reporting and closing need the lead appraiser only, not an admin;
//     evidence, findings, characterizations and team decisions need the
//     appraiser or lead-appraiser role and a place on the team as lead or
//     team member, so an admin without those roles is refused; settings
//     change only for admins.
//
// Every caller is on the appraisal's team (the lead-appraiser as its lead,
// viewer, appraiser and content-manager as team members) except the admin,
// so that the role, not the membership, decides.
//
//	method                              viewer appraiser lead cm admin
//
// The admin listener's endpoints get the same columns plus those of the
// other credentials that might reach it (adminMatrix): only an operator
// token fetches a backup (ADR 0005).
func TestSecurityRoleMatrix(t *testing.T) {
	apiKey, keysFile := adminAPIKey(t, "acme")
	e := startServe(t, "--admin-addr", "127.0.0.1:0", "--api-keys", keysFile)
	fx := buildFixture(t, e, "acme")
	tokens := map[string]string{}
	subjects := map[string]string{}
	for _, role := range roleColumns {
		subjects[role] = "u-" + role
		tokens[role] = e.token(t, "acme", "u-"+role, role)
	}
	// The matrix's appraisal: led by the lead-appraiser, the other
	// non-admin roles on its team.
	fx.appraisalFixture = buildAppraisal(t, e, tokens[auth.RoleLeadAppraiser], "rm", map[string]string{
		subjects[auth.RoleViewer]: "m-viewer", subjects[auth.RoleAppraiser]: "m-appraiser", subjects[auth.RoleContentManager]: "m-cm",
	})
	before := snapshot(t, e, fx.owner, fx)

	const all, writers = "YYYYY", "---YY"
	const (
		creators   = "-YY-Y" // appraiser, lead-appraiser; admin passes Require
		leadAdmin  = "--Y-Y" // the team's lead, or an admin
		leadOnly   = "--Y--" // the team's lead only
		appraisers = "-YY--" // appraiser/lead-appraiser role and on the team
		adminOnly  = "----Y"
	)
	cases := []roleCase{
		{"ModelCatalogService/GetModel", all, codes.OK, `{"name":"{MODEL}"}`},
		{"ModelCatalogService/ListModels", all, codes.OK, `{}`},
		{"ModelCatalogService/GetModelVersion", all, codes.OK, `{"name":"{MV}"}`},
		{"ModelCatalogService/ListModelVersions", all, codes.OK, `{"parent":"{MODEL}"}`},
		{"ModelCatalogService/ImportModelVersion", writers, codes.AlreadyExists, `{"parent":"{MODEL}","bundle":{BUNDLE},"validateOnly":true}`},
		{"ModelCatalogService/PublishModelVersion", writers, codes.Aborted, `{"name":"{MV}","etag":"stale"}`},
		{"ModelCatalogService/DeprecateModelVersion", writers, codes.Aborted, `{"name":"{MV}","etag":"stale"}`},
		{"ModelCatalogService/DeleteModelVersion", writers, codes.Aborted, `{"name":"{MV}","etag":"stale"}`},
		{"ModelCatalogService/DiffModelVersions", all, codes.OK, `{"name":"{MV}","otherVersion":"models/cmmi-aim/versions/3.0-sample"}`},
		{"ModelCatalogService/ExportModelVersion", all, codes.OK, `{"name":"{MV}"}`},
		{"ModelCatalogService/GetCategory", all, codes.OK, `{"name":"{MV}/categories/doing"}`},
		{"ModelCatalogService/ListCategories", all, codes.OK, `{"parent":"{MV}"}`},
		{"ModelCatalogService/GetCapabilityArea", all, codes.OK, `{"name":"{MV}/capabilityAreas/EQ"}`},
		{"ModelCatalogService/ListCapabilityAreas", all, codes.OK, `{"parent":"{MV}"}`},
		{"ModelCatalogService/GetDomain", all, codes.OK, `{"name":"{MV}/domains/core"}`},
		{"ModelCatalogService/ListDomains", all, codes.OK, `{"parent":"{MV}"}`},
		{"ModelCatalogService/GetPracticeArea", all, codes.OK, `{"name":"{MV}/practiceAreas/VV"}`},
		{"ModelCatalogService/ListPracticeAreas", all, codes.OK, `{"parent":"{MV}"}`},
		{"ModelCatalogService/GetPractice", all, codes.OK, `{"name":"{MV}/practiceAreas/VV/practices/VV-1.1"}`},
		{"ModelCatalogService/ListPractices", all, codes.OK, `{"parent":"{MV}/practiceAreas/VV"}`},
		{"ModelCatalogService/BatchGetPractices", all, codes.OK, `{"parent":"{MV}","names":["{MV}/practiceAreas/VV/practices/VV-1.1"]}`},
		{"ModelCatalogService/SearchPractices", all, codes.OK, `{"parent":"{MV}","query":"check"}`},
		{"ModelCatalogService/GetView", all, codes.OK, `{"name":"{VIEW}"}`},
		{"ModelCatalogService/ListViews", all, codes.OK, `{"parent":"{MV}"}`},
		{"ModelCatalogService/CreateView", writers, codes.AlreadyExists, `{"parent":"{MV}","viewId":"acme-view","view":{"displayName":"again","practiceAreas":["VV"]}}`},
		{"ModelCatalogService/DeleteView", writers, codes.Aborted, `{"name":"{VIEW}","etag":"stale"}`},
		{"ModelCatalogService/ResolveView", all, codes.OK, `{"name":"{VIEW}"}`},

		{"AppraisalService/CreateAppraisal", creators, codes.AlreadyExists, `{"appraisalId":"rm","appraisal":{"displayName":"again","type":"APPRAISAL_TYPE_BENCHMARK","organizationalUnit":"x"}}`},
		{"AppraisalService/GetAppraisal", all, codes.OK, `{"name":"{AP}"}`},
		{"AppraisalService/ListAppraisals", all, codes.OK, `{}`},
		{"AppraisalService/UpdateAppraisal", leadAdmin, codes.Aborted, `{"appraisal":{"name":"{AP}","displayName":"x"},"updateMask":"displayName","etag":"stale"}`},
		{"AppraisalService/PlanAppraisal", leadAdmin, codes.FailedPrecondition, `{"name":"{AP}"}`},
		{"AppraisalService/StartAppraisal", leadAdmin, codes.Aborted, `{"name":"{AP}","etag":"stale"}`},
		{"AppraisalService/RateAppraisal", leadOnly, codes.Aborted, `{"name":"{AP}","etag":"stale"}`},
		{"AppraisalService/ReportAppraisal", leadOnly, codes.Aborted, `{"name":"{AP}","etag":"stale"}`},
		{"AppraisalService/CloseAppraisal", leadOnly, codes.Aborted, `{"name":"{AP}","etag":"stale"}`},
		{"AppraisalService/CancelAppraisal", leadAdmin, codes.Aborted, `{"name":"{AP}","etag":"stale"}`},
		{"AppraisalService/CreateTeamMember", leadAdmin, codes.AlreadyExists, `{"parent":"{AP}","teamMemberId":"amy","teamMember":{"subject":"someone","displayName":"S","role":"ROLE_OBSERVER"}}`},
		{"AppraisalService/GetTeamMember", all, codes.OK, `{"name":"{MEM}"}`},
		{"AppraisalService/ListTeamMembers", all, codes.OK, `{"parent":"{AP}"}`},
		{"AppraisalService/UpdateTeamMember", leadAdmin, codes.Aborted, `{"teamMember":{"name":"{MEM}","displayName":"x"},"updateMask":"displayName","etag":"stale"}`},
		{"AppraisalService/DeleteTeamMember", leadAdmin, codes.Aborted, `{"name":"{MEM}","etag":"stale"}`},
		{"AppraisalService/CreateInstance", leadAdmin, codes.AlreadyExists, `{"parent":"{AP}","instanceId":"checkout","instance":{"displayName":"again"}}`},
		{"AppraisalService/GetInstance", all, codes.OK, `{"name":"{INST}"}`},
		{"AppraisalService/ListInstances", all, codes.OK, `{"parent":"{AP}"}`},
		{"AppraisalService/DeleteInstance", leadAdmin, codes.Aborted, `{"name":"{INST}","etag":"stale"}`},
		{"AppraisalService/CreateEvidence", appraisers, codes.AlreadyExists, `{"parent":"{AP}","evidenceId":"ev-1","evidence":{"kind":"KIND_ARTIFACT","title":"again","practices":["{P}"]}}`},
		{"AppraisalService/GetEvidence", all, codes.OK, `{"name":"{EV}"}`},
		{"AppraisalService/ListEvidence", all, codes.OK, `{"parent":"{AP}"}`},
		{"AppraisalService/DeleteEvidence", appraisers, codes.Aborted, `{"name":"{EV}","etag":"stale"}`},
		{"AppraisalService/CreateFinding", appraisers, codes.AlreadyExists, `{"parent":"{AP}","findingId":"f-1","finding":{"kind":"KIND_WEAKNESS","text":"again"}}`},
		{"AppraisalService/GetFinding", all, codes.OK, `{"name":"{FI}"}`},
		{"AppraisalService/ListFindings", all, codes.OK, `{"parent":"{AP}"}`},
		{"AppraisalService/UpdateFinding", appraisers, codes.Aborted, `{"finding":{"name":"{FI}","text":"x"},"updateMask":"text","etag":"stale"}`},
		{"AppraisalService/DeleteFinding", appraisers, codes.Aborted, `{"name":"{FI}","etag":"stale"}`},
		{"AppraisalService/GetCharacterization", all, codes.OK, `{"name":"{CH}"}`},
		{"AppraisalService/ListCharacterizations", all, codes.OK, `{"parent":"{AP}/instances/-"}`},
		{"AppraisalService/UpdateCharacterization", appraisers, codes.Aborted, `{"characterization":{"name":"{CH}","value":"CHARACTERIZATION_VALUE_DOES_NOT_MEET"},"etag":"stale"}`},
		{"AppraisalService/BatchUpdateCharacterizations", appraisers, codes.Aborted, `{"parent":"{AP}","requests":[{"characterization":{"name":"{CH}","value":"CHARACTERIZATION_VALUE_DOES_NOT_MEET"},"etag":"stale"}]}`},
		{"AppraisalService/RecordTeamDecision", appraisers, codes.InvalidArgument, `{"parent":"{AP}","teamDecision":{"key":"par:NONE:9","value":"satisfied","rationale":"x"}}`},
		{"AppraisalService/ListTeamDecisions", all, codes.OK, `{"parent":"{AP}"}`},
		{"AppraisalService/GetRatings", all, codes.OK, `{"name":"{AP}/ratings"}`},
		{"AppraisalService/GetAppraisalReport", all, codes.OK, `{"name":"{AP}"}`},
		{"AppraisalService/CompareAppraisals", all, codes.FailedPrecondition, `{"name":"{AP}","otherAppraisal":"{AP}"}`},
		{"AppraisalService/ListAppraisalEvents", all, codes.OK, `{"parent":"{AP}"}`},
		{"AppraisalService/VerifyAuditTrail", all, codes.OK, `{"name":"{AP}"}`},
		{"AppraisalService/WatchAppraisal", all, codes.OK, `{"name":"{AP}"}`},
		{"AppraisalService/GetSettings", all, codes.OK, `{"name":"settings"}`},
		{"AppraisalService/UpdateSettings", adminOnly, codes.Aborted, `{"settings":{"name":"settings","allowUncertifiedAiLead":true},"updateMask":"allowUncertifiedAiLead","etag":"stale"}`},

		{"CrosswalkService/GetFramework", all, codes.OK, `{"name":"frameworks/iso-iec-42001-2023"}`},
		{"CrosswalkService/ListFrameworks", all, codes.OK, `{}`},
		{"CrosswalkService/GetClause", all, codes.OK, `{"name":"frameworks/iso-iec-42001-2023/clauses/4.1"}`},
		{"CrosswalkService/ListClauses", all, codes.OK, `{"parent":"frameworks/iso-iec-42001-2023"}`},
		{"CrosswalkService/CreateCrosswalk", writers, codes.AlreadyExists, `{"crosswalkId":"acme-cw","crosswalk":{"displayName":"again","sourceFramework":"frameworks/cmmi-aim","targetFramework":"frameworks/iso-iec-42001-2023","sourceModelVersion":"models/cmmi-aim/versions/3.0-sample"}}`},
		{"CrosswalkService/GetCrosswalk", all, codes.OK, `{"name":"{CW}"}`},
		{"CrosswalkService/ListCrosswalks", all, codes.OK, `{}`},
		{"CrosswalkService/DeleteCrosswalk", writers, codes.Aborted, `{"name":"{CW}","etag":"stale"}`},
		{"CrosswalkService/GetMapping", all, codes.OK, `{"name":"{MAP}"}`},
		{"CrosswalkService/ListMappings", all, codes.OK, `{"parent":"{CW}"}`},
		{"CrosswalkService/ImportCrosswalk", writers, codes.OK, `{"name":"{CW}","format":"FORMAT_JSON","content":{MAPPINGS},"validateOnly":true}`},
		{"CrosswalkService/ExportCrosswalk", all, codes.OK, `{"name":"{CW}","format":"FORMAT_JSON"}`},
		{"CrosswalkService/ResolveMappings", all, codes.OK, `{"crosswalk":"{CW}","elements":["RSK-3.4"]}`},
		{"CrosswalkService/ExportTraceabilityMatrix", all, codes.OK, `{"crosswalk":"{CW}"}`},
		{"CrosswalkService/AnalyzeGaps", all, codes.OK, `{"crosswalk":"{CW}","satisfiedPractices":["RSK-3.4"]}`},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		if covered[c.method] {
			t.Errorf("two rows for %s", c.method)
		}
		covered[c.method] = true
	}
	for _, m := range allMethods(t) {
		if !covered[m] {
			t.Errorf("the role matrix has no row for %s", m)
		}
	}

	r := fx.replacer()
	var table strings.Builder
	for _, c := range cases {
		req := r.Replace(c.req)
		row := fmt.Sprintf("%-45s", c.method)
		for i, role := range roleColumns {
			_, err := invoke(t, e.conn, tokens[role], c.method, req)
			got := status.Code(err)
			want := codes.PermissionDenied
			if c.allowed[i] == 'Y' {
				want = c.code
			}
			mark := "Y"
			if got == codes.PermissionDenied {
				mark = "-"
			}
			row += " " + mark
			if got != want {
				t.Errorf("%s as %s: %v (%v), want %v", c.method, role, got, err, want)
			}
		}
		table.WriteString(row + "\n")
	}
	t.Logf("role matrix (viewer appraiser lead-appraiser content-manager admin):\n%s", table.String())

	adminMatrix(t, e, tokens, apiKey)
	sameSnapshot(t, before, snapshot(t, e, fx.owner, fx))
}

// adminAPIKey writes an API keys file with one key of tenant's admin and
// returns the key and the file.
func adminAPIKey(t *testing.T, tenant string) (key, file string) {
	t.Helper()
	key = "aim_" + rand.Text() + rand.Text()
	file = filepath.Join(t.TempDir(), "api-keys.json")
	doc := fmt.Sprintf(`{"keys":[{"name":"ops-bot","sha256":"%s","tenant":"%s","roles":["admin"]}]}`, auth.HashAPIKey(key), tenant)
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return key, file
}

// operatorToken mints an operator token of the data dir's development
// operator key, as an operator would: aim token --operator.
func operatorToken(t *testing.T, dataDir string) string {
	t.Helper()
	out, err := execAim(dataDir, "token", "--data-dir", dataDir, "--operator", "--subject", "ops-alice", "--ttl", "10m")
	if err != nil {
		t.Fatalf("aim token --operator: %v\n%s", err, out)
	}
	return strings.TrimSpace(out)
}

// adminColumns are the credentials of the admin endpoint matrix: the role
// matrix's tenant tokens (tenant acme), another tenant's admin, a tenant
// admin's API key, no credential, and an operator token.
var adminColumns = append(slices.Clone(roleColumns), "other-tenant-admin", "api-key", "none", "operator")

// adminMatrix calls every endpoint of the admin listener with each of
// adminColumns. The backups hold every tenant's data: only the operator
// gets them (200); a tenant credential, admin or not, token or API key,
// gets 403, no credential 401. /metrics and /healthz hold no tenant data
// and answer everyone (Prometheus and probes send no credentials).
func adminMatrix(t *testing.T, e *serveEnv, tokens map[string]string, apiKey string) {
	t.Helper()
	admin := "http://" + e.p.waitFor(metricsRe, time.Second)
	creds := map[string][]string{"none": nil, "api-key": {"X-Api-Key", apiKey}}
	for _, role := range roleColumns {
		creds[role] = []string{"Authorization", "Bearer " + tokens[role]}
	}
	creds["other-tenant-admin"] = []string{"Authorization", "Bearer " + e.token(t, "globex", "g-admin", auth.RoleAdmin)}
	creds["operator"] = []string{"Authorization", "Bearer " + operatorToken(t, e.dataDir)}

	const (
		backup  = "FFFFFFFUO" // tenant credentials F(orbidden), none U(nauthenticated), operator O(K)
		missing = "FFFFFFFUN" // the operator learns the store does not exist
		public  = "OOOOOOOOO"
	)
	code := map[byte]int{'O': http.StatusOK, 'F': http.StatusForbidden, 'U': http.StatusUnauthorized, 'N': http.StatusNotFound}
	cases := []struct{ path, want string }{
		{"/backup/model", backup},
		{"/backup/appraisal", backup},
		{"/backup/crosswalk", backup},
		{"/backup/no-such-store", missing},
		{"/metrics", public},
		{"/healthz", public},
	}
	var table strings.Builder
	for _, c := range cases {
		row := fmt.Sprintf("%-24s", c.path)
		for i, col := range adminColumns {
			got, ctype := adminGet(t, admin+c.path, creds[col]...)
			want := code[c.want[i]]
			row += fmt.Sprintf(" %d", got)
			if got != want {
				t.Errorf("admin %s as %s: %d, want %d", c.path, col, got, want)
			}
			if got != http.StatusOK && strings.HasPrefix(c.path, "/backup/") && ctype != "application/json" {
				t.Errorf("admin %s as %s: refused with %q, want a google.rpc.Status", c.path, col, ctype)
			}
		}
		table.WriteString(row + "\n")
	}
	t.Logf("admin matrix (%s):\n%s", strings.Join(adminColumns, " "), table.String())
}

// adminGet GETs url with the header pairs, reads the whole body, and
// returns the status and Content-Type.
func adminGet(t *testing.T, url string, hdr ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type")
}

// TestRedteamH1_TenantAdminCannotDownloadBackup reruns the report's H1
// probe against aim serve: acme stores a secret, globex's admin asks the
// admin listener for the appraisal store. Before the fix that answered 200
// with every tenant's data. Now only an operator token gets the store, and
// an operator token is no tenant credential on the API either.
func TestRedteamH1_TenantAdminCannotDownloadBackup(t *testing.T) {
	e := startServe(t, "--admin-addr", "127.0.0.1:0")
	admin := "http://" + e.p.waitFor(metricsRe, time.Second)
	e.must(t, e.token(t, "acme", "alice", auth.RoleLeadAppraiser), "POST", "/appraisals?appraisalId=acme-a1",
		`{"displayName":"ACME-SECRET-merger-2027","type":"APPRAISAL_TYPE_BENCHMARK","organizationalUnit":"x"}`, http.StatusCreated)

	fetch := func(tok string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), "GET", admin+"/backup/appraisal", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, body
	}
	for _, tenant := range []string{"globex", "acme"} {
		code, body := fetch(e.token(t, tenant, "gadmin", auth.RoleAdmin))
		if code != http.StatusForbidden || bytes.Contains(body, []byte("ACME-SECRET")) {
			t.Fatalf("%s admin GET /backup/appraisal: %d (%d bytes, secret in it: %v), want 403",
				tenant, code, len(body), bytes.Contains(body, []byte("ACME-SECRET")))
		}
	}

	op := operatorToken(t, e.dataDir)
	code, body := fetch(op)
	if code != http.StatusOK || !bytes.Contains(body, []byte("ACME-SECRET-merger-2027")) {
		t.Fatalf("operator GET /backup/appraisal: %d, %d bytes; want 200 with the store", code, len(body))
	}
	if code, body := httpDo(t, "GET", e.base+"/appraisals", op, ""); code != http.StatusUnauthorized {
		t.Errorf("operator token on the tenant API: %d %v, want 401", code, body)
	}
	if _, err := invoke(t, e.conn, op, "AppraisalService/ListAppraisals", `{}`); status.Code(err) != codes.Unauthenticated {
		t.Errorf("operator token over gRPC: %v, want UNAUTHENTICATED", err)
	}
}

// ---- JWT attacks -------------------------------------------------------------

// TestSecurityJWTAttacks presents forged and broken tokens over REST and
// gRPC: every one is refused with 401 / UNAUTHENTICATED, while a genuine
// token of the same shape passes.
func TestSecurityJWTAttacks(t *testing.T) {
	e := startServe(t)
	devKey := readJWK(t, filepath.Join(e.dataDir, auth.DevKeyFile))
	jwks, err := os.ReadFile(filepath.Join(e.dataDir, auth.DevJWKSFile))
	if err != nil {
		t.Fatal(err)
	}
	pub := devKey.Public()
	pubRaw := []byte(pub.Key.(ed25519.PublicKey))
	now := time.Now()
	claims := func(change func(map[string]any)) map[string]any {
		c := map[string]any{
			"iss": auth.DefaultIssuer, "aud": []string{auth.DefaultAudience}, "sub": "mallory",
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
			"tenant": "acme", "roles": []string{auth.RoleAdmin},
		}
		if change != nil {
			change(c)
		}
		return c
	}
	_, otherEd, _ := ed25519.GenerateKey(rand.Reader)
	otherRSA, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	kid := devKey.KeyID
	hs := func(secret []byte) string {
		return hmacToken(t, secret, kid, claims(nil))
	}
	attacks := []struct{ name, token string }{
		{"alg none", unsignedToken(t, map[string]any{"alg": "none", "typ": "JWT", "kid": kid}, claims(nil))},
		{"alg none, no kid", unsignedToken(t, map[string]any{"alg": "none"}, claims(nil))},
		{"alg NONE with the real signature", withHeader(t, signJWT(t, devKey.Key, jose.EdDSA, kid, claims(nil)), map[string]any{"alg": "NONE", "kid": kid})},
		{"HS256 keyed with the raw public key", hs(pubRaw)},
		{"HS256 keyed with the public key's base64 x", hs([]byte(base64.RawURLEncoding.EncodeToString(pubRaw)))},
		{"HS256 keyed with the JWKS file", hs(jwks)},
		{"HS256 keyed with the JWKS file, trimmed", hs(bytes.TrimSpace(jwks))},
		{"HS512 keyed with the raw public key", hmacTokenAlg(t, jose.HS512, pubRaw, kid, claims(nil))},
		{"expired", signJWT(t, devKey.Key, jose.EdDSA, kid, claims(func(c map[string]any) {
			c["iat"], c["nbf"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
		}))},
		{"no expiry", signJWT(t, devKey.Key, jose.EdDSA, kid, claims(func(c map[string]any) { delete(c, "exp") }))},
		{"wrong audience", signJWT(t, devKey.Key, jose.EdDSA, kid, claims(func(c map[string]any) { c["aud"] = []string{"someone-else"} }))},
		{"no audience", signJWT(t, devKey.Key, jose.EdDSA, kid, claims(func(c map[string]any) { delete(c, "aud") }))},
		{"wrong issuer", signJWT(t, devKey.Key, jose.EdDSA, kid, claims(func(c map[string]any) { c["iss"] = "https://evil.example" }))},
		{"future not-before", signJWT(t, devKey.Key, jose.EdDSA, kid, claims(func(c map[string]any) { c["nbf"] = now.Add(time.Hour).Unix() }))},
		{"issued in the future", signJWT(t, devKey.Key, jose.EdDSA, kid, claims(func(c map[string]any) { c["iat"] = now.Add(time.Hour).Unix() }))},
		{"unknown key id", signJWT(t, devKey.Key, jose.EdDSA, "no-such-kid", claims(nil))},
		{"key not in the set, real key id", signJWT(t, otherEd, jose.EdDSA, kid, claims(nil))},
		{"key not in the set, no key id", signJWT(t, otherEd, jose.EdDSA, "", claims(nil))},
		{"RS256 key not in the set", signJWT(t, otherRSA, jose.RS256, kid, claims(nil))},
		{"payload swapped under the real signature", swapPayload(t, signJWT(t, devKey.Key, jose.EdDSA, kid, claims(nil)), claims(func(c map[string]any) { c["tenant"] = "globex" }))},
		{"no tenant", signJWT(t, devKey.Key, jose.EdDSA, kid, claims(func(c map[string]any) { delete(c, "tenant") }))},
		{"the store's internal tenant", signJWT(t, devKey.Key, jose.EdDSA, kid, claims(func(c map[string]any) { c["tenant"] = "_shared" }))},
		{"no subject", signJWT(t, devKey.Key, jose.EdDSA, kid, claims(func(c map[string]any) { delete(c, "sub") }))},
		{"JWS JSON serialization", jsonSerialized(t, signJWT(t, devKey.Key, jose.EdDSA, kid, claims(nil)))},
		{"garbage", "not.a.jwt"},
		{"oversized", strings.Repeat("A", 10<<10)},
	}
	genuine := signJWT(t, devKey.Key, jose.EdDSA, kid, claims(nil))
	check := func(name, token string, want int) {
		t.Helper()
		code, body := httpDo(t, "GET", e.base+"/appraisals", token, "")
		if code != want || want == http.StatusUnauthorized && body["code"] != float64(codes.Unauthenticated) {
			t.Errorf("%s over REST: %d %v; want %d", name, code, body, want)
		}
		_, err := invoke(t, e.conn, token, "AppraisalService/ListAppraisals", `{}`)
		if wantCode := map[int]codes.Code{200: codes.OK, 401: codes.Unauthenticated}[want]; status.Code(err) != wantCode {
			t.Errorf("%s over gRPC: %v; want %v", name, err, wantCode)
		}
	}
	check("genuine token", genuine, http.StatusOK)
	for _, a := range attacks {
		check(a.name, a.token, http.StatusUnauthorized)
	}
	// A lower-case or odd scheme, and two credentials at once.
	for name, hdr := range map[string][]string{
		"Basic scheme":      {"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:admin"))},
		"token without ...": {"Authorization", genuine},
	} {
		code, body := httpDo(t, "GET", e.base+"/appraisals", "", "", hdr...)
		if code != http.StatusUnauthorized {
			t.Errorf("%s: %d %v", name, code, body)
		}
	}
	code, body := httpDo(t, "GET", e.base+"/appraisals", genuine, "", "X-Api-Key", "whatever")
	if code != http.StatusUnauthorized {
		t.Errorf("a token and an API key at once: %d %v", code, body)
	}
}

func readJWK(t *testing.T, path string) jose.JSONWebKey {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var k jose.JSONWebKey
	if err := json.Unmarshal(raw, &k); err != nil {
		t.Fatal(err)
	}
	return k
}

// signJWT signs claims with key under alg, with kid in the header if set.
func signJWT(t *testing.T, key any, alg jose.SignatureAlgorithm, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func b64JSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// unsignedToken is header.payload. with an empty signature.
func unsignedToken(t *testing.T, header, claims map[string]any) string {
	return b64JSON(t, header) + "." + b64JSON(t, claims) + "."
}

// hmacToken "signs" with HS256 keyed by secret, by hand: go-jose refuses to
// use a public key as an HMAC secret, which is the point of the attack.
func hmacToken(t *testing.T, secret []byte, kid string, claims map[string]any) string {
	return hmacTokenAlg(t, jose.HS256, secret, kid, claims)
}

func hmacTokenAlg(t *testing.T, alg jose.SignatureAlgorithm, secret []byte, kid string, claims map[string]any) string {
	t.Helper()
	input := b64JSON(t, map[string]any{"alg": string(alg), "typ": "JWT", "kid": kid}) + "." + b64JSON(t, claims)
	newHash := sha256.New
	if alg == jose.HS512 {
		newHash = sha512.New
	}
	h := hmac.New(newHash, secret)
	h.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// withHeader replaces a token's header, keeping payload and signature.
func withHeader(t *testing.T, token string, header map[string]any) string {
	parts := strings.Split(token, ".")
	return b64JSON(t, header) + "." + parts[1] + "." + parts[2]
}

// swapPayload replaces a token's payload, keeping header and signature.
func swapPayload(t *testing.T, token string, claims map[string]any) string {
	parts := strings.Split(token, ".")
	return parts[0] + "." + b64JSON(t, claims) + "." + parts[2]
}

// jsonSerialized turns a compact JWS into the JSON serialization.
func jsonSerialized(t *testing.T, token string) string {
	parts := strings.Split(token, ".")
	b, _ := json.Marshal(map[string]string{"protected": parts[0], "payload": parts[1], "signature": parts[2]})
	return string(b)
}

// ---- rate limits -------------------------------------------------------------

// TestSecurityRateLimit runs aim serve with a small per-tenant limit: past
// the burst a tenant gets 429 / RESOURCE_EXHAUSTED with google.rpc.RetryInfo,
// other tenants and the probes do not, and after the retry delay the
// tenant's calls pass again.
func TestSecurityRateLimit(t *testing.T) {
	e := startServe(t, "--rate-limit", "2", "--rate-burst", "5")
	acme := e.token(t, "acme", "u", auth.RoleViewer)
	globex := e.token(t, "globex", "u", auth.RoleViewer)

	// Drain acme's bucket over REST; at 2/s the test's own pace refills at
	// most a call or two, so a 429 must come within 12 calls.
	var limited map[string]any
	passed := 0
	for range 12 {
		code, body := httpDo(t, "GET", e.base+"/frameworks", acme, "")
		if code == http.StatusTooManyRequests {
			limited = body
			break
		}
		if code != http.StatusOK {
			t.Fatalf("call %d: %d %v", passed+1, code, body)
		}
		passed++
	}
	if limited == nil {
		t.Fatalf("no 429 after %d calls at --rate-limit 2 --rate-burst 5", passed)
	}
	if passed < 5 {
		t.Fatalf("429 after %d calls, within the burst of 5", passed)
	}
	if limited["code"] != float64(codes.ResourceExhausted) || limited["message"] == "" {
		t.Fatalf("429 body: %v", limited)
	}
	delay := retryDelayOf(t, limited)
	if delay <= 0 || delay > time.Second {
		t.Fatalf("RetryInfo.retryDelay %v; want (0, 1s] at 2/s", delay)
	}

	// gRPC shares the bucket: still exhausted, with RetryInfo.
	_, err := invoke(t, e.conn, acme, "CrosswalkService/ListFrameworks", `{}`)
	st := status.Convert(err)
	var retry *errdetails.RetryInfo
	for _, d := range st.Details() {
		if r, ok := d.(*errdetails.RetryInfo); ok {
			retry = r
		}
	}
	if st.Code() != codes.ResourceExhausted || retry == nil || retry.GetRetryDelay().AsDuration() <= 0 {
		t.Fatalf("gRPC while exhausted: %v, RetryInfo %v", err, retry)
	}

	// Another tenant and the probes are not limited.
	if code, body := httpDo(t, "GET", e.base+"/frameworks", globex, ""); code != http.StatusOK {
		t.Fatalf("another tenant: %d %v", code, body)
	}
	for range 10 {
		if code, _ := httpDo(t, "GET", e.root+"/readyz", "", ""); code != http.StatusOK {
			t.Fatalf("/readyz while a tenant is limited: %d", code)
		}
	}

	// After the delay it passes again.
	time.Sleep(retryDelayOf(t, limited) + 50*time.Millisecond)
	eventually(t, 3*time.Second, "acme passes again after the retry delay", func() bool {
		code, _ := httpDo(t, "GET", e.base+"/frameworks", acme, "")
		return code == http.StatusOK
	})
}

// retryDelayOf reads google.rpc.RetryInfo.retryDelay from a REST error body.
func retryDelayOf(t *testing.T, body map[string]any) time.Duration {
	t.Helper()
	details, _ := body["details"].([]any)
	for _, d := range details {
		d, _ := d.(map[string]any)
		if d["@type"] == "type.googleapis.com/google.rpc.RetryInfo" {
			s, _ := d["retryDelay"].(string)
			delay, err := time.ParseDuration(s)
			if err != nil {
				t.Fatalf("retryDelay %q: %v", s, err)
			}
			return delay
		}
	}
	t.Fatalf("no google.rpc.RetryInfo in %v", body)
	return 0
}

// ---- secrets in logs -----------------------------------------------------------

// TestSecurityLogsHoldNoSecrets runs aim serve at debug level with an API
// keys file, calls it with tokens and API keys, good and bad, over REST and
// gRPC, and scans everything it wrote: no token, API key or private key
// material may appear, except the development token in the deliberate
// banner line on standard output.
func TestSecurityLogsHoldNoSecrets(t *testing.T) {
	keysDir := t.TempDir()
	apiKey := "aim_" + rand.Text() + rand.Text()
	wrongKey := "aim_" + rand.Text()
	keysFile := filepath.Join(keysDir, "api-keys.json")
	doc := fmt.Sprintf(`{"keys":[{"name":"ci-bot","sha256":"%s","tenant":"acme","roles":["viewer"]}]}`, auth.HashAPIKey(apiKey))
	if err := os.WriteFile(keysFile, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	e := startServe(t, "--log-level", "debug", "--api-keys", keysFile)
	devKey := readJWK(t, filepath.Join(e.dataDir, auth.DevKeyFile))
	var secrets []string
	if raw, err := os.ReadFile(filepath.Join(e.dataDir, auth.DevKeyFile)); err == nil {
		var k struct{ D string }
		if json.Unmarshal(raw, &k) != nil || k.D == "" {
			t.Fatal("the dev key file has no private d")
		}
		secrets = append(secrets, k.D)
	}
	admin := e.token(t, "acme", "ops", allRoles...)
	viewer := e.token(t, "acme", "reader", auth.RoleViewer)
	expired := signClaims(t, devKey, time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour))
	secrets = append(secrets, admin, viewer, expired, apiKey, wrongKey)

	apiDo := func(method, path, key, body string) int {
		code, _ := httpDo(t, method, e.base+path, "", body, "X-Api-Key", key)
		return code
	}
	if code := apiDo("GET", "/models", apiKey, ""); code != http.StatusOK {
		t.Fatalf("API key call: %d", code)
	}
	if code := apiDo("POST", "/appraisals", apiKey, `{"displayName":"x","type":"APPRAISAL_TYPE_BENCHMARK","organizationalUnit":"x"}`); code != http.StatusForbidden {
		t.Fatalf("viewer API key creates: %d", code)
	}
	if code := apiDo("GET", "/models", wrongKey, ""); code != http.StatusUnauthorized {
		t.Fatalf("wrong API key: %d", code)
	}
	e.must(t, admin, "POST", "/appraisals?appraisalId=logs&requestId=r1", `{"displayName":"Logs","type":"APPRAISAL_TYPE_BENCHMARK","organizationalUnit":"Ops"}`, http.StatusCreated)
	e.must(t, viewer, "GET", "/appraisals/logs", "", http.StatusNotFound)
	for _, tok := range []string{expired, admin + "x", "Bearer " + admin} {
		httpDo(t, "GET", e.base+"/models", tok, "")
	}
	// Credentials in places they do not belong: the query string and the
	// request id.
	httpDo(t, "GET", e.base+"/models?access_token="+admin+"&api_key="+apiKey, "", "")
	httpDo(t, "GET", e.base+"/models", admin, "", "X-Request-Id", apiKey[:40])
	for _, tok := range []string{admin, expired, "garbage-" + apiKey} {
		_, _ = invoke(t, e.conn, tok, "ModelCatalogService/ListModels", `{}`)
	}
	ctx := metadata.AppendToOutgoingContext(t.Context(), "x-api-key", apiKey)
	_ = e.conn.Invoke(ctx, "/aim.model.v1.ModelCatalogService/ListModels", &modelv1.ListModelsRequest{}, &modelv1.ListModelsResponse{})
	// A handler failure logs its full error: it must not carry the caller's
	// credentials either.
	_, _ = invoke(t, e.conn, admin, "AppraisalService/GetAppraisal", `{"name":"appraisals/no-such"}`)

	e.p.stop(15 * time.Second)
	out := e.p.output()
	// The development token is printed on purpose, on one banner line of
	// standard output. Finding it there, and only there, shows the scan
	// sees what is in the output.
	devToken := e.p.waitFor(tokenRe, time.Second)
	banner := regexp.MustCompile(`^\s*export AIM_TOKEN=\S+$`)
	var scanned, bannerLines int
	for line := range strings.SplitSeq(out, "\n") {
		if banner.MatchString(line) && strings.Contains(line, devToken) {
			bannerLines++
			continue
		}
		if strings.Contains(line, devToken) || strings.Contains(line, strings.Split(devToken, ".")[2]) {
			t.Errorf("the development token appears outside its banner line: %.300s", line)
		}
		scanned++
		for _, s := range secrets {
			for _, part := range secretParts(s) {
				if strings.Contains(line, part) {
					t.Errorf("the output holds a secret (%.12s…): %.300s", part, line)
				}
			}
		}
	}
	if bannerLines != 1 {
		t.Errorf("the development token is on %d banner lines, want 1", bannerLines)
	}
	if scanned < 20 || !strings.Contains(out, `"msg":"rpc"`) || !strings.Contains(out, `"msg":"http"`) {
		t.Fatalf("too little output to scan (%d lines):\n%s", scanned, out)
	}
}

// secretParts returns what of a secret must not appear: the whole, and for
// a JWT its signature and payload on their own.
func secretParts(s string) []string {
	parts := []string{s}
	if p := strings.Split(s, "."); len(p) == 3 {
		parts = append(parts, p[1], p[2])
	}
	return parts
}

// ---- small helpers --------------------------------------------------------------
