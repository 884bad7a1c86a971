package appraisal_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/server"
	"github.com/aim-platform/aim/platform/server/servertest"
	"github.com/aim-platform/aim/platform/telemetry"
	"github.com/aim-platform/aim/services/appraisal"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRedteamL5_ShutdownEndsWatchStreamsAtOnce: with watch streams open,
// Serve returns well within the shutdown timeout (the service ends its
// watches when shutdown begins instead of after the drain), and every
// watch ends with OK, from where its client can resume.
func TestRedteamL5_ShutdownEndsWatchStreamsAtOnce(t *testing.T) {
	const shutdownTimeout = 10 * time.Second
	dir := t.TempDir()
	signer, authn := servertest.DevAuth(t)
	tel, err := telemetry.Setup(context.Background(), telemetry.Config{ServiceName: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tel.Shutdown(context.Background()) }()
	// The catalog is never called: creating and watching need no scope.
	svc, err := appraisal.Open(appraisal.Config{DataDir: dir, LockTimeout: time.Second, ModelAddr: "127.0.0.1:1"}, tel)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := svc.Close(); err != nil {
			t.Error(err)
		}
	}()
	srv, err := server.New(server.Config{ShutdownTimeout: shutdownTimeout},
		server.Deps{Logger: slog.New(slog.DiscardHandler), Auth: authn, Telemetry: tel})
	if err != nil {
		t.Fatal(err)
	}
	svc.Register(srv)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveCtx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(serveCtx, lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	tok, err := signer.Mint("lead", "acme", []string{auth.RoleLeadAppraiser}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+tok)
	c := appraisalv1.NewAppraisalServiceClient(conn)
	created, err := c.CreateAppraisal(ctx, &appraisalv1.CreateAppraisalRequest{AppraisalId: "watched", Appraisal: &appraisalv1.Appraisal{
		DisplayName: "Watched", Type: appraisalv1.AppraisalType_APPRAISAL_TYPE_BENCHMARK, OrganizationalUnit: "Payments",
		View: "models/cmmi-aim/versions/3.0-sample/views/aim", TargetMaturityLevel: 2,
	}})
	if err != nil {
		t.Fatal(err)
	}

	const watches = 20
	ended := make(chan error, watches)
	for range watches {
		stream, err := c.WatchAppraisal(ctx, &appraisalv1.WatchAppraisalRequest{Name: created.GetAppraisal().GetName()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Recv(); err != nil { // the creation event: the watch is open
			t.Fatal(err)
		}
		go func() {
			for {
				if _, err := stream.Recv(); err != nil {
					ended <- err
					return
				}
			}
		}()
	}

	start := time.Now()
	stop()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if took >= shutdownTimeout/2 {
		t.Fatalf("Serve returned %v after shutdown began with %d watches open; want well under the shutdown timeout %v", took, watches, shutdownTimeout)
	}
	for range watches {
		if err := <-ended; !errors.Is(err, io.EOF) {
			t.Fatalf("a watch ended with %v, want io.EOF (OK)", err)
		}
	}
	t.Logf("Serve returned %v after shutdown began, with %d watches open", took, watches)
}
