package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// backupToken mints the token `aim backup` presents to the admin listener:
// an operator token (ADR 0005). It is the one place to change when /backup
// takes another credential.
func backupToken(t *testing.T, dataDir string) string {
	t.Helper()
	return operatorToken(t, dataDir)
}

// runAim runs aim to completion and returns its exit code and combined
// output.
func runAim(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(aimBinary, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatalf("aim %v: %v", args, err)
	}
	return 0, string(out)
}

// dirState maps each file name in dir to its content's hash.
func dirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	state := map[string]string{}
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(raw)
		state[e.Name()] = hex.EncodeToString(sum[:8])
	}
	return state
}

func sameState(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	if len(before) != len(after) {
		t.Errorf("%s changed the data dir: files %v, were %v", what, slices.Sorted(mapKeys(after)), slices.Sorted(mapKeys(before)))
	}
	for name, sum := range before {
		if after[name] != sum {
			t.Errorf("%s changed %s (hash %s, was %s)", what, name, after[name], sum)
		}
	}
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// serveOn starts aim serve on dataDir and returns its REST base URL and
// admin address.
func serveOn(t *testing.T, dataDir string) (*proc, string, string) {
	t.Helper()
	p := startAim(t, "serve", "--data-dir", dataDir, "--rate-limit", "0",
		"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0")
	p.waitFor(tokenRe, 30*time.Second)
	return p, "http://" + p.waitFor(restRe, time.Second) + "/v1", p.waitFor(metricsRe, time.Second)
}

func createAppraisal(t *testing.T, base, token, id string) {
	t.Helper()
	if code, body := httpDo(t, "POST", base+"/appraisals?appraisalId="+id, token,
		`{"displayName": "RT `+id+`", "type": "APPRAISAL_TYPE_EVALUATION", "organizationalUnit": "Ops"}`); code != http.StatusCreated {
		t.Fatalf("create %s: %d %v", id, code, body)
	}
}

// TestRedteamH5_BackupRefusesLiveStoreAndDataDir runs the probe: aim
// backup --out naming the running service's store file (and, as the docs'
// example does, a relative path from inside the data dir). Both are
// refused, nothing changes, and a write acknowledged afterwards survives a
// restart.
func TestRedteamH5_BackupRefusesLiveStoreAndDataDir(t *testing.T) {
	dataDir := t.TempDir()
	p, base, admin := serveOn(t, dataDir)
	token := runTokenAs(t, dataDir, "acme", "lead-appraiser", "alice")
	createAppraisal(t, base, token, "before")
	live := filepath.Join(dataDir, "appraisal.db")
	st0, err := os.Stat(live)
	if err != nil {
		t.Fatal(err)
	}
	names := func() []string {
		entries, _ := os.ReadDir(dataDir)
		var n []string
		for _, e := range entries {
			n = append(n, e.Name())
		}
		return n
	}
	names0 := names()
	backup := func(dir, out string, extra ...string) (int, string) {
		return runAim(t, dir, append([]string{"backup", "--service", "appraisal", "--admin-addr", admin,
			"--token", backupToken(t, dataDir), "--out", out}, extra...)...)
	}
	for _, tc := range []struct {
		name, dir, out string
		extra          []string
		want           string
	}{
		{"the live store", "", live, nil, "live store"},
		{"the live store, forced", "", live, []string{"--force"}, "live store"},
		{"the docs' example run in the data dir", dataDir, "appraisal.db", nil, "live store"},
		{"a new file in the data dir", "", filepath.Join(dataDir, "copy.db"), nil, "data dir"},
		{"a new file under the data dir, forced", "", filepath.Join(dataDir, "copy.db"), []string{"--force"}, "data dir"},
	} {
		code, out := backup(tc.dir, tc.out, tc.extra...)
		if code == 0 || !strings.Contains(out, tc.want) {
			t.Errorf("backup --out %s (%s): rc %d, want refused with %q:\n%s", tc.out, tc.name, code, tc.want, out)
		}
	}
	if st, err := os.Stat(live); err != nil || !os.SameFile(st0, st) {
		t.Fatalf("the live store file was replaced (%v)", err)
	}
	if got := names(); !slices.Equal(got, names0) {
		t.Fatalf("the data dir changed: %v, was %v", got, names0)
	}

	// Elsewhere: an existing file needs --force; the backup is named only
	// when complete, and progress goes to stderr.
	outDir := t.TempDir()
	out := filepath.Join(outDir, "appraisal.db")
	if code, text := backup("", out); code != 0 || !regexp.MustCompile(`backup appraisal: done, [\d.]+ [KMG]?i?B in \S+ \([\d.]+ [KMG]?i?B/s\)`).MatchString(text) {
		t.Fatalf("backup to a new file: rc %d\n%s", code, text)
	}
	if code, text := backup("", out); code == 0 || !strings.Contains(text, "--force") {
		t.Errorf("backup over an existing file without --force: rc %d\n%s", code, text)
	}
	if code, text := backup("", out, "--force"); code != 0 {
		t.Errorf("backup --force over an earlier backup: rc %d\n%s", code, text)
	}
	if entries, _ := os.ReadDir(outDir); len(entries) != 1 {
		t.Errorf("the out dir holds %d files, want the backup alone", len(entries))
	}

	createAppraisal(t, base, token, "after-backup")
	p.stop(15 * time.Second)
	_, base2, _ := serveOn(t, dataDir)
	for _, id := range []string{"before", "after-backup"} {
		if code, _ := httpDo(t, "GET", base2+"/appraisals/"+id, token, ""); code != http.StatusOK {
			t.Errorf("appraisals/%s after the restart: %d; an acknowledged write was lost", id, code)
		}
	}
}

// TestRedteamL4_KilledBackupLeavesNothing kills aim backup with SIGKILL in
// the middle of a transfer (the admin endpoint sends 1 MiB and then
// stalls) and expects the out dir to hold no file at all: the partial copy
// never had a name.
func TestRedteamL4_KilledBackupLeavesNothing(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("unnamed files (O_TMPFILE) are Linux only; elsewhere SIGKILL leaves a hidden temporary file")
	}
	stall := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte("store page "), 100_000))
		w.(http.Flusher).Flush()
		select {
		case <-stall:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(stall)
	outDir := t.TempDir()
	p := startAim(t, "backup", "--service", "appraisal", "--admin-addr", strings.TrimPrefix(srv.URL, "http://"),
		"--token", "any", "--out", filepath.Join(outDir, "appraisal.db"))
	// Kill at the first progress line; a binary without progress lines is
	// killed once its copy holds the first MiB.
	eventually(t, 10*time.Second, "the transfer under way", func() bool {
		if strings.Contains(p.output(), "received") {
			return true
		}
		entries, _ := os.ReadDir(outDir)
		for _, e := range entries {
			if info, err := e.Info(); err == nil && info.Size() >= 1<<20 {
				return true
			}
		}
		return false
	})
	if entries, _ := os.ReadDir(outDir); len(entries) != 0 {
		t.Errorf("while the backup runs the out dir shows %s", entries[0].Name())
	}
	p.kill()
	entries, err := os.ReadDir(outDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, _ := e.Info()
		t.Errorf("kill -9 during a backup left %s (%d bytes) in the out dir", e.Name(), info.Size())
	}
}

