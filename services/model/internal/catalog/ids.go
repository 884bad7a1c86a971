package catalog

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// PracticeID identifies a practice: the acronym of its practice area, the
// practice group level and the number of the practice within that level.
// RSK-3.1 is Area "RSK", Level 3, Number 1.
type PracticeID struct {
	Area   string
	Level  int
	Number int
}

// MinLevel and MaxLevel bound the practice group levels a model uses.
// ParsePracticeID accepts levels up to 9 so that validation can report a
// mistaken level with its context.
const (
	MinLevel = 1
	MaxLevel = 5
)

// Limits of the parts of a practice id, and the byte that ends the area in a
// key (it sorts below every character an acronym may hold).
const (
	maxAreaLen    = 16
	maxIDLevel    = 9
	maxNumber     = 999
	areaKeySuffix = 0x00
)

// ParsePracticeID parses a practice id written as the catalog writes it
// ("RSK-3.1") or as the model prints it ("RSK 3.1"), in any letter case. The
// area is upper-cased but not resolved: "RISK 3.1" parses to area "RISK",
// and mapping an alias to its practice area is the caller's business.
// Surrounding white space is ignored.
func ParsePracticeID(s string) (PracticeID, error) {
	t := strings.TrimSpace(s)
	sep := strings.IndexAny(t, "- ")
	if sep < 0 {
		return PracticeID{}, fmt.Errorf("practice id %q: want an acronym, a dash, the level, a dot and the number, as in RSK-3.1", s)
	}
	area := strings.ToUpper(t[:sep])
	if !validAreaToken(area) {
		return PracticeID{}, fmt.Errorf("practice id %q: the acronym must be a letter followed by at most %d letters or digits", s, maxAreaLen-1)
	}
	levelText, numberText, ok := strings.Cut(t[sep+1:], ".")
	if !ok {
		return PracticeID{}, fmt.Errorf("practice id %q: want the level, a dot and the number after the acronym, as in RSK-3.1", s)
	}
	level, ok := smallNumber(levelText, maxIDLevel)
	if !ok {
		return PracticeID{}, fmt.Errorf("practice id %q: the level must be a digit from 1 to %d", s, maxIDLevel)
	}
	number, ok := smallNumber(numberText, maxNumber)
	if !ok {
		return PracticeID{}, fmt.Errorf("practice id %q: the number must be from 1 to %d without leading zeros", s, maxNumber)
	}
	return PracticeID{Area: area, Level: level, Number: number}, nil
}

// smallNumber parses a positive decimal number without sign or leading
// zeros that is at most max.
func smallNumber(s string, max int) (int, bool) {
	if s == "" || len(s) > 3 || s[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, false
	}
	return n, true
}

// validAreaToken reports whether s is an upper-case acronym: a letter and at
// most 15 more letters or digits.
func validAreaToken(s string) bool {
	if s == "" || len(s) > maxAreaLen || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// String returns the id as the catalog writes it, "RSK-3.1".
func (id PracticeID) String() string {
	return fmt.Sprintf("%s-%d.%d", id.Area, id.Level, id.Number)
}

// Label returns the id as the model prints it, "RSK 3.1".
func (id PracticeID) Label() string {
	return fmt.Sprintf("%s %d.%d", id.Area, id.Level, id.Number)
}

// Compare orders ids by area, then level, then number, numerically: RSK-2.9
// comes before RSK-2.10. It agrees with the order of the ids' keys.
func (id PracticeID) Compare(other PracticeID) int {
	if c := strings.Compare(strings.ToUpper(id.Area), strings.ToUpper(other.Area)); c != 0 {
		return c
	}
	if c := cmp.Compare(id.Level, other.Level); c != 0 {
		return c
	}
	return cmp.Compare(id.Number, other.Number)
}

// Key returns a byte key for the id. Keys compare bytewise in the order of
// Compare: the upper-case area, a zero byte, the level as one byte and the
// number as two big-endian bytes. The zero byte ends the area, so every key
// of one area starts with AreaPrefix(area) and no key of another area does.
func (id PracticeID) Key() []byte {
	k := AreaPrefix(id.Area)
	k = append(k, byte(id.Level))
	return binary.BigEndian.AppendUint16(k, uint16(id.Number))
}

// AreaPrefix returns the prefix that the keys of every practice of a
// practice area, and of no other, start with. Area "PR" gives a prefix that
// the keys of "PQA" and "PRX" do not have.
func AreaPrefix(area string) []byte {
	a := strings.ToUpper(area)
	k := make([]byte, 0, len(a)+4)
	k = append(k, a...)
	return append(k, areaKeySuffix)
}

// ParsePracticeKey parses a key made by PracticeID.Key.
func ParsePracticeKey(k []byte) (PracticeID, error) {
	n := len(k)
	if n < 5 || k[n-4] != areaKeySuffix {
		return PracticeID{}, fmt.Errorf("practice key %x: malformed", k)
	}
	id := PracticeID{
		Area:   string(k[:n-4]),
		Level:  int(k[n-3]),
		Number: int(binary.BigEndian.Uint16(k[n-2:])),
	}
	if !validAreaToken(id.Area) || id.Level < 1 || id.Level > maxIDLevel || id.Number < 1 || id.Number > maxNumber {
		return PracticeID{}, fmt.Errorf("practice key %x: malformed", k)
	}
	return id, nil
}

// comparePracticeIDStrings orders practice id strings: ids that parse come
// first, in key order; the rest follow in string order.
func comparePracticeIDStrings(a, b string) int {
	pa, errA := ParsePracticeID(a)
	pb, errB := ParsePracticeID(b)
	switch {
	case errA == nil && errB == nil:
		if c := pa.Compare(pb); c != 0 {
			return c
		}
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return strings.Compare(a, b)
}
