package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/server"
	"github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/platform/store/storetest"
	"github.com/aim-platform/aim/platform/telemetry"
)

// backupEnv is the admin listener's backup endpoint over one store, with
// the tenant and operator credentials of a process configured as aim
// configures it: the tenant key, API keys, and an operator key of its own.
type backupEnv struct {
	srv      *httptest.Server
	tenant   *auth.Signer
	operator string // an operator token
	apiKey   string // a tenant admin's API key
}

func newBackupEnv(t *testing.T, stores map[string]*store.DB, stall time.Duration) *backupEnv {
	t.Helper()
	dir := t.TempDir()
	if _, err := auth.EnsureDevKey(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.EnsureDevOperatorKey(dir); err != nil {
		t.Fatal(err)
	}
	const apiKey = "aim_ops_admin_key_8d7c6b5a"
	doc, err := json.Marshal(map[string]any{"keys": []map[string]any{
		{"name": "ops", "sha256": auth.HashAPIKey(apiKey), "tenant": "ops", "roles": []string{auth.RoleAdmin}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	apiKeys := filepath.Join(dir, "api-keys.json")
	if err := os.WriteFile(apiKeys, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	tenants, err := auth.NewAuthenticator(auth.Config{Issuer: auth.DefaultIssuer, Audience: auth.DefaultAudience,
		KeysFile: filepath.Join(dir, auth.DevJWKSFile), APIKeysFile: apiKeys})
	if err != nil {
		t.Fatal(err)
	}
	tenantSigner, err := auth.LoadSigner(dir, auth.DefaultIssuer, auth.DefaultAudience)
	if err != nil {
		t.Fatal(err)
	}
	ops, err := auth.NewOperatorVerifier(auth.OperatorConfig{Issuer: auth.DefaultIssuer,
		KeysFile: filepath.Join(dir, auth.DevOperatorJWKSFile)}, tenants)
	if err != nil {
		t.Fatal(err)
	}
	opSigner, err := auth.LoadOperatorSigner(dir, auth.DefaultIssuer, auth.DefaultOperatorAudience)
	if err != nil {
		t.Fatal(err)
	}
	opToken, err := opSigner.Mint("ops-alice", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tel, err := telemetry.Setup(context.Background(), telemetry.Config{ServiceName: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	h, err := server.BackupHandler(server.BackupConfig{Operators: ops, Tenants: tenants,
		Logger: slog.New(slog.DiscardHandler), Stores: stores, StallTimeout: stall})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.AdminHandler(tel, h))
	t.Cleanup(srv.Close)
	return &backupEnv{srv: srv, tenant: tenantSigner, operator: opToken, apiKey: apiKey}
}

// tenantToken mints a tenant token with roles.
func (b *backupEnv) tenantToken(t *testing.T, tenant string, roles ...string) string {
	t.Helper()
	tok, err := b.tenant.Mint("u-"+tenant, tenant, roles, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// get sends GET path with the given header pairs.
func (b *backupEnv) get(t *testing.T, path string, hdr ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", b.srv.URL+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// thingsStore opens a store with one record for tenant acme.
func thingsStore(t *testing.T) *store.DB {
	t.Helper()
	db := storetest.Open(t, store.Schema{Name: "things"})
	if err := db.Update(func(tx *bbolt.Tx) error {
		b, err := store.CreateTenantBucket(tx, "acme", "things")
		if err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("ACME-SECRET"))
	}); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestRedteamH1_TenantAdminCannotDownloadBackup: a backup holds every
// tenant's data, so only an operator token fetches it. Another tenant's
// admin got acme's store here before the fix.
func TestRedteamH1_TenantAdminCannotDownloadBackup(t *testing.T) {
	db := thingsStore(t)
	b := newBackupEnv(t, map[string]*store.DB{"things": db}, 0)
	bearer := func(tok string) []string { return []string{"Authorization", "Bearer " + tok} }
	for _, tc := range []struct {
		name string
		hdr  []string
		want int
	}{
		{"no credential", nil, http.StatusUnauthorized},
		{"another tenant's admin", bearer(b.tenantToken(t, "globex", auth.RoleAdmin)), http.StatusForbidden},
		{"acme's own admin", bearer(b.tenantToken(t, "acme", auth.RoleAdmin)), http.StatusForbidden},
		{"a tenant with every role", bearer(b.tenantToken(t, "ops", auth.KnownRoles()...)), http.StatusForbidden},
		{"a viewer", bearer(b.tenantToken(t, "acme", auth.RoleViewer)), http.StatusForbidden},
		{"a tenant admin's API key", []string{"X-Api-Key", b.apiKey}, http.StatusForbidden},
		{"an API key beside the operator token", append([]string{"X-Api-Key", b.apiKey}, bearer(b.operator)...), http.StatusUnauthorized},
		{"a forged token", bearer(b.operator[:len(b.operator)-4] + "AAAA"), http.StatusUnauthorized},
	} {
		resp := b.get(t, "/backup/things", tc.hdr...)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tc.want || resp.Header.Get("Content-Type") != "application/json" || strings.Contains(string(body), "ACME-SECRET") {
			t.Errorf("%s: %d %s %.200q, want %d with a Status body", tc.name, resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.want)
		}
	}
	if resp := b.get(t, "/backup/nothing", bearer(b.operator)...); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown store: %d", resp.StatusCode)
	}

	resp := b.get(t, "/backup/things", bearer(b.operator)...)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("operator backup: %d", resp.StatusCode)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(f, resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	if cl := resp.Header.Get("Content-Length"); cl != strconv.FormatInt(n, 10) {
		t.Errorf("Content-Length %s, body %d bytes", cl, n)
	}
	copyDB, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("backup does not open: %v", err)
	}
	defer copyDB.Close()
	err = copyDB.View(func(tx *bbolt.Tx) error {
		if v := store.TenantBucket(tx, "acme", "things").Get([]byte("k")); string(v) != "ACME-SECRET" {
			t.Errorf("backup lacks the record: %q", v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	noSnapshotFiles(t, db)

	// The rest of the admin listener holds no tenant data and stays open to
	// Prometheus and probes.
	for _, path := range []string{"/metrics", "/healthz"} {
		if resp := b.get(t, path); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
}

// noSnapshotFiles fails unless the store's directory holds only the store.
func noSnapshotFiles(t *testing.T, db *store.DB) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(db.Path()))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != filepath.Base(db.Path()) {
			t.Errorf("the store's directory holds %s beside the store", e.Name())
		}
	}
}

// TestRedteamH2_StalledBackupDoesNotBlockWrites: a client asks for a backup
// of a ~50 MB store and never reads it. Writes that grow the file past its
// memory map must keep succeeding meanwhile. Before the fix the backup
// streamed from one read transaction, which held bbolt's mmap lock until
// the client read everything: the growing write, and every reader after
// it, waited for the client. The stalled client is cut off after the stall
// timeout, which frees the store's one backup slot.
func TestRedteamH2_StalledBackupDoesNotBlockWrites(t *testing.T) {
	db := storetest.Open(t, store.Schema{Name: "things"})
	value := make([]byte, 64<<10)
	put := func(prefix string, n int) error {
		return db.Update(func(tx *bbolt.Tx) error {
			b, err := store.CreateTenantBucket(tx, "acme", "things")
			if err != nil {
				return err
			}
			for i := range n {
				if err := b.Put([]byte(prefix+strconv.Itoa(i)), value); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := put("fill-", 800); err != nil { // 800 × 64 KiB = 50 MiB
		t.Fatal(err)
	}
	const stall = 2 * time.Second
	b := newBackupEnv(t, map[string]*store.DB{"things": db}, stall)

	// A client with a tiny receive window that reads the status line and
	// then nothing.
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		if err != nil {
			return err
		}
		return serr
	}}
	conn, err := d.DialContext(t.Context(), "tcp", b.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /backup/things HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+b.operator+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	status, err := bufio.NewReaderSize(conn, 16).ReadString('\n')
	if err != nil || !strings.Contains(status, " 200 ") {
		t.Fatalf("stalled backup: %q, %v", status, err)
	}

	// 40 MiB more, 1 MiB a transaction: the file outgrows its 64 MiB map.
	wrote := make(chan error, 1)
	start := time.Now()
	go func() {
		for i := range 40 {
			if err := put("grow-"+strconv.Itoa(i)+"-", 16); err != nil {
				wrote <- err
				return
			}
		}
		wrote <- nil
	}()
	const bound = 20 * time.Second
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("40 writes growing the store took %v while a backup stood unread", time.Since(start).Round(time.Millisecond))
	case <-time.After(bound):
		_ = conn.Close() // let the stuck writes finish before the test ends
		<-wrote
		t.Fatalf("writes that grow the store were still blocked after %v behind a backup nobody reads", bound)
	}
	noSnapshotFiles(t, db)

	// The stalled download is cut off after the stall timeout, and the
	// store's backup slot is free again.
	deadline := time.Now().Add(stall + 15*time.Second)
	for {
		resp := b.get(t, "/backup/things", "Authorization", "Bearer "+b.operator)
		if resp.StatusCode == http.StatusOK {
			n, err := io.Copy(io.Discard, resp.Body)
			if err != nil || strconv.FormatInt(n, 10) != resp.Header.Get("Content-Length") {
				t.Fatalf("second backup: %d bytes, %v; Content-Length %s", n, err, resp.Header.Get("Content-Length"))
			}
			break
		}
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("second backup while the first stalls: %d, want 429 or, once it is cut off, 200", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stalled backup still held its slot 15 s after its stall timeout of %v", stall)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
