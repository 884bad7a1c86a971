package bench

import (
	"net/http"
	"strings"
	"testing"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
)

// BenchmarkREST measures REST reads through the gateway (grpc-gateway over
// a gRPC client connection to the services' loopback listener, with the
// gateway's middleware and telemetry, served by platform/server.ServeHTTP
// as aim serve does) beside a bare net/http JSON handler, at concurrency 1,
// 16 and 64. The REST target compares each call with the same call made
// directly over gRPC (BenchmarkGRPC/GetPractice and
// BenchmarkGRPC/ResolveMappings1Hop).
func BenchmarkREST(b *testing.B) {
	floorURL := startRESTFloor(b)
	s := startStack(b, true)
	token := "Bearer " + s.token(b, "reader", "viewer")
	base := "http://" + s.httpAddr + "/v1/"
	practice := s.practiceName(b, "RSK-3.1")
	sources := s.sampleSources(b)
	client := httpClient(b)

	floorOp := httpOp(client, func() (*http.Request, error) { return http.NewRequest(http.MethodGet, floorURL, nil) })
	fl := ref{"floor", floorOp}
	b.Run("Floor", func(b *testing.B) {
		forConcurrencies(b, func(b *testing.B, c int) { measure(b, c, floorOp) })
	})
	grpcCtx := s.reader(b)
	b.Run("GetPractice", func(b *testing.B) {
		op := httpOp(client, func() (*http.Request, error) {
			req, err := http.NewRequest(http.MethodGet, base+practice, nil)
			if err == nil {
				req.Header.Set("Authorization", token)
			}
			return req, err
		})
		direct := &modelv1.GetPracticeRequest{Name: practice}
		grpcOp := func(int) error { _, err := s.model.GetPractice(grpcCtx, direct); return err }
		forConcurrencies(b, func(b *testing.B, c int) { measure(b, c, op, fl, ref{"grpc", grpcOp}) })
	})
	b.Run("ResolveMappings1Hop", func(b *testing.B) {
		body := `{"elements":["` + strings.Join(sources, `","`) + `"],"maxHops":1,"direction":"DIRECTION_FORWARD"}`
		op := httpOp(client, func() (*http.Request, error) {
			req, err := http.NewRequest(http.MethodPost, base+sampleCrosswalk+":resolve", strings.NewReader(body))
			if err == nil {
				req.Header.Set("Authorization", token)
				req.Header.Set("Content-Type", "application/json")
			}
			return req, err
		})
		direct := resolveRequest(sources, 1)
		grpcOp := func(int) error { _, err := s.crosswalk.ResolveMappings(grpcCtx, direct); return err }
		forConcurrencies(b, func(b *testing.B, c int) { measure(b, c, op, fl, ref{"grpc", grpcOp}) })
	})
}
