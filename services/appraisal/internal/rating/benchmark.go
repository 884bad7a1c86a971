package rating

import (
	"slices"
	"strings"
)

// benchmark profiles the practices with AI context by their organizational
// characterization (rules BM-1 to BM-4): in total, per domain and per AI
// usage scenario of their AI additions.
func benchmark(practices []Practice, org []OrgCharacterization) AIBenchmark {
	var b AIBenchmark
	domains := map[string]*Profile{}
	scenarios := make([]Profile, len(Scenarios()))
	for k, s := range Scenarios() {
		scenarios[k].Scenario = s
	}
	for k, pr := range practices {
		if !pr.HasAIContext {
			continue
		}
		v := org[k].Value
		if org[k].Pending {
			v = Unspecified
		}
		b.Total.add(v)
		d := domains[pr.Domain]
		if d == nil {
			d = &Profile{Domain: pr.Domain}
			domains[pr.Domain] = d
		}
		d.add(v)
		var seen [FullyAutonomous + 1]bool
		for _, s := range pr.Scenarios {
			if s >= SupportAugmentation && s <= FullyAutonomous && !seen[s] {
				seen[s] = true
				scenarios[s-SupportAugmentation].add(v)
			}
		}
	}
	b.Total.score()
	for _, d := range domains {
		d.score()
		b.Domains = append(b.Domains, *d)
	}
	slices.SortFunc(b.Domains, func(x, y Profile) int { return strings.Compare(x.Domain, y.Domain) })
	for k := range scenarios {
		scenarios[k].score()
	}
	b.Scenarios = scenarios
	return b
}

// add counts one practice (BM-3).
func (p *Profile) add(v Characterization) {
	p.Practices++
	switch v {
	case FullyMeets:
		p.Counts.FM++
	case LargelyMeets:
		p.Counts.LM++
	case PartiallyMeets:
		p.Counts.PM++
	case DoesNotMeet:
		p.Counts.DM++
	case NotYet:
		p.Counts.NY++
	case NotApplicable:
		p.Counts.NA++
	default:
		p.Counts.NotRated++
	}
}

// score sets Rated and Score (BM-4): 100 × (3·FM + 2·LM + PM) / (3·Rated),
// rounded half up, 0 when nothing is rated.
func (p *Profile) score() {
	c := p.Counts
	p.Rated = c.FM + c.LM + c.PM + c.DM
	if p.Rated == 0 {
		p.Score = 0
		return
	}
	num, den := 100*(3*c.FM+2*c.LM+c.PM), 3*p.Rated
	p.Score = (2*num + den) / (2 * den)
}

// Score returns the AI benchmark score of a set of counts, as Profile.Score
// defines it, and whether anything was rated.
func Score(c Counts) (int, bool) {
	p := Profile{Counts: c}
	p.score()
	return p.Score, p.Rated > 0
}
