//go:build linux

package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
)

// Writers of a crash round.
const (
	charWriters     = 6 // each owns a disjoint share of the characterizations
	creators        = 2 // create appraisals
	evidenceWriters = 1 // add evidence to the main appraisal
)

// charValues are the values the writers cycle through.
var charValues = []appraisalv1.CharacterizationValue{
	appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_FULLY_MEETS,
	appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_LARGELY_MEETS,
	appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_PARTIALLY_MEETS,
	appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_DOES_NOT_MEET,
	appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_NOT_YET,
}

// charTrack is what the clients know of one characterization.
type charTrack struct {
	// acked is its last acknowledged state (after a verification: its
	// stored state); nil while none is known.
	acked *appraisalv1.Characterization
	// pending is a write that was in flight when the process died: it may
	// or may not have been applied, but never half.
	pending *appraisalv1.Characterization
}

// crashState is everything the clients were told, across rounds.
type crashState struct {
	mu    sync.Mutex
	main  string
	pairs []pair
	chars map[string]*charTrack // by name
	// ackedCharDigests holds the digest of every acknowledged
	// characterization write, ever: each must stay in the audit trail.
	ackedCharDigests map[string]string // digest → name
	appraisals       map[string]*appraisalv1.Appraisal
	pendingAppr      map[string]bool
	evidence         map[string]*appraisalv1.Evidence
	pendingEvidence  map[string]bool
	// mainChanges counts the acknowledged changes of the main appraisal,
	// each of which emitted at least one event.
	mainChanges int
	checked     map[string]bool // created appraisals whose trail was checked
	unexpected  []error
}

// roundStats are one round's figures.
type roundStats struct {
	Round           int     `json:"round"`
	KillAfterMS     int64   `json:"kill_after_ms"`
	AckedChars      int     `json:"acked_characterizations"`
	AckedAppraisals int     `json:"acked_appraisals"`
	AckedEvidence   int     `json:"acked_evidence"`
	InFlight        int     `json:"in_flight_at_kill"`
	InFlightApplied int     `json:"in_flight_applied"`
	RestartMS       int64   `json:"restart_to_serving_ms"`
	VerifyMS        int64   `json:"verify_ms"`
	MainEvents      int     `json:"main_appraisal_events"`
	Appraisals      int     `json:"appraisals_in_store"`
	StoreFiles      int     `json:"store_files_inspected"`
	WritesPerSecond float64 `json:"acked_writes_per_second"`
}

