package server

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/client"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/resource"
)

// Catalog is what the crosswalk service needs of the model catalog: the
// canonical ids of practices named in a table.
type Catalog interface {
	// Practices resolves practice ids or labels ("RISK 3.1") of a model
	// version to canonical ids ("RSK-3.1"); unknown ones are left out.
	Practices(ctx context.Context, version string, refs []string) (map[string]string, error)
}

// Appraisals is what gap analysis needs of the appraisal service.
type Appraisals interface {
	// Satisfied returns the practices an appraisal's ratings characterize
	// Fully or Largely Meets at the organizational unit.
	Satisfied(ctx context.Context, appraisal string) ([]string, error)
}

type grpcCatalog struct {
	client modelv1.ModelCatalogServiceClient
}

// NewCatalog returns a Catalog over a connection to the model service.
func NewCatalog(conn grpc.ClientConnInterface) Catalog {
	return grpcCatalog{client: modelv1.NewModelCatalogServiceClient(conn)}
}

func (c grpcCatalog) Practices(ctx context.Context, version string, refs []string) (map[string]string, error) {
	out := map[string]string{}
	// One call for all when every practice exists; else one per practice to
	// find each unknown one.
	resp, err := c.client.BatchGetPractices(ctx, &modelv1.BatchGetPracticesRequest{Parent: version, Names: refs})
	if err == nil {
		for i, p := range resp.GetPractices() {
			out[refs[i]] = resource.ID(p.GetName())
		}
		return out, nil
	}
	switch status.Code(err) {
	case codes.NotFound, codes.InvalidArgument:
	default:
		return nil, remoteError(ctx, err, "model catalog")
	}
	for _, ref := range refs {
		resp, err := c.client.BatchGetPractices(ctx, &modelv1.BatchGetPracticesRequest{Parent: version, Names: []string{ref}})
		switch status.Code(err) {
		case codes.OK:
			out[ref] = resource.ID(resp.GetPractices()[0].GetName())
		case codes.NotFound, codes.InvalidArgument:
		default:
			return nil, remoteError(ctx, err, "model catalog")
		}
	}
	return out, nil
}

type grpcAppraisals struct {
	client appraisalv1.AppraisalServiceClient
}

// NewAppraisals returns Appraisals over a connection to the appraisal
// service.
func NewAppraisals(conn grpc.ClientConnInterface) Appraisals {
	return grpcAppraisals{client: appraisalv1.NewAppraisalServiceClient(conn)}
}

func (a grpcAppraisals) Satisfied(ctx context.Context, appraisal string) ([]string, error) {
	resp, err := a.client.GetRatings(ctx, &appraisalv1.GetRatingsRequest{Name: appraisal + "/ratings"})
	if err != nil {
		return nil, remoteError(ctx, err, "appraisal service")
	}
	var out []string
	for _, p := range resp.GetRatings().GetPractices() {
		switch p.GetValue() {
		case appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_FULLY_MEETS, appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_LARGELY_MEETS:
			out = append(out, p.GetPractice())
		}
	}
	return out, nil
}

// remoteError passes a sibling service's client-facing errors through and
// turns its outages into UNAVAILABLE. When the caller's own deadline passed
// or it gave up, that is what the caller hears.
func remoteError(ctx context.Context, err error, service string) error {
	if ended := client.CallerEnded(ctx); ended != nil {
		return ended
	}
	st := status.Convert(err)
	switch st.Code() {
	case codes.Unavailable, codes.DeadlineExceeded:
		return errs.New(errs.Unavailable, "DEPENDENCY_UNAVAILABLE", "the %s is unavailable; retry later", service)
	case codes.NotFound, codes.PermissionDenied, codes.InvalidArgument, codes.FailedPrecondition, codes.Unauthenticated:
		return st.Err()
	}
	return errs.Wrap(err, "call the %s", service)
}
