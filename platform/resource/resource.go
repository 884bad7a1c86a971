// Package resource holds helpers for AIP-122 resource names shared by the
// services.
package resource

import "strings"

// ID returns the resource ID of a resource name: what follows its last
// slash ("RSK-3.1" for "models/cmmi-aim/versions/3.0/practices/RSK-3.1"),
// or the whole name when it has no slash.
func ID(name string) string {
	return name[strings.LastIndexByte(name, '/')+1:]
}
