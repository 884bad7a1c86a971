package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// This file is the hostile-input suite (issue 8, item 4): for every route of
// the OpenAPI document the gateway serves, bad requests of every kind. Each
// must be answered 4xx with a google.rpc.Status JSON body, never 5xx, and
// none may change anything (the fixture reads back the same afterwards).

// openAPI is the part of the Swagger 2.0 document the suite walks.
type openAPI struct {
	Paths       map[string]map[string]openAPIOperation `json:"paths"`
	Definitions map[string]openAPISchema               `json:"definitions"`
}

type openAPIOperation struct {
	OperationID string             `json:"operationId"`
	Parameters  []openAPIParameter `json:"parameters"`
}

type openAPIParameter struct {
	Name   string         `json:"name"`
	In     string         `json:"in"`
	Type   string         `json:"type"`
	Enum   []string       `json:"enum"`
	Schema *openAPISchema `json:"schema"`
}

type openAPISchema struct {
	Ref        string                   `json:"$ref"`
	Type       string                   `json:"type"`
	Enum       []string                 `json:"enum"`
	ReadOnly   bool                     `json:"readOnly"`
	Items      *openAPISchema           `json:"items"`
	Properties map[string]openAPISchema `json:"properties"`
}

// resolve follows a $ref.
func (d *openAPI) resolve(s openAPISchema) openAPISchema {
	for s.Ref != "" {
		s = d.Definitions[strings.TrimPrefix(s.Ref, "#/definitions/")]
	}
	return s
}

// field is one property of a request body, by its JSON path.
type field struct {
	path []string // ["teamDecision", "key"]
	kind string   // string, integer, boolean, array, object, enum
}

// fields lists a body's settable properties and those of its message-typed
// properties, one level down. Output-only properties and names, which the
// services ignore in input, are left out.
func (d *openAPI) fields(body openAPISchema) []field {
	var out []field
	var walk func(prefix []string, s openAPISchema, depth int)
	walk = func(prefix []string, s openAPISchema, depth int) {
		for _, name := range sortedKeys(s.Properties) {
			p := s.Properties[name]
			if p.ReadOnly || name == "name" {
				continue
			}
			r := d.resolve(p)
			path := append(append([]string{}, prefix...), name)
			switch {
			case len(r.Enum) > 0:
				out = append(out, field{path, "enum"})
			case r.Type == "object" && len(r.Properties) > 0:
				out = append(out, field{path, "object"})
				if depth == 0 {
					walk(path, r, 1)
				}
			case r.Type == "":
				out = append(out, field{path, "object"})
			default:
				out = append(out, field{path, r.Type})
			}
		}
	}
	walk(nil, d.resolve(body), 0)
	return out
}

