package auth

import (
	"context"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aim-platform/aim/platform/errs"
)

// The roles a caller can hold. Admin passes every Require check.
const (
	RoleAdmin          = "admin"
	RoleContentManager = "content-manager"
	RoleLeadAppraiser  = "lead-appraiser"
	RoleAppraiser      = "appraiser"
	RoleViewer         = "viewer"
)

// The values of Identity.Via.
const (
	ViaJWT    = "jwt"
	ViaAPIKey = "api-key"
)

// KnownRoles returns every role the platform understands, most powerful
// first. The caller owns the returned slice.
func KnownRoles() []string {
	return []string{RoleAdmin, RoleContentManager, RoleLeadAppraiser, RoleAppraiser, RoleViewer}
}

// isKnownRole reports whether r is one of KnownRoles.
func isKnownRole(r string) bool {
	switch r {
	case RoleAdmin, RoleContentManager, RoleLeadAppraiser, RoleAppraiser, RoleViewer:
		return true
	}
	return false
}

// ValidTenant reports whether s is a well-formed tenant id: an RFC 1123
// DNS label, that is ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$, lower-case
// letters, digits and dashes, at most 63 long, starting and ending with a
// letter or digit. Inner runs of dashes ("xn--acme") are allowed, as in DNS
// and Kubernetes names; a leading or trailing dash ("acme-") is not, so
// that no id differs from another only by a dash at its edge (ADR 0005).
// The store's internal "_shared" tenant fails on purpose, so that no
// credential can claim it.
func ValidTenant(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// MaxSubjectLen bounds a subject in bytes. Identity providers use ids,
// e-mail addresses or URLs, all far shorter; the subject is stored in audit
// events and team memberships, so it stays small.
const MaxSubjectLen = 256

// ValidSubject reports whether s can name a caller: valid UTF-8 of 1 to
// MaxSubjectLen bytes, with no control or invisible formatting characters
// (such as zero-width spaces or bidirectional overrides) or line breaks
// anywhere, and no
// white space at either end, so that it is neither blank nor easily
// mistaken for another subject in a log or a team list.
func ValidSubject(s string) bool {
	if s == "" || len(s) > MaxSubjectLen || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			return false
		}
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	return !unicode.IsSpace(first) && !unicode.IsSpace(last)
}

// Identity is an authenticated caller.
type Identity struct {
	// Subject names the caller: the token's sub claim, or "apikey:<name>".
	Subject string
	// Tenant is the tenant whose data the caller acts on.
	Tenant string
	// Roles are the caller's roles; only KnownRoles appear here.
	Roles []string
	// Via says how the caller proved itself: ViaJWT or ViaAPIKey.
	Via string
}

// HasAnyRole reports whether id holds at least one of roles. It matches
// roles literally; admin gets no special treatment here (see Require).
func (id Identity) HasAnyRole(roles ...string) bool {
	for _, r := range roles {
		if slices.Contains(id.Roles, r) {
			return true
		}
	}
	return false
}

// ctxKey is the context key under which the Identity is stored.
type ctxKey struct{}

// WithIdentity returns a copy of ctx that carries id.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext returns the Identity carried by ctx, if any.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(ctxKey{}).(Identity)
	return id, ok
}

// Require checks that the caller in ctx holds one of roles. A caller with
// the admin role always passes. With no roles given, Require only checks
// that there is a caller at all.
//
// It returns an Unauthenticated error when ctx has no Identity and a
// PermissionDenied error with reason MISSING_ROLE when the caller holds none
// of the roles.
func Require(ctx context.Context, roles ...string) error {
	id, ok := FromContext(ctx)
	if !ok {
		return errs.New(errs.Unauthenticated, "UNAUTHENTICATED", "the request carries no authenticated identity")
	}
	if len(roles) == 0 || id.HasAnyRole(RoleAdmin) || id.HasAnyRole(roles...) {
		return nil
	}
	enough := roles
	if !slices.Contains(enough, RoleAdmin) {
		enough = append(slices.Clip(roles), RoleAdmin)
	}
	e := errs.New(errs.PermissionDenied, "MISSING_ROLE",
		"this operation needs one of the roles: %s", strings.Join(enough, ", "))
	e.Metadata = map[string]string{"required_roles": strings.Join(enough, ",")}
	return e
}

// Caller is Require that also returns the identity it checked: what a
// handler needs to scope its work to the caller's tenant.
func Caller(ctx context.Context, roles ...string) (Identity, error) {
	if err := Require(ctx, roles...); err != nil {
		return Identity{}, err
	}
	id, _ := FromContext(ctx)
	return id, nil
}
