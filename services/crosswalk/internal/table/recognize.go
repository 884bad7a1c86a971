package table

import (
	"regexp"
	"strings"
)

// role is what a cell of a data row stands for.
type role int

const (
	roleCategory role = iota
	roleCapabilityArea
	roleDomain
	rolePracticeArea
	rolePractice
	roleRelationship
	roleClause
	roleTopic
	numRoles
)

// The column names a Problem or Row.Inherited uses.
const (
	ColumnCategory       = "category"
	ColumnCapabilityArea = "capability area"
	ColumnDomain         = "domain"
	ColumnPracticeArea   = "practice area"
	ColumnPractice       = "practice"
	ColumnRelationship   = "relationship"
	ColumnClause         = "clause"
	ColumnTopic          = "clause topic"
	// ColumnRow marks a problem with the row as a whole (no recognizable
	// cell, a header row below the data, a CSV syntax error).
	ColumnRow = "row"
)

var roleColumns = [numRoles]string{
	roleCategory:       ColumnCategory,
	roleCapabilityArea: ColumnCapabilityArea,
	roleDomain:         ColumnDomain,
	rolePracticeArea:   ColumnPracticeArea,
	rolePractice:       ColumnPractice,
	roleRelationship:   ColumnRelationship,
	roleClause:         ColumnClause,
	roleTopic:          ColumnTopic,
}

func (r role) column() string { return roleColumns[r] }

// layout gives the column index of every role, -1 when the table has no
// such column.
type layout [numRoles]int

// defaultLayout is the seed's data layout: category, capability area,
// domain, practice area, practice label, relationship, clause id, topic.
var defaultLayout = layout{0, 1, 2, 3, 4, 5, 6, 7}

// kind is what a cell's content looks like on its own.
type kind uint8

const (
	kindText kind = iota // free text (or empty)
	kindPractice
	kindRelationship
	kindClause
)

var (
	// practiceRe matches a practice label such as "RISK 3.1" or "PLAN-2.2".
	practiceRe = regexp.MustCompile(`^[A-Z]{2,5}\s*-?\s*\d\.\d{1,3}$`)

	// relationshipRe matches every spelling the crosswalk's relationship
	// parser reads: an optional seed number ("2.", "2)" or "2"), an optional
	// "relationship" prefix (the API names), and the words or symbols, with
	// spaces, '_' or '-' between words, in any case. It recognizes a cell;
	// it does not check that the number agrees with the word.
	relationshipRe = regexp.MustCompile(`(?i)^(?:\d+\s*[.)]?\s*)?(?:relationship[\s_-]+)?(?:subset(?:[\s_-]+of)?|intersects?[\s_-]+with|intersects|equals?|superior[\s_-]+of|superset(?:[\s_-]+of)?|not[\s_-]+related|no[\s_-]+relationship|unrelated|disjoint|=|⊂|⊃)$`)

	// clauseRe matches a clause id with an optional "ISO" or "ISO/IEC"
	// prefix: numbered clauses (4.1, 10.2), paragraph items (4.1.2.p.1.a)
	// and Annex ids (A.6.2.4). The first number has at most three digits,
	// so that a standard's number ("42001") is not taken for a clause.
	// Group 1 is the id without the prefix.
	clauseRe = regexp.MustCompile(`^(?:(?i:iso)(?:\s*/\s*(?i:iec))?\s*)?((?:\d{1,3}(?:\.\d+)*|A\.\d+(?:\.\d+)*)(?:\.p\.\d+(?:\.[a-z])?)?)$`)

	// standardRe matches a standard's name used as a column header, such
	// as "ISO / IEC 42001" or "ISO 31000:2018".
	standardRe = regexp.MustCompile(`(?i)^iso(?:\s*/\s*iec)?\s*\d{4,5}(?:-\d+)?(?::\d{4})?$`)

	parenRe = regexp.MustCompile(`\([^)]*\)`)
)

// classify says what a trimmed cell looks like.
func classify(cell string) kind {
	switch {
	case cell == "":
		return kindText
	case clauseRe.MatchString(cell):
		// First: "ISO 4.1" also has the shape of a practice label.
		return kindClause
	case practiceRe.MatchString(cell):
		return kindPractice
	case relationshipRe.MatchString(cell):
		return kindRelationship
	}
	return kindText
}

// clauseID returns a clause cell's id without its "ISO " or "ISO/IEC "
// prefix, or the trimmed cell when it is not a clause id.
func clauseID(cell string) string {
	cell = strings.TrimSpace(cell)
	if m := clauseRe.FindStringSubmatch(cell); m != nil {
		return m[1]
	}
	return cell
}

// practiceAcronym returns the letters of a practice label ("RISK" for
// "RISK 3.1").
func practiceAcronym(label string) string {
	return strings.TrimRight(label, " \t\r\n-0123456789.")
}

// Header priorities: a specific header ("Category", "ISO Clause ID") wins
// over a generic one ("CMMI Model", "ISO / IEC 42001") for the same role.
const (
	prioGeneric  = 1
	prioSpecific = 2
)

var headerWords = map[string]struct {
	role role
	prio int
}{
	"model":           {roleCategory, prioGeneric},
	"category":        {roleCategory, prioSpecific},
	"capability area": {roleCapabilityArea, prioSpecific},
	"domain":          {roleDomain, prioSpecific},
	"practice area":   {rolePracticeArea, prioSpecific},
	"practice label":  {rolePractice, prioSpecific},
	"practice":        {rolePractice, prioSpecific},
	"practice id":     {rolePractice, prioSpecific},
	"relationship":    {roleRelationship, prioSpecific},
	"relation":        {roleRelationship, prioSpecific},
	"clause id":       {roleClause, prioSpecific},
	"clause":          {roleClause, prioSpecific},
	"clause number":   {roleClause, prioSpecific},
	"clause topic":    {roleTopic, prioSpecific},
	"clause title":    {roleTopic, prioSpecific},
	"topic":           {roleTopic, prioSpecific},
}

// headerRole says which role a header cell names, if any.
func headerRole(cell string) (r role, prio int, ok bool) {
	if cell == "" {
		return 0, 0, false
	}
	if standardRe.MatchString(cell) {
		// The column under a standard's name holds its clause ids.
		return roleClause, prioGeneric, true
	}
	s := strings.ToLower(parenRe.ReplaceAllString(cell, " "))
	s = strings.ReplaceAll(s, "/", " / ")
	words := strings.Fields(s)
	for len(words) > 0 {
		switch words[0] {
		case "iso", "iec", "/", "cmmi":
			words = words[1:]
			continue
		}
		break
	}
	w, found := headerWords[strings.Join(words, " ")]
	return w.role, w.prio, found
}