// TestCrashSafety drives concurrent writes against `aim serve`, kills it
// with SIGKILL at a random moment, restarts it on the same data dir and
// checks that every acknowledged write is there, that no write is visible
// in part (every stored characterization, evidence and appraisal is
// complete and has its audit event), that the audit trails verify, and
// that every bbolt file passes store.Inspect, both right after the kill
// and after a clean stop. Rounds continue on the same data dir.
func TestCrashSafety(t *testing.T) {
	rounds := 3
	minRun, maxRun := 300*time.Millisecond, 1200*time.Millisecond
	if soak() {
		rounds = 20
		minRun, maxRun = 200*time.Millisecond, 4*time.Second
	}
	rounds = envInt(t, "AIM_CRASH_ROUNDS", rounds)
	rng := newRand(t)
	dataDir := t.TempDir()

	srv := startServe(t, dataDir, false)
	token := mintToken(t, dataDir, "acme", "lead-appraiser,appraiser", "lead")
	st := &crashState{
		chars: map[string]*charTrack{}, ackedCharDigests: map[string]string{},
		appraisals: map[string]*appraisalv1.Appraisal{}, pendingAppr: map[string]bool{},
		evidence: map[string]*appraisalv1.Evidence{}, pendingEvidence: map[string]bool{},
		checked: map[string]bool{},
	}
	{
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		conn := dialGRPC(t, srv.grpcAddr, token)
		ac := appraisalv1.NewAppraisalServiceClient(conn)
		a, pairs := conductingAppraisal(t, ctx, ac, "crash-main", []string{"alpha", "beta", "gamma", "delta"})
		events, err := listEvents(ctx, ac, a.GetName())
		if err != nil {
			t.Fatal(err)
		}
		st.main, st.pairs, st.mainChanges = a.GetName(), pairs, len(events)
		for _, p := range pairs {
			st.chars[p.charName(st.main)] = &charTrack{}
		}
		_ = conn.Close()
		cancel()
		t.Logf("crash-main: CONDUCTING with %d pairs to characterize; %d rounds, kill after %s to %s", len(pairs), rounds, minRun, maxRun)
	}

	var all []roundStats
	for round := 1; round <= rounds; round++ {
		rs := roundStats{Round: round}
		run := minRun + time.Duration(rng.Int64N(int64(maxRun-minRun)))
		rs.KillAfterMS = run.Milliseconds()
		acked := driveAndKill(t, srv, token, st, round, run, rng)
		rs.AckedChars, rs.AckedAppraisals, rs.AckedEvidence, rs.InFlight = acked[0], acked[1], acked[2], acked[3]
		rs.WritesPerSecond = float64(acked[0]+acked[1]+acked[2]) / run.Seconds() // roughly: from the first ack
		if len(st.unexpected) > 0 {
			t.Fatalf("round %d: %d writes failed before the kill, first: %v", round, len(st.unexpected), st.unexpected[0])
		}
		if acked[0] == 0 || acked[1] == 0 {
			t.Fatalf("round %d: no characterization or appraisal write was acknowledged in %s; the round proved nothing", round, run)
		}

		// Right after SIGKILL, before any restart: the files are consistent.
		inspectStores(t, dataDir)

		start := time.Now()
		srv = startServe(t, dataDir, false)
		rs.RestartMS = time.Since(start).Milliseconds()
		start = time.Now()
		verifyCrashRound(t, srv, token, st, round, &rs)
		rs.VerifyMS = time.Since(start).Milliseconds()
		srv.stop(15 * time.Second)
		rs.StoreFiles = inspectStores(t, dataDir)
		t.Logf("round %2d: killed after %4d ms; acked %4d characterizations, %3d appraisals, %3d evidence (%.0f writes/s); "+
			"%d in flight, %d of them applied; restart %d ms; verified in %d ms (%d events, %d appraisals)",
			round, rs.KillAfterMS, rs.AckedChars, rs.AckedAppraisals, rs.AckedEvidence, rs.WritesPerSecond,
			rs.InFlight, rs.InFlightApplied, rs.RestartMS, rs.VerifyMS, rs.MainEvents, rs.Appraisals)
		all = append(all, rs)
		if t.Failed() {
			t.Fatalf("round %d failed; data dir %s", round, dataDir)
		}
		if round < rounds {
			srv = startServe(t, dataDir, false)
		}
	}
	var total struct {
		AckedChars, AckedAppraisals, AckedEvidence, InFlight, InFlightApplied int
	}
	for _, r := range all {
		total.AckedChars += r.AckedChars
		total.AckedAppraisals += r.AckedAppraisals
		total.AckedEvidence += r.AckedEvidence
		total.InFlight += r.InFlight
		total.InFlightApplied += r.InFlightApplied
	}
	t.Logf("%d rounds: %d acknowledged characterization writes, %d appraisals, %d evidence, all present after every restart; "+
		"%d writes in flight at the kills, %d of them applied whole, none in part",
		rounds, total.AckedChars, total.AckedAppraisals, total.AckedEvidence, total.InFlight, total.InFlightApplied)
	report(t, "crash", map[string]any{"rounds": all, "total": total})
}

