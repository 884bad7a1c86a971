package server_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/services/model/internal/catalog"
)

// practiceReads are the reads the server answers from its cache of decoded
// versions.
type practiceReads struct {
	f   *fixture
	ctx context.Context
}

func (r practiceReads) get(name string) (*modelv1.Practice, error) {
	resp, err := r.f.client.GetPractice(r.ctx, &modelv1.GetPracticeRequest{Name: name})
	return resp.GetPractice(), err
}

func (r practiceReads) list(parent, filter string) ([]*modelv1.Practice, error) {
	resp, err := r.f.client.ListPractices(r.ctx, &modelv1.ListPracticesRequest{Parent: parent, Filter: filter, PageSize: 100})
	return resp.GetPractices(), err
}

func (r practiceReads) batch(parent string, names ...string) ([]*modelv1.Practice, error) {
	resp, err := r.f.client.BatchGetPractices(r.ctx, &modelv1.BatchGetPracticesRequest{Parent: parent, Names: names})
	return resp.GetPractices(), err
}

func (r practiceReads) search(parent, query string) ([]*modelv1.SearchResult, error) {
	resp, err := r.f.client.SearchPractices(r.ctx, &modelv1.SearchPracticesRequest{Parent: parent, Query: query})
	return resp.GetResults(), err
}

func (r practiceReads) areas(parent, filter string) ([]*modelv1.PracticeArea, error) {
	resp, err := r.f.client.ListPracticeAreas(r.ctx, &modelv1.ListPracticeAreasRequest{Parent: parent, Filter: filter})
	return resp.GetPracticeAreas(), err
}

// every runs each practice read of acmeV1 and checks them with want.
func (r practiceReads) every(t *testing.T, want func(t *testing.T, read string, err error)) {
	t.Helper()
	_, err := r.get(acmeV1 + "/practiceAreas/-/practices/RSK-1.1")
	want(t, "GetPractice", err)
	_, err = r.list(acmeV1+"/practiceAreas/-", "")
	want(t, "ListPractices", err)
	_, err = r.list(acmeV1+"/practiceAreas/RISK", `has_ai_context = true`)
	want(t, "ListPractices of an area, filtered", err)
	_, err = r.batch(acmeV1, "RSK-1.1", "GOV-1.1")
	want(t, "BatchGetPractices", err)
	_, err = r.search(acmeV1, "risks")
	want(t, "SearchPractices", err)
	_, err = r.areas(acmeV1, `domain = "core"`)
	want(t, "ListPracticeAreas", err)
}

func statementOf(t *testing.T, r practiceReads, name string) string {
	t.Helper()
	p, err := r.get(name)
	if err != nil {
		t.Fatalf("GetPractice %s: %v", name, err)
	}
	return p.GetStatement()
}

// changedBundle is smallBundle with other words: RSK-1.1 says something
// else, RSK-2.1 is gone and RSK's alias is RK instead of RISK.
func changedBundle() *modelv1.ModelBundle {
	b := smallBundle()
	b.Practices[3].Statement = "Write down every risk."
	b.Practices[3].AiContext[0].Text = "Record confabulation risks of language models."
	b.Practices = slices.Delete(b.Practices, 4, 5)
	b.PracticeAreas[1].Aliases = []string{"RK"}
	return b
}

// A draft deleted and imported again is read afresh, even when the delete
// and the import bypass the server (nothing tells the cache), and a
// deleted draft is never served.
func TestCachedDraftIsNeverStale(t *testing.T) {
	f := startCatalog(t)
	r := practiceReads{f, f.viewer(t, tenantA)}
	rsk11 := acmeV1 + "/practiceAreas/-/practices/RSK-1.1"
	f.importBundle(t, tenantA, smallBundle())
	r.every(t, func(t *testing.T, read string, err error) {
		if err != nil {
			t.Fatalf("%s: %v", read, err)
		}
	})
	if got := statementOf(t, r, rsk11); got != "Write down risks." {
		t.Fatalf("statement = %q", got)
	}

	// Delete straight in the store: the cache is not told.
	if err := f.store.Delete(tenantA, "acme-ai", "1.0", ""); err != nil {
		t.Fatal(err)
	}
	r.every(t, func(t *testing.T, read string, err error) { wantNotFound(t, err, "ModelVersion", acmeV1) })

	// Import other content under the same name, again behind the server's
	// back, at the same instant as the first import would not matter: the
	// store stamps each write of content with a new generation.
	if _, err := f.store.Import(tenantA, catalog.Canonicalize(changedBundle()), time.Now()); err != nil {
		t.Fatal(err)
	}
	checkChanged := func(t *testing.T) {
		t.Helper()
		if got := statementOf(t, r, rsk11); got != "Write down every risk." {
			t.Fatalf("statement = %q", got)
		}
		_, err := r.get(acmeV1 + "/practiceAreas/-/practices/RSK-2.1")
		wantNotFound(t, err, "Practice", acmeV1+"/practiceAreas/RSK/practices/RSK-2.1")
		_, err = r.get(acmeV1 + "/practiceAreas/-/practices/RISK-1.1")
		wantNotFound(t, err, "Practice", acmeV1+"/practiceAreas/RISK/practices/RISK-1.1")
		if p, err := r.get(acmeV1 + "/practiceAreas/RK/practices/RK-1.1"); err != nil || p.GetStatement() != "Write down every risk." {
			t.Fatalf("RK-1.1 = %v, %v", p, err)
		}
		_, err = r.list(acmeV1+"/practiceAreas/RISK", "")
		wantNotFound(t, err, "PracticeArea", acmeV1+"/practiceAreas/RISK")
		list, err := r.list(acmeV1+"/practiceAreas/-", "")
		if err != nil || len(list) != 5 {
			t.Fatalf("ListPractices = %d practices, %v", len(list), err)
		}
		if res, err := r.search(acmeV1, "hallucination"); err != nil || len(res) != 0 {
			t.Fatalf("search for the old words = %v, %v", res, err)
		}
		if res, err := r.search(acmeV1, "confabulation"); err != nil || len(res) != 1 {
			t.Fatalf("search for the new words = %v, %v", res, err)
		}
	}
	checkChanged(t)

	// Publishing keeps the content.
	f.publish(t, tenantA, acmeV1)
	checkChanged(t)

	// The usual way, through the API, with the original content back.
	b := smallBundle()
	b.Version = "1.1"
	f.importBundle(t, tenantA, b)
	if _, err := f.client.DeleteModelVersion(f.manager(t, tenantA), &modelv1.DeleteModelVersionRequest{Name: acmeV11}); err != nil {
		t.Fatal(err)
	}
	_, err := r.get(acmeV11 + "/practiceAreas/-/practices/RSK-1.1")
	wantNotFound(t, err, "ModelVersion", acmeV11)
	b.Practices[0].Statement = "Set direction again."
	f.importBundle(t, tenantA, b)
	if got := statementOf(t, r, acmeV11+"/practiceAreas/-/practices/GOV-1.1"); got != "Set direction again." {
		t.Fatalf("statement after re-import = %q", got)
	}
}

