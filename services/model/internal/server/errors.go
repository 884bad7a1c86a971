package server

import (
	"strconv"

	"github.com/aim-platform/aim/platform/errs"
)

// invalidName reports a resource name the validation rules let through but
// the domain rejects.
func invalidName(err error) error {
	return errs.InvalidArgument(errs.Violation("name", "%s", err.Error()))
}

// fieldIndex returns the path of a repeated field's element, "names[3]".
func fieldIndex(field string, i int) string {
	return field + "[" + strconv.Itoa(i) + "]"
}
