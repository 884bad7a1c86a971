package server

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

func itoa(i int) string { return strconv.Itoa(i) }

// memberID derives a team member id from a subject: lower-case letters,
// digits and hyphens; when the subject had to be changed to fit, a short
// hash of it keeps distinct subjects apart.
func memberID(subject string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(subject) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	id := strings.Trim(b.String(), "-")
	if id == "" || id[0] < 'a' || id[0] > 'z' {
		id = "m-" + id
	}
	if len(id) > 40 {
		id = id[:40]
	}
	if id != subject {
		sum := sha256.Sum256([]byte(subject))
		id = strings.TrimRight(id, "-") + "-" + hex.EncodeToString(sum[:3])
	}
	return id
}
