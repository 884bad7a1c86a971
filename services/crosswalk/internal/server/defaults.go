package server

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	"github.com/aim-platform/aim/platform/errs"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/crosswalk/internal/samples"
	"github.com/aim-platform/aim/services/crosswalk/internal/store"
)

// InstallSample installs the sample crosswalk (the seed's CMMI to ISO/IEC
// 42001 excerpt) as shared content unless it is there, and reports whether
// it wrote. The excerpt is read with the same parser users' tables go
// through; its practice labels are made canonical with the seed's known
// spellings, since the catalog may not be up yet when this runs.
func InstallSample(st *store.Store, now time.Time) (bool, error) {
	if _, _, err := st.GetCrosswalk(pstore.SharedTenant, samples.CrosswalkID); err == nil {
		return false, nil
	} else if !errs.Is(err, errs.NotFound) {
		return false, err
	}
	candidates, problems := parseDocument(crosswalkv1.Format_FORMAT_TSV, samples.Excerpt())
	if len(problems) > 0 {
		return false, errs.Wrap(nil, "the sample crosswalk does not parse: line %d, %s: %s", problems[0].line, problems[0].column, problems[0].msg)
	}
	ts := timestamppb.New(now)
	cw := &crosswalkv1.Crosswalk{
		Name:        store.CrosswalkName(samples.CrosswalkID),
		DisplayName: "CMMI AIM to ISO/IEC 42001 (sample excerpt)",
		Description: "The project management excerpt of the CMMI crosswalk quick start guide as the seed shows it: " +
			"a few Planning, Monitor and Control and Risk and Opportunity Management practices against ISO/IEC 42001 clauses. Sample content.",
		SourceFramework:    "frameworks/cmmi-aim",
		TargetFramework:    "frameworks/iso-iec-42001-2023",
		SourceModelVersion: "models/cmmi-aim/versions/3.0-sample",
		Shared:             true, Sample: true, CreateTime: ts, UpdateTime: ts,
	}
	cw.Etag = pstore.ETag(cw)
	seen := map[string]bool{}
	var mappings []*crosswalkv1.Mapping
	for _, c := range candidates {
		c.m.Source = samples.PracticeID(c.sourceAsWritten)
		key := c.m.GetSource() + "\x00" + c.m.GetTarget()
		if seen[key] {
			continue
		}
		seen[key] = true
		c.m.Name = cw.GetName() + "/mappings/" + mappingID(c.m.GetSource(), c.m.GetTarget())
		mappings = append(mappings, c.m)
	}
	if err := st.CreateCrosswalk(pstore.SharedTenant, samples.CrosswalkID, cw); err != nil {
		return false, err
	}
	if _, err := st.ReplaceMappings(pstore.SharedTenant, samples.CrosswalkID, "", mappings, now); err != nil {
		return false, err
	}
	return true, nil
}
