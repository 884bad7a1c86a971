package catalog

import (
	"bytes"
	"regexp"
)

// blockScalarHeader matches the end of a line that starts a literal or
// folded block scalar ("text: |", "- >-", "explanation: |2").
var blockScalarHeader = regexp.MustCompile(`(^|[\s:-])[|>][-+1-9]{0,2}$`)

// yamlTooDeep estimates, without parsing, whether YAML text nests deeper
// than MaxBundleTextDepth, and returns the line where it first does. The
// estimate of a line's depth is the number of open block indentation levels,
// plus the sequence dashes that start the line, plus the flow collections
// ([ and {) open on it. It errs on the high side for odd layouts, which a
// bundle, nesting about seven levels, never comes near; what it cannot see
// (nesting built by aliases, an unusual construct it misreads) the exact
// check on the converted JSON catches.
func yamlTooDeep(data []byte) (line int, deep bool) {
	var (
		indents     []int // indentation of the open block levels
		flow        int   // open flow collections
		quote       byte  // the quote of a scalar that continues on the next line
		blockIndent = -1  // inside a block scalar: the indentation of its header line
	)
	for n, raw := range bytes.Split(data, []byte("\n")) {
		text := bytes.TrimRight(raw, "\r")
		indent := 0
		for indent < len(text) && text[indent] == ' ' {
			indent++
		}
		rest := text[indent:]
		blank := len(bytes.TrimSpace(rest)) == 0
		if blockIndent >= 0 {
			if blank || indent > blockIndent {
				continue
			}
			blockIndent = -1
		}

		depth := len(indents)
		if quote == 0 && flow == 0 {
			if blank || rest[0] == '#' || rest[0] == '%' {
				continue
			}
			if bytes.HasPrefix(rest, []byte("---")) || bytes.HasPrefix(rest, []byte("...")) {
				indents = indents[:0]
				continue
			}
			for len(indents) > 0 && indents[len(indents)-1] > indent {
				indents = indents[:len(indents)-1]
			}
			if len(indents) == 0 || indents[len(indents)-1] < indent {
				indents = append(indents, indent)
			}
			depth = len(indents)
			for len(rest) > 0 && rest[0] == '-' && (len(rest) == 1 || rest[1] == ' ' || rest[1] == '\t') {
				depth++
				rest = bytes.TrimLeft(rest[1:], " \t")
			}
		}

		maxFlow, content := scanYAMLLine(rest, &flow, &quote)
		if depth+maxFlow > MaxBundleTextDepth {
			return n + 1, true
		}
		if quote == 0 && flow == 0 && blockScalarHeader.Match(bytes.TrimRight(content, " \t")) {
			blockIndent = indent
		}
	}
	return 0, false
}

// scanYAMLLine scans the rest of a line for flow collections and quoted
// scalars, updating the open flow count and quote state that carry over to
// the next line. It returns the most flow collections open at once on the
// line and the line's content before any comment.
func scanYAMLLine(rest []byte, flow *int, quote *byte) (maxFlow int, content []byte) {
	maxFlow = *flow
	valueStart := true // at a place where a value may begin
	plain := false     // inside a plain scalar
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch *quote {
		case '"':
			if c == '\\' {
				i++
			} else if c == '"' {
				*quote = 0
			}
			continue
		case '\'':
			if c == '\'' {
				if i+1 < len(rest) && rest[i+1] == '\'' {
					i++
				} else {
					*quote = 0
				}
			}
			continue
		}
		spaceBefore := i == 0 || rest[i-1] == ' ' || rest[i-1] == '\t'
		switch {
		case c == ' ' || c == '\t':
		case c == '#' && spaceBefore:
			return maxFlow, rest[:i]
		case c == ':' && (i+1 == len(rest) || rest[i+1] == ' ' || rest[i+1] == '\t'):
			plain, valueStart = false, true
		case plain && *flow > 0 && (c == ',' || c == ']' || c == '}'):
			plain = false
			i-- // handle the indicator below, on the next round
		case plain:
		case c == '"' || c == '\'':
			if valueStart {
				*quote = c
			}
			valueStart = false
		case c == '[' || c == '{':
			if valueStart || *flow > 0 {
				*flow++
				maxFlow = max(maxFlow, *flow)
			}
			valueStart = true
		case c == ']' || c == '}':
			if *flow > 0 {
				*flow--
			}
			valueStart = false
		case c == ',' && *flow > 0:
			valueStart = true
		case c == '-' || c == '?':
			// a sequence entry or complex key indicator, or a plain scalar
			if i+1 < len(rest) && rest[i+1] != ' ' && rest[i+1] != '\t' {
				plain, valueStart = true, false
			}
		default:
			plain, valueStart = true, false
		}
	}
	return maxFlow, rest
}
