package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"unicode"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// RequestIDHeader is the metadata key (and HTTP header) of the request id.
const RequestIDHeader = "x-request-id"

// maxRequestIDLen bounds a caller-supplied request id; longer or unprintable
// ids are replaced by a fresh one rather than echoed into logs.
const maxRequestIDLen = 128

type requestIDKey struct{}

// RequestID returns the request id of the call the context belongs to.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// WithRequestID returns a context carrying id as its request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

func requestIDFrom(ctx context.Context) string {
	// ValueFromIncomingContext reads one key; FromIncomingContext would copy
	// the whole metadata (lower-casing every key) on every call.
	if ids := metadata.ValueFromIncomingContext(ctx, RequestIDHeader); len(ids) > 0 && ValidRequestID(ids[0]) {
		return ids[0]
	}
	return NewRequestID()
}

// NewRequestID returns a fresh request id: 32 hex digits.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ValidRequestID reports whether a caller's request id may be used as it
// is: printable ASCII, at most 128 bytes. Others are replaced, not echoed
// into logs.
func ValidRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for _, r := range id {
		if r > unicode.MaxASCII || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// unaryRequestID takes the caller's x-request-id (or makes one), puts it in
// the context and sends it back as a response header.
func unaryRequestID(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	id := requestIDFrom(ctx)
	_ = grpc.SetHeader(ctx, metadata.Pairs(RequestIDHeader, id))
	return handler(WithRequestID(ctx, id), req)
}

func streamRequestID(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx := ss.Context()
	id := requestIDFrom(ctx)
	_ = ss.SetHeader(metadata.Pairs(RequestIDHeader, id))
	return handler(srv, wrapStream(ss, WithRequestID(ctx, id)))
}

// wrappedStream replaces a server stream's context.
type wrappedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (w *wrappedStream) Context() context.Context { return w.ctx }

func wrapStream(ss grpc.ServerStream, ctx context.Context) grpc.ServerStream {
	return &wrappedStream{ServerStream: ss, ctx: ctx}
}
