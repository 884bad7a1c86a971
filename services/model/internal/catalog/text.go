package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"sigs.k8s.io/yaml"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/errs"
)

// Limits on bundle text. A real bundle nests about seven levels deep and
// the sample model is well under a megabyte.
const (
	MaxBundleTextBytes = 16 << 20 // the largest document ParseBundleText reads
	MaxBundleTextDepth = 64       // the deepest nesting of objects and lists it reads
)

// bundleTextField is the request field that bundle text arrives in; every
// parse error names it.
const bundleTextField = "bundle_text"

// ParseBundleText reads a bundle written as JSON or YAML (a document whose
// first character other than white space is '{' is JSON). Keys may be the
// proto names (usage_scenarios) or the JSON names (usageScenarios). AI usage
// scenarios and applicability may be spelled as the enum value names
// (AI_USAGE_SCENARIO_FULLY_AUTONOMOUS), without the prefix, in any letter
// case and with spaces or hyphens for underscores ("fully-autonomous"), or
// in ISACA's wording ("human-augmented AI", "autonomous augmentation",
// "fully autonomous AI"); applicability also as "build", "acquire" or
// "acquiring or integrating".
//
// Any problem is an Invalid *errs.Error with one violation on the field
// "bundle_text" saying what is wrong and where: a syntax error with its
// line, an unknown field or enum value with its path, a document larger than
// MaxBundleTextBytes or nested deeper than MaxBundleTextDepth (checked
// before the document is parsed). ParseBundleText checks syntax and schema
// only; ValidateBundle checks the content.
func ParseBundleText(data []byte) (*modelv1.ModelBundle, error) {
	if len(data) > MaxBundleTextBytes {
		return nil, textError("the document is %d bytes; the limit is %d bytes (16 MiB)", len(data), MaxBundleTextBytes)
	}
	if !utf8.Valid(data) {
		off := invalidUTF8Offset(data)
		line, col := position(data, off)
		return nil, textError("the document is not valid UTF-8: line %d, column %d (byte offset %d)", line, col, off)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, textError("the document is empty")
	}

	jsonData := data
	if trimmed[0] == '{' {
		if off, deep := jsonTooDeep(data); deep {
			line, col := position(data, off)
			return nil, textError("the document nests deeper than %d levels, first at line %d, column %d", MaxBundleTextDepth, line, col)
		}
	} else {
		if line, deep := yamlTooDeep(data); deep {
			return nil, textError("the document nests deeper than %d levels, first at line %d", MaxBundleTextDepth, line)
		}
		converted, err := yaml.YAMLToJSONStrict(data)
		if err != nil {
			return nil, textError("the YAML is not valid: %s", yamlProblem(err))
		}
		// Anchors and aliases can build nesting the text does not show.
		if _, deep := jsonTooDeep(converted); deep {
			return nil, textError("the document nests deeper than %d levels, counting what its YAML aliases expand to", MaxBundleTextDepth)
		}
		jsonData = converted
	}

	tree, err := decodeTree(jsonData)
	if err != nil {
		return nil, err
	}
	obj, ok := tree.(jsonObject)
	if !ok {
		return nil, textError("the document must be an object (a mapping) holding the bundle's fields, not %s", describeValue(tree))
	}
	bundle := &modelv1.ModelBundle{}
	if err := prepareMessage(obj, bundle.ProtoReflect().Descriptor(), ""); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	encodeTree(&buf, obj)
	if err := (protojson.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(buf.Bytes(), bundle); err != nil {
		return nil, textError("the bundle does not match the schema: %s", protojsonProblem(err))
	}
	return bundle, nil
}

// MarshalBundleJSON writes b as the JSON that ParseBundleText reads: the
// protojson form with JSON (lowerCamelCase) names, unset fields left out,
// indented by two spaces. The layout is normalized so that the same bundle
// always gives the same bytes.
func MarshalBundleJSON(b *modelv1.ModelBundle) ([]byte, error) {
	if b == nil {
		b = &modelv1.ModelBundle{}
	}
	compact, err := protojson.MarshalOptions{UseProtoNames: false, EmitUnpopulated: false}.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("marshal bundle %s/%s as JSON: %w", b.GetModel(), b.GetVersion(), err)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, compact, "", "  "); err != nil {
		return nil, fmt.Errorf("indent bundle JSON: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// MarshalBundleYAML writes b as YAML: the document MarshalBundleJSON writes,
// converted.
func MarshalBundleYAML(b *modelv1.ModelBundle) ([]byte, error) {
	data, err := MarshalBundleJSON(b)
	if err != nil {
		return nil, err
	}
	out, err := yaml.JSONToYAML(data)
	if err != nil {
		return nil, fmt.Errorf("convert bundle JSON to YAML: %w", err)
	}
	return out, nil
}

func textError(format string, args ...any) *errs.Error {
	return errs.InvalidArgument(errs.Violation(bundleTextField, format, args...))
}

// jsonObject is a decoded JSON object that keeps its members in order,
// repeated keys included, so that protojson still sees and reports them.
type jsonObject []jsonMember

type jsonMember struct {
	key   string
	value any // jsonObject, []any, string, json.Number, bool or nil
}

// decodeTree decodes one JSON value. Its depth must have been checked.
func decodeTree(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, jsonSyntaxError(data, dec, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		line, col := position(data, int(dec.InputOffset()))
		return nil, textError("the JSON has more after the bundle's closing brace, at line %d, column %d", line, col)
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			obj := jsonObject{}
			for dec.More() {
				keyTok, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := keyTok.(string)
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				obj = append(obj, jsonMember{key: key, value: v})
			}
			_, err := dec.Token() // '}'
			return obj, err
		}
		list := []any{}
		for dec.More() {
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		_, err := dec.Token() // ']'
		return list, err
	default:
		return t, nil
	}
}

// jsonSyntaxError turns a decoding error into a bundle_text violation with
// the line and column where the library found the problem.
func jsonSyntaxError(data []byte, dec *json.Decoder, err error) error {
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &syntax):
		line, col := position(data, int(syntax.Offset))
		return textError("the JSON is not valid at line %d, column %d: %s", line, col, syntax.Error())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return textError("the JSON ends before the bundle is complete")
	default:
		line, col := position(data, int(dec.InputOffset()))
		return textError("the JSON is not valid at line %d, column %d: %s", line, col, err.Error())
	}
}

// encodeTree writes a decoded tree back as compact JSON.
func encodeTree(buf *bytes.Buffer, v any) {
	switch t := v.(type) {
	case jsonObject:
		buf.WriteByte('{')
		for i, m := range t {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSONString(buf, m.key)
			buf.WriteByte(':')
			encodeTree(buf, m.value)
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				buf.WriteByte(',')
			}
			encodeTree(buf, e)
		}
		buf.WriteByte(']')
	case string:
		writeJSONString(buf, t)
	case json.Number:
		buf.WriteString(t.String())
	case bool:
		buf.WriteString(strconv.FormatBool(t))
	default:
		buf.WriteString("null")
	}
}

