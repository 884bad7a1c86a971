package server

import (
	"strings"

	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/services/model/internal/catalog"
)

// The request validation rules (protovalidate patterns in the protos) have
// already checked the shape of every name these functions split; they only
// cut it into parts, and report INVALID_ARGUMENT for what the patterns
// cannot express.

// versionParts splits models/{model}/versions/{version}[/...].
func versionParts(name string) (model, version string) {
	parts := strings.Split(name, "/")
	if len(parts) < 4 {
		return "", ""
	}
	return parts[1], parts[3]
}

// childParts splits models/{model}/versions/{version}/{collection}/{id}.
func childParts(name string) (model, version, id string) {
	parts := strings.Split(name, "/")
	if len(parts) < 6 {
		return "", "", ""
	}
	return parts[1], parts[3], parts[5]
}

// modelID returns the id in models/{model}.
func modelID(name string) string {
	return strings.TrimPrefix(name, "models/")
}

// practiceParts splits a practice name into its version, the practice area
// segment ("-" for any) and the practice id.
func practiceParts(field, name string) (model, version, area string, id catalog.PracticeID, err error) {
	parts := strings.Split(name, "/")
	if len(parts) != 8 {
		return "", "", "", catalog.PracticeID{}, errs.InvalidArgument(errs.Violation(field, "want models/{model}/versions/{version}/practiceAreas/{practice_area}/practices/{practice}"))
	}
	id, perr := catalog.ParsePracticeID(parts[7])
	if perr != nil {
		return "", "", "", catalog.PracticeID{}, errs.InvalidArgument(errs.Violation(field, "%s", perr.Error()))
	}
	return parts[1], parts[3], strings.ToUpper(parts[5]), id, nil
}
