package catalog

import (
	"fmt"
	"regexp"
	"strings"
)

// DefaultModelID is the id of the embedded sample model.
const DefaultModelID = "cmmi-aim"

// Model is a model as the domain sees it.
type Model struct {
	ID          string
	DisplayName string
	Description string
	Publisher   string
	Sample      bool
}

// Name returns the model's resource name, models/{id}.
func (m Model) Name() string { return ModelName(m.ID) }

// ModelName returns the resource name of a model id.
func ModelName(id string) string { return "models/" + id }

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ParseModelName returns the id in a models/{id} name.
func ParseModelName(name string) (string, error) {
	id, ok := strings.CutPrefix(name, "models/")
	if !ok || !idPattern.MatchString(id) {
		return "", fmt.Errorf("%q is not a model name of the form models/{model}", name)
	}
	return id, nil
}

// DefaultModels returns the models installed into an empty store. Their text
// is written for this platform and marked as sample content; the licensed
// model text is what a customer imports.
func DefaultModels() []Model {
	return []Model{{
		ID:          DefaultModelID,
		DisplayName: "CMMI with AI Maturity (sample)",
		Description: "Sample content for trying the platform: the CMMI practice areas " +
			"and practices with the AI context that the AIM extension adds, described " +
			"in the platform's own words. Import the licensed model text to appraise " +
			"against the official wording.",
		Publisher: "AIM Platform (sample content)",
		Sample:    true,
	}}
}
