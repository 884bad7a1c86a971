package server

import "github.com/aim-platform/aim/platform/errs"

// invalidName reports a resource name the validation rules let through but
// the domain rejects.
func invalidName(err error) error {
	return errs.InvalidArgument(errs.Violation("name", "%s", err.Error()))
}
