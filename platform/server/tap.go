package server

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/tap"
	protov2 "google.golang.org/protobuf/proto"

	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
)

// bulkMethods are the methods whose request carries a document, with the
// full name of their request message. They may receive Config.MaxRecvMsgBytes;
// every other method Config.MaxSmallRecvMsgBytes.
var bulkMethods = map[string]string{
	"/aim.model.v1.ModelCatalogService/ImportModelVersion":            "aim.model.v1.ImportModelVersionRequest",
	"/aim.crosswalk.v1.CrosswalkService/ImportCrosswalk":              "aim.crosswalk.v1.ImportCrosswalkRequest",
	"/aim.appraisal.v1.AppraisalService/BatchUpdateCharacterizations": "aim.appraisal.v1.BatchUpdateCharacterizationsRequest",
}

// bulkRequests is bulkMethods by request message.
var bulkRequests = func() map[string]bool {
	m := map[string]bool{}
	for _, req := range bulkMethods {
		m[req] = true
	}
	return m
}()

// BulkMethods returns the full names of the methods that get the bulk
// receive limit, for tests and documentation.
func BulkMethods() []string {
	out := make([]string, 0, len(bulkMethods))
	for m := range bulkMethods {
		out = append(out, m)
	}
	return out
}

// recvLimits are a server's per-method receive limits. grpc-go has one
// server-wide MaxRecvMsgSize, which is set to the bulk limit; the smaller
// limit of the other methods is applied by limitCodec, before decoding.
type recvLimits struct {
	bulk, small int
	// oversized holds the request messages that limitCodec left undecoded
	// because they were over their method's limit, with their size; the
	// size interceptors refuse the call that receives one.
	oversized sync.Map
}

// forMethod returns the receive limit of a full method name.
func (l *recvLimits) forMethod(fullMethod string) int {
	if _, ok := bulkMethods[fullMethod]; ok {
		return l.bulk
	}
	return l.small
}

// tapHandle runs when a call's headers arrive, before a byte of its message
// is read: it refuses a call without valid credentials (UNAUTHENTICATED)
// and reserves the call's receive limit in the budget (RESOURCE_EXHAUSTED
// when there is no room). It runs on the connection's reader, so it never
// waits: waiting there would stall every call on the connection. The
// reservation is given back once the request message is decoded (budgetStats)
// or the call ends, whichever comes first. Health and reflection pass, as in
// the auth interceptor, which takes the identity verified here
// (auth.Authenticator.WithVerified) instead of checking the credential twice.
func tapHandle(logger *slog.Logger, a *auth.Authenticator, l *recvLimits, b *Budget) tap.ServerInHandle {
	return func(ctx context.Context, info *tap.Info) (context.Context, error) {
		if auth.IsPublicMethod(info.FullMethodName) {
			return ctx, nil
		}
		start := time.Now()
		// A refused call never reaches the access log interceptor: it is
		// logged here, in the same form.
		refuse := func(err error) (context.Context, error) {
			mdCtx := metadata.NewIncomingContext(ctx, info.Header)
			logCall(WithRequestID(mdCtx, requestIDFrom(mdCtx)), logger, info.FullMethodName, start, err)
			return nil, err
		}
		id, err := a.Authenticate(metadata.NewIncomingContext(ctx, info.Header))
		if err != nil {
			st, _ := errs.ToStatus(err)
			return refuse(st.Err())
		}
		ctx = a.WithVerified(ctx, id)
		if b == nil {
			return ctx, nil
		}
		release, ok := b.TryAcquire(int64(l.forMethod(info.FullMethodName)))
		if !ok {
			return refuse(BudgetExhausted())
		}
		context.AfterFunc(ctx, release)
		return context.WithValue(ctx, reservationKey{}, release), nil
	}
}

type reservationKey struct{}

// budgetStats gives a call's budget reservation back as soon as its request
// message is decoded: a watch stream must not hold it while it lasts.
type budgetStats struct{}

func (budgetStats) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (budgetStats) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (budgetStats) HandleConn(context.Context, stats.ConnStats) {}

func (budgetStats) HandleRPC(ctx context.Context, s stats.RPCStats) {
	switch s.(type) {
	case *stats.InPayload, *stats.End:
		if release, ok := ctx.Value(reservationKey{}).(func()); ok {
			release()
		}
	}
}

// limitCodec is the proto codec with the per-method receive limit: a
// request message over its method's limit is not decoded, only noted, and
// the size interceptor refuses the call with INVALID_ARGUMENT. (An error
// from a codec reaches the client as INTERNAL with grpc's own text.)
type limitCodec struct {
	encoding.CodecV2
	limits *recvLimits
}

func newLimitCodec(l *recvLimits) limitCodec {
	return limitCodec{CodecV2: encoding.GetCodecV2(proto.Name), limits: l}
}

func (c limitCodec) Unmarshal(data mem.BufferSlice, v any) error {
	if m, ok := v.(protov2.Message); ok {
		limit := c.limits.small
		if bulkRequests[string(m.ProtoReflect().Descriptor().FullName())] {
			limit = c.limits.bulk
		}
		if n := data.Len(); n > limit {
			c.limits.oversized.Store(v, [2]int{n, limit})
			return nil
		}
	}
	return c.CodecV2.Unmarshal(data, v)
}

// checkSize returns the error of a request message limitCodec left
// undecoded, and forgets it.
func (l *recvLimits) checkSize(req any) error {
	v, ok := l.oversized.LoadAndDelete(req)
	if !ok {
		return nil
	}
	sizes := v.([2]int)
	return errs.New(errs.Invalid, "REQUEST_TOO_LARGE",
		"the request message is %d bytes; this method accepts at most %d", sizes[0], sizes[1])
}

func unarySizeCheck(l *recvLimits) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if err := l.checkSize(req); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

func streamSizeCheck(l *recvLimits) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return handler(srv, sizeCheckedStream{ServerStream: ss, limits: l})
	}
}

type sizeCheckedStream struct {
	grpc.ServerStream
	limits *recvLimits
}

func (s sizeCheckedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return s.limits.checkSize(m)
}

// limitOptions are the server options of the receive limits, the tap and
// the budget. They come before the platform's interceptors, so the size
// check is the outermost interceptor: a call with an undecoded message
// must not reach validation (or anything else).
func limitOptions(logger *slog.Logger, a *auth.Authenticator, l *recvLimits, b *Budget) []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.InTapHandle(tapHandle(logger, a, l, b)),
		grpc.StatsHandler(budgetStats{}),
		grpc.ForceServerCodecV2(newLimitCodec(l)),
		grpc.ChainUnaryInterceptor(unarySizeCheck(l)),
		grpc.ChainStreamInterceptor(streamSizeCheck(l)),
	}
}
