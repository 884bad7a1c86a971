package server

import (
	"context"
	"slices"
	"strconv"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/services/crosswalk/internal/framework"
	"github.com/aim-platform/aim/services/crosswalk/internal/framework/clauses"
	"github.com/aim-platform/aim/services/crosswalk/internal/mapindex"
)

// tree is one framework's clauses, in document order, with lookups.
type tree struct {
	framework string
	clauses   []*crosswalkv1.Clause
	byID      map[string]int
	// chains[i] is clauses[i]'s id followed by its ancestors by the dotted
	// prefix rule (mapindex.Chain), computed once: the rules below ask for
	// it per clause and request.
	chains [][]string
}

// trees holds the clause trees of the standards, loaded once from the
// embedded data: they are public identifiers and titles that do not change.
type trees struct {
	byFramework map[string]*tree
}

func loadTrees() (*trees, error) {
	defaults, err := clauses.Defaults()
	if err != nil {
		return nil, errs.Wrap(err, "load the clause trees")
	}
	ts := &trees{byFramework: map[string]*tree{}}
	for fw, list := range defaults {
		t := &tree{framework: fw, byID: map[string]int{}}
		depth := map[string]int32{}
		for _, c := range list {
			d := int32(1)
			parent := ""
			if c.Parent != "" {
				d = depth[c.Parent] + 1
				parent = clauseName(fw, c.Parent)
			}
			depth[c.ID] = d
			t.byID[c.ID] = len(t.clauses)
			t.clauses = append(t.clauses, &crosswalkv1.Clause{
				Name: clauseName(fw, c.ID), Id: c.ID, Title: c.Title, Parent: parent, Depth: d, BestGuess: c.BestGuess,
			})
			t.chains = append(t.chains, mapindex.Chain(c.ID))
		}
		ts.byFramework[fw] = t
	}
	return ts, nil
}

func clauseName(framework, id string) string { return "frameworks/" + framework + "/clauses/" + id }

// get returns a framework's tree, nil when it has none (a maturity model).
func (ts *trees) get(framework string) *tree { return ts.byFramework[framework] }

// has reports whether the tree knows a clause id.
func (t *tree) has(id string) bool {
	_, ok := t.byID[id]
	return ok
}

// clauseUnder reports whether the tree's i-th clause is ancestor or lies
// under it, as under does, from the precomputed chain.
func (t *tree) clauseUnder(ancestor string, i int) bool {
	return slices.Contains(t.chains[i], ancestor)
}

// topLevel returns the top-level clause of the tree's i-th clause ("6" for
// "6.1.2", "A" for "A.6.2.4").
func (t *tree) topLevel(i int) string {
	return t.chains[i][len(t.chains[i])-1]
}

// under reports whether id is ancestor (or equal) of other, by the dotted
// prefix rule (which also places paragraph items under their clause).
func under(ancestor, id string) bool {
	for cur := id; cur != ""; cur = clauses.ParentOf(cur) {
		if cur == ancestor {
			return true
		}
	}
	return false
}

// GetClause returns one clause.
func (s *Server) GetClause(ctx context.Context, req *crosswalkv1.GetClauseRequest) (*crosswalkv1.GetClauseResponse, error) {
	if _, err := reader(ctx); err != nil {
		return nil, err
	}
	fw, id := clauseParts(req.GetName())
	t := s.trees.get(fw)
	if t == nil || !t.has(id) {
		return nil, errs.NotFoundError("Clause", req.GetName())
	}
	return &crosswalkv1.GetClauseResponse{Clause: t.clauses[t.byID[id]]}, nil
}

// clauseParts splits frameworks/{f}/clauses/{id}.
func clauseParts(name string) (framework, id string) {
	rest := name[len("frameworks/"):]
	for i := range len(rest) {
		if rest[i] == '/' {
			return rest[:i], rest[i+len("/clauses/"):]
		}
	}
	return rest, ""
}

// ListClauses lists a standard's clauses in document order, optionally
// only a subtree.
func (s *Server) ListClauses(ctx context.Context, req *crosswalkv1.ListClausesRequest) (*crosswalkv1.ListClausesResponse, error) {
	who, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	fwID, err := framework.ParseName(req.GetParent())
	if err != nil {
		return nil, errs.InvalidArgument(errs.Violation("parent", "%s", err.Error()))
	}
	if _, err := s.store.GetFramework(who.Tenant, fwID); err != nil {
		return nil, err
	}
	query := "ListClauses|parent=" + req.GetParent() + "|under=" + req.GetUnder()
	size, after, err := s.store.DB().StartPage(req.GetPageSize(), req.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	start := 0
	if after != nil {
		n, err := strconv.Atoi(string(after))
		if err != nil {
			return nil, errs.InvalidArgument(errs.Violation("page_token", "the page token is invalid"))
		}
		start = n
	}
	resp := &crosswalkv1.ListClausesResponse{}
	t := s.trees.get(fwID)
	if t == nil {
		return resp, nil // a maturity model: its elements live in the catalog
	}
	if req.GetUnder() != "" && !t.has(req.GetUnder()) {
		return nil, errs.NotFoundError("Clause", clauseName(fwID, req.GetUnder()))
	}
	for i := start; i < len(t.clauses); i++ {
		c := t.clauses[i]
		if req.GetUnder() != "" && !t.clauseUnder(req.GetUnder(), i) {
			continue
		}
		if len(resp.Clauses) == size {
			resp.NextPageToken = s.store.DB().EncodePageToken([]byte(strconv.Itoa(i)), query)
			break
		}
		resp.Clauses = append(resp.Clauses, c)
	}
	return resp, nil
}
