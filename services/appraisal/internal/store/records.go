package store

import (
	"encoding/json"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	pstore "github.com/aim-platform/aim/platform/store"
)

// kindRecords is the one table of what each kind of an appraisal's content
// holds: the message type of its values. A new Kind needs its row here, or
// Verify refuses every store that has it (TestEveryKindHasARecordType).
var kindRecords = map[Kind]proto.Message{
	KindMembers:    &appraisalv1.TeamMember{},
	KindInstances:  &appraisalv1.Instance{},
	KindEvidence:   &appraisalv1.Evidence{},
	KindChars:      &appraisalv1.Characterization{},
	KindFindings:   &appraisalv1.Finding{},
	KindDecisions:  &appraisalv1.TeamDecision{},
	KindEvents:     &appraisalv1.AuditEvent{},
	KindScope:      &modelv1.Practice{},
	KindScopeAreas: &modelv1.PracticeArea{},
	KindScopeView:  &modelv1.View{},
	KindRatings:    &appraisalv1.Ratings{},
}

// keyedRecords are the kinds whose values differ in type by key: each
// named key holds its own message, and Verify refuses any other key.
var keyedRecords = map[Kind]map[string]proto.Message{
	KindAudit: {headKey: &appraisalv1.AuditHead{}, checkpointKey: &appraisalv1.AuditCheckpoint{}},
}

// rawRecords are the values of a kind that are not messages: the rating
// engine's result, as JSON, next to the Ratings message.
var rawRecords = map[Kind]map[string]func([]byte) error{
	KindRatings: {"result.json": checkJSON},
}

func checkJSON(v []byte) error {
	if !json.Valid(v) {
		return errors.New("not valid JSON")
	}
	return nil
}

// collections lays out a tenant's collections for pstore.Verify.
func collections() map[string]*pstore.Layout {
	content := &pstore.Layout{Buckets: map[string]*pstore.Layout{}}
	for _, k := range allKinds {
		m, raw, keyed := kindRecords[k], rawRecords[k], keyedRecords[k]
		content.Buckets[string(k)] = &pstore.Layout{Value: func(key, value []byte) error {
			if check, ok := raw[string(key)]; ok {
				return check(value)
			}
			if keyed != nil {
				km, ok := keyed[string(key)]
				if !ok {
					return fmt.Errorf("unexpected key in the %s records", k)
				}
				return pstore.ProtoValue(km)(key, value)
			}
			return pstore.ProtoValue(m)(key, value)
		}}
	}
	return map[string]*pstore.Layout{
		collAppraisals: pstore.ProtoLayout(&appraisalv1.Appraisal{}),
		collContent:    {Each: content},
		collSettings:   pstore.ProtoLayout(&appraisalv1.Settings{}),
		collTeams:      {Value: pstore.AnyValue},
	}
}