func writeJSONString(buf *bytes.Buffer, s string) {
	data, _ := json.Marshal(s) // a string always marshals
	buf.Write(data)
}

// prepareMessage walks a decoded object along the message it encodes: it
// rewrites the accepted spellings of AI usage scenarios and applicability
// to their enum value names, and reports, with the field path, a key that
// names no field, an enum value it does not know, and a value of the wrong
// shape where the path helps (an object, a list or a string expected).
// protojson reports whatever else is wrong.
func prepareMessage(obj jsonObject, md protoreflect.MessageDescriptor, path string) error {
	fields := md.Fields()
	for i := range obj {
		m := &obj[i]
		fd := fields.ByJSONName(m.key)
		if fd == nil {
			fd = fields.ByTextName(m.key)
		}
		if fd == nil {
			return textError("%s: unknown field %q", joinPath(path, m.key), m.key)
		}
		fp := joinPath(path, string(fd.Name()))
		if m.value == nil || fd.IsMap() {
			continue
		}
		if !fd.IsList() {
			v, err := prepareValue(m.value, fd, fp)
			if err != nil {
				return err
			}
			m.value = v
			continue
		}
		list, ok := m.value.([]any)
		if !ok {
			return textError("%s: expected a list, found %s", fp, describeValue(m.value))
		}
		for j := range list {
			v, err := prepareValue(list[j], fd, at(fp, j))
			if err != nil {
				return err
			}
			list[j] = v
		}
	}
	return nil
}

// prepareValue checks and rewrites one value of field fd.
func prepareValue(v any, fd protoreflect.FieldDescriptor, path string) (any, error) {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		if fd.Message().ParentFile().Package() == "google.protobuf" {
			return v, nil // well-known types have their own JSON forms
		}
		obj, ok := v.(jsonObject)
		if !ok {
			if v == nil {
				return v, nil
			}
			return nil, textError("%s: expected an object, found %s", path, describeValue(v))
		}
		return obj, prepareMessage(obj, fd.Message(), path)
	}
	switch t := v.(type) {
	case jsonObject, []any:
		return nil, textError("%s: expected a single %s value, found %s", path, fd.Kind(), describeValue(v))
	case string:
		if fd.Kind() == protoreflect.EnumKind {
			return enumName(t, fd.Enum(), path)
		}
	case json.Number, bool:
		if fd.Kind() == protoreflect.StringKind {
			return nil, textError("%s: expected a string, found %s; in YAML, quote values such as 3.0 or yes", path, describeValue(v))
		}
	}
	// Enum numbers and the forms of other scalars are protojson's business;
	// validation checks enum numbers.
	return v, nil
}

