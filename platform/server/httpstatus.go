package server

import (
	"context"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// HTTPStatusHeader is the response metadata key with which a method asks the
// REST gateway for a success status other than 200, such as 201 Created.
// gRPC clients ignore it; the gateway consumes it and does not pass it on.
const HTTPStatusHeader = "x-http-code"

// SetHTTPStatus asks the REST gateway to answer this call with code.
func SetHTTPStatus(ctx context.Context, code int) {
	_ = grpc.SetHeader(ctx, metadata.Pairs(HTTPStatusHeader, strconv.Itoa(code)))
}
