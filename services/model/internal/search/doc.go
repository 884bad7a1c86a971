// Package search ranks a model version's practices against free text. Each
// practice (label, statement, explanation) and each AI context addition is a
// document of an in-memory bleve index scored with BM25 and English
// analysis (stemming, stop words); a practice's score is the best score of
// its documents, and the additions that matched are reported with it.
//
// An index is built once per version, on first use, and never changes:
// published content is immutable, and a draft's index is dropped with the
// draft.
package search
