package server

import (
	"context"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/client"
	"github.com/aim-platform/aim/platform/errs"
)

// Scope is what an appraisal copies from the model catalog when it is
// planned: its view, the practices in scope and their practice areas.
type Scope struct {
	View      *modelv1.View
	Practices []*modelv1.Practice
	Areas     []*modelv1.PracticeArea
}

// Catalog is what the appraisal service needs of the model catalog.
type Catalog interface {
	// Scope resolves a view, up to a maturity level (0: the whole view),
	// and copies what the appraisal needs.
	Scope(ctx context.Context, view string, maturityLevel int32) (*Scope, error)
}

// grpcCatalog reads the catalog through its gRPC API, with the caller's
// credentials.
type grpcCatalog struct {
	client modelv1.ModelCatalogServiceClient
}

// NewCatalog returns a Catalog over a connection to the model service.
func NewCatalog(conn grpc.ClientConnInterface) Catalog {
	return &grpcCatalog{client: modelv1.NewModelCatalogServiceClient(conn)}
}

// batchLimit is BatchGetPractices' limit per call.
const batchLimit = 1000

func (c *grpcCatalog) Scope(ctx context.Context, view string, maturityLevel int32) (*Scope, error) {
	v, err := c.client.GetView(ctx, &modelv1.GetViewRequest{Name: view})
	if err != nil {
		return nil, catalogError(ctx, err, "read the view "+view)
	}
	resolved, err := c.client.ResolveView(ctx, &modelv1.ResolveViewRequest{Name: view, MaturityLevel: maturityLevel})
	if err != nil {
		return nil, catalogError(ctx, err, "resolve the view "+view)
	}
	version := view[:strings.Index(view, "/views/")]
	s := &Scope{View: v.GetView()}
	ids := resolved.GetPractices()
	for start := 0; start < len(ids); start += batchLimit {
		end := min(start+batchLimit, len(ids))
		resp, err := c.client.BatchGetPractices(ctx, &modelv1.BatchGetPracticesRequest{Parent: version, Names: ids[start:end]})
		if err != nil {
			return nil, catalogError(ctx, err, "read the practices of "+view)
		}
		s.Practices = append(s.Practices, resp.GetPractices()...)
	}
	wanted := map[string]bool{}
	for _, a := range resolved.GetPracticeAreas() {
		wanted[a.GetPracticeArea()] = true
	}
	token := ""
	for {
		resp, err := c.client.ListPracticeAreas(ctx, &modelv1.ListPracticeAreasRequest{Parent: version, PageSize: 1000, PageToken: token})
		if err != nil {
			return nil, catalogError(ctx, err, "read the practice areas of "+version)
		}
		for _, a := range resp.GetPracticeAreas() {
			if wanted[a.GetAcronym()] {
				s.Areas = append(s.Areas, a)
			}
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	return s, nil
}

// catalogError explains a catalog failure: the catalog's NOT_FOUND and
// INVALID_ARGUMENT mean the appraisal's scope is wrong (FAILED_PRECONDITION);
// an outage stays UNAVAILABLE so the client retries. When the caller's own
// deadline passed or it gave up, that is what the caller hears.
func catalogError(ctx context.Context, err error, doing string) error {
	if ended := client.CallerEnded(ctx); ended != nil {
		return ended
	}
	st := status.Convert(err)
	switch st.Code() {
	case codes.NotFound, codes.InvalidArgument:
		return errs.New(errs.FailedPrecondition, "SCOPE_INVALID", "cannot %s: %s", doing, st.Message())
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
		return errs.New(errs.Unavailable, "CATALOG_UNAVAILABLE", "the model catalog is unavailable (%s); the appraisal is unchanged, retry later", st.Code())
	}
	return err
}
