package server

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/timestamppb"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/appraisal/internal/appraisal"
	"github.com/aim-platform/aim/services/appraisal/internal/rating"
	"github.com/aim-platform/aim/services/appraisal/internal/store"
)

// Keys of the stored final result.
const (
	finalRatingsKey = "final"
	finalResultKey  = "result.json"
)

// ratingInput gathers what the rating engine reads from the appraisal and,
// for an Action Plan Reappraisal, from the appraisal it follows, which who
// must be allowed to read.
func (s *Server) ratingInput(t *store.Tx, who auth.Identity, a *appraisalv1.Appraisal) (rating.Input, error) {
	in := rating.Input{Decisions: map[string]rating.Decision{}}
	sc, err := s.scopes.get(t, a)
	if err != nil {
		return in, err
	}
	in.Scope.Practices, in.Scope.ViewAreas, in.Scope.MaturityLevels = sc.practices, sc.viewAreas, sc.maturityLevels
	err = t.ForEach(store.KindInstances, func(k, v []byte) error {
		i := &appraisalv1.Instance{}
		if err := pstore.UnmarshalProto(v, i); err != nil {
			return err
		}
		in.Scope.Instances = append(in.Scope.Instances, rating.Instance{ID: string(k), Scenario: rating.Scenario(i.GetAiUsageScenario()), Subgroup: i.GetSubgroup()})
		return nil
	})
	if err != nil {
		return in, err
	}
	// The characterizations go to the engine straight from the store, in
	// key order ({instance}/{practice}, so an instance's pairs together):
	// at 200 instances that is 55,200 of them, and building maps of strings
	// from them cost more than rating. Rate runs inside this transaction
	// (see compute), so the store's bytes are valid while it reads them.
	in.Cells = func(yield func(instance, practice []byte, c rating.Characterization) error) error {
		return t.ForEach(store.KindChars, func(k, v []byte) error {
			value, err := characterizationValue(v)
			if err != nil {
				return errs.Wrap(err, "store: characterization %q", k)
			}
			inst, practice, _ := bytes.Cut(k, []byte("/"))
			return yield(inst, practice, rating.Characterization(value))
		})
	}
	err = t.ForEach(store.KindDecisions, func(k, v []byte) error {
		d := &appraisalv1.TeamDecision{}
		if err := pstore.UnmarshalProto(v, d); err != nil {
			return err
		}
		in.Decisions[string(k)] = rating.Decision{Key: d.GetKey(), Value: d.GetValue(), Rationale: d.GetRationale(), By: d.GetDecider(), At: d.GetDecideTime().AsTime()}
		return nil
	})
	if err != nil {
		return in, err
	}
	in.Scope.TargetMaturityLevel = int(a.GetTargetMaturityLevel())
	if a.GetType() == appraisalv1.AppraisalType_APPRAISAL_TYPE_ACTION_PLAN_REASSESSMENT && a.GetPreviousAppraisal() != "" {
		prev, err := previousResult(t, who, a)
		if err != nil {
			return in, err
		}
		in.Previous = prev
	}
	return in, nil
}

