package store

import (
	"bytes"
	"encoding/binary"

	"go.etcd.io/bbolt"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/errs"
	pstore "github.com/aim-platform/aim/platform/store"
)

// The team index answers "which appraisals of this tenant is a subject on
// the team of" without opening every appraisal. Each tenant has a "teams"
// collection with one key per (subject, appraisal) pair and the member's id
// as value. Tx.Put and Tx.Delete of KindMembers keep it in the same
// transaction as the member itself, so it can never disagree with the teams
// after a commit; migration 2 builds it for stores written before it existed.
//
// A key is the subject's length as a uvarint, the subject, then the
// appraisal id. The length prefix keeps subjects apart whatever bytes they
// hold (no separator can be faked), and all keys of one subject are
// contiguous and sorted by appraisal id, which is the order lists use.

// teamPrefix is the start of every index key of subject.
func teamPrefix(subject string) []byte {
	p := binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64+len(subject)), uint64(len(subject)))
	return append(p, subject...)
}

// teamKey is the index key of subject on the team of appraisal id.
func teamKey(subject string, id []byte) []byte {
	return append(teamPrefix(subject), id...)
}

// teamIndex returns the tenant's team index for writing.
func (t *Tx) teamIndex() (*bbolt.Bucket, error) {
	return pstore.CreateTenantBucket(t.tx, t.tenant, collTeams)
}

// indexMember records that the member stored under key has subject, before
// the member itself is written. When the member was stored with another
// subject, that subject's entry goes.
func (t *Tx) indexMember(key, subject string) error {
	prev := &appraisalv1.TeamMember{}
	found, err := t.Get(KindMembers, key, prev)
	if err != nil {
		return err
	}
	if found && prev.GetSubject() != subject {
		if err := t.unindexMember(key, prev.GetSubject()); err != nil {
			return err
		}
	}
	idx, err := t.teamIndex()
	if err != nil {
		return err
	}
	if err := idx.Put(teamKey(subject, []byte(t.id)), []byte(key)); err != nil {
		return errs.Wrap(err, "store: index team member %s of %s", key, t.id)
	}
	return nil
}

// unindexMember drops subject's entry for this appraisal now that the member
// under key no longer has it. The API allows a subject on a team only once,
// but should another member still carry the subject, the entry points at
// that member instead, so the index never loses someone on the team.
func (t *Tx) unindexMember(key, subject string) error {
	other := ""
	err := t.ForEach(KindMembers, func(k, v []byte) error {
		if other != "" || string(k) == key {
			return nil
		}
		m := &appraisalv1.TeamMember{}
		if err := pstore.UnmarshalProto(v, m); err != nil {
			return err
		}
		if m.GetSubject() == subject {
			other = string(k)
		}
		return nil
	})
	if err != nil {
		return err
	}
	idx, err := t.teamIndex()
	if err != nil {
		return err
	}
	ik := teamKey(subject, []byte(t.id))
	if other != "" {
		err = idx.Put(ik, []byte(other))
	} else {
		err = idx.Delete(ik)
	}
	if err != nil {
		return errs.Wrap(err, "store: unindex team member %s of %s", key, t.id)
	}
	return nil
}

// ListTeamAppraisals pages through the appraisals of the tenant whose team
// has a member with subject, in id order, keeping those keep accepts. It
// reads the team index, so a page costs the same however many appraisals
// the tenant holds that the subject is not on. after and last are appraisal
// ids, as for ListAppraisals, so a page token means the same to both.
func (s *Store) ListTeamAppraisals(tenant, subject string, after []byte, limit int, keep func(id string, a *appraisalv1.Appraisal, t *Tx) bool) (list []*appraisalv1.Appraisal, last []byte, more bool, err error) {
	prefix := teamPrefix(subject)
	var from []byte
	if after != nil {
		from = append(bytes.Clone(prefix), after...)
	}
	err = s.db.View(func(tx *bbolt.Tx) error {
		visit := s.visitAppraisal(tx, tenant, keep, &list)
		var err error
		last, more, err = pstore.ScanPage(pstore.TenantBucket(tx, tenant, collTeams), prefix, from, limit, func(k, _ []byte) (bool, error) {
			return visit(k[len(prefix):], nil)
		})
		return err
	})
	if last != nil {
		last = last[len(prefix):]
	}
	return list, last, more, err
}

// tenantsRoot is the top-level bucket platform/store keeps each tenant's
// collections under (its documented layout). Only the migration below walks
// it; everything else reaches a tenant through pstore.TenantBucket.
const tenantsRoot = "t"

// buildTeamIndex is migration 2: it (re)builds every tenant's team index
// from the members stored in each appraisal's content.
func buildTeamIndex(tx *bbolt.Tx) error {
	root := tx.Bucket([]byte(tenantsRoot))
	if root == nil {
		return nil
	}
	return root.ForEachBucket(func(tenant []byte) error {
		tb := root.Bucket(tenant)
		content := tb.Bucket([]byte(collContent))
		if content == nil {
			return nil
		}
		if tb.Bucket([]byte(collTeams)) != nil {
			if err := tb.DeleteBucket([]byte(collTeams)); err != nil {
				return errs.Wrap(err, "store: drop the team index of tenant %q", tenant)
			}
		}
		idx, err := tb.CreateBucket([]byte(collTeams))
		if err != nil {
			return errs.Wrap(err, "store: create the team index of tenant %q", tenant)
		}
		return content.ForEachBucket(func(id []byte) error {
			members := content.Bucket(id).Bucket([]byte(KindMembers))
			if members == nil {
				return nil
			}
			return members.ForEach(func(k, v []byte) error {
				m := &appraisalv1.TeamMember{}
				if err := pstore.UnmarshalProto(v, m); err != nil {
					return errs.Wrap(err, "store: team member %s of %s in tenant %q", k, id, tenant)
				}
				if err := idx.Put(teamKey(m.GetSubject(), id), bytes.Clone(k)); err != nil {
					return errs.Wrap(err, "store: index team member %s of %s in tenant %q", k, id, tenant)
				}
				return nil
			})
		})
	})
}
