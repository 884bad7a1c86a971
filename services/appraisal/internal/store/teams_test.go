package store_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/errs"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/appraisal/internal/store"
)

func putMember(t *testing.T, st *store.Store, tenant, id, key, subject string) {
	t.Helper()
	_, err := st.Update(tenant, id, "lead", func(tx *store.Tx) error {
		return tx.Put(store.KindMembers, key, &appraisalv1.TeamMember{
			Name: "appraisals/" + id + "/teamMembers/" + key, Subject: subject, Role: appraisalv1.TeamMember_ROLE_TEAM_MEMBER,
		})
	})
	if err != nil {
		t.Fatalf("put member %s (%q) on %s/%s: %v", key, subject, tenant, id, err)
	}
}

func deleteMember(t *testing.T, st *store.Store, tenant, id, key string) {
	t.Helper()
	if _, err := st.Update(tenant, id, "lead", func(tx *store.Tx) error { return tx.Delete(store.KindMembers, key) }); err != nil {
		t.Fatalf("delete member %s of %s/%s: %v", key, tenant, id, err)
	}
}

// teamOf lists, through the index, the ids of the appraisals subject is on
// the team of, limit at a time.
func teamOf(t *testing.T, st *store.Store, tenant, subject string, limit int) []string {
	t.Helper()
	var ids []string
	var after []byte
	for range 100 {
		list, last, more, err := st.ListTeamAppraisals(tenant, subject, after, limit, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) > limit {
			t.Fatalf("page of %d items, limit %d", len(list), limit)
		}
		for _, a := range list {
			ids = append(ids, a.GetName()[len("appraisals/"):])
		}
		if !more {
			return ids
		}
		after = last
	}
	t.Fatal("paging does not end")
	return nil
}

