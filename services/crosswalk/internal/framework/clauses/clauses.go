// Package clauses holds the clause trees of the frameworks that ship with the
// crosswalk service: identifiers and titles of public standards only, never
// clause text. The trees live as one JSON file per framework, embedded in the
// binary, so correcting a title or adding a clause is a data change.
//
// A clause id is a dotted number ("4", "6.1.2"), an annex id ("A", "A.6.1.2"),
// or either followed by a paragraph item (".p.N") and optionally a letter item
// within that paragraph (".p.N.l"), as crosswalks cite them: "4.1.2.p.1.a" is
// item a of paragraph 1 of clause 4.1.2. The shipped trees hold clauses only;
// paragraph ids come from imported crosswalks.
//
// A clause's Parent in the data is its nearest ancestor by ParentOf that the
// tree holds. It is usually ParentOf(id), but the tree may skip a level the
// reference facts give no title for: ISO/IEC 42001 lists A.6.1.2 and A.6.2.4
// without titles for A.6.1 and A.6.2, so those controls sit directly under
// A.6 and say so in their Note.
package clauses

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strings"
)

// Clause is one node of a framework's clause tree.
type Clause struct {
	// ID is the clause id, e.g. "6.1.2" or "A.6.2.4".
	ID string `json:"id"`
	// Parent is the id of the clause this one sits under; empty at the top.
	Parent string `json:"parent,omitempty"`
	// Title is the clause's heading, a public fact.
	Title string `json:"title"`
	// BestGuess marks a clause no public source confirmed: editable data.
	BestGuess bool `json:"bestGuess,omitempty"`
	// Note is an editorial remark on the data, never text of the standard.
	Note string `json:"note,omitempty"`
}

type file struct {
	Framework string   `json:"framework"`
	Clauses   []Clause `json:"clauses"`
}

//go:embed *.json
var data embed.FS

// Defaults returns the shipped clause trees: framework id to its clauses in
// document order, every parent before its children. Each call parses the
// embedded JSON afresh, so callers own the result. An error means the
// embedded data is malformed.
func Defaults() (map[string][]Clause, error) {
	names, err := fs.Glob(data, "*.json")
	if err != nil {
		return nil, err
	}
	out := make(map[string][]Clause, len(names))
	for _, name := range names {
		b, err := data.ReadFile(name)
		if err != nil {
			return nil, err
		}
		f, err := parse(b)
		if err != nil {
			return nil, fmt.Errorf("clauses: %s: %w", name, err)
		}
		if want := strings.TrimSuffix(path.Base(name), ".json"); f.Framework != want {
			return nil, fmt.Errorf("clauses: %s declares framework %q, want %q", name, f.Framework, want)
		}
		out[f.Framework] = f.Clauses
	}
	return out, nil
}

// parse decodes one framework file and checks its tree: ids valid and
// unique, titles present, each parent the nearest held ancestor and listed
// before the child.
func parse(b []byte) (file, error) {
	var f file
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return file{}, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return file{}, errors.New("trailing data after the framework object")
	}
	if f.Framework == "" {
		return file{}, errors.New("no framework id")
	}
	if len(f.Clauses) == 0 {
		return file{}, errors.New("no clauses")
	}
	all := make(map[string]bool, len(f.Clauses))
	for _, c := range f.Clauses {
		if !ValidID(c.ID) {
			return file{}, fmt.Errorf("clause id %q is not a clause id", c.ID)
		}
		if all[c.ID] {
			return file{}, fmt.Errorf("clause %s listed twice", c.ID)
		}
		all[c.ID] = true
	}
	seen := make(map[string]bool, len(f.Clauses))
	for _, c := range f.Clauses {
		if strings.TrimSpace(c.Title) == "" || c.Title != strings.TrimSpace(c.Title) || strings.ContainsAny(c.Title, "\r\n") {
			return file{}, fmt.Errorf("clause %s: title %q must be one non-empty trimmed line", c.ID, c.Title)
		}
		want := ""
		for p := ParentOf(c.ID); p != ""; p = ParentOf(p) {
			if all[p] {
				want = p
				break
			}
		}
		if c.Parent != want {
			return file{}, fmt.Errorf("clause %s: parent %q, want nearest ancestor %q", c.ID, c.Parent, want)
		}
		if want != "" && !seen[want] {
			return file{}, fmt.Errorf("clause %s listed before its parent %s", c.ID, want)
		}
		seen[c.ID] = true
	}
	return f, nil
}

const (
	num     = `(?:0|[1-9][0-9]*)`
	section = `(?:` + num + `|[A-Z])(?:\.` + num + `)*`
	para    = `(?:\.p\.[1-9][0-9]*(?:\.[a-z])?)?`
)

var idPattern = regexp.MustCompile(`^` + section + para + `$`)

// ValidID reports whether id has a clause-id shape: a dotted number ("4",
// "6.1.2") or an annex id ("A", "A.2", "A.6.1.2"), optionally followed by a
// paragraph item ".p.N" (N from 1) and a letter item ".p.N.x" (x in a–z).
func ValidID(id string) bool { return idPattern.MatchString(id) }

// ParentOf returns the parent id of a clause id by the dotted-prefix rule:
// "4.1.2" -> "4.1", "4" -> "", "A.6.2.4" -> "A.6.2", "A.2" -> "A". A
// paragraph item sits under its clause and a letter item under its
// paragraph: "4.1.2.p.1.a" -> "4.1.2.p.1" -> "4.1.2". It is purely
// syntactic (the tree may not hold the parent); for an id that is not
// ValidID it returns "".
func ParentOf(id string) string {
	if !ValidID(id) {
		return ""
	}
	if i := strings.LastIndex(id, ".p."); i >= 0 {
		rest := id[i+len(".p."):] // "N" or "N.x"
		if j := strings.IndexByte(rest, '.'); j >= 0 {
			return id[:i+len(".p.")+j] // letter item -> its paragraph
		}
		return id[:i] // paragraph -> its clause
	}
	if i := strings.LastIndexByte(id, '.'); i >= 0 {
		return id[:i]
	}
	return ""
}
