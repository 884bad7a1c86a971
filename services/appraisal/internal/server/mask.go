package server

import (
	"slices"
	"sort"

	"github.com/aim-platform/aim/platform/errs"
)

// maskPaths checks an update mask against the fields a method may change.
// An empty mask means every one of them (AIP-134).
func maskPaths[F any](paths []string, fields map[string]F) ([]string, error) {
	if len(paths) == 0 || slices.Contains(paths, "*") {
		all := make([]string, 0, len(fields))
		for p := range fields {
			all = append(all, p)
		}
		sort.Strings(all)
		return all, nil
	}
	var violations []errs.FieldViolation
	for i, p := range paths {
		if _, ok := fields[p]; !ok {
			violations = append(violations, errs.Violation("update_mask.paths["+itoa(i)+"]", "%q cannot be updated", p))
		}
	}
	if len(violations) > 0 {
		return nil, errs.InvalidArgument(violations...)
	}
	return paths, nil
}
