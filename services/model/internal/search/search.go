package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	blevesearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
)

// Document ids: a practice is "p:<practice id>", an AI context addition
// "a:<addition id>".
const (
	practicePrefix = "p:"
	additionPrefix = "a:"
)

// Index is the search index of one version. It is safe for concurrent use.
type Index struct {
	idx bleve.Index
	// practices lists the practice ids; docs maps a document id to its
	// practice (an index into practices) and, for an addition, its id.
	practices []string
	docs      map[string]docRef
	// size is the number of documents, the most hits a query can have.
	size int
}

// docRef is what a document id stands for.
type docRef struct {
	practice int
	addition string // "" for the practice's own document
}

// document is what is indexed for a practice or an addition.
type document struct {
	Practice string `json:"practice"`
	Label    string `json:"label"`
	Text     string `json:"text"`
}

func newMapping() mapping.IndexMapping {
	m := bleve.NewIndexMapping()
	m.DefaultAnalyzer = en.AnalyzerName
	m.ScoringModel = index.BM25Scoring
	doc := bleve.NewDocumentMapping()
	keyword := bleve.NewKeywordFieldMapping()
	keyword.IncludeInAll = false
	keyword.Store = false
	doc.AddFieldMappingsAt("practice", keyword)
	text := bleve.NewTextFieldMapping()
	text.Analyzer = en.AnalyzerName
	text.Store = false
	// Term positions let a phrase match rank above scattered words.
	text.IncludeTermVectors = true
	doc.AddFieldMappingsAt("label", text)
	doc.AddFieldMappingsAt("text", text)
	m.DefaultMapping = doc
	return m
}

// Build indexes the practices.
func Build(practices []*modelv1.Practice) (*Index, error) {
	// An empty path keeps the scorch index in memory.
	idx, err := bleve.NewUsing("", newMapping(), scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, fmt.Errorf("search: new index: %w", err)
	}
	ix := &Index{idx: idx, docs: map[string]docRef{}}
	batch := idx.NewBatch()
	for _, p := range practices {
		id := practiceID(p.GetName())
		doc := document{Practice: id, Label: p.GetLabel(), Text: p.GetStatement() + "\n" + p.GetExplanation()}
		if err := batch.Index(practicePrefix+id, doc); err != nil {
			_ = idx.Close()
			return nil, fmt.Errorf("search: index %s: %w", id, err)
		}
		n := len(ix.practices)
		ix.practices = append(ix.practices, id)
		ix.docs[practicePrefix+id] = docRef{practice: n}
		ix.size++
		for _, a := range p.GetAiContext() {
			ix.docs[additionPrefix+a.GetId()] = docRef{practice: n, addition: a.GetId()}
			if err := batch.Index(additionPrefix+a.GetId(), document{Practice: id, Text: a.GetText()}); err != nil {
				_ = idx.Close()
				return nil, fmt.Errorf("search: index %s: %w", a.GetId(), err)
			}
			ix.size++
		}
	}
	if err := idx.Batch(batch); err != nil {
		_ = idx.Close()
		return nil, fmt.Errorf("search: build: %w", err)
	}
	return ix, nil
}

// practiceID is the last segment of a practice resource name.
func practiceID(name string) string {
	return name[strings.LastIndexByte(name, '/')+1:]
}

// Hit is a ranked practice.
type Hit struct {
	// Practice is the practice id.
	Practice string
	// Score is the best BM25 score among the practice's documents.
	Score float64
	// MatchedAIContext lists the ids of the additions that matched, best
	// first.
	MatchedAIContext []string
}

// Search returns up to limit practices for query, best first, keeping only
// the practices keep accepts (nil keeps all). Ties break by practice id so
// results are stable.
//
// A practice's score is that of its best document, and its matched
// additions are all of its additions that match, so every hit counts, not
// only the first few. Bleve's own collector would keep them all in a
// ranked store sized for the request, and a request for every document
// allocates a match pool of the whole index on each query. Instead the
// hits are streamed through a handler that keeps only the document id and
// score, and the ranking bleve would give (score, then index order) is
// rebuilt here with a stable sort.
func (ix *Index) Search(query string, limit int, keep func(practice string) bool) ([]Hit, error) {
	if limit <= 0 {
		return []Hit{}, nil
	}
	docs, err := ix.rank(query)
	if err != nil {
		return nil, err
	}
	return top(ix.fold(docs, keep), limit), nil
}

