// Package algebra is the set-theory relationship algebra of the crosswalk
// service, free of gRPC and storage.
//
// A mapping "source A, relationship R, target B" (after NIST IR 8477
// set-theory relationship mapping) is read as a statement about the finite,
// non-empty sets of requirements or outcomes that A and B cover. The package
// classifies concrete sets ([Classify]), inverts relationships ([Invert]),
// parses the spellings found in imported crosswalks ([Parse]) and composes
// relationships along a chain of crosswalks ([Compose], [ComposeChain],
// [Possible], [PossibleChain], [ComposeStrength]).
//
// Composition never invents a relationship: when set theory allows more than
// one relationship from the first element to the last, the answer is
// [Indeterminate]. The rules, the full composition table and a proof of every
// cell are in docs/crosswalk-algebra.md; the tests check the table against an
// exhaustive enumeration of sets.
package algebra
