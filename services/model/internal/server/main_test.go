package server_test

import (
	"testing"

	"go.uber.org/goleak"
)

// bleve starts a fixed pool of analysis workers when its package loads; they
// live as long as the process and are not leaks of ours.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/blevesearch/bleve_index_api.AnalysisWorker"))
}