// teamByScan finds the same appraisals the slow way: every appraisal's
// members, read one by one.
func teamByScan(t *testing.T, st *store.Store, tenant, subject string) []string {
	t.Helper()
	onTeam := func(_ string, _ *appraisalv1.Appraisal, tx *store.Tx) bool {
		found := false
		if err := tx.ForEach(store.KindMembers, func(_, v []byte) error {
			m := &appraisalv1.TeamMember{}
			if err := pstore.UnmarshalProto(v, m); err != nil {
				return err
			}
			found = found || m.GetSubject() == subject
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return found
	}
	list, _, _, err := st.ListAppraisals(tenant, nil, 1000, onTeam)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range list {
		ids = append(ids, a.GetName()[len("appraisals/"):])
	}
	return ids
}

// Every write that changes a team changes the index with it.
func TestTeamIndex(t *testing.T) {
	type who struct{ tenant, subject string }
	tests := []struct {
		name  string
		steps func(t *testing.T, st *store.Store)
		want  map[who][]string
	}{{
		name:  "the creator is on the team from the start",
		steps: func(*testing.T, *store.Store) {},
		want:  map[who][]string{{tenantA, "lead"}: {"a1", "a2", "a3"}, {tenantB, "lead"}: {"a1"}, {tenantA, "amy"}: nil},
	}, {
		name: "add a member",
		steps: func(t *testing.T, st *store.Store) {
			putMember(t, st, tenantA, "a3", "amy", "amy")
			putMember(t, st, tenantA, "a1", "amy", "amy")
		},
		want: map[who][]string{{tenantA, "amy"}: {"a1", "a3"}, {tenantB, "amy"}: nil, {tenantA, "lead"}: {"a1", "a2", "a3"}},
	}, {
		name: "change a member and keep the subject",
		steps: func(t *testing.T, st *store.Store) {
			putMember(t, st, tenantA, "a2", "amy", "amy")
			putMember(t, st, tenantA, "a2", "amy", "amy")
		},
		want: map[who][]string{{tenantA, "amy"}: {"a2"}},
	}, {
		name: "remove a member",
		steps: func(t *testing.T, st *store.Store) {
			putMember(t, st, tenantA, "a1", "amy", "amy")
			putMember(t, st, tenantA, "a2", "amy", "amy")
			deleteMember(t, st, tenantA, "a1", "amy")
			deleteMember(t, st, tenantA, "a2", "lead")
		},
		want: map[who][]string{{tenantA, "amy"}: {"a2"}, {tenantA, "lead"}: {"a1", "a3"}, {tenantB, "lead"}: {"a1"}},
	}, {
		name: "remove a member who is not there",
		steps: func(t *testing.T, st *store.Store) {
			deleteMember(t, st, tenantA, "a1", "nobody")
		},
		want: map[who][]string{{tenantA, "lead"}: {"a1", "a2", "a3"}},
	}, {
		name: "change a member's subject",
		steps: func(t *testing.T, st *store.Store) {
			putMember(t, st, tenantA, "a1", "m", "amy")
			putMember(t, st, tenantA, "a1", "m", "bob")
		},
		want: map[who][]string{{tenantA, "amy"}: nil, {tenantA, "bob"}: {"a1"}},
	}, {
		name: "one of two members with the same subject removed",
		steps: func(t *testing.T, st *store.Store) {
			putMember(t, st, tenantA, "a1", "m1", "amy")
			putMember(t, st, tenantA, "a1", "m2", "amy")
			deleteMember(t, st, tenantA, "a1", "m1")
		},
		want: map[who][]string{{tenantA, "amy"}: {"a1"}},
	}, {
		name: "both members with the same subject removed",
		steps: func(t *testing.T, st *store.Store) {
			putMember(t, st, tenantA, "a1", "m1", "amy")
			putMember(t, st, tenantA, "a1", "m2", "amy")
			deleteMember(t, st, tenantA, "a1", "m2")
			deleteMember(t, st, tenantA, "a1", "m1")
		},
		want: map[who][]string{{tenantA, "amy"}: nil},
	}, {
		name: "two tenants with the same subject",
		steps: func(t *testing.T, st *store.Store) {
			putMember(t, st, tenantA, "a2", "amy", "amy")
			putMember(t, st, tenantB, "a1", "amy", "amy")
			deleteMember(t, st, tenantA, "a2", "amy")
			deleteMember(t, st, tenantB, "a1", "lead")
		},
		want: map[who][]string{{tenantA, "amy"}: nil, {tenantB, "amy"}: {"a1"}, {tenantB, "lead"}: nil, {tenantA, "lead"}: {"a1", "a2", "a3"}},
	}, {
		name: "subjects that are prefixes of each other or hold odd bytes",
		steps: func(t *testing.T, st *store.Store) {
			putMember(t, st, tenantA, "a1", "m1", "am")
			putMember(t, st, tenantA, "a2", "m2", "amy")
			putMember(t, st, tenantA, "a3", "m3", "am\x00a3")
			putMember(t, st, tenantA, "a3", "m4", "")
		},
		want: map[who][]string{
			{tenantA, "am"}: {"a1"}, {tenantA, "amy"}: {"a2"}, {tenantA, "am\x00a3"}: {"a3"}, {tenantA, ""}: {"a3"}, {tenantA, "a"}: nil,
		},
	}, {
		name: "a failed update leaves the index as it was",
		steps: func(t *testing.T, st *store.Store) {
			putMember(t, st, tenantA, "a1", "amy", "amy")
			boom := errors.New("boom")
			_, err := st.Update(tenantA, "a2", "lead", func(tx *store.Tx) error {
				if err := tx.Put(store.KindMembers, "amy", &appraisalv1.TeamMember{Subject: "amy"}); err != nil {
					return err
				}
				if err := tx.Delete(store.KindMembers, "lead"); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v", err)
			}
		},
		want: map[who][]string{{tenantA, "amy"}: {"a1"}, {tenantA, "lead"}: {"a1", "a2", "a3"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			for _, id := range []string{"a2", "a1", "a3"} {
				create(t, st, tenantA, id)
			}
			create(t, st, tenantB, "a1")
			tt.steps(t, st)
			for w, want := range tt.want {
				for _, limit := range []int{1, 2, 50} {
					if got := teamOf(t, st, w.tenant, w.subject, limit); !slices.Equal(got, want) {
						t.Errorf("%s %q (pages of %d): index lists %q, want %q", w.tenant, w.subject, limit, got, want)
					}
				}
				if got := teamByScan(t, st, w.tenant, w.subject); !slices.Equal(got, want) {
					t.Errorf("%s %q: the teams hold %q, want %q", w.tenant, w.subject, got, want)
				}
			}
		})
	}
}

func TestListTeamAppraisals(t *testing.T) {
	st := openStore(t)
	var want []string
	for i := range 12 {
		id := fmt.Sprintf("a%02d", (i*5)%12)
		create(t, st, tenantA, id)
		if i%3 != 0 {
			putMember(t, st, tenantA, id, "amy", "amy")
			want = append(want, id)
		}
	}
	slices.Sort(want)
	for limit := 1; limit <= len(want)+1; limit++ {
		if got := teamOf(t, st, tenantA, "amy", limit); !slices.Equal(got, want) {
			t.Fatalf("pages of %d: %q, want %q", limit, got, want)
		}
	}
	// A list may resume after any appraisal id, on the subject's team or
	// not (a token made by the plain list before the caller lost a role).
	for _, after := range []string{"a00", "a03", "a05", "a11", "zzz"} {
		list, _, _, err := st.ListTeamAppraisals(tenantA, "amy", []byte(after), 100, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got, exp []string
		for _, a := range list {
			got = append(got, a.GetName()[len("appraisals/"):])
		}
		for _, id := range want {
			if id > after {
				exp = append(exp, id)
			}
		}
		if !slices.Equal(got, exp) {
			t.Fatalf("after %q: %q, want %q", after, got, exp)
		}
	}
	// keep still has the last word, and sees the right appraisal.
	list, last, more, err := st.ListTeamAppraisals(tenantA, "amy", nil, 2, func(id string, a *appraisalv1.Appraisal, tx *store.Tx) bool {
		if a.GetName() != "appraisals/"+id || tx.Name() != a.GetName() {
			t.Errorf("keep(%q) with %s in %s", id, a.GetName(), tx.Name())
		}
		return id != want[0]
	})
	if err != nil || len(list) != 2 || list[0].GetName() != "appraisals/"+want[1] || string(last) != want[2] || !more {
		t.Fatalf("filtered page %v, last %q, more %v, err %v", list, last, more, err)
	}
	for _, tenant := range []string{tenantB, "nobody"} {
		if list, _, more, err := st.ListTeamAppraisals(tenant, "amy", nil, 10, nil); err != nil || len(list) != 0 || more {
			t.Fatalf("%s: %v %v %v", tenant, list, more, err)
		}
	}
}

// Team members are TeamMember messages written through Put, which keeps
// the index; anything else is refused.
func TestTeamMembersOnlyThroughPut(t *testing.T) {
	st := openStore(t)
	create(t, st, tenantA, "a1")
	_, err := st.Update(tenantA, "a1", "lead", func(tx *store.Tx) error {
		return tx.Put(store.KindMembers, "x", &appraisalv1.Finding{})
	})
	wantKind(t, err, errs.Internal)
	_, err = st.Update(tenantA, "a1", "lead", func(tx *store.Tx) error {
		return tx.PutRaw(store.KindMembers, "x", []byte("{}"))
	})
	wantKind(t, err, errs.Internal)
}