// driveAndKill runs the writers against srv for run, then kills srv with
// SIGKILL while they are still writing. It returns the acknowledged
// characterization, appraisal and evidence writes of the round and the
// writes in flight at the kill.
func driveAndKill(t *testing.T, srv *serveProc, token string, st *crashState, round int, run time.Duration, rng *rand.Rand) [4]int {
	t.Helper()
	conn := dialGRPC(t, srv.grpcAddr, token)
	defer conn.Close()
	ac := appraisalv1.NewAppraisalServiceClient(conn)
	var (
		killed   atomic.Bool
		wg       sync.WaitGroup
		counts   [4]atomic.Int64
		offsets  = make([]int, charWriters)
		failures = func(err error) {
			st.mu.Lock()
			st.unexpected = append(st.unexpected, err)
			st.mu.Unlock()
		}
	)
	for w := range offsets {
		offsets[w] = rng.IntN(len(st.pairs))
	}
	call := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), 20*time.Second)
	}

	for w := range charWriters {
		var mine []string
		for i, p := range st.pairs {
			if i%charWriters == w {
				mine = append(mine, p.charName(st.main))
			}
		}
		wg.Go(func() {
			for n := 0; ; n++ {
				name := mine[(offsets[w]+n)%len(mine)]
				want := &appraisalv1.Characterization{
					Name:      name,
					Value:     charValues[(round+n)%len(charValues)],
					Rationale: fmt.Sprintf("round %d writer %d write %d", round, w, n),
				}
				st.mu.Lock()
				st.chars[name].pending = want
				st.mu.Unlock()
				ctx, cancel := call()
				resp, err := ac.UpdateCharacterization(ctx, &appraisalv1.UpdateCharacterizationRequest{Characterization: want, AllowMissing: true})
				cancel()
				if err != nil {
					if killed.Load() {
						counts[3].Add(1)
						return
					}
					failures(fmt.Errorf("UpdateCharacterization %s: %w", name, err))
					return
				}
				got := resp.GetCharacterization()
				st.mu.Lock()
				tr := st.chars[name]
				tr.acked, tr.pending = got, nil
				st.ackedCharDigests[digest(got)] = name
				st.mainChanges++
				st.mu.Unlock()
				counts[0].Add(1)
			}
		})
	}
	for w := range creators {
		wg.Go(func() {
			for n := 0; ; n++ {
				id := fmt.Sprintf("r%d-c%d-%d", round, w, n)
				name := "appraisals/" + id
				st.mu.Lock()
				st.pendingAppr[name] = true
				st.mu.Unlock()
				ctx, cancel := call()
				resp, err := ac.CreateAppraisal(ctx, &appraisalv1.CreateAppraisalRequest{AppraisalId: id, Appraisal: &appraisalv1.Appraisal{
					DisplayName: "Crash round " + id, Type: appraisalv1.AppraisalType_APPRAISAL_TYPE_EVALUATION, OrganizationalUnit: "Crash lab",
				}})
				cancel()
				if err != nil {
					if killed.Load() {
						counts[3].Add(1)
						return
					}
					failures(fmt.Errorf("CreateAppraisal %s: %w", id, err))
					return
				}
				st.mu.Lock()
				delete(st.pendingAppr, name)
				st.appraisals[name] = resp.GetAppraisal()
				st.mu.Unlock()
				counts[1].Add(1)
			}
		})
	}
	for w := range evidenceWriters {
		wg.Go(func() {
			for n := 0; ; n++ {
				p := st.pairs[(w*7+n)%len(st.pairs)]
				id := fmt.Sprintf("r%d-e%d-%d", round, w, n)
				name := st.main + "/evidence/" + id
				st.mu.Lock()
				st.pendingEvidence[name] = true
				st.mu.Unlock()
				ctx, cancel := call()
				resp, err := ac.CreateEvidence(ctx, &appraisalv1.CreateEvidenceRequest{Parent: st.main, EvidenceId: id, Evidence: &appraisalv1.Evidence{
					Kind: appraisalv1.Evidence_KIND_ARTIFACT, Title: "Crash evidence " + id,
					Practices: []string{p.practice}, Instances: []string{p.instance},
				}})
				cancel()
				if err != nil {
					if killed.Load() {
						counts[3].Add(1)
						return
					}
					failures(fmt.Errorf("CreateEvidence %s: %w", id, err))
					return
				}
				st.mu.Lock()
				delete(st.pendingEvidence, name)
				st.evidence[name] = resp.GetEvidence()
				st.mainChanges++
				st.mu.Unlock()
				counts[2].Add(1)
			}
		})
	}

	// The kill moment counts from the first acknowledged characterization
	// and appraisal, so that a slow start (a loaded machine) still leaves
	// writes to check.
	flowing := time.Now()
	for counts[0].Load() == 0 || counts[1].Load() == 0 {
		if time.Since(flowing) > time.Minute {
			break // the caller reports the round as empty
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(run)
	killed.Store(true)
	srv.kill()
	wg.Wait()
	var out [4]int
	for i := range out {
		out[i] = int(counts[i].Load())
	}
	return out
}

// verifyCrashRound checks the restarted service against what the clients
// were told, then adopts what it stores as the known state.
func verifyCrashRound(t *testing.T, srv *serveProc, token string, st *crashState, round int, rs *roundStats) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	conn := dialGRPC(t, srv.grpcAddr, token)
	defer conn.Close()
	ac := appraisalv1.NewAppraisalServiceClient(conn)
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("round %d: "+format, append([]any{round}, args...)...)
	}
	must := func(err error, what string) bool {
		t.Helper()
		if err != nil {
			fail("%s: %v", what, err)
			return false
		}
		return true
	}

	// The main appraisal: state, audit trail, characterizations, evidence.
	got, err := ac.GetAppraisal(ctx, &appraisalv1.GetAppraisalRequest{Name: st.main})
	if !must(err, "get "+st.main) {
		return
	}
	if got.GetAppraisal().GetState() != appraisalv1.Appraisal_STATE_CONDUCTING {
		fail("%s is %s after the restart", st.main, got.GetAppraisal().GetState())
	}
	v, err := ac.VerifyAuditTrail(ctx, &appraisalv1.VerifyAuditTrailRequest{Name: st.main})
	if !must(err, "verify the audit trail of "+st.main) {
		return
	}
	if !v.GetVerified() {
		fail("the audit trail of %s does not verify: %s at %s", st.main, v.GetReason(), v.GetFirstBrokenEvent())
	}
	events, err := listEvents(ctx, ac, st.main)
	if !must(err, "list the events of "+st.main) {
		return
	}
	rs.MainEvents = len(events)
	if int64(len(events)) != v.GetEventsChecked() {
		fail("%d events listed but %d verified", len(events), v.GetEventsChecked())
	}
	if len(events) < st.mainChanges {
		fail("%d events in the trail of %s, fewer than the %d acknowledged changes", len(events), st.main, st.mainChanges)
	}
	idx := trailIndex(events)
	lostFromTrail := 0
	for d, name := range st.ackedCharDigests {
		if !inTrail(idx, d, name) {
			lostFromTrail++
			if lostFromTrail <= 5 {
				fail("an acknowledged write of %s has no event in the audit trail", name)
			}
		}
	}

	chars, err := listChars(ctx, ac, st.main)
	if !must(err, "list the characterizations of "+st.main) {
		return
	}
	seen := map[string]bool{}
	for _, c := range chars {
		name := c.GetName()
		seen[name] = true
		tr := st.chars[name]
		switch {
		case tr == nil:
			fail("%s is stored but no client ever wrote it", name)
			continue
		case c.GetValue() == appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_UNSPECIFIED || c.GetEtag() == "" || c.GetUpdater() == "":
			fail("%s is stored in part: %v", name, c)
		case !inTrail(idx, digest(c), name):
			fail("%s is stored (%q) but no audit event records that state", name, c.GetRationale())
		}
		switch {
		case tr.acked != nil && proto.Equal(c, tr.acked):
			// The last acknowledged write.
		case tr.pending != nil && c.GetRationale() == tr.pending.GetRationale() && c.GetValue() == tr.pending.GetValue():
			rs.InFlightApplied++ // the write in flight at the kill, applied whole
		case tr.acked != nil:
			fail("%s holds %q, neither its last acknowledged write %q nor the write in flight", name, c.GetRationale(), tr.acked.GetRationale())
		default:
			fail("%s holds %q, which no client was told of and which was not in flight", name, c.GetRationale())
		}
		tr.acked, tr.pending = c, nil
	}
	for name, tr := range st.chars {
		if !seen[name] {
			if tr.acked != nil {
				fail("%s was acknowledged (%q) but is gone after the restart", name, tr.acked.GetRationale())
			}
			tr.pending = nil
		}
	}

	evs, err := listEvidence(ctx, ac, st.main)
	if !must(err, "list the evidence of "+st.main) {
		return
	}
	stored := map[string]*appraisalv1.Evidence{}
	for _, e := range evs {
		stored[e.GetName()] = e
		if !inTrail(idx, digest(e), e.GetName()) {
			fail("%s is stored but has no audit event", e.GetName())
		}
		if _, ok := st.evidence[e.GetName()]; ok {
			continue
		}
		if !st.pendingEvidence[e.GetName()] {
			fail("%s is stored but no client created it", e.GetName())
			continue
		}
		rs.InFlightApplied++
		st.evidence[e.GetName()] = e
		st.mainChanges++
	}
	for name, want := range st.evidence {
		switch e, ok := stored[name]; {
		case !ok:
			fail("%s was acknowledged but is gone", name)
		case !proto.Equal(e, want):
			fail("%s differs from what was acknowledged:\n got %v\nwant %v", name, e, want)
		}
	}
	clear(st.pendingEvidence)

	// The created appraisals: every acknowledged one, complete.
	list, err := listAppraisals(ctx, ac)
	if !must(err, "list appraisals") {
		return
	}
	rs.Appraisals = len(list)
	inStore := map[string]*appraisalv1.Appraisal{}
	for _, a := range list {
		name := a.GetName()
		inStore[name] = a
		if name == st.main {
			continue
		}
		if _, ok := st.appraisals[name]; ok {
			continue
		}
		if !st.pendingAppr[name] {
			fail("%s is stored but no client created it", name)
			continue
		}
		rs.InFlightApplied++
		st.appraisals[name] = a
	}
	clear(st.pendingAppr)
	var names []string
	for name := range st.appraisals {
		names = append(names, name)
	}
	sort.Strings(names)
	// Eight checkers at once: by the last soak round there are thousands.
	type job struct {
		name string
		want *appraisalv1.Appraisal
		full bool
	}
	work := make(chan job)
	var checkers sync.WaitGroup
	var passed sync.Map
	for range 8 {
		checkers.Go(func() {
			for j := range work {
				if checkCreated(ctx, ac, j.name, j.want, j.full, fail) {
					passed.Store(j.name, true)
				}
			}
		})
	}
	for _, name := range names {
		work <- job{name: name, want: st.appraisals[name], full: !st.checked[name]}
	}
	close(work)
	checkers.Wait()
	passed.Range(func(k, _ any) bool {
		st.checked[k.(string)] = true
		return true
	})
}

