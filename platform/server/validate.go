package server

import (
	"context"
	"errors"
	"slices"
	"strings"

	"buf.build/go/protovalidate"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/aim-platform/aim/platform/errs"
)

// Validate checks a message against the protovalidate rules in its proto and
// returns an Invalid *errs.Error listing every violation with its field path.
// Services call it too, for messages that arrive inside others (imports).
func Validate(v protovalidate.Validator, msg proto.Message) error {
	var opts []protovalidate.ValidationOption
	if f := maskFilter(msg); f != nil {
		opts = append(opts, protovalidate.WithFilter(f))
	}
	err := v.Validate(msg, opts...)
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

// maskFilter returns, for an Update request (AIP-134) with a non-empty
// update_mask, a filter that checks only the masked fields of the resource
// being updated: a PATCH of one field must not fail on the rules of fields
// it leaves alone. Nil for every other message.
func maskFilter(msg proto.Message) protovalidate.Filter {
	r := msg.ProtoReflect()
	fields := r.Descriptor().Fields()
	maskField := fields.ByName("update_mask")
	if maskField == nil || maskField.Message() == nil || maskField.Message().FullName() != "google.protobuf.FieldMask" || !r.Has(maskField) {
		return nil
	}
	mask, ok := r.Get(maskField).Message().Interface().(*fieldmaskpb.FieldMask)
	if !ok || len(mask.GetPaths()) == 0 || slices.Contains(mask.GetPaths(), "*") {
		return nil
	}
	masked := map[protoreflect.Name]bool{}
	for _, p := range mask.GetPaths() {
		top, _, _ := strings.Cut(p, ".")
		masked[protoreflect.Name(top)] = true
	}
	var resources []protoreflect.Message
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd != maskField && fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap() && r.Has(fd) {
			resources = append(resources, r.Get(fd).Message())
		}
	}
	return protovalidate.FilterFunc(func(m protoreflect.Message, d protoreflect.Descriptor) bool {
		fd, ok := d.(protoreflect.FieldDescriptor)
		if !ok {
			return true
		}
		for _, res := range resources {
			if m.Interface() == res.Interface() {
				return masked[fd.Name()]
			}
		}
		return true
	})
}
