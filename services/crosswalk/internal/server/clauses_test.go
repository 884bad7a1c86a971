package server_test

import (
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	"github.com/aim-platform/aim/services/crosswalk/internal/framework/clauses"
)

// walkClauses lists every page of a framework's clauses.
func walkClauses(t *testing.T, h *harness, req *crosswalkv1.ListClausesRequest) (all []*crosswalkv1.Clause, pages int) {
	t.Helper()
	for range 200 {
		resp, err := h.client.ListClauses(h.viewer(t, tenantA), req)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		all = append(all, resp.GetClauses()...)
		if resp.GetNextPageToken() == "" {
			return all, pages
		}
		req = proto.CloneOf(req)
		req.PageToken = resp.GetNextPageToken()
	}
	t.Fatal("paging does not end")
	return nil, 0
}

func ids(cs []*crosswalkv1.Clause) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.GetId())
	}
	return out
}

func TestListClauses(t *testing.T) {
	h := newHarness(t)
	trees, err := clauses.Defaults()
	if err != nil {
		t.Fatal(err)
	}
	var document []string
	for _, c := range trees["iso-iec-42001-2023"] {
		document = append(document, c.ID)
	}
	if len(document) != 91 {
		t.Fatalf("the 42001 tree has %d clauses, want 91", len(document))
	}

	all, pages := walkClauses(t, h, &crosswalkv1.ListClausesRequest{Parent: iso42001, PageSize: 10})
	if pages != 10 {
		t.Errorf("%d pages of 10 for 91 clauses, want 10", pages)
	}
	if got := ids(all); !slices.Equal(got, document) {
		t.Fatalf("pages walk %q\nwant each clause once in document order %q", got, document)
	}
	for _, c := range all {
		if c.GetName() != iso42001+"/clauses/"+c.GetId() || c.GetTitle() == "" || c.GetDepth() < 1 {
			t.Errorf("clause %v", c)
		}
		if (c.GetParent() == "") != (c.GetDepth() == 1) {
			t.Errorf("clause %s: parent %q at depth %d", c.GetId(), c.GetParent(), c.GetDepth())
		}
	}
	for _, size := range []int32{0, 1, 7, 91, 1000} {
		if got, _ := walkClauses(t, h, &crosswalkv1.ListClausesRequest{Parent: iso42001, PageSize: size}); !slices.Equal(ids(got), document) {
			t.Errorf("page_size %d walks %q", size, ids(got))
		}
	}

	t.Run("under", func(t *testing.T) {
		want := []string{"6", "6.1", "6.1.1", "6.1.2", "6.1.3", "6.1.4", "6.2", "6.3"}
		for _, size := range []int32{0, 3} {
			got, _ := walkClauses(t, h, &crosswalkv1.ListClausesRequest{Parent: iso42001, Under: "6", PageSize: size})
			if !slices.Equal(ids(got), want) {
				t.Errorf("under 6, page_size %d = %q, want %q", size, ids(got), want)
			}
		}
		got, _ := walkClauses(t, h, &crosswalkv1.ListClausesRequest{Parent: iso42001, Under: "A.6"})
		if want := []string{"A.6", "A.6.1.2", "A.6.1.3", "A.6.2.2", "A.6.2.3", "A.6.2.4", "A.6.2.5", "A.6.2.6", "A.6.2.7", "A.6.2.8"}; !slices.Equal(ids(got), want) {
			t.Errorf("under A.6 = %q, want %q", ids(got), want)
		}
		got, _ = walkClauses(t, h, &crosswalkv1.ListClausesRequest{Parent: iso42001, Under: "6.1.2"})
		if !slices.Equal(ids(got), []string{"6.1.2"}) {
			t.Errorf("under a leaf = %q", ids(got))
		}
		_, err := h.client.ListClauses(h.viewer(t, tenantA), &crosswalkv1.ListClausesRequest{Parent: iso42001, Under: "6.9"})
		wantStatus(t, err, codes.NotFound)
	})

	t.Run("page token bound to the query", func(t *testing.T) {
		first, err := h.client.ListClauses(h.viewer(t, tenantA), &crosswalkv1.ListClausesRequest{Parent: iso42001, PageSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		_, err = h.client.ListClauses(h.viewer(t, tenantA), &crosswalkv1.ListClausesRequest{Parent: iso42001, PageSize: 2, Under: "6", PageToken: first.GetNextPageToken()})
		wantViolations(t, err, "page_token")
		_, err = h.client.ListClauses(h.viewer(t, tenantA), &crosswalkv1.ListClausesRequest{Parent: iso23894, PageSize: 2, PageToken: first.GetNextPageToken()})
		wantViolations(t, err, "page_token")
	})

	t.Run("maturity model", func(t *testing.T) {
		resp, err := h.client.ListClauses(h.viewer(t, tenantA), &crosswalkv1.ListClausesRequest{Parent: cmmi})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetClauses()) != 0 || resp.GetNextPageToken() != "" {
			t.Fatalf("cmmi-aim clauses = %v", resp)
		}
	})

	t.Run("unknown framework", func(t *testing.T) {
		_, err := h.client.ListClauses(h.viewer(t, tenantA), &crosswalkv1.ListClausesRequest{Parent: "frameworks/nope"})
		wantStatus(t, err, codes.NotFound)
	})
}

func TestGetClause(t *testing.T) {
	h := newHarness(t)
	resp, err := h.client.GetClause(h.viewer(t, tenantB), &crosswalkv1.GetClauseRequest{Name: iso42001 + "/clauses/A.6.2.4"})
	if err != nil {
		t.Fatal(err)
	}
	c := resp.GetClause()
	if c.GetId() != "A.6.2.4" || c.GetName() != iso42001+"/clauses/A.6.2.4" || c.GetParent() != iso42001+"/clauses/A.6" ||
		c.GetDepth() != 3 || c.GetTitle() == "" {
		t.Fatalf("GetClause = %v", c)
	}
	list, _ := walkClauses(t, h, &crosswalkv1.ListClausesRequest{Parent: iso42001, Under: "A.6.2.4"})
	if len(list) != 1 || !proto.Equal(list[0], c) {
		t.Fatalf("Get = %v, List = %v", c, list)
	}
	resp, err = h.client.GetClause(h.viewer(t, tenantB), &crosswalkv1.GetClauseRequest{Name: iso42001 + "/clauses/6.1.2"})
	if err != nil {
		t.Fatal(err)
	}
	if c := resp.GetClause(); c.GetParent() != iso42001+"/clauses/6.1" || c.GetDepth() != 3 {
		t.Fatalf("6.1.2 = %v", c)
	}

	for _, name := range []string{
		iso42001 + "/clauses/99.9",
		iso42001 + "/clauses/4.1.2.p.1.b", // cited by crosswalks, not in the tree
		iso23894 + "/clauses/A.6.2.4",
		cmmi + "/clauses/4.1",
		"frameworks/nope/clauses/4.1",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := h.client.GetClause(h.viewer(t, tenantA), &crosswalkv1.GetClauseRequest{Name: name})
			wantStatus(t, err, codes.NotFound)
		})
	}
	_, err = h.client.GetClause(h.viewer(t, tenantA), &crosswalkv1.GetClauseRequest{Name: iso42001 + "/clauses/"})
	wantViolations(t, err, "name")
}
