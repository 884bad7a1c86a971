package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAppraisalLifecycle runs a small appraisal on the default model from
// DRAFT to REPORTED over REST on aim serve, as an appraisal team would, and
// checks the maturity level the documented rules give (docs/rating-rules.md).
func TestAppraisalLifecycle(t *testing.T) {
	dataDir := t.TempDir()
	p := startAim(t, "serve", "--data-dir", dataDir,
		"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--admin-addr", "")
	p.waitFor(tokenRe, 30*time.Second)
	base := "http://" + p.waitFor(restRe, time.Second) + "/v1"

	lead := runTokenAs(t, dataDir, "acme", "lead-appraiser,appraiser", "lead")
	amy := runTokenAs(t, dataDir, "acme", "appraiser", "amy")
	outsider := runTokenAs(t, dataDir, "globex", "admin", "gus")

	must := func(want int, method, url, token, body string) map[string]any {
		t.Helper()
		code, out := httpDo(t, method, url, token, body)
		if code != want {
			t.Fatalf("%s %s: %d, want %d: %v", method, url, code, want, out)
		}
		return out
	}

	// Plan: the default model's AIM View, targeting maturity level 2, with
	// AI in scope, so the lead needs the AI appraisal certification.
	a := must(http.StatusCreated, "POST", base+"/appraisals?appraisalId=acme-ml2", lead, `{
		"displayName": "Acme Payments ML2 benchmark",
		"type": "APPRAISAL_TYPE_BENCHMARK",
		"organizationalUnit": "Acme Payments",
		"view": "models/cmmi-aim/versions/3.0-sample/views/aim",
		"targetMaturityLevel": 2,
		"aiUsageScenarios": ["AI_USAGE_SCENARIO_SUPPORT_AUGMENTATION"]}`)
	name := a["name"].(string)
	ap := base + "/" + name

	code, body := httpDo(t, "POST", ap+":plan", lead, "{}")
	if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(body["details"]), "LEAD_NOT_AI_CERTIFIED") {
		t.Fatalf("plan with an uncertified lead: %d %v", code, body)
	}
	must(http.StatusOK, "PATCH", ap+"/teamMembers/lead?updateMask=certifications", lead,
		`{"certifications": ["CERTIFICATION_LEAD_APPRAISER", "CERTIFICATION_AAIM"]}`)
	must(http.StatusCreated, "POST", ap+"/teamMembers", lead, `{"subject": "amy", "displayName": "Amy Appraiser", "role": "ROLE_TEAM_MEMBER"}`)
	planned := must(http.StatusOK, "POST", ap+":plan", lead, "{}")
	if planned["state"] != "STATE_PLANNED" || planned["modelVersion"] != "models/cmmi-aim/versions/3.0-sample" || planned["scopedPracticeCount"].(float64) < 10 {
		t.Fatalf("planned: %v", planned)
	}

	// Out of order: rating a PLANNED appraisal is refused and changes nothing.
	code, body = httpDo(t, "POST", ap+":rate", lead, "{}")
	if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(body["details"]), "INVALID_TRANSITION") {
		t.Fatalf("rate a planned appraisal: %d %v", code, body)
	}

	for _, inst := range []string{"checkout", "fraud-model"} {
		must(http.StatusCreated, "POST", ap+"/instances?instanceId="+inst, lead,
			`{"displayName": "`+inst+`", "aiUsageScenario": "AI_USAGE_SCENARIO_SUPPORT_AUGMENTATION", "subgroup": "payments"}`)
	}
	must(http.StatusOK, "POST", ap+":start", lead, "{}")

	// A characterization outside the scope is refused.
	code, body = httpDo(t, "PATCH", ap+"/instances/checkout/characterizations/TS-3.1?allowMissing=true", amy, `{"value": "CHARACTERIZATION_VALUE_FULLY_MEETS"}`)
	if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(body["details"]), "not in the appraisal's scope") {
		t.Fatalf("out-of-scope characterization: %d %v", code, body)
	}

	// Characterize every pair the ratings list as missing: all Fully Meets,
	// except PLAN-2.2 Largely Meets in one instance.
	ratings := must(http.StatusOK, "GET", ap+"/ratings", amy, "")
	missing := ratings["missing"].([]any)
	var reqs []string
	for _, m := range missing {
		m := m.(map[string]any)
		value := "CHARACTERIZATION_VALUE_FULLY_MEETS"
		if m["practice"] == "PLAN-2.2" && m["instance"] == "checkout" {
			value = "CHARACTERIZATION_VALUE_LARGELY_MEETS"
		}
		reqs = append(reqs, fmt.Sprintf(`{"characterization": {"name": "%s/instances/%s/characterizations/%s", "value": "%s", "rationale": "Seen in the sampled work."}, "allowMissing": true}`,
			name, m["instance"], m["practice"], value))
	}
	must(http.StatusOK, "POST", ap+"/characterizations:batchUpdate", amy, `{"requests": [`+strings.Join(reqs, ",")+`]}`)

	// PAR rules: an area with a Largely Meets practice needs the team's
	// judgement on its weaknesses before it can be rated.
	ratings = must(http.StatusOK, "GET", ap+"/ratings", amy, "")
	if ratings["complete"] != false || !strings.Contains(fmt.Sprint(ratings["openDecisions"]), "par:PLAN:2") {
		t.Fatalf("ratings before the decision: %v", ratings["openDecisions"])
	}
	code, _ = httpDo(t, "POST", ap+":rate", lead, "{}")
	if code != http.StatusBadRequest {
		t.Fatalf("rate with an open decision: %d", code)
	}
	must(http.StatusOK, "POST", ap+"/teamDecisions:record", amy,
		`{"teamDecision": {"key": "par:PLAN:2", "value": "satisfied", "rationale": "The plan gaps seen do not weaken the practice group."}}`)
	ratings = must(http.StatusOK, "GET", ap+"/ratings", amy, "")
	if ratings["complete"] != true || ratings["maturityLevel"] != float64(2) {
		t.Fatalf("ratings after the decision: complete=%v maturity=%v rule=%v", ratings["complete"], ratings["maturityLevel"], ratings["maturityRule"])
	}

	// Only the lead rates and reports.
	if code, _ := httpDo(t, "POST", ap+":rate", amy, "{}"); code != http.StatusForbidden {
		t.Fatalf("rate by a team member: %d", code)
	}
	rated := must(http.StatusOK, "POST", ap+":rate", lead, "{}")
	if rated["state"] != "STATE_RATED" || rated["maturityLevel"] != float64(2) || rated["ratingOfRecord"] != true {
		t.Fatalf("rated: %v", rated)
	}
	expire, _ := time.Parse(time.RFC3339Nano, rated["expireTime"].(string))
	if d := time.Until(expire); d < 3*365*24*time.Hour-48*time.Hour || d > 3*366*24*time.Hour {
		t.Fatalf("a benchmark's rating holds three years; expires %v", expire)
	}
	must(http.StatusOK, "POST", ap+":report", lead, "{}")

	// A reported appraisal is read-only.
	code, _ = httpDo(t, "PATCH", ap+"/instances/checkout/characterizations/EST-1.1", amy, `{"value": "CHARACTERIZATION_VALUE_DOES_NOT_MEET"}`)
	if code != http.StatusBadRequest {
		t.Fatalf("change after REPORTED: %d", code)
	}
	// Another tenant sees nothing.
	if code, _ := httpDo(t, "GET", ap, outsider, ""); code != http.StatusNotFound {
		t.Fatalf("another tenant reads the appraisal: %d", code)
	}

	verify := must(http.StatusOK, "POST", ap+":verifyAuditTrail", lead, "")
	if verify["verified"] != true || verify["eventsChecked"].(string) == "0" {
		t.Fatalf("audit trail: %v", verify)
	}

	// Gap analysis of this appraisal against ISO/IEC 42001, through the
	// crosswalk service, which reads the ratings from the appraisal service.
	gaps := must(http.StatusOK, "POST", base+"/crosswalks/cmmi-aim-iso-42001-sample:analyzeGaps", lead,
		`{"appraisal": "`+name+`", "processName": "Project Management", "processPracticeAreas": ["PLAN", "MC", "RSK"]}`)
	verdicts := map[string]string{}
	for _, c := range gaps["clauses"].([]any) {
		c := c.(map[string]any)
		verdicts[c["clause"].(string)] = c["coverage"].(string)
	}
	// PLAN-2.5 and MC-2.4 (satisfied) intersect 8.1 and 10.2; no practice
	// of the appraisal maps to 4.2; the RSK practices were out of its scope.
	for clause, want := range map[string]string{
		"8.1": "COVERAGE_PARTIALLY_COVERED", "10.2": "COVERAGE_PARTIALLY_COVERED",
		"4.2": "COVERAGE_NOT_MAPPED", "4.1": "COVERAGE_NOT_COVERED",
	} {
		if verdicts[clause] != want {
			t.Errorf("gap analysis of %s: %s, want %s", clause, verdicts[clause], want)
		}
	}
	if len(verdicts) < 90 || gaps["process"] == nil {
		t.Errorf("gap analysis: %d clauses, process %v", len(verdicts), gaps["process"])
	}

	html := httpBody(t, ap+":report?format=FORMAT_HTML", lead)
	for _, want := range []string{"Acme Payments ML2 benchmark", "Maturity level 2", "<th>PLAN</th>", "AI maturity benchmark"} {
		if !strings.Contains(html, want) {
			t.Errorf("the HTML report lacks %q", want)
		}
	}
	if dir := os.Getenv("AIM_REPORT_DIR"); dir != "" {
		// For a look in a browser: AIM_REPORT_DIR=/tmp go test -run TestAppraisalLifecycle
		_ = os.WriteFile(filepath.Join(dir, "report.html"), []byte(html), 0o644)
	}
	var report map[string]any
	if err := json.Unmarshal([]byte(httpBody(t, ap+":report", lead)), &report); err != nil || report["ratings"] == nil {
		t.Fatalf("JSON report: %v", err)
	}
}

// runTokenAs mints a token for a given subject with aim token.
func runTokenAs(t *testing.T, dataDir, tenant, roles, subject string) string {
	t.Helper()
	out, err := execAim(dataDir, "token", "--data-dir", dataDir, "--tenant", tenant, "--roles", roles, "--subject", subject)
	if err != nil {
		t.Fatalf("aim token: %v", err)
	}
	return strings.TrimSpace(out)
}

// httpBody returns a GET's body as text.
func httpBody(t *testing.T, url, token string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b.String())
	}
	return b.String()
}
