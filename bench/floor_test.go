package bench

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	pstore "github.com/aim-platform/aim/platform/store"
)

// The floors: the least any call of each kind can cost on this machine, in
// this process, with the same client.

// floorMethod is the bare unary method of the gRPC floor.
const floorMethod = "/aim.bench.v1.Floor/Ping"

// floorService is a hand-written service descriptor: one unary method that
// takes and returns google.protobuf.Empty, with no interceptor, no stats
// handler, no auth and no validation.
var floorService = grpc.ServiceDesc{
	ServiceName: "aim.bench.v1.Floor",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Ping",
		Handler: func(_ any, _ context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			in := new(emptypb.Empty)
			if err := dec(in); err != nil {
				return nil, err
			}
			return new(emptypb.Empty), nil
		},
	}},
}

// startGRPCFloor serves the floor service with a default grpc.Server on a
// loopback TCP listener and returns a client of it (the benchmarks' plain
// client, one shared connection).
func startGRPCFloor(tb testing.TB) *grpc.ClientConn {
	tb.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := grpc.NewServer()
	srv.RegisterService(&floorService, struct{}{})
	go func() { _ = srv.Serve(lis) }()
	tb.Cleanup(srv.Stop)
	return dialPlain(tb, lis.Addr().String())
}

// grpcFloorOp is one floor call.
func grpcFloorOp(conn *grpc.ClientConn) func(int) error {
	ctx := context.Background()
	return func(int) error { return conn.Invoke(ctx, floorMethod, &emptypb.Empty{}, &emptypb.Empty{}) }
}

// startRESTFloor serves a bare net/http JSON handler on a loopback TCP
// listener: it encodes a small object, with no middleware.
func startRESTFloor(tb testing.TB) string {
	tb.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	type reply struct {
		Name  string `json:"name"`
		Title string `json:"title"`
	}
	srv := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(reply{Name: "floor", Title: "The REST floor"})
		}),
	}
	go func() { _ = srv.Serve(lis) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return "http://" + lis.Addr().String()
}

// httpClient is the REST benchmarks' client: keep-alive HTTP/1.1 with
// enough idle connections for 64 concurrent callers (the default keeps 2
// per host and would measure connection setup instead).
func httpClient(tb testing.TB) *http.Client {
	tb.Helper()
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0, IdleConnTimeout: time.Minute}
	tb.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// httpOp sends a request and reads the whole body; any status other than
// 200 is an error.
func httpOp(c *http.Client, newReq func() (*http.Request, error)) func(int) error {
	return func(int) error {
		req, err := newReq()
		if err != nil {
			return err
		}
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return &statusError{code: resp.StatusCode, url: req.URL.String()}
		}
		return nil
	}
}

type statusError struct {
	code int
	url  string
}

func (e *statusError) Error() string { return http.StatusText(e.code) + " from " + e.url }

// boltFloor is a raw bbolt file with the services' lock timeout and file
// mode (platform/store.DefaultConfig) and bbolt's own batch settings.
type boltFloor struct {
	db    *bbolt.DB
	value []byte
	seq   atomic.Uint64 // the last key written
}

var floorBucket = []byte("floor")

func openBoltFloor(tb testing.TB, valueSize int) *boltFloor {
	tb.Helper()
	cfg := pstore.DefaultConfig(filepath.Join(tb.TempDir(), "floor.db"))
	db, err := bbolt.Open(cfg.Path, cfg.Mode, &bbolt.Options{Timeout: cfg.LockTimeout})
	if err != nil {
		tb.Fatal(err)
	}
	// bbolt's own batch settings (MaxBatchSize 1000, MaxBatchDelay 10 ms),
	// which Open has set: the floor is raw bbolt, not the services' group
	// commit (platform/store.committer).
	tb.Cleanup(func() { _ = db.Close() })
	if err := db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(floorBucket)
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	v := make([]byte, valueSize)
	for i := range v {
		v[i] = byte('a' + i%26)
	}
	return &boltFloor{db: db, value: v}
}

// put writes value under a fresh key (a sequence number, big-endian, so
// keys append: bbolt's cheapest insert) with Batch (group commit, one fsync
// per batch) or, unbatched, with Update (one fsync per call).
func (f *boltFloor) put(batched bool) func(int) error {
	write := f.db.Update
	if batched {
		write = f.db.Batch
	}
	return func(int) error {
		var k [8]byte
		binary.BigEndian.PutUint64(k[:], f.seq.Add(1))
		return write(func(tx *bbolt.Tx) error { return tx.Bucket(floorBucket).Put(k[:], f.value) })
	}
}