// checkCreated checks that an acknowledged (or adopted) appraisal is
// stored exactly as acknowledged and, the first time (full), that it is
// whole: its creator on its team as lead, its audit trail sound and
// holding its creation. It reports whether the full check passed.
func checkCreated(ctx context.Context, ac appraisalv1.AppraisalServiceClient, name string, want *appraisalv1.Appraisal, full bool, fail func(string, ...any)) bool {
	g, err := ac.GetAppraisal(ctx, &appraisalv1.GetAppraisalRequest{Name: name})
	if status.Code(err) == codes.NotFound {
		fail("%s was acknowledged but is gone", name)
		return false
	}
	if err != nil {
		fail("get %s: %v", name, err)
		return false
	}
	if !proto.Equal(g.GetAppraisal(), want) {
		fail("%s differs from what was acknowledged:\n got %v\nwant %v", name, g.GetAppraisal(), want)
	}
	if !full {
		return false
	}
	members, err := ac.ListTeamMembers(ctx, &appraisalv1.ListTeamMembersRequest{Parent: name})
	if err != nil {
		fail("team of %s: %v", name, err)
		return false
	}
	if m := members.GetTeamMembers(); len(m) != 1 || m[0].GetSubject() != "lead" || m[0].GetRole() != appraisalv1.TeamMember_ROLE_LEAD_APPRAISER {
		fail("%s is stored without its creator as lead appraiser: %v", name, m)
	}
	v, err := ac.VerifyAuditTrail(ctx, &appraisalv1.VerifyAuditTrailRequest{Name: name})
	if err != nil {
		fail("verify %s: %v", name, err)
		return false
	}
	events, err := listEvents(ctx, ac, name)
	if err != nil {
		fail("events of %s: %v", name, err)
		return false
	}
	if !v.GetVerified() || v.GetEventsChecked() == 0 || int64(len(events)) != v.GetEventsChecked() {
		fail("the audit trail of %s: %v (%d events listed)", name, v, len(events))
		return false
	}
	if !inTrail(trailIndex(events), digest(g.GetAppraisal()), name) {
		fail("%s has no audit event for its stored state; events: %s", name, eventTypes(events))
		return false
	}
	return true
}

func eventTypes(events []*appraisalv1.AuditEvent) string {
	var out []string
	for _, e := range events {
		out = append(out, e.GetType()+" "+e.GetResource())
	}
	return strings.Join(out, ", ")
}
