package main

import (
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"
)

var metricsRe = regexp.MustCompile(`metrics\s+http://(\S+)/metrics`)

// TestBackupUnderLoadRestores takes an online backup of the appraisal store
// while clients keep creating appraisals, restores it into a fresh data dir,
// and finds every appraisal acknowledged before the backup began.
func TestBackupUnderLoadRestores(t *testing.T) {
	dataDir := t.TempDir()
	// The rate limit is off on both servers: the load and the check after
	// the restore are one tenant's calls, as fast as they go.
	p := startAim(t, "serve", "--data-dir", dataDir, "--rate-limit", "0",
		"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0")
	p.waitFor(tokenRe, 30*time.Second)
	base := "http://" + p.waitFor(restRe, time.Second) + "/v1"
	admin := p.waitFor(metricsRe, time.Second)
	token := runTokenAs(t, dataDir, "acme", "admin,lead-appraiser", "ops")
	operator := operatorToken(t, dataDir) // backups need an operator token (ADR 0005)

	type ack struct {
		name string
		at   time.Time
	}
	var (
		mu   sync.Mutex
		acks []ack
		stop = make(chan struct{})
		wg   sync.WaitGroup
	)
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("w%d-%d", w, i)
				code, _ := httpDo(t, "POST", base+"/appraisals?appraisalId="+id, token,
					`{"displayName": "load `+id+`", "type": "APPRAISAL_TYPE_EVALUATION", "organizationalUnit": "Ops"}`)
				if code == http.StatusCreated {
					mu.Lock()
					acks = append(acks, ack{name: "appraisals/" + id, at: time.Now()})
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(500 * time.Millisecond)
	backupStart := time.Now()
	out := filepath.Join(t.TempDir(), "appraisal.db")
	if b, err := exec.Command(aimBinary, "backup", "--service", "appraisal", "--out", out, "--admin-addr", admin, "--token", operator).CombinedOutput(); err != nil {
		t.Fatalf("aim backup: %v\n%s", err, b)
	}
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	p.stop(15 * time.Second)

	// Restore into a fresh data dir (same signing key) and start on it.
	restored := t.TempDir()
	for _, f := range []string{"dev-signing-key.jwk", "dev-jwks.json"} {
		if b, err := exec.Command("cp", filepath.Join(dataDir, f), restored).CombinedOutput(); err != nil {
			t.Fatalf("cp: %v %s", err, b)
		}
	}
	if b, err := exec.Command(aimBinary, "restore", "--service", "appraisal", "--in", out, "--data-dir", restored).CombinedOutput(); err != nil {
		t.Fatalf("aim restore: %v\n%s", err, b)
	}
	q := startAim(t, "serve", "--data-dir", restored, "--rate-limit", "0",
		"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--admin-addr", "")
	q.waitFor(tokenRe, 30*time.Second)
	base2 := "http://" + q.waitFor(restRe, time.Second) + "/v1"

	before := 0
	for _, a := range acks {
		if !a.at.Before(backupStart) {
			continue
		}
		before++
		if code, _ := httpDo(t, "GET", base2+"/"+a.name, token, ""); code != http.StatusOK {
			t.Errorf("%s was acknowledged before the backup but is missing after the restore (%d)", a.name, code)
		}
	}
	if before == 0 {
		t.Fatal("no write was acknowledged before the backup; the test proved nothing")
	}
	t.Logf("%d writes acknowledged before the backup, %d in all; every one before it restored", before, len(acks))

	// Restoring onto a running service is refused.
	if b, err := exec.Command(aimBinary, "restore", "--service", "appraisal", "--in", out, "--data-dir", restored).CombinedOutput(); err == nil {
		t.Fatalf("restore onto a running service was accepted: %s", b)
	}
	// A backup of one service does not restore as another.
	if b, err := exec.Command(aimBinary, "restore", "--service", "model", "--in", out, "--data-dir", t.TempDir()).CombinedOutput(); err == nil {
		t.Fatalf("an appraisal backup restored as the model store: %s", b)
	}
}
