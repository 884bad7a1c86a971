package server

import (
	"context"
	"crypto/sha256"
	"net/http"

	"google.golang.org/protobuf/proto"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
	resname "github.com/aim-platform/aim/platform/resource"
	"github.com/aim-platform/aim/platform/server"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/appraisal/internal/appraisal"
	"github.com/aim-platform/aim/services/appraisal/internal/store"
)

// resource is a child resource of an appraisal with an etag.
type resource interface {
	proto.Message
	GetName() string
	GetEtag() string
}

// kindOf describes one kind of child resource: where it is stored, what it
// is called, which activity its changes are, and who may change it.
type kindOf[T resource] struct {
	kind     store.Kind
	coll     string // collection id in resource names
	typ      string // resource type in errors
	event    string // audit event prefix
	activity string // appraisal.Accepts activity for changes
	// write checks the caller may change it and returns the appraisal.
	write func(t *store.Tx, who auth.Identity) (*appraisalv1.Appraisal, error)
	// stamp sets the name, times and etag of a new or changed item.
	stamp func(item T, name string, t *store.Tx, who auth.Identity)
}

func (k kindOf[T]) name(appraisalID, id string) string {
	return appraisal.Name(appraisalID) + "/" + k.coll + "/" + id
}

// create adds an item after check approves it (references, scope).
func (k kindOf[T]) create(ctx context.Context, s *Server, parent, id, requestID string, item T, check func(*store.Tx, *appraisalv1.Appraisal, T) error) (T, error) {
	var zero T
	who, err := auth.Caller(ctx, auth.KnownRoles()...)
	if err != nil {
		return zero, err
	}
	if !item.ProtoReflect().IsValid() {
		return zero, errs.InvalidArgument(errs.Violation(snakeOf(k.typ), "is required"))
	}
	// The fingerprint covers the parent and the id the client asked for
	// (maybe none), so a retry without an id matches the first call, and
	// the caller's request id used again under another appraisal is a
	// reuse, not a replay of an item of that other appraisal.
	fp := fingerprintOf(appraisalID(parent), id, item)
	if id == "" {
		id = appraisal.NewID()
	}
	var out T
	replayed := false
	err = s.update(who, appraisalID(parent), func(t *store.Tx) error {
		replayed = false
		a, err := k.write(t, who)
		if err != nil {
			return err
		}
		method := "Create" + k.typ
		// Request ids are the caller's own (see pstore.LookupRequest), and
		// write above checked the caller may change, so read, this
		// appraisal: a replay shows nothing the caller may not see.
		if requestID != "" {
			name, found, err := t.LookupRequest(method, requestID, fp)
			if err != nil {
				return err
			}
			if found {
				prev := proto.Clone(item).(T)
				if ok, err := t.Get(k.kind, resname.ID(name), prev); err != nil || !ok {
					return errs.NotFoundError(k.typ, name)
				}
				out, replayed = prev, true
				return nil
			}
		}
		if err := appraisal.Accepts(appraisal.State(a.GetState()), k.activity); err != nil {
			return err
		}
		if t.Has(k.kind, id) {
			return errs.AlreadyExistsError(k.typ, k.name(t.Name(), id))
		}
		if check != nil {
			if err := check(t, a, item); err != nil {
				return err
			}
		}
		c := proto.Clone(item).(T)
		k.stamp(c, k.name(appraisalID(parent), id), t, who)
		if err := t.Put(k.kind, id, c); err != nil {
			return err
		}
		if requestID != "" {
			if err := t.RecordRequest(method, requestID, c.GetName(), fp); err != nil {
				return err
			}
		}
		out = c
		return t.Emit(k.event+".created", c.GetName(), nil, c)
	})
	if err != nil {
		return zero, err
	}
	if !replayed {
		server.SetHTTPStatus(ctx, http.StatusCreated)
	}
	return out, nil
}

func fingerprintOf(parentID, id string, m proto.Message) []byte {
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	sum := sha256.Sum256(append([]byte(parentID+"\x00"+id+"\x00"), b...))
	return sum[:]
}

// get reads one item the caller may see.
func (k kindOf[T]) get(ctx context.Context, s *Server, name string, item T) (T, error) {
	who, err := auth.Caller(ctx, auth.KnownRoles()...)
	if err != nil {
		return item, err
	}
	err = s.store.View(who.Tenant, appraisalID(name), func(t *store.Tx) error {
		if _, err := mustRead(t, who); err != nil {
			return err
		}
		found, err := t.Get(k.kind, resname.ID(name), item)
		if err == nil && !found {
			err = errs.NotFoundError(k.typ, name)
		}
		return err
	})
	return item, err
}

