package store

import "testing"

// TestEveryKindHasARecordType keeps the record table in step with the
// kinds: a kind without a row would make Verify refuse every store.
func TestEveryKindHasARecordType(t *testing.T) {
	for _, k := range allKinds {
		if kindRecords[k] == nil {
			t.Errorf("kind %q has no row in kindRecords", k)
		}
	}
	if len(kindRecords) != len(allKinds) {
		t.Errorf("kindRecords has %d rows for %d kinds", len(kindRecords), len(allKinds))
	}
}
