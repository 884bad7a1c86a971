// Package auth establishes who is calling an AIM Platform service.
//
// Every request carries one credential: a signed JWT in the authorization
// metadata ("Bearer <token>") or a static API key in x-api-key. An
// Authenticator checks the credential against keys loaded once at start-up
// and yields an Identity: the subject, the tenant whose data the caller may
// touch, and the caller's roles. The gRPC interceptors in this package put
// that Identity into the request context, where handlers read it with
// FromContext and check roles with Require.
//
// Tokens are accepted only when signed with EdDSA (Ed25519) or RS256 by a key
// from the configured key file, and only when issuer, audience and validity
// times check out. Symmetric and unsigned tokens are refused outright, so a
// public key can never be abused as an HMAC secret.
//
// Operators (backups, anything that sees more than one tenant) are a
// separate identity, never a tenant role (ADR 0005): an OperatorVerifier
// accepts only tokens of its own key set and audience with no tenant, and
// the Authenticator refuses every token naming the operator audience. API
// keys are tenant credentials only. Tenant ids are DNS labels (ValidTenant)
// and subjects printable, bounded text (ValidSubject).
//
// For development and tests, Signer mints tokens, and EnsureDevKey keeps a
// local Ed25519 signing key with its public JWKS next to it, so a fresh
// checkout can run the whole platform without an identity provider.
//
// All failures are *errs.Error values of kind Unauthenticated or
// PermissionDenied; their messages never repeat the presented credential.
package auth