// withField returns base (a JSON object) with the property at path set to
// the raw JSON value.
func withField(t *testing.T, base string, path []string, value string) []byte {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal([]byte(base), &obj); err != nil {
		t.Fatalf("base body %s: %v", base, err)
	}
	m := obj
	for _, p := range path[:len(path)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[path[len(path)-1]] = json.RawMessage(value)
	out, err := json.Marshal(obj)
	if err != nil {
		// A raw value that is not JSON (the invalid-UTF-8 case) is spliced
		// in by hand: json.Marshal would refuse it.
		key, _ := json.Marshal(path[len(path)-1])
		return []byte(`{` + string(key) + `:` + value + `}`)
	}
	return out
}

// hostileCase is one bad request.
type hostileCase struct {
	route       string // "POST /v1/appraisals"
	what        string
	method, url string
	contentType string
	body        []byte
	streaming   bool // a server-streaming method (":watch")
}

// pathTricks are ids a client should never get away with. Each replaces one
// path parameter, the others keeping plausible ids.
var pathTricks = []struct{ name, id string }{
	{"dot-dot with encoded slashes", "..%2F..%2Fsettings"},
	{"encoded dot-dot", "%2E%2E"},
	{"encoded backslashes", "..%5C..%5Cetc"},
	{"NUL", "%00"},
	{"NUL suffix", "acme-a%00.json"},
	{"encoded slash", "a%2Fb"},
	{"literal slash", "a/b"},
	{"unicode", "%C3%A9t%C3%A9-%E2%80%AE-%F0%9F%98%80"},
	{"upper case", "ACME-A"},
	{"invalid UTF-8", "%FF%FE"},
	{"percent sign", "%25"},
	{"quotes and angle brackets", "a%22%27%3Cscript%3E"},
	{"overlong (64 KiB)", strings.Repeat("a", 64<<10)},
}

// plausibleBodies are valid bodies of the routes that create or change
// something, so that a single bad field is what a request gets wrong.
func plausibleBodies(fx fixture) map[string]string {
	return map[string]string{
		"POST /v1/appraisals":                                                                        `{"displayName":"Hostile","type":"APPRAISAL_TYPE_BENCHMARK","organizationalUnit":"Ops"}`,
		"PATCH /v1/appraisals/{appraisal}":                                                           `{"displayName":"Hostile"}`,
		"POST /v1/appraisals/{appraisal}/teamMembers":                                                `{"subject":"hostile","displayName":"Hostile","role":"ROLE_OBSERVER"}`,
		"PATCH /v1/appraisals/{appraisal}/teamMembers/{teamMember}":                                  `{"displayName":"Hostile"}`,
		"POST /v1/appraisals/{appraisal}/instances":                                                  `{"displayName":"Hostile"}`,
		"POST /v1/appraisals/{appraisal}/evidence":                                                   `{"kind":"KIND_ARTIFACT","title":"Hostile","practices":["` + fx.practice + `"],"instances":["checkout"]}`,
		"POST /v1/appraisals/{appraisal}/findings":                                                   `{"kind":"KIND_WEAKNESS","text":"Hostile"}`,
		"PATCH /v1/appraisals/{appraisal}/findings/{finding}":                                        `{"text":"Hostile"}`,
		"PATCH /v1/appraisals/{appraisal}/instances/{instance}/characterizations/{characterization}": `{"value":"CHARACTERIZATION_VALUE_LARGELY_MEETS","rationale":"Hostile"}`,
		"POST /v1/appraisals/{appraisal}/teamDecisions:record":                                       `{"teamDecision":{"key":"par:PLAN:2","value":"satisfied","rationale":"Hostile"}}`,
		"POST /v1/crosswalks": `{"displayName":"Hostile","sourceFramework":"frameworks/cmmi-aim","targetFramework":"frameworks/iso-iec-42001-2023",` +
			`"sourceModelVersion":"models/cmmi-aim/versions/3.0-sample"}`,
		"POST /v1/crosswalks/{crosswalk}:import":                        `{"format":"FORMAT_JSON","content":` + mustJSON(fxMappings) + `,"validateOnly":true}`,
		"POST /v1/crosswalks/{crosswalk}:resolve":                       `{"elements":["RSK-3.4"]}`,
		"POST /v1/crosswalks/{crosswalk}:analyzeGaps":                   `{"satisfiedPractices":["RSK-3.4"]}`,
		"POST /v1/models/{model}/versions/{version}/views":              `{"displayName":"Hostile","practiceAreas":["VV"]}`,
		"POST /v1/models/{model}/versions:import":                       `{"bundleText":"version: '2.0'","validateOnly":true}`,
		"POST /v1/appraisals/{appraisal}/characterizations:batchUpdate": `{"requests":[{"characterization":{"name":"` + fx.characterization + `","value":"CHARACTERIZATION_VALUE_LARGELY_MEETS"}}]}`,
	}
}

// TestHostileREST sends every route of the OpenAPI document malformed JSON,
// wrong types, unknown fields, huge, deeply nested and invalid UTF-8 bodies,
// 1 MB field values, ids with path tricks, bad query values and the wrong
// content type: each must be answered 4xx with a google.rpc.Status body,
// never 5xx, and the fixture must read back unchanged.
func TestHostileREST(t *testing.T) {
	e := startServe(t)
	fx := buildFixture(t, e, "acme")
	before := snapshot(t, e, fx.owner, fx)

	code, _, raw, _, err := rawDo(t, http.DefaultClient, "GET", e.root+"/openapi.json", "", "", nil)
	if err != nil || code != http.StatusOK {
		t.Fatalf("/openapi.json: %d %v", code, err)
	}
	var doc openAPI
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	_, mappingID, _ := strings.Cut(fx.mapping, "/mappings/")
	ids := map[string]string{
		"appraisal": "acme-a", "teamMember": "amy", "instance": "checkout", "evidence": "ev-1", "finding": "f-1",
		"characterization": fx.practice, "crosswalk": fxCrosswalk, "mapping": mappingID,
		"framework": "iso-iec-42001-2023", "clause": "4.1", "model": "acme-ai", "version": "1.0",
		"capabilityArea": "EQ", "category": "doing", "domain": "core", "practiceArea": "VV", "practice": "VV-1.1", "view": fxViewID,
	}
	bases := plausibleBodies(fx)

	const mib = 1 << 20
	huge := strings.Repeat("a", 5*mib)     // above the 4 MiB the issue names
	overlong := strings.Repeat("a", 1*mib) // one field value
	deepArray := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	deepObject := strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000)
	wrongValue := map[string]string{
		"string": `12345`, "integer": `"twelve"`, "number": `"twelve"`, "boolean": `"yes"`,
		"array": `{"not":"a list"}`, "object": `42`, "enum": `true`,
	}

	var cases []hostileCase
	routes := 0
	for _, path := range sortedKeys(doc.Paths) {
		for _, method := range sortedKeys(doc.Paths[path]) {
			op := doc.Paths[path][method]
			method = strings.ToUpper(method)
			route := method + " " + path
			routes++
			var body *openAPISchema
			var queries []openAPIParameter
			var pathParams []string
			for _, p := range op.Parameters {
				switch p.In {
				case "body":
					body = p.Schema
				case "query":
					queries = append(queries, p)
				case "path":
					if strings.Contains(path, "{"+p.Name+"}") {
						pathParams = append(pathParams, p.Name)
					}
				}
			}
			fill := func(trick, id string) string {
				u := path
				for _, p := range pathParams {
					v, ok := ids[p]
					if !ok {
						t.Fatalf("%s: no plausible id for {%s}", route, p)
					}
					if p == trick {
						v = id
					}
					u = strings.ReplaceAll(u, "{"+p+"}", v)
				}
				return e.root + u
			}
			url := fill("", "")
			streaming := strings.HasSuffix(path, ":watch")
			add := func(what, u, contentType string, b []byte) {
				cases = append(cases, hostileCase{route: route, what: what, method: method, url: u, contentType: contentType, body: b, streaming: streaming})
			}

			// Ids with path tricks, one parameter at a time.
			for _, p := range pathParams {
				for _, trick := range pathTricks {
					add("{"+p+"} = "+trick.name, fill(p, trick.id), "", nil)
				}
			}
			// Bad query values.
			for _, q := range queries {
				sep := "?"
				bad := map[string]string{"invalid UTF-8": "%FF%FE", "overlong (64 KiB)": strings.Repeat("a", 64<<10)}
				switch {
				case len(q.Enum) > 0:
					bad["not one of the enum"] = "NOT_A_VALUE"
				case q.Type == "integer" || q.Type == "number":
					bad["not a number"] = "twelve"
					bad["out of range"] = "99999999999999999999999"
					bad["negative"] = "-1"
				case q.Type == "boolean":
					bad["not a boolean"] = "maybe"
				}
				if q.Name == "updateMask" || q.Name == "names" || q.Name == "afterSequence" {
					bad["nonsense"] = "%00%01"
				}
				for _, what := range sortedKeys(bad) {
					add("?"+q.Name+" "+what, url+sep+q.Name+"="+bad[what], "", nil)
				}
			}
			// The wrong content type, on every route.
			add("text/plain body", url, "text/plain", []byte(`{"displayName":"x"}`))
			add("form body", url, "application/x-www-form-urlencoded", []byte("displayName=x"))
			add("multipart body", url, "multipart/form-data; boundary=x", []byte("--x\r\n\r\nx\r\n--x--\r\n"))
			if body == nil {
				continue
			}

			// Bodies: malformed, not an object, unknown fields, huge, deep,
			// invalid UTF-8; then each field with a wrong type, with an
			// overlong value and with invalid UTF-8.
			const js = "application/json"
			base := bases[route]
			if base == "" {
				base = "{}"
			}
			flds := doc.fields(*body)
			first := "displayName"
			if len(flds) > 0 {
				first = flds[0].path[0]
			}
			add("malformed JSON", url, js, []byte(`{"`+first+`": `))
			add("trailing garbage", url, js, []byte(base+` trailing garbage {{{`))
			add("two JSON documents", url, js, []byte(base+base))
			add("not an object", url, js, []byte(`[1, 2, 3]`))
			add("unknown field", url, js, withField(t, base, []string{"surelyNotAField"}, `1`))
			add("huge body (5 MiB)", url, js, withField(t, base, []string{first}, `"`+huge+`"`))
			add("deeply nested arrays (10k)", url, js, withField(t, base, []string{first}, deepArray))
			add("deeply nested objects (10k)", url, js, []byte(deepObject))
			add("invalid UTF-8", url, js, append(append([]byte(`{"`+first+`": "`), 0xff, 0xfe, 'x'), []byte(`"}`)...))
			for _, f := range flds {
				name := strings.Join(f.path, ".")
				add(name+" has the wrong type", url, js, withField(t, base, f.path, wrongValue[f.kind]))
				if f.kind == "object" && len(f.path) == 1 {
					add(name+" has an unknown field", url, js, withField(t, base, append(append([]string{}, f.path...), "surelyNotAField"), `1`))
				}
				if f.kind == "string" {
					add(name+" is 1 MB long", url, js, withField(t, base, f.path, `"`+overlong+`"`))
				}
				if f.kind == "array" {
					add(name+" holds 1 MB", url, js, withField(t, base, f.path, `["`+overlong+`"]`))
				}
			}
		}
	}
	// Past the gateway's body limit (24 MiB): refused before it is read.
	over := bytes.Repeat([]byte("a"), 25*mib)
	cases = append(cases, hostileCase{route: "POST /v1/appraisals", what: "body past the gateway limit (25 MiB)",
		method: "POST", url: e.base + "/appraisals", contentType: "application/json", body: over})

	// Run them, a few at a time.
	client := &http.Client{
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	start := time.Now()
	var mu sync.Mutex
	var failures []string
	work := make(chan hostileCase)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for c := range work {
				if problem := checkHostile(t, client, fx.owner, c); problem != "" {
					mu.Lock()
					failures = append(failures, problem)
					mu.Unlock()
				}
			}
		})
	}
	for _, c := range cases {
		work <- c
	}
	close(work)
	wg.Wait()
	sort.Strings(failures)
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("%d bad requests over %d routes in %s; %d answered wrongly", len(cases), routes, time.Since(start).Round(time.Millisecond), len(failures))
	if routes < 80 {
		t.Errorf("the OpenAPI document lists %d routes; expected the three APIs' 84", routes)
	}

	sameSnapshot(t, before, snapshot(t, e, fx.owner, fx))
}