// appraisalBackup serves a data dir with two appraisals, backs up the
// appraisal store with aim backup and stops the server. It returns the
// data dir and the backup.
func appraisalBackup(t *testing.T) (string, string) {
	t.Helper()
	dataDir := t.TempDir()
	p, base, admin := serveOn(t, dataDir)
	token := runTokenAs(t, dataDir, "acme", "lead-appraiser", "alice")
	createAppraisal(t, base, token, "a1")
	createAppraisal(t, base, token, "a2")
	out := filepath.Join(t.TempDir(), "good.db")
	if code, text := runAim(t, "", "backup", "--service", "appraisal", "--admin-addr", admin,
		"--token", backupToken(t, dataDir), "--out", out); code != 0 {
		t.Fatalf("aim backup: rc %d\n%s", code, text)
	}
	p.stop(15 * time.Second)
	return dataDir, out
}

// noCrash fails the test when output shows a panic or a fatal signal, or
// rc is not the plain error exit 1.
func noCrash(t *testing.T, what string, rc int, output string) {
	t.Helper()
	if rc != 1 || strings.Contains(output, "panic") || strings.Contains(output, "goroutine ") || strings.Contains(output, "SIG") {
		t.Errorf("%s: rc %d, want a plain error (rc 1) without a crash:\n%s", what, rc, output)
	}
}

