package main

import (
	"os"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestOperationsDocListsEveryFlag keeps docs/operations.md in step with the
// commands: every flag of every command, with its environment variable, has
// a row in that command's table.
func TestOperationsDocListsEveryFlag(t *testing.T) {
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
			if !strings.Contains(section, row) {
				t.Errorf("docs/operations.md, aim %s: no row for --%s (%s)", cmd.Name(), f.Name, envName(f.Name))
			}
		})
	}
}