// enumName returns the enum value name that s spells. The AIM enums accept
// their aliases; other enums accept their value names as protojson does.
func enumName(s string, ed protoreflect.EnumDescriptor, path string) (string, error) {
	if ed.Values().ByName(protoreflect.Name(s)) != nil {
		return s, nil
	}
	norm := normalizeSpelling(s)
	switch ed.FullName() {
	case modelv1.AiUsageScenario(0).Descriptor().FullName():
		if v, ok := usageScenarioSpelling(norm); ok {
			return v.String(), nil
		}
		return "", textError("%s: %q is not an AI usage scenario; use SUPPORT_AUGMENTATION (human-augmented), "+
			"VERIFIED_AUGMENTATION (autonomous augmentation) or FULLY_AUTONOMOUS", path, s)
	case modelv1.AiApplicability(0).Descriptor().FullName():
		if v, ok := applicabilitySpelling(norm); ok {
			return v.String(), nil
		}
		return "", textError("%s: %q is not an applicability; use BUILDING or ACQUIRING", path, s)
	}
	return "", textError("%s: %q is not a value of %s", path, s, ed.FullName())
}

// normalizeSpelling lower-cases s and turns hyphens, underscores and runs of
// white space into single spaces.
func normalizeSpelling(s string) string {
	s = strings.ToLower(s)
	s = strings.NewReplacer("-", " ", "_", " ").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// usageScenarioSpelling maps a normalized spelling to a usage scenario.
func usageScenarioSpelling(norm string) (modelv1.AiUsageScenario, bool) {
	norm = strings.TrimPrefix(norm, "ai usage scenario ")
	switch norm {
	case "unspecified":
		return modelv1.AiUsageScenario_AI_USAGE_SCENARIO_UNSPECIFIED, true
	case "support augmentation", "human augmented", "human augmented ai":
		return modelv1.AiUsageScenario_AI_USAGE_SCENARIO_SUPPORT_AUGMENTATION, true
	case "verified augmentation", "autonomous augmentation":
		return modelv1.AiUsageScenario_AI_USAGE_SCENARIO_VERIFIED_AUGMENTATION, true
	case "fully autonomous", "fully autonomous ai":
		return modelv1.AiUsageScenario_AI_USAGE_SCENARIO_FULLY_AUTONOMOUS, true
	}
	return 0, false
}

// applicabilitySpelling maps a normalized spelling to an applicability.
func applicabilitySpelling(norm string) (modelv1.AiApplicability, bool) {
	norm = strings.TrimPrefix(norm, "ai applicability ")
	switch norm {
	case "unspecified":
		return modelv1.AiApplicability_AI_APPLICABILITY_UNSPECIFIED, true
	case "building", "build":
		return modelv1.AiApplicability_AI_APPLICABILITY_BUILDING, true
	case "acquiring", "acquire", "acquiring or integrating", "acquire or integrate":
		return modelv1.AiApplicability_AI_APPLICABILITY_ACQUIRING, true
	}
	return 0, false
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func describeValue(v any) string {
	switch t := v.(type) {
	case jsonObject:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case json.Number:
		return "the number " + t.String()
	case bool:
		return "the boolean " + strconv.FormatBool(t)
	default:
		return "null"
	}
}

// linePosition matches the position protojson puts in its errors; it is
// dropped because it counts in the rewritten document, not the caller's.
var linePosition = regexp.MustCompile(`\(line \d+:\d+\):?\s*`)

// protojsonProblem returns the text of a protojson error without its
// "proto:" prefix and position.
func protojsonProblem(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "proto:")
	msg = strings.TrimLeft(msg, " \u00a0")
	return strings.TrimSpace(linePosition.ReplaceAllString(msg, ""))
}

// yamlProblem returns the text of a YAML conversion error on one line.
func yamlProblem(err error) string {
	msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
	msg = strings.TrimPrefix(msg, "yaml: ")
	return strings.Join(strings.Fields(msg), " ")
}

// position returns the 1-based line and column (in bytes) of a byte offset.
func position(data []byte, off int) (line, col int) {
	off = min(max(off, 0), len(data))
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = off - bytes.LastIndexByte(before, '\n')
	return line, col
}

// invalidUTF8Offset returns the offset of the first byte that is not part
// of valid UTF-8.
func invalidUTF8Offset(data []byte) int {
	for off := 0; off < len(data); {
		r, size := utf8.DecodeRune(data[off:])
		if r == utf8.RuneError && size <= 1 {
			return off
		}
		off += size
	}
	return len(data)
}

// jsonTooDeep reports whether JSON text nests objects and arrays deeper than
// MaxBundleTextDepth, and the offset where it first does. It only counts
// brackets outside strings; it does not check the syntax.
func jsonTooDeep(data []byte) (offset int, deep bool) {
	depth := 0
	inString, escaped := false, false
	for i, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > MaxBundleTextDepth {
				return i, true
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return 0, false
}
