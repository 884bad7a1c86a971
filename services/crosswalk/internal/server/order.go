package server

import (
	"strconv"
	"strings"
)

// clauseLess orders clause ids as a document does: numerically by
// dot-separated part ("4.2" before "4.10"), letters after numbers.
func clauseLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if pa[i] == pb[i] {
			continue
		}
		na, errA := strconv.Atoi(pa[i])
		nb, errB := strconv.Atoi(pb[i])
		switch {
		case errA == nil && errB == nil:
			return na < nb
		case errA == nil:
			return true
		case errB == nil:
			return false
		}
		return pa[i] < pb[i]
	}
	return len(pa) < len(pb)
}
