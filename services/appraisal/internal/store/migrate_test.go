package store

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	pstore "github.com/aim-platform/aim/platform/store"
)

// A store written before the team index existed (schema version 1) gets
// the index from migration 2 when it is opened, and lists from it what the
// teams say.
func TestMigrationBuildsTeamIndex(t *testing.T) {
	cfg := pstore.DefaultConfig(filepath.Join(t.TempDir(), "appraisal.db"))
	v1 := pstore.Schema{Name: Schema.Name, Migrations: Schema.Migrations[:1]}
	db, err := pstore.Open(cfg, v1)
	if err != nil {
		t.Fatal(err)
	}
	old := &Store{db: db, now: time.Now}
	team := func(tenant, id string, subjects ...string) {
		t.Helper()
		a := &appraisalv1.Appraisal{Name: "appraisals/" + id, DisplayName: id}
		lead := &appraisalv1.TeamMember{Name: a.GetName() + "/teamMembers/lead", Subject: "lead"}
		if _, _, _, err := old.Create(tenant, id, "lead", "", nil, a, lead); err != nil {
			t.Fatal(err)
		}
		if _, err := old.Update(tenant, id, "lead", func(tx *Tx) error {
			for _, s := range subjects {
				if err := tx.Put(KindMembers, "m-"+s, &appraisalv1.TeamMember{Name: a.GetName() + "/teamMembers/m-" + s, Subject: s}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	team("acme", "a3", "amy")
	team("acme", "a1", "amy", "bob")
	team("acme", "a2", "bob")
	team("acme", "a4")
	team("globex", "a1", "amy")
	// What version 1 wrote had no index: take away acme's, which this code
	// added. globex keeps one with a wrong entry, which the migration must
	// not trust: it rebuilds from the teams.
	err = db.Update(func(tx *bbolt.Tx) error {
		tenants := tx.Bucket([]byte(tenantsRoot))
		if err := tenants.Bucket([]byte("acme")).DeleteBucket([]byte(collTeams)); err != nil {
			return err
		}
		return tenants.Bucket([]byte("globex")).Bucket([]byte(collTeams)).Put(teamKey("bob", []byte("a1")), []byte("m-bob"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if list, _, _, err := old.ListTeamAppraisals("acme", "amy", nil, 10, nil); err != nil || len(list) != 0 {
		t.Fatalf("before the migration the index lists %v (%v)", list, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	st, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	}()
	if v := st.DB().SchemaVersion(); v != len(Schema.Migrations) {
		t.Fatalf("schema version %d, want %d", v, len(Schema.Migrations))
	}
	tests := []struct {
		tenant, subject string
		want            []string
	}{
		{"acme", "amy", []string{"a1", "a3"}},
		{"acme", "bob", []string{"a1", "a2"}},
		{"acme", "lead", []string{"a1", "a2", "a3", "a4"}},
		{"acme", "carl", nil},
		{"globex", "amy", []string{"a1"}},
		{"globex", "bob", nil},
	}
	for _, tt := range tests {
		for _, limit := range []int{1, 3, 10} {
			var got []string
			var after []byte
			for {
				list, last, more, err := st.ListTeamAppraisals(tt.tenant, tt.subject, after, limit, nil)
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range list {
					got = append(got, a.GetName()[len("appraisals/"):])
				}
				if !more {
					break
				}
				after = last
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s %s (pages of %d): %q, want %q", tt.tenant, tt.subject, limit, got, tt.want)
			}
		}
	}
	// The migrated index is kept like a new one.
	if _, err := st.Update("acme", "a1", "lead", func(tx *Tx) error { return tx.Delete(KindMembers, "m-amy") }); err != nil {
		t.Fatal(err)
	}
	if list, _, _, err := st.ListTeamAppraisals("acme", "amy", nil, 10, nil); err != nil || len(list) != 1 || list[0].GetName() != "appraisals/a3" {
		t.Fatalf("after a removal: %v (%v)", list, err)
	}
}

// Migration 2 on a tenant that has settings but no appraisals does nothing
// harmful.
func TestMigrationTeamIndexWithoutAppraisals(t *testing.T) {
	cfg := pstore.DefaultConfig(filepath.Join(t.TempDir(), "appraisal.db"))
	db, err := pstore.Open(cfg, pstore.Schema{Name: Schema.Name, Migrations: Schema.Migrations[:1]})
	if err != nil {
		t.Fatal(err)
	}
	old := &Store{db: db, now: time.Now}
	if _, err := old.UpdateSettings("acme", "", func(*appraisalv1.Settings) {}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	}()
	if list, _, _, err := st.ListTeamAppraisals("acme", "amy", nil, 10, nil); err != nil || len(list) != 0 {
		t.Fatalf("%v %v", list, err)
	}
}
