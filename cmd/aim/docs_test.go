package main

import (
	"os"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestRedteamL7_OperationsDocMatchesEveryFlag keeps docs/operations.md in step with the
// commands: every flag of every command, with its environment variable, has
// a row in that command's table, whose default column is the flag's own
// default (L7: the docs once said 4194304 for a 25165824 limit).
func TestRedteamL7_OperationsDocMatchesEveryFlag(t *testing.T) {
	raw, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	for _, cmd := range newRootCommand().Commands() {
		if cmd.Name() == "help" || cmd.Name() == "completion" {
			continue
		}
		head := "### `aim " + cmd.Name() + "`"
		i := strings.Index(doc, head)
		if i < 0 {
			t.Errorf("docs/operations.md has no section %s", head)
			continue
		}
		section := doc[i+len(head):]
		if j := strings.Index(section, "\n### "); j >= 0 {
			section = section[:j]
		}
		if j := strings.Index(section, "\n## "); j >= 0 {
			section = section[:j]
		}
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			row := "| `--" + f.Name + "` | `" + envName(f.Name) + "` |"
			i := strings.Index(section, row)
			if i < 0 {
				t.Errorf("docs/operations.md, aim %s: no row for --%s (%s)", cmd.Name(), f.Name, envName(f.Name))
				return
			}
			rest := section[i+len(row):]
			cell, _, _ := strings.Cut(rest, "|")
			if got, want := strings.TrimSpace(cell), docDefault(f); got != want {
				t.Errorf("docs/operations.md, aim %s --%s: default %s, the binary's is %s", cmd.Name(), f.Name, got, want)
			}
		})
	}
}

// docDefault is how the flag table writes a flag's default: nothing for an
// empty one, a string in quotes, anything else as it is, all in code
// quotes. A flag whose empty default stands for another value says so in
// its usage, `(default "x")`, and the table gives that value.
func docDefault(f *pflag.Flag) string {
	if _, after, ok := strings.Cut(f.Usage, `(default "`); ok && f.DefValue == "" {
		v, _, _ := strings.Cut(after, `"`)
		return "`\"" + v + "\"`"
	}
	switch {
	case f.DefValue == "" || f.DefValue == "[]":
		return ""
	case f.Value.Type() == "string":
		return "`\"" + f.DefValue + "\"`"
	}
	return "`" + f.DefValue + "`"
}
