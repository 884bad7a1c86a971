// Package filter parses and evaluates the filter strings that the platform's
// List methods accept: a small subset of the AIP-160 filtering language.
//
// # Grammar
//
//	filter = [ term { "AND" term } ]
//	term   = field op value | "(" filter ")"
//	op     = "=" | "!=" | "<" | "<=" | ">" | ">="
//	value  = quoted | bare
//	quoted = '"' { char | escape } '"' | "'" { char | escape } "'"
//	escape = `\"` | `\'` | `\\`
//	bare   = one or more of A-Z a-z 0-9 _ . : - +
//	field  = a name declared in the Schema, such as level or practice_area
//
// Spaces, tabs and line breaks may appear between any two tokens. Terms are
// joined by AND, spelled in upper case as AIP-160 requires; two terms side by
// side without AND are an error, not an implicit AND. OR, NOT and the "-"
// negation prefix are recognised only to be rejected with a clear message,
// and so are the ":" (has) operator and wildcards. Parentheses group terms;
// since AND is the only connective they never change the meaning. The bare
// words AND, OR and NOT cannot be values; quote them to mean the words.
//
// An empty filter, or one of only whitespace, matches every record. A filter
// may be at most MaxLength bytes long (also once normalised, see
// Filter.String) and hold at most MaxTerms terms, and it must be valid UTF-8.
//
// # Fields and values
//
// A Schema declares the fields a List method can filter on and the Kind of
// each. A value is read according to the kind of its field, whether it was
// quoted or not:
//
//   - String: any text. Comparison is case-insensitive (Unicode simple case
//     folding, as strings.EqualFold).
//   - Enum: one of Field.Values, or a key of Field.Aliases, matched without
//     regard to case and replaced by its canonical spelling.
//   - Int: a decimal integer with an optional sign that fits in an int64.
//   - Bool: true or false, in any case.
//
// String, Enum and Bool fields take = and !=; Int fields take all six
// operators. Field.Ops can narrow that set further.
//
// # Matching
//
// Filter.Match reads a record through the Record interface. A record may hold
// several values for one field (a practice applies to several usage
// scenarios, say), so a term asks about the set of values:
//
//   - field = v holds when some value equals v;
//   - field != v holds when no value equals v (so it holds for a record with
//     no values at all);
//   - field < v, <=, > and >= hold when some value satisfies the comparison.
//
// A filter matches when every term holds.
//
// # Narrowing scans and page tokens
//
// Filter.Equalities lists the values that "=" terms pin fields to, so that a
// List method can scan one key range instead of a whole collection and let
// Match check the rest. Filter.String gives a canonical form that stays the
// same when a client respells a filter without changing it (spacing, quotes,
// parentheses, case, aliases, term order), which suits binding a page token
// to the filter that produced it.
//
// # Errors
//
// Parse reports a bad filter as an *errs.Error of kind errs.Invalid with a
// single violation on field "filter". Its description says what is wrong and
// at which byte offset, so that the client can fix the request.
package filter
