package store

import "testing"

// TestEveryKindHasARecordType keeps the record table in step with the
// kinds: a kind without a row would make Verify refuse every store that
// has it.
func TestEveryKindHasARecordType(t *testing.T) {
	for _, k := range allKinds {
		if (kindRecords[k] == nil) == (keyedRecords[k] == nil) {
			t.Errorf("kind %q needs exactly one row, in kindRecords or in keyedRecords", k)
		}
	}
	if len(kindRecords)+len(keyedRecords) != len(allKinds) {
		t.Errorf("kindRecords and keyedRecords have %d rows for %d kinds", len(kindRecords)+len(keyedRecords), len(allKinds))
	}
}
