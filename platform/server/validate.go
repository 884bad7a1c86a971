package server

import (
	"context"
	"errors"

	"buf.build/go/protovalidate"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/aim-platform/aim/platform/errs"
)

// Validate checks a message against the protovalidate rules in its proto and
// returns an Invalid *errs.Error listing every violation with its field path.
// Services call it too, for messages that arrive inside others (imports).
func Validate(v protovalidate.Validator, msg proto.Message) error {
	err := v.Validate(msg)
	if err == nil {
		return nil
	}
	verr, ok := errors.AsType[*protovalidate.ValidationError](err)
	if !ok {
		// A rule that cannot be evaluated is our bug, not the caller's.
		return errs.Wrap(err, "validate %s", msg.ProtoReflect().Descriptor().FullName())
	}
	violations := make([]errs.FieldViolation, 0, len(verr.Violations))
	for _, v := range verr.Violations {
		violations = append(violations, errs.FieldViolation{
			Field:       protovalidate.FieldPathString(v.Proto.GetField()),
			Description: v.Proto.GetMessage(),
			Reason:      v.Proto.GetRuleId(),
		})
	}
	return errs.InvalidArgument(violations...)
}

// unaryValidate rejects a request that breaks its proto's rules before the
// handler sees it.
func unaryValidate(v protovalidate.Validator) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if msg, ok := req.(proto.Message); ok {
			if err := Validate(v, msg); err != nil {
				return nil, err
			}
		}
		return handler(ctx, req)
	}
}

// streamValidate checks every message a client streams in.
func streamValidate(v protovalidate.Validator) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return handler(srv, &validatingStream{ServerStream: ss, v: v})
	}
}

type validatingStream struct {
	grpc.ServerStream
	v protovalidate.Validator
}

func (s *validatingStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if msg, ok := m.(proto.Message); ok {
		return Validate(s.v, msg)
	}
	return nil
}