// TestRedteamM6_DamagedFilesGiveClearErrors runs the probe's commands: a
// truncated backup and one cut short by a page are refused by restore with
// an error, not a crash; a backup with one byte of a record's length
// flipped is refused, naming bucket and key; aim serve on a truncated store
// exits with one line naming the file; and restore over a damaged store
// works.
func TestRedteamM6_DamagedFilesGiveClearErrors(t *testing.T) {
	_, good := appraisalBackup(t)
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	t1 := write("t.db", raw[:8192])
	t2 := write("t2.db", raw[:len(raw)-4096])
	flipped := bytes.Clone(raw)
	at := bytes.Index(flipped, []byte("\x12\x05RT a2"))
	if at < 0 {
		t.Fatal("the appraisal record is not in the backup")
	}
	flipped[at+1] = 0x7f // the display name's length
	t3 := write("t3.db", flipped)

	r := t.TempDir()
	for _, tc := range []struct{ in, want string }{
		{t1, "truncated"},
		{t2, "truncated"},
		{t3, "bucket t/acme/appraisals key a2"},
	} {
		rc, out := runAim(t, "", "restore", "--service", "appraisal", "--in", tc.in, "--data-dir", r)
		noCrash(t, "restore --in "+filepath.Base(tc.in), rc, out)
		if !strings.Contains(out, tc.in) || !strings.Contains(out, tc.want) {
			t.Errorf("restore --in %s: the error does not name the file and %q:\n%s", tc.in, tc.want, out)
		}
	}
	if entries, _ := os.ReadDir(r); len(entries) != 0 {
		t.Errorf("a refused restore left %d files in the data dir", len(entries))
	}

	// aim serve on the truncated store: one line that names the file.
	damaged := t.TempDir()
	store := filepath.Join(damaged, "appraisal.db")
	if err := os.WriteFile(store, raw[:len(raw)-4096], 0o600); err != nil {
		t.Fatal(err)
	}
	rc, out := runAim(t, "", "serve", "--data-dir", damaged, "--grpc-addr", "127.0.0.1:0",
		"--http-addr", "127.0.0.1:0", "--admin-addr", "", "--log-format", "json")
	noCrash(t, "serve on a truncated store", rc, out)
	var errLines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "aim:") {
			errLines = append(errLines, l)
		}
	}
	if len(errLines) != 1 || !strings.Contains(errLines[0], store) {
		t.Errorf("serve on a truncated store: want one error line naming %s:\n%s", store, out)
	}

	// Restore over the damaged store: it goes aside, the backup comes in.
	rc, out = runAim(t, "", "restore", "--service", "appraisal", "--in", good, "--data-dir", damaged)
	if rc != 0 {
		t.Fatalf("restore over a damaged store: rc %d\n%s", rc, out)
	}
	kept, _ := filepath.Glob(store + ".before-restore-*")
	if len(kept) != 1 {
		t.Fatalf("restore over a damaged store kept %v", kept)
	}
	if b, _ := os.ReadFile(kept[0]); !bytes.Equal(b, raw[:len(raw)-4096]) {
		t.Errorf("%s does not hold the damaged store's bytes", kept[0])
	}
	_, base, _ := serveOn(t, damaged)
	token := runTokenAs(t, damaged, "acme", "lead-appraiser", "alice")
	for _, id := range []string{"a1", "a2"} {
		if code, _ := httpDo(t, "GET", base+"/appraisals/"+id, token, ""); code != http.StatusOK {
			t.Errorf("appraisals/%s after restoring over a damaged store: %d", id, code)
		}
	}
}

// TestRedteamM7_FailedRestoreChangesNothing runs the probe: a restore that
// runs out of file size (prlimit --fsize, as a full disk) and one of a bad
// file leave the data dir byte for byte as it was; two restores keep two
// distinct before-restore files.
func TestRedteamM7_FailedRestoreChangesNothing(t *testing.T) {
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("needs prlimit (util-linux)")
	}
	dataDir, good := appraisalBackup(t)
	st, err := os.Stat(good)
	if err != nil {
		t.Fatal(err)
	}
	before := dirState(t, dataDir)

	limit := "--fsize=" + strconv.FormatInt(st.Size()/2, 10)
	cmd := exec.Command(prlimit, limit, aimBinary, "restore", "--service", "appraisal", "--in", good, "--data-dir", dataDir)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("restore under %s succeeded:\n%s", limit, out)
	}
	t.Logf("restore under %s: %v: %s", limit, err, strings.TrimSpace(string(out)))
	sameState(t, "a restore that ran out of space", before, dirState(t, dataDir))

	bad := filepath.Join(t.TempDir(), "bad.db")
	raw, _ := os.ReadFile(good)
	if err := os.WriteFile(bad, raw[:8192], 0o600); err != nil {
		t.Fatal(err)
	}
	if rc, text := runAim(t, "", "restore", "--service", "appraisal", "--in", bad, "--data-dir", dataDir); rc == 0 {
		t.Fatalf("restore of a truncated file succeeded:\n%s", text)
	}
	sameState(t, "a restore of a bad file", before, dirState(t, dataDir))

	for i := range 2 {
		if rc, text := runAim(t, "", "restore", "--service", "appraisal", "--in", good, "--data-dir", dataDir); rc != 0 {
			t.Fatalf("restore #%d: rc %d\n%s", i+1, rc, text)
		}
	}
	kept, _ := filepath.Glob(filepath.Join(dataDir, "appraisal.db.before-restore-*"))
	if len(kept) != 2 {
		t.Fatalf("two restores kept %v, want two distinct files", kept)
	}
	first := dirState(t, dataDir)
	slices.Sort(kept)
	if first[filepath.Base(kept[0])] != before["appraisal.db"] {
		t.Errorf("the first before-restore file %s does not hold the store the first restore replaced", kept[0])
	}
}