// rankedDoc is one hit: a document id and its score.
type rankedDoc struct {
	id    string
	score float64
}

// rank returns every document matching query, best first; equal scores
// keep index order.
func (ix *Index) rank(query string) ([]rankedDoc, error) {
	var docs []rankedDoc
	handler := blevesearch.MakeDocumentMatchHandler(func(sctx *blevesearch.SearchContext) (blevesearch.DocumentMatchHandler, bool, error) {
		return func(d *blevesearch.DocumentMatch) error {
			if d == nil { // the end of the hits
				return nil
			}
			id, err := sctx.IndexReader.ExternalID(d.IndexInternalID)
			if err != nil {
				return err
			}
			docs = append(docs, rankedDoc{id: id, score: d.Score})
			sctx.DocumentMatchPool.Put(d)
			return nil
		}, false, nil
	})
	ctx := context.WithValue(context.Background(), blevesearch.MakeDocumentMatchHandlerKey, handler)
	// Size 0: the handler sees every hit, and the collector's own store and
	// match pool stay empty.
	if _, err := ix.idx.SearchInContext(ctx, bleve.NewSearchRequestOptions(matchQuery(query), 0, 0, false)); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	slices.SortStableFunc(docs, func(a, b rankedDoc) int { return cmp.Compare(b.score, a.score) })
	return docs, nil
}

// phraseBoost weighs a document that holds the query's words as one phrase
// above documents that hold them apart: a search for "bias in training data"
// ranks the text with those words in that order first.
const phraseBoost = 2

// matchQuery matches text in a practice's label or in the text of a
// practice or an addition; the whole query as a phrase adds to the score.
func matchQuery(text string) query.Query {
	q := bleve.NewMatchQuery(text)
	q.SetField("text")
	label := bleve.NewMatchQuery(text)
	label.SetField("label")
	if len(strings.Fields(text)) < 2 { // one word: a phrase adds nothing
		return bleve.NewDisjunctionQuery(q, label)
	}
	phrase := bleve.NewMatchPhraseQuery(text)
	phrase.SetField("text")
	phrase.SetBoost(phraseBoost)
	return bleve.NewDisjunctionQuery(q, label, phrase)
}

// fold groups ranked documents by practice, dropping the practices keep
// rejects, and sorts the practices by their best score, then id. Matched
// additions stay in ranking order.
func (ix *Index) fold(docs []rankedDoc, keep func(string) bool) []Hit {
	// slot[i] is 0 for a practice not met yet, -1 for one keep rejects, and
	// otherwise 1 + the index of its hit.
	slot := make([]int32, len(ix.practices))
	var hits []Hit
	for _, m := range docs {
		ref, ok := ix.docs[m.id]
		if !ok {
			continue
		}
		at := slot[ref.practice]
		if at < 0 {
			continue
		}
		if at == 0 {
			if keep != nil && !keep(ix.practices[ref.practice]) {
				slot[ref.practice] = -1
				continue
			}
			hits = append(hits, Hit{Practice: ix.practices[ref.practice]})
			at = int32(len(hits))
			slot[ref.practice] = at
		}
		h := &hits[at-1]
		h.Score = max(h.Score, m.score)
		if ref.addition != "" {
			h.MatchedAIContext = append(h.MatchedAIContext, ref.addition)
		}
	}
	slices.SortStableFunc(hits, func(a, b Hit) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return strings.Compare(a.Practice, b.Practice)
	})
	return hits
}

// top returns the first limit practices.
func top(hits []Hit, limit int) []Hit {
	if hits == nil {
		return []Hit{}
	}
	return hits[:min(len(hits), limit)]
}

// Close releases the index.
func (ix *Index) Close() error { return ix.idx.Close() }