// checkHostile sends one case and describes what is wrong with the answer,
// or returns "".
func checkHostile(t *testing.T, client *http.Client, token string, c hostileCase) string {
	code, ctype, body, truncated, err := rawDo(t, client, c.method, c.url, token, c.contentType, c.body)
	url := c.url
	if len(url) > 160 {
		url = url[:160] + "…"
	}
	where := fmt.Sprintf("%s [%s] %s %s", c.route, c.what, c.method, url)
	if err != nil {
		return fmt.Sprintf("%s: %v", where, err)
	}
	if code < 400 || code > 499 {
		return fmt.Sprintf("%s: HTTP %d, want 4xx: %.300s", where, code, body)
	}
	if !strings.HasPrefix(ctype, "application/json") {
		return fmt.Sprintf("%s: HTTP %d with Content-Type %q, want a google.rpc.Status JSON body: %.200s", where, code, ctype, body)
	}
	if truncated {
		// An error that echoes a huge value back: check the status's head
		// rather than reading megabytes.
		if !statusHead.Match(body) {
			return fmt.Sprintf("%s: HTTP %d body is not a google.rpc.Status: %.300s", where, code, body)
		}
		return ""
	}
	type rpcStatus struct {
		Code    *int    `json:"code"`
		Message *string `json:"message"`
	}
	var st struct {
		rpcStatus
		// A server-streaming route frames everything it sends, errors
		// before the first message too, as {"result": …} or {"error": …}
		// (grpc-gateway's stream envelope), so its status comes wrapped.
		Error *rpcStatus `json:"error"`
	}
	err = json.Unmarshal(body, &st)
	if c.streaming && st.Error != nil {
		st.rpcStatus = *st.Error
	}
	if err != nil || st.Code == nil || st.Message == nil || *st.Code < 1 || *st.Code > 16 || *st.Message == "" {
		return fmt.Sprintf("%s: HTTP %d body is not a google.rpc.Status: %.300s", where, code, body)
	}
	return ""
}

// statusHead is how a google.rpc.Status in protojson begins.
// (protojson varies its whitespace on purpose).
var statusHead = regexp.MustCompile(`^\{\s*("error"\s*:\s*\{\s*)?"code"\s*:\s*([1-9]|1[0-6])\s*,\s*"message"\s*:\s*"[^"]`)

// maxHostileRead is how much of an answer the suite reads.
const maxHostileRead = 256 << 10

// rawDo makes a request with full control of the body and its type and
// returns the status, the content type and up to maxHostileRead bytes of
// the body, saying whether there was more.
func rawDo(t *testing.T, client *http.Client, method, url, token, contentType string, body []byte) (code int, ctype string, raw []byte, truncated bool, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, "", nil, false, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", nil, false, err
	}
	defer resp.Body.Close()
	raw, err = io.ReadAll(io.LimitReader(resp.Body, maxHostileRead+1))
	if len(raw) > maxHostileRead {
		raw, truncated = raw[:maxHostileRead], true
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), raw, truncated, err
}
