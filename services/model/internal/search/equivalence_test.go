package search

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/services/model/internal/catalog"
	"github.com/aim-platform/aim/services/model/internal/catalog/defaults"
	"github.com/aim-platform/aim/services/model/internal/store"
)

// searchAll is the reference ranking: it asks the index for every document,
// folds every hit and cuts at limit. Search must give the same answer.
func (ix *Index) searchAll(query string, limit int, keep func(string) bool) ([]Hit, error) {
	res, err := ix.idx.Search(bleve.NewSearchRequestOptions(matchQuery(query), ix.size, 0, false))
	if err != nil {
		return nil, err
	}
	docs := make([]rankedDoc, len(res.Hits))
	for i, h := range res.Hits {
		docs[i] = rankedDoc{id: h.ID, score: h.Score}
	}
	return top(ix.fold(docs, keep), max(limit, 0)), nil
}

func defaultPractices(t testing.TB) []*modelv1.Practice {
	t.Helper()
	b, err := catalog.ParseBundleText(defaults.SampleBundle())
	if err != nil {
		t.Fatal(err)
	}
	c, err := store.BuildContent("models/m/versions/v", catalog.Canonicalize(b))
	if err != nil {
		t.Fatal(err)
	}
	return c.Practices
}

// queryWords returns words of the corpus, and some labels, to query with.
func queryWords(practices []*modelv1.Practice, rng *rand.Rand, n int) []string {
	var words []string
	for _, p := range practices {
		words = append(words, strings.Fields(p.GetStatement())...)
		for _, a := range p.GetAiContext() {
			words = append(words, strings.Fields(a.GetText())...)
		}
	}
	out := []string{"bias in training data", "risk", "data", "model", "the", "xylophone", practices[0].GetLabel()}
	for len(out) < n {
		k := 1 + rng.IntN(4)
		q := make([]string, k)
		for i := range q {
			q[i] = strings.Trim(words[rng.IntN(len(words))], ".,;:()\"'")
		}
		out = append(out, strings.Join(q, " "))
	}
	return out
}

// TestSearchMatchesFullRanking checks that streaming the hits answers
// exactly what asking bleve for every document does: the same practices,
// order, scores and matched additions, for many queries, limits and
// filters over the default content.
func TestSearchMatchesFullRanking(t *testing.T) {
	practices := defaultPractices(t)
	ix, err := Build(practices)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ix.Close() })

	areaOf := map[string]string{}
	levelOf := map[string]int32{}
	for _, p := range practices {
		id := practiceID(p.GetName())
		areaOf[id] = p.GetPracticeArea()[strings.LastIndexByte(p.GetPracticeArea(), '/')+1:]
		levelOf[id] = p.GetLevel()
	}
	keeps := map[string]func(string) bool{
		"all":      nil,
		"level>=2": func(p string) bool { return levelOf[p] >= 2 },
		"RSK":      func(p string) bool { return areaOf[p] == "RSK" },
		"none":     func(string) bool { return false },
	}
	rng := rand.New(rand.NewPCG(1, 2))
	queries := queryWords(practices, rng, 150)
	if testing.Short() {
		queries = queries[:30]
	}
	for _, q := range queries {
		for name, keep := range keeps {
			for _, limit := range []int{0, 1, 3, 20, 100, 1000} {
				want, err := ix.searchAll(q, limit, keep)
				if err != nil {
					t.Fatal(err)
				}
				got, err := ix.Search(q, limit, keep)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("Search(%q, %d, %s):\n got %v\nwant %v", q, limit, name, got, want)
				}
			}
		}
	}
}

// BenchmarkSearch compares Search with asking bleve for every document, on
// the default content with the bench module's query and a narrow one.
func BenchmarkSearch(b *testing.B) {
	ix, err := Build(defaultPractices(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = ix.Close() })
	for _, q := range []string{"bias in training data", "risk"} {
		b.Run(q+"/streamed", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ix.Search(q, 20, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(q+"/every-hit", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ix.searchAll(q, 20, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