// Another tenant never reads a tenant's draft through the cache, and two
// tenants' drafts of the same name stay apart.
func TestCacheKeepsTenantsApart(t *testing.T) {
	f := startCatalog(t)
	a := practiceReads{f, f.viewer(t, tenantA)}
	b := practiceReads{f, f.viewer(t, tenantB)}
	f.importBundle(t, tenantA, smallBundle())
	a.every(t, func(t *testing.T, read string, err error) {
		if err != nil {
			t.Fatalf("%s: %v", read, err)
		}
	})
	b.every(t, func(t *testing.T, read string, err error) { wantNotFound(t, err, "ModelVersion", acmeV1) })

	// Tenant B's own acme-ai 1.0 says other things.
	f.importBundle(t, tenantB, changedBundle())
	rsk11 := acmeV1 + "/practiceAreas/-/practices/RSK-1.1"
	for range 2 { // the second round reads from the cache
		if got := statementOf(t, a, rsk11); got != "Write down risks." {
			t.Fatalf("tenant A reads %q", got)
		}
		if got := statementOf(t, b, rsk11); got != "Write down every risk." {
			t.Fatalf("tenant B reads %q", got)
		}
		if res, err := b.search(acmeV1, "hallucination"); err != nil || len(res) != 0 {
			t.Fatalf("tenant B finds tenant A's words: %v, %v", res, err)
		}
		if res, err := a.search(acmeV1, "hallucination"); err != nil || len(res) != 1 {
			t.Fatalf("tenant A's search = %v, %v", res, err)
		}
		if list, err := b.list(acmeV1+"/practiceAreas/-", ""); err != nil || len(list) != 5 {
			t.Fatalf("tenant B lists %d practices, %v", len(list), err)
		}
		if list, err := a.list(acmeV1+"/practiceAreas/-", ""); err != nil || len(list) != 6 {
			t.Fatalf("tenant A lists %d practices, %v", len(list), err)
		}
	}
	// Tenant A's draft deleted: tenant B's stays.
	if _, err := f.client.DeleteModelVersion(f.manager(t, tenantA), &modelv1.DeleteModelVersionRequest{Name: acmeV1}); err != nil {
		t.Fatal(err)
	}
	a.every(t, func(t *testing.T, read string, err error) { wantNotFound(t, err, "ModelVersion", acmeV1) })
	if got := statementOf(t, b, rsk11); got != "Write down every risk." {
		t.Fatalf("tenant B reads %q", got)
	}
}

// Reads racing a draft's deletes and re-imports answer NOT_FOUND or one
// whole generation's content, never a mix and never an internal error.
func TestReadsWhileReimporting(t *testing.T) {
	f := startCatalog(t)
	r := practiceReads{f, f.viewer(t, tenantA)}
	variants := []*modelv1.ModelBundle{smallBundle(), changedBundle()}
	// Each generation's RSK-1.1 statement and practice count go together.
	want := map[string]int{"Write down risks.": 6, "Write down every risk.": 5}
	f.importBundle(t, tenantA, variants[0])

	var wg sync.WaitGroup
	stop := make(chan struct{})
	errc := make(chan error, 16)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				list, err := r.list(acmeV1+"/practiceAreas/-", "")
				if status.Code(err) == codes.NotFound {
					continue
				}
				if err != nil {
					errc <- err
					return
				}
				var statement string
				for _, p := range list {
					if lastSegment(p.GetName()) == "RSK-1.1" {
						statement = p.GetStatement()
					}
				}
				if n, ok := want[statement]; !ok || n != len(list) {
					errc <- fmt.Errorf("a list of %d practices has RSK-1.1 saying %q", len(list), statement)
					return
				}
				if _, err := r.search(acmeV1, "risks"); err != nil && status.Code(err) != codes.NotFound {
					errc <- err
					return
				}
			}
		})
	}
	for i := range 20 {
		if _, err := f.client.DeleteModelVersion(f.manager(t, tenantA), &modelv1.DeleteModelVersionRequest{Name: acmeV1}); err != nil {
			t.Fatal(err)
		}
		f.importBundle(t, tenantA, variants[(i+1)%2])
	}
	close(stop)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}
