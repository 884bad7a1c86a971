package server

import (
	"sort"

	lru "github.com/hashicorp/golang-lru/v2"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	resname "github.com/aim-platform/aim/platform/resource"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/appraisal/internal/appraisal"
	"github.com/aim-platform/aim/services/appraisal/internal/rating"
	"github.com/aim-platform/aim/services/appraisal/internal/store"
)

// ratingScope is what the rating engine reads of an appraisal's scope: its
// practices (with their areas' domains and AI usage scenarios) and its
// view's areas and maturity level requirements. The engine never writes to
// its input, so one ratingScope serves concurrent ratings.
type ratingScope struct {
	practices      []rating.Practice
	viewAreas      []string
	maturityLevels map[int][]rating.AreaLevel
}

// scopeCacheSize bounds the appraisals whose rating scope stays decoded
// (about 30 KB each for the whole AIM view).
const scopeCacheSize = 256

// scopeKey names one appraisal's scope for good: planning writes the scope
// once (DRAFT to PLANNED happens once and nothing goes back to DRAFT), and
// the creation time tells apart an appraisal created again under the same
// id, should deleting appraisals ever exist.
type scopeKey struct {
	tenant, id string
	created    int64 // create_time in Unix nanoseconds
}

// scopeCache keeps decoded rating scopes. Decoding the 276 scoped practices
// with their AI-context text was about a third of a GetRatings call of a
// small appraisal.
type scopeCache struct {
	lru *lru.Cache[scopeKey, *ratingScope]
}

func newScopeCache() *scopeCache {
	c, err := lru.New[scopeKey, *ratingScope](scopeCacheSize)
	if err != nil { // only for a size <= 0
		panic(err)
	}
	return &scopeCache{lru: c}
}

// get returns the rating scope of a, decoding it from t unless a planned
// appraisal's scope is cached. A scope read before planning (empty) is not
// cached.
func (c *scopeCache) get(t *store.Tx, a *appraisalv1.Appraisal) (*ratingScope, error) {
	planned := appraisal.State(a.GetState()) >= appraisal.StatePlanned && a.GetCreateTime() != nil
	key := scopeKey{tenant: t.Tenant(), id: resname.ID(a.GetName()), created: a.GetCreateTime().AsTime().UnixNano()}
	if planned {
		if sc, ok := c.lru.Get(key); ok {
			return sc, nil
		}
	}
	sc, err := readRatingScope(t)
	if err != nil {
		return nil, err
	}
	if planned && len(sc.practices) == int(a.GetScopedPracticeCount()) {
		c.lru.Add(key, sc)
	}
	return sc, nil
}

// readRatingScope decodes the rating scope stored in the appraisal.
func readRatingScope(t *store.Tx) (*ratingScope, error) {
	sc := &ratingScope{maturityLevels: map[int][]rating.AreaLevel{}}
	domains := map[string]string{}
	err := t.ForEach(store.KindScopeAreas, func(k, v []byte) error {
		pa := &modelv1.PracticeArea{}
		if err := pstore.UnmarshalProto(v, pa); err != nil {
			return err
		}
		domains[string(k)] = resname.ID(pa.GetDomain())
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = t.ForEach(store.KindScope, func(_, v []byte) error {
		p := &modelv1.Practice{}
		if err := pstore.UnmarshalProto(v, p); err != nil {
			return err
		}
		area := resname.ID(p.GetPracticeArea())
		rp := rating.Practice{ID: resname.ID(p.GetName()), Area: area, Level: int(p.GetLevel()), Domain: domains[area], HasAIContext: len(p.GetAiContext()) > 0}
		seen := map[rating.Scenario]bool{}
		for _, add := range p.GetAiContext() {
			scenarios := add.GetUsageScenarios()
			if len(scenarios) == 0 {
				scenarios = []modelv1.AiUsageScenario{1, 2, 3}
			}
			for _, s := range scenarios {
				if !seen[rating.Scenario(s)] {
					seen[rating.Scenario(s)] = true
					rp.Scenarios = append(rp.Scenarios, rating.Scenario(s))
				}
			}
		}
		sort.Slice(rp.Scenarios, func(i, j int) bool { return rp.Scenarios[i] < rp.Scenarios[j] })
		sc.practices = append(sc.practices, rp)
		return nil
	})
	if err != nil {
		return nil, err
	}
	view := &modelv1.View{}
	if _, err := t.Get(store.KindScopeView, "view", view); err != nil {
		return nil, err
	}
	sc.viewAreas = view.GetPracticeAreas()
	for _, ml := range view.GetMaturityLevels() {
		for _, r := range ml.GetRequirements() {
			l := int(ml.GetMaturityLevel())
			sc.maturityLevels[l] = append(sc.maturityLevels[l], rating.AreaLevel{Area: r.GetPracticeArea(), Level: int(r.GetLevel())})
		}
	}
	return sc, nil
}
