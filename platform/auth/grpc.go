package auth

import (
	"context"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
)

// IsPublicMethod reports whether a full gRPC method name ("/pkg.Service/Method")
// belongs to a service that answers without credentials: health checking and
// server reflection.
func IsPublicMethod(fullMethod string) bool {
	for _, prefix := range []string{
		"/grpc.health.v1.Health/",
		"/grpc.reflection.v1.ServerReflection/",
		"/grpc.reflection.v1alpha.ServerReflection/",
	} {
		if strings.HasPrefix(fullMethod, prefix) {
			return true
		}
	}
	return false
}

// verifiedKey is the context key of an Identity that a given Authenticator
// established for a call before the call's interceptors ran.
type verifiedKey struct{ a *Authenticator }

// WithVerified returns a copy of ctx that records id as what a verified for
// this call. A server that authenticates a call when its headers arrive
// (before its message is read) records the result here, and a's
// interceptors take it instead of checking the same credential again. Only
// an Identity that Authenticate returned belongs here.
func (a *Authenticator) WithVerified(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, verifiedKey{a}, id)
}

// authenticateCall returns the Identity a recorded for the call in ctx
// (WithVerified), or else authenticates its credentials.
func (a *Authenticator) authenticateCall(ctx context.Context) (Identity, error) {
	if id, ok := ctx.Value(verifiedKey{a}).(Identity); ok {
		return id, nil
	}
	return a.Authenticate(ctx)
}

// UnaryServerInterceptor authenticates every unary call except those to
// public methods and passes the handler a context that carries the
// caller's Identity. A call that fails authentication gets the *errs.Error
// from Authenticate, which the gRPC server turns into a status. A call
// that a already verified (WithVerified) is not verified again.
func UnaryServerInterceptor(a *Authenticator) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if IsPublicMethod(info.FullMethod) {
			return handler(ctx, req)
		}
		id, err := a.authenticateCall(ctx)
		if err != nil {
			return nil, err
		}
		return handler(WithIdentity(ctx, id), req)
	}
}

// StreamServerInterceptor is UnaryServerInterceptor for streaming calls. The
// handler's stream returns the context with the Identity from Context.
func StreamServerInterceptor(a *Authenticator) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if IsPublicMethod(info.FullMethod) {
			return handler(srv, ss)
		}
		id, err := a.authenticateCall(ss.Context())
		if err != nil {
			return err
		}
		return handler(srv, &identityStream{ServerStream: ss, ctx: WithIdentity(ss.Context(), id)})
	}
}

// identityStream is a server stream whose context carries an Identity.
type identityStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *identityStream) Context() context.Context { return s.ctx }

// forward copies the caller's credentials from the incoming metadata of ctx
// to its outgoing metadata. A key the outgoing metadata already has is left
// alone, so nothing is sent twice.
func forward(ctx context.Context) context.Context {
	in, ok := metadata.FromIncomingContext(ctx)
	if !ok {
		return ctx
	}
	out, _ := metadata.FromOutgoingContext(ctx)
	for _, key := range []string{authorizationKey, apiKeyKey} {
		vals := in.Get(key)
		if len(vals) == 0 || len(out.Get(key)) > 0 {
			continue
		}
		kv := make([]string, 0, 2*len(vals))
		for _, v := range vals {
			kv = append(kv, key, v)
		}
		ctx = metadata.AppendToOutgoingContext(ctx, kv...)
	}
	return ctx
}

// ForwardCredentials returns a client interceptor for calls that one service
// makes to another on behalf of its own caller: it passes the caller's
// authorization or x-api-key metadata along, so the callee sees the same
// Identity. Do not combine it with BearerToken on the same connection; the
// callee would then receive two credentials and refuse the call.
func ForwardCredentials() grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		return invoker(forward(ctx), method, req, reply, cc, opts...)
	}
}

// ForwardCredentialsStream is ForwardCredentials for streaming calls.
func ForwardCredentialsStream() grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		return streamer(forward(ctx), desc, cc, method, opts...)
	}
}

// BearerToken returns per-call credentials that send token in the
// authorization metadata, for a client acting as itself (a CLI, a job)
// rather than on behalf of a caller.
func BearerToken(token string) credentials.PerRPCCredentials {
	return bearerToken(token)
}

type bearerToken string

func (t bearerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{authorizationKey: "Bearer " + string(t)}, nil
}

// RequireTransportSecurity returns false. The platform's services talk over
// loopback or inside the cluster network, where connections are plaintext
// and TLS, if any, ends at the ingress; returning true would make gRPC refuse
// to send the token on those connections at all. Over an untrusted network
// the connection itself must use TLS, since the token is a bearer secret.
func (bearerToken) RequireTransportSecurity() bool { return false }
