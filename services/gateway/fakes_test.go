package gateway_test

import (
	"bytes"
	"context"
	"errors"
	"sync"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/server"
)

// call is what a fake saw of one call that reached its handler (that is,
// got past the server's authentication and validation interceptors).
type call struct {
	Method    string
	Identity  auth.Identity
	HasID     bool
	RequestID string
	Request   any
}

// recorder keeps the calls the fakes saw, by request id.
type recorder struct {
	mu    sync.Mutex
	calls []call
}

func (r *recorder) record(ctx context.Context, method string, req any) {
	id, ok := auth.FromContext(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call{Method: method, Identity: id, HasID: ok, RequestID: server.RequestID(ctx), Request: req})
}

// byRequestID returns the calls made under request id rid.
func (r *recorder) byRequestID(rid string) []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []call
	for _, c := range r.calls {
		if c.RequestID == rid {
			out = append(out, c)
		}
	}
	return out
}

// secretFailure is the text of an internal fault that must never reach an
// HTTP client.
const secretFailure = "db at /var/secret broke"

type fakeModels struct {
	modelv1.UnimplementedModelCatalogServiceServer
	rec *recorder
}

func (f *fakeModels) ListModels(ctx context.Context, req *modelv1.ListModelsRequest) (*modelv1.ListModelsResponse, error) {
	f.rec.record(ctx, "ListModels", req)
	return &modelv1.ListModelsResponse{Models: []*modelv1.Model{
		{Name: "models/cmmi-aim", DisplayName: "CMMI with AI Maturity (sample)", Shared: true, Sample: true},
	}}, nil
}

func (f *fakeModels) GetModel(ctx context.Context, req *modelv1.GetModelRequest) (*modelv1.GetModelResponse, error) {
	f.rec.record(ctx, "GetModel", req)
	switch req.GetName() {
	case "models/cmmi-aim":
		return &modelv1.GetModelResponse{Model: &modelv1.Model{
			Name: req.GetName(), DisplayName: "CMMI with AI Maturity (sample)", Publisher: "test", Shared: true,
		}}, nil
	case "models/broken":
		return nil, errors.New(secretFailure)
	case "models/slow":
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return nil, errs.NotFoundError("Model", req.GetName())
}

type fakeAppraisals struct {
	appraisalv1.UnimplementedAppraisalServiceServer
	rec *recorder
}

func (f *fakeAppraisals) GetAppraisal(ctx context.Context, req *appraisalv1.GetAppraisalRequest) (*appraisalv1.GetAppraisalResponse, error) {
	f.rec.record(ctx, "GetAppraisal", req)
	if req.GetName() != "appraisals/x" {
		return nil, errs.NotFoundError("Appraisal", req.GetName())
	}
	return &appraisalv1.GetAppraisalResponse{Appraisal: &appraisalv1.Appraisal{
		Name: "appraisals/x", DisplayName: "X", Type: appraisalv1.AppraisalType_APPRAISAL_TYPE_BENCHMARK,
		OrganizationalUnit: "Payments", State: appraisalv1.Appraisal_STATE_DRAFT,
	}}, nil
}

func (f *fakeAppraisals) CreateAppraisal(ctx context.Context, req *appraisalv1.CreateAppraisalRequest) (*appraisalv1.CreateAppraisalResponse, error) {
	f.rec.record(ctx, "CreateAppraisal", req)
	a := &appraisalv1.Appraisal{
		Name:               "appraisals/" + req.GetAppraisalId(),
		DisplayName:        req.GetAppraisal().GetDisplayName(),
		Type:               req.GetAppraisal().GetType(),
		OrganizationalUnit: req.GetAppraisal().GetOrganizationalUnit(),
		State:              appraisalv1.Appraisal_STATE_DRAFT,
	}
	server.SetHTTPStatus(ctx, 201)
	return &appraisalv1.CreateAppraisalResponse{Appraisal: a}, nil
}

// WatchAppraisal sends one event and then holds the stream open until the
// caller goes away, as a watch of a quiet appraisal does.
func (f *fakeAppraisals) WatchAppraisal(req *appraisalv1.WatchAppraisalRequest, stream appraisalv1.AppraisalService_WatchAppraisalServer) error {
	f.rec.record(stream.Context(), "WatchAppraisal", req)
	if err := stream.Send(&appraisalv1.WatchAppraisalResponse{Event: &appraisalv1.AuditEvent{Sequence: 1}}); err != nil {
		return err
	}
	<-stream.Context().Done()
	return stream.Context().Err()
}

type fakeCrosswalk struct {
	crosswalkv1.UnimplementedCrosswalkServiceServer
	rec *recorder
}

func (f *fakeCrosswalk) ListFrameworks(ctx context.Context, req *crosswalkv1.ListFrameworksRequest) (*crosswalkv1.ListFrameworksResponse, error) {
	f.rec.record(ctx, "ListFrameworks", req)
	return &crosswalkv1.ListFrameworksResponse{Frameworks: []*crosswalkv1.Framework{
		{Name: "frameworks/iso-42001", DisplayName: "ISO/IEC 42001", EditionYear: 2023},
	}}, nil
}

// syncBuffer is a bytes.Buffer safe for concurrent writes, for the
// gateway's logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// bigExportBytes is the size of the fake export of "crosswalks/big": above
// grpc's default 4 MiB receive limit, far below what exports may be.
const bigExportBytes = 5 << 20

func (f *fakeCrosswalk) ExportCrosswalk(ctx context.Context, req *crosswalkv1.ExportCrosswalkRequest) (*crosswalkv1.ExportCrosswalkResponse, error) {
	f.rec.record(ctx, "ExportCrosswalk", req)
	switch req.GetName() {
	case "crosswalks/big":
		return &crosswalkv1.ExportCrosswalkResponse{Body: &httpbody.HttpBody{
			ContentType: "application/json", Data: bytes.Repeat([]byte("x"), bigExportBytes),
		}}, nil
	case "crosswalks/grpc-text":
		// What grpc itself says when a message passes a limit: no
		// ErrorInfo, internal figures in the text.
		return nil, status.Error(codes.ResourceExhausted, "grpc: received message larger than max (68204447 vs. 4194304)")
	}
	return nil, errs.NotFoundError("Crosswalk", req.GetName())
}
