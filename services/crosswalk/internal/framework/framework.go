package framework

import (
	"fmt"
	"regexp"
	"strings"
)

// Kind says what a framework is. The values match the API enum.
type Kind int32

// The kinds of framework.
const (
	KindUnspecified Kind = iota
	KindStandard
	KindMaturityModel
)

// Framework is a framework as the domain sees it.
type Framework struct {
	ID          string
	DisplayName string
	Title       string
	Publisher   string
	EditionYear int32
	Kind        Kind
	// Model is the catalog model a maturity-model framework stands for.
	Model string
}

// Name returns the framework's resource name.
func (f Framework) Name() string { return "frameworks/" + f.ID }

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ParseName returns the id in a frameworks/{id} name.
func ParseName(name string) (string, error) {
	id, ok := strings.CutPrefix(name, "frameworks/")
	if !ok || !idPattern.MatchString(id) {
		return "", fmt.Errorf("%q is not a framework name of the form frameworks/{framework}", name)
	}
	return id, nil
}

// Defaults returns the frameworks installed into an empty store: the ISO
// standards the seed's crosswalks target, and the CMMI AIM model by
// reference to the catalog's default model.
func Defaults() []Framework {
	return []Framework{
		{
			ID: "cmmi-aim", DisplayName: "CMMI AIM", Title: "CMMI with Artificial Intelligence Maturity (sample content)",
			Publisher: "ISACA", EditionYear: 2025, Kind: KindMaturityModel, Model: "models/cmmi-aim",
		},
		{
			ID: "iso-31000-2018", DisplayName: "ISO 31000:2018", Title: "Risk management — Guidelines",
			Publisher: "ISO", EditionYear: 2018, Kind: KindStandard,
		},
		{
			ID: "iso-iec-23053-2022", DisplayName: "ISO/IEC 23053:2022",
			Title:     "Framework for Artificial Intelligence (AI) Systems Using Machine Learning (ML)",
			Publisher: "ISO/IEC", EditionYear: 2022, Kind: KindStandard,
		},
		{
			ID: "iso-iec-23894-2023", DisplayName: "ISO/IEC 23894:2023",
			Title:     "Information technology — Artificial intelligence — Guidance on risk management",
			Publisher: "ISO/IEC", EditionYear: 2023, Kind: KindStandard,
		},
		{
			ID: "iso-iec-42001-2023", DisplayName: "ISO/IEC 42001:2023",
			Title:     "Information technology — Artificial intelligence — Management system",
			Publisher: "ISO/IEC", EditionYear: 2023, Kind: KindStandard,
		},
	}
}
