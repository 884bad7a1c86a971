package server_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/auth"
	pstore "github.com/aim-platform/aim/platform/store"
	mserver "github.com/aim-platform/aim/services/model/internal/server"
	"github.com/aim-platform/aim/services/model/internal/store"
)

// benchServer opens a store with the default content and a server over it,
// and returns a viewer's context. The handlers are called directly: no
// gRPC, auth or interceptors, only what the handler itself costs.
func benchServer(b *testing.B) (*mserver.Server, context.Context) {
	b.Helper()
	st, err := store.Open(pstore.DefaultConfig(filepath.Join(b.TempDir(), "model.db")))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	if _, err := st.InstallDefaults(time.Now()); err != nil {
		b.Fatal(err)
	}
	srv := mserver.New(st)
	b.Cleanup(func() { _ = srv.Close() })
	ctx := auth.WithIdentity(context.Background(), auth.Identity{Subject: "bench", Tenant: "acme", Roles: []string{auth.RoleViewer}, Via: auth.ViaJWT})
	return srv, ctx
}

// BenchmarkHandlers measures the read handlers the way the bench module's
// BenchmarkGRPC rows call them.
func BenchmarkHandlers(b *testing.B) {
	srv, ctx := benchServer(b)
	run := func(name string, call func() error) {
		b.Run(name, func(b *testing.B) {
			if err := call(); err != nil { // warm whatever is built lazily
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := call(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	get := &modelv1.GetPracticeRequest{Name: defaultVersion + "/practiceAreas/-/practices/RSK-3.1"}
	run("GetPractice", func() error { _, err := srv.GetPractice(ctx, get); return err })
	getAlias := &modelv1.GetPracticeRequest{Name: defaultVersion + "/practiceAreas/RISK/practices/RISK-3.1"}
	run("GetPracticeAlias", func() error { _, err := srv.GetPractice(ctx, getAlias); return err })
	list := &modelv1.ListPracticesRequest{Parent: defaultVersion + "/practiceAreas/-", PageSize: 50}
	run("ListPractices", func() error { _, err := srv.ListPractices(ctx, list); return err })
	listFiltered := &modelv1.ListPracticesRequest{Parent: defaultVersion + "/practiceAreas/-", PageSize: 50, Filter: `has_ai_context = true AND level >= 2`}
	run("ListPracticesFiltered", func() error { _, err := srv.ListPractices(ctx, listFiltered); return err })
	search := &modelv1.SearchPracticesRequest{Parent: defaultVersion, Query: "bias in training data"}
	run("SearchPractices", func() error { _, err := srv.SearchPractices(ctx, search); return err })
	searchFiltered := &modelv1.SearchPracticesRequest{Parent: defaultVersion, Query: "bias in training data", Filter: `level >= 2`}
	run("SearchPracticesFiltered", func() error { _, err := srv.SearchPractices(ctx, searchFiltered); return err })
}
