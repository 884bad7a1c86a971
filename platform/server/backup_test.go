package server_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/server"
	"github.com/aim-platform/aim/platform/server/servertest"
	"github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/platform/store/storetest"
)

func TestBackupHandler(t *testing.T) {
	env := servertest.Start(t, nil)
	db := storetest.Open(t, store.Schema{Name: "things"})
	if err := db.Update(func(tx *bbolt.Tx) error {
		b, err := store.CreateTenantBucket(tx, "acme", "things")
		if err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("v"))
	}); err != nil {
		t.Fatal(err)
	}
	h := server.BackupHandler(env.Auth, slog.New(slog.DiscardHandler), map[string]*store.DB{"things": db})
	srv := httptest.NewServer(server.AdminHandler(env.Telemetry, h))
	defer srv.Close()

	get := func(path, token string) *http.Response {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = resp.Body.Close() })
		return resp
	}
	admin := env.Token(t, "ops", auth.RoleAdmin)
	for _, tc := range []struct {
		name, path, token string
		want              int
	}{
		{"no token", "/backup/things", "", http.StatusUnauthorized},
		{"viewer", "/backup/things", env.Token(t, "ops", auth.RoleViewer), http.StatusForbidden},
		{"unknown store", "/backup/nothing", admin, http.StatusNotFound},
	} {
		if resp := get(tc.path, tc.token); resp.StatusCode != tc.want || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s, want %d with a Status body", tc.name, resp.StatusCode, resp.Header.Get("Content-Type"), tc.want)
		}
	}

	resp := get("/backup/things", admin)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("admin backup: %d", resp.StatusCode)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	copyDB, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("backup does not open: %v", err)
	}
	defer copyDB.Close()
	err = copyDB.View(func(tx *bbolt.Tx) error {
		if v := store.TenantBucket(tx, "acme", "things").Get([]byte("k")); string(v) != "v" {
			t.Errorf("backup lacks the record: %q", v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	if resp := get("/metrics", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("/metrics: %d", resp.StatusCode)
	}
}