// characterizationValue reads only the value (field 2) of a stored
// appraisalv1.Characterization. The rating of 200 instances reads 55,200 of
// them per call; decoding each in full (name, rationale, evidence, updater,
// time, etag) was 85 % of GetRatings' time.
//
// Stored characterizations are written by proto.Marshal, which writes each
// field once, in field-number order. So the value, if set, comes right
// after the name, and the decoder stops at the first field numbered above
// it: the rationale and the rest are not read at all. (Bytes written any
// other way, such as two messages concatenated, may decode differently from
// proto.Unmarshal; the store never holds such bytes.) What it does read must
// be well-formed.
func characterizationValue(raw []byte) (appraisalv1.CharacterizationValue, error) {
	const valueField = 2 // appraisalv1.Characterization.value; TestCharacterizationValue pins it
	var value appraisalv1.CharacterizationValue
	for len(raw) > 0 {
		num, typ, n := protowire.ConsumeTag(raw)
		if n < 0 {
			return 0, protowire.ParseError(n)
		}
		if num > valueField {
			break
		}
		raw = raw[n:]
		if num == valueField && typ == protowire.VarintType {
			v, n := protowire.ConsumeVarint(raw)
			if n < 0 {
				return 0, protowire.ParseError(n)
			}
			value, raw = appraisalv1.CharacterizationValue(int32(v)), raw[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, raw)
		if n < 0 {
			return 0, protowire.ParseError(n)
		}
		raw = raw[n:]
	}
	return value, nil
}

// previousAppraisal opens the appraisal a previous_appraisal reference
// names, for a caller who may read it. Everything an appraisal takes from
// the one it builds on (carried-over practices and their values, validity,
// the errors that say whether it exists or is rated) goes through here, so
// it holds the same read check as GetAppraisal: a caller who may not read
// the referenced appraisal gets the NOT_FOUND that GetAppraisal gives for
// it, byte for byte the answer for an appraisal that does not exist.
//
// The check is made for the caller of each request, every time, not once
// when the reference is set: a reference grants nothing. A caller taken off
// the previous appraisal's team (or a team member of this appraisal who was
// never on it) gets NOT_FOUND from every read that needs the previous
// appraisal, until someone who may read it (its team, a tenant admin) does
// the work. Ratings stored when this appraisal was rated are its own record
// and need no such read (ADR 0010).
func previousAppraisal(t *store.Tx, who auth.Identity, name string) (*store.Tx, error) {
	id := appraisalID(name)
	o, err := t.Other(id)
	if err != nil {
		return nil, errs.NotFoundError("Appraisal", appraisal.Name(id))
	}
	if _, err := mustRead(o, who); err != nil {
		return nil, err
	}
	return o, nil
}

// previousResult reads the stored result of the appraisal a builds on.
func previousResult(t *store.Tx, who auth.Identity, a *appraisalv1.Appraisal) (*rating.Result, error) {
	o, err := previousAppraisal(t, who, a.GetPreviousAppraisal())
	if err != nil {
		return nil, err
	}
	raw := o.GetRaw(store.KindRatings, finalResultKey)
	if raw == nil {
		return nil, errs.New(errs.FailedPrecondition, "PREVIOUS_NOT_RATED", "the previous appraisal %s has no rating", a.GetPreviousAppraisal())
	}
	r := &rating.Result{}
	if err := json.Unmarshal(raw, r); err != nil {
		return nil, errs.Wrap(err, "stored result of %s", a.GetPreviousAppraisal())
	}
	return r, nil
}

// compute runs the rating engine on the appraisal's current state, for
// who.
func (s *Server) compute(t *store.Tx, who auth.Identity, a *appraisalv1.Appraisal) (rating.Result, error) {
	in, err := s.ratingInput(t, who, a)
	if err != nil {
		return rating.Result{}, err
	}
	return rating.Rate(in)
}

// rate computes the final ratings and stores them; it refuses an
// incomplete appraisal.
func (s *Server) rate(t *store.Tx, who auth.Identity, a *appraisalv1.Appraisal) error {
	res, err := s.compute(t, who, a)
	if err != nil {
		return err
	}
	if !res.Complete {
		return errs.New(errs.FailedPrecondition, "RATINGS_INCOMPLETE",
			"%s cannot be rated yet: %d instance and practice pairs are not characterized and %d team decisions are open (see GetRatings)",
			a.GetName(), len(res.Missing), len(res.OpenDecisions))
	}
	validity, err := s.validity(t, who, a, res.MaturityLevel)
	if err != nil {
		return err
	}
	// The level recorded: the validity rules' (a sustainment is capped at
	// the level it sustains); an evaluation keeps the level it rated, which
	// is not of record (VAL-5).
	level := validity.MaturityLevel
	if rating.AppraisalKind(a.GetType()) == rating.Evaluation {
		level = res.MaturityLevel
	}
	ratings := toRatings(a.GetName(), a.GetAiUsageScenarios(), res, t.Now().UTC())
	ratings.Final = true
	ratings.MaturityLevel = int32(level)
	if err := t.Put(store.KindRatings, finalRatingsKey, ratings); err != nil {
		return err
	}
	raw, err := json.Marshal(res)
	if err != nil {
		return errs.Wrap(err, "encode the result")
	}
	if err := t.PutRaw(store.KindRatings, finalResultKey, raw); err != nil {
		return err
	}
	a.MaturityLevel = int32(level)
	a.RatingOfRecord = validity.RatingOfRecord
	a.RateTime = timestamppb.New(t.Now())
	if !validity.Expires.IsZero() {
		a.ExpireTime = timestamppb.New(validity.Expires)
	}
	return t.Emit("ratings.recorded", ratings.GetName(), nil, ratings)
}

// validity applies the validity rules for the appraisal's type.
func (s *Server) validity(t *store.Tx, who auth.Identity, a *appraisalv1.Appraisal, level int) (rating.Validity, error) {
	kind := rating.AppraisalKind(a.GetType())
	var previous *rating.Validity
	if kind == rating.Sustainment || kind == rating.ActionPlanReassessment {
		if a.GetPreviousAppraisal() == "" {
			return rating.Validity{}, errs.New(errs.FailedPrecondition, "NO_PREVIOUS_APPRAISAL", "a %s appraisal needs previous_appraisal", kind)
		}
		v, err := validityOf(t, who, a.GetPreviousAppraisal())
		if err != nil {
			return rating.Validity{}, err
		}
		previous = &v
	}
	v, err := rating.Expiry(kind, t.Now(), level, previous)
	if err != nil {
		return rating.Validity{}, err
	}
	return v, nil
}

// validityOf rebuilds the validity of a rated appraisal from its record,
// counting the sustainments that lead to it. Every appraisal of that chain
// is read, so who must be allowed to read each one.
func validityOf(t *store.Tx, who auth.Identity, name string) (rating.Validity, error) {
	v := rating.Validity{}
	for hops := 0; name != "" && hops < 10; hops++ {
		o, err := previousAppraisal(t, who, name)
		if err != nil {
			return rating.Validity{}, err
		}
		p, err := o.Appraisal()
		if err != nil {
			return rating.Validity{}, err
		}
		if hops == 0 {
			v = rating.Validity{
				Kind: rating.AppraisalKind(p.GetType()), RatingOfRecord: p.GetRatingOfRecord(),
				RatedAt: p.GetRateTime().AsTime(), MaturityLevel: int(p.GetMaturityLevel()),
			}
			if p.GetExpireTime() != nil {
				v.Expires = p.GetExpireTime().AsTime()
			}
		}
		if p.GetType() != appraisalv1.AppraisalType_APPRAISAL_TYPE_SUSTAINMENT {
			break
		}
		v.Sustainments++
		name = p.GetPreviousAppraisal()
	}
	return v, nil
}

// GetRatings returns the stored ratings of a RATED (or later) appraisal,
// or the ratings its current characterizations give.
func (s *Server) GetRatings(ctx context.Context, req *appraisalv1.GetRatingsRequest) (*appraisalv1.GetRatingsResponse, error) {
	who, err := auth.Caller(ctx, auth.KnownRoles()...)
	if err != nil {
		return nil, err
	}
	var out *appraisalv1.Ratings
	err = s.store.View(who.Tenant, appraisalID(req.GetName()), func(t *store.Tx) error {
		a, err := mustRead(t, who)
		if err != nil {
			return err
		}
		out, err = s.currentRatings(t, who, a)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &appraisalv1.GetRatingsResponse{Ratings: out}, nil
}

// currentRatings returns the final ratings when stored, else computes them
// for who.
func (s *Server) currentRatings(t *store.Tx, who auth.Identity, a *appraisalv1.Appraisal) (*appraisalv1.Ratings, error) {
	final := &appraisalv1.Ratings{}
	if found, err := t.Get(store.KindRatings, finalRatingsKey, final); err != nil || found {
		return final, err
	}
	if appraisal.State(a.GetState()) < appraisal.StatePlanned || a.GetState() == appraisalv1.Appraisal_STATE_CANCELLED && t.Count(store.KindScope) == 0 {
		return nil, errs.New(errs.FailedPrecondition, "NOT_SCOPED", "%s has no scope yet; plan it first", a.GetName())
	}
	res, err := s.compute(t, who, a)
	if err != nil {
		return nil, err
	}
	return toRatings(a.GetName(), a.GetAiUsageScenarios(), res, t.Now().UTC()), nil
}

// toRatings converts the engine's result to the API.
func toRatings(appraisalName string, scenarios []modelv1.AiUsageScenario, res rating.Result, now time.Time) *appraisalv1.Ratings {
	r := &appraisalv1.Ratings{
		Name: appraisalName + "/ratings", Complete: res.Complete,
		MaturityLevel: int32(res.MaturityLevel), MaturityRule: res.MaturityRule,
		AiBenchmark: &appraisalv1.AiBenchmark{}, ComputeTime: timestamppb.New(now),
	}
	for _, o := range res.Org {
		oc := &appraisalv1.OrgCharacterization{Practice: o.Practice, Value: appraisalv1.CharacterizationValue(o.Value), Rule: o.Rule}
		for _, v := range o.Allowed {
			oc.AllowedValues = append(oc.AllowedValues, appraisalv1.CharacterizationValue(v))
		}
		r.Practices = append(r.Practices, oc)
	}
	for _, a := range res.Areas {
		pa := &appraisalv1.PracticeAreaRating{PracticeArea: a.Area, Domain: a.Domain, CapabilityLevel: int32(a.Capability.Level)}
		for _, l := range a.Levels {
			pa.Levels = append(pa.Levels, &appraisalv1.LevelRating{Level: int32(l.Level), Outcome: outcome(l.Rating), Rule: l.Rule})
		}
		r.PracticeAreas = append(r.PracticeAreas, pa)
	}
	for _, d := range res.OpenDecisions {
		r.OpenDecisions = append(r.OpenDecisions, &appraisalv1.OpenDecision{Key: d.Key, Question: d.Question, AllowedValues: d.Allowed, Rule: d.Rule})
	}
	for _, m := range res.Missing {
		r.Missing = append(r.Missing, &appraisalv1.MissingCharacterization{Instance: m.Instance, Practice: m.Practice})
	}
	for _, p := range res.Benchmark.Domains {
		r.AiBenchmark.Domains = append(r.AiBenchmark.Domains, benchmarkRow(p.Domain, p))
	}
	for _, p := range res.Benchmark.Scenarios {
		if inScope(scenarios, p.Scenario) {
			r.AiBenchmark.Scenarios = append(r.AiBenchmark.Scenarios, benchmarkRow(p.Scenario.String(), p))
		}
	}
	return r
}

// inScope reports whether a scenario's benchmark row belongs in the
// ratings: every scenario when the appraisal names none, else those it
// names.
func inScope(scenarios []modelv1.AiUsageScenario, s rating.Scenario) bool {
	if len(scenarios) == 0 {
		return true
	}
	for _, x := range scenarios {
		if rating.Scenario(x) == s {
			return true
		}
	}
	return false
}

func benchmarkRow(key string, p rating.Profile) *appraisalv1.BenchmarkRow {
	c := p.Counts
	return &appraisalv1.BenchmarkRow{
		Key: key, FullyMeets: int32(c.FM), LargelyMeets: int32(c.LM), PartiallyMeets: int32(c.PM),
		DoesNotMeet: int32(c.DM), NotYet: int32(c.NY), NotApplicable: int32(c.NA), Undetermined: int32(c.NotRated),
		Score: int32(p.Score),
	}
}

func outcome(r rating.Rating) appraisalv1.LevelRating_Outcome {
	switch r {
	case rating.Satisfied:
		return appraisalv1.LevelRating_OUTCOME_SATISFIED
	case rating.NotSatisfied:
		return appraisalv1.LevelRating_OUTCOME_NOT_SATISFIED
	case rating.NotRated:
		return appraisalv1.LevelRating_OUTCOME_NOT_RATED
	case rating.RatingNotApplicable:
		return appraisalv1.LevelRating_OUTCOME_NOT_APPLICABLE
	case rating.Pending:
		return appraisalv1.LevelRating_OUTCOME_PENDING_DECISION
	}
	return appraisalv1.LevelRating_OUTCOME_UNSPECIFIED
}
