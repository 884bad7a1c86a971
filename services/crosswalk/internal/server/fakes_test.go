package server_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/aim-platform/aim/platform/errs"
	cserver "github.com/aim-platform/aim/services/crosswalk/internal/server"
)

// sampleModelVersion is the catalog version the default sample model's
// practices belong to.
const sampleModelVersion = "models/cmmi-aim/versions/3.0-sample"

// fakeCatalog knows the practices of the default sample model and resolves
// the labels a table writes ("RISK 3.1", "RSK 3.1", "RSK-3.1") to their
// canonical ids, as the model catalog does. In unavailable mode it answers
// as the real client does when the catalog is down.
type fakeCatalog struct {
	mu          sync.Mutex
	known       map[string]bool
	unavailable bool
	calls       int
}

var _ cserver.Catalog = (*fakeCatalog)(nil)

func newFakeCatalog() *fakeCatalog {
	known := map[string]bool{}
	add := func(area string, level, from, to int) {
		for i := from; i <= to; i++ {
			known[fmt.Sprintf("%s-%d.%d", area, level, i)] = true
		}
	}
	for level := 1; level <= 3; level++ {
		add("RSK", level, 1, 5)
	}
	add("PLAN", 1, 1, 3)
	add("PLAN", 2, 1, 6)
	add("MC", 1, 1, 2)
	add("MC", 2, 1, 4)
	return &fakeCatalog{known: known}
}

var labelRe = regexp.MustCompile(`^([A-Za-z]{2,5})\s*-?\s*(\d+\.\d+)$`)

// canonical turns a label into a practice id, "" when it is not one.
func canonical(label string) string {
	m := labelRe.FindStringSubmatch(strings.TrimSpace(label))
	if m == nil {
		return ""
	}
	area := strings.ToUpper(m[1])
	if area == "RISK" {
		area = "RSK"
	}
	return area + "-" + m[2]
}

func (c *fakeCatalog) setUnavailable(v bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.unavailable = v
}

func (c *fakeCatalog) callCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

func (c *fakeCatalog) Practices(_ context.Context, version string, refs []string) (map[string]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.unavailable {
		return nil, errs.New(errs.Unavailable, "DEPENDENCY_UNAVAILABLE", "the model catalog is unavailable; retry later")
	}
	out := map[string]string{}
	if version != sampleModelVersion {
		return out, nil
	}
	for _, ref := range refs {
		if id := canonical(ref); id != "" && c.known[id] {
			out[ref] = id
		}
	}
	return out, nil
}

// fakeAppraisals returns the satisfied practices of the appraisals it
// holds; an unknown appraisal is NOT_FOUND, as the appraisal service says.
type fakeAppraisals struct {
	mu        sync.Mutex
	satisfied map[string][]string
	asked     []string
}

var _ cserver.Appraisals = (*fakeAppraisals)(nil)

func (a *fakeAppraisals) set(appraisal string, practices ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.satisfied == nil {
		a.satisfied = map[string][]string{}
	}
	a.satisfied[appraisal] = practices
}

func (a *fakeAppraisals) askedFor() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.asked)
}

func (a *fakeAppraisals) Satisfied(_ context.Context, appraisal string) ([]string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, appraisal)
	list, ok := a.satisfied[appraisal]
	if !ok {
		return nil, errs.NotFoundError("Appraisal", appraisal)
	}
	return slices.Clone(list), nil
}