// list pages through the items of one appraisal.
func (k kindOf[T]) list(ctx context.Context, s *Server, parent string, pageSize int32, pageToken string, newT func() T) ([]T, string, error) {
	return listPage(ctx, s, "List"+k.typ, parent, k.kind, nil, pageSize, pageToken, newT, nil)
}

// listPage pages through one kind of an appraisal's content, in key order,
// limited to keys with prefix, for a caller who may read the appraisal;
// check, when set, runs first in the same transaction. The page token is
// bound to the method, tenant and parent.
func listPage[T proto.Message](ctx context.Context, s *Server, method, parent string, kind store.Kind, prefix []byte,
	pageSize int32, pageToken string, newT func() T, check func(*store.Tx) error,
) ([]T, string, error) {
	who, err := auth.Caller(ctx, auth.KnownRoles()...)
	if err != nil {
		return nil, "", err
	}
	query := method + "|tenant=" + who.Tenant + "|parent=" + parent
	size, after, err := s.store.DB().StartPage(pageSize, pageToken, query)
	if err != nil {
		return nil, "", err
	}
	var items []T
	var last []byte
	var more bool
	err = s.store.View(who.Tenant, appraisalID(parent), func(t *store.Tx) error {
		if _, err := mustRead(t, who); err != nil {
			return err
		}
		if check != nil {
			if err := check(t); err != nil {
				return err
			}
		}
		last, more, err = t.Scan(kind, prefix, after, size, func(_, v []byte) (bool, error) {
			item := newT()
			if err := pstore.UnmarshalProto(v, item); err != nil {
				return false, err
			}
			items = append(items, item)
			return true, nil
		})
		return err
	})
	if err != nil {
		return items, "", err
	}
	return items, s.store.DB().NextPageToken(more, last, query), nil
}

// update changes the masked fields of an item.
func (k kindOf[T]) update(ctx context.Context, s *Server, in T, mask []string, etag string, fields map[string]func(dst, src T), check func(*store.Tx, *appraisalv1.Appraisal, T) error) (T, error) {
	var zero T
	who, err := auth.Caller(ctx, auth.KnownRoles()...)
	if err != nil {
		return zero, err
	}
	paths, err := maskPaths(mask, fields)
	if err != nil {
		return zero, err
	}
	name := in.GetName()
	var out T
	err = s.update(who, appraisalID(name), func(t *store.Tx) error {
		a, err := k.write(t, who)
		if err != nil {
			return err
		}
		cur := proto.Clone(in).(T)
		proto.Reset(cur)
		found, err := t.Get(k.kind, resname.ID(name), cur)
		if err != nil {
			return err
		}
		if !found {
			return errs.NotFoundError(k.typ, name)
		}
		if err := checkEtag(cur.GetEtag(), etag, name); err != nil {
			return err
		}
		if err := appraisal.Accepts(appraisal.State(a.GetState()), k.activity); err != nil {
			return err
		}
		before := proto.Clone(cur).(T)
		for _, p := range paths {
			fields[p](cur, in)
		}
		if check != nil {
			if err := check(t, a, cur); err != nil {
				return err
			}
		}
		k.stamp(cur, name, t, who)
		if err := t.Put(k.kind, resname.ID(name), cur); err != nil {
			return err
		}
		out = cur
		return t.Emit(k.event+".updated", name, before, cur)
	})
	return out, err
}

// remove deletes an item after check approves (nothing refers to it).
func (k kindOf[T]) remove(ctx context.Context, s *Server, name, etag string, item T, check func(*store.Tx, T) error) error {
	who, err := auth.Caller(ctx, auth.KnownRoles()...)
	if err != nil {
		return err
	}
	return s.update(who, appraisalID(name), func(t *store.Tx) error {
		a, err := k.write(t, who)
		if err != nil {
			return err
		}
		found, err := t.Get(k.kind, resname.ID(name), item)
		if err != nil {
			return err
		}
		if !found {
			return errs.NotFoundError(k.typ, name)
		}
		if err := checkEtag(item.GetEtag(), etag, name); err != nil {
			return err
		}
		if err := appraisal.Accepts(appraisal.State(a.GetState()), k.activity); err != nil {
			return err
		}
		if check != nil {
			if err := check(t, item); err != nil {
				return err
			}
		}
		if err := t.Delete(k.kind, resname.ID(name)); err != nil {
			return err
		}
		return t.Emit(k.event+".deleted", name, item, nil)
	})
}

// snakeOf turns a type name into its request field name.
func snakeOf(typ string) string {
	out := make([]byte, 0, len(typ)+4)
	for i := range len(typ) {
		c := typ[i]
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				out = append(out, '_')
			}
			c += 'a' - 'A'
		}
		out = append(out, c)
	}
	return string(out)
}
