package store_test

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/errs"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/model/internal/catalog"
	"github.com/aim-platform/aim/services/model/internal/catalog/defaults"
	"github.com/aim-platform/aim/services/model/internal/store"
)

const (
	tenantA = "acme"
	tenantB = "globex"
)

func open(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(pstore.DefaultConfig(filepath.Join(t.TempDir(), "model.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return st
}

// bundle returns a small valid canonical bundle of model/version.
func bundle(model, version string) *modelv1.ModelBundle {
	return catalog.Canonicalize(&modelv1.ModelBundle{
		Model: model, Version: version, DisplayName: model + " " + version,
		Categories:      []*modelv1.BundleCategory{{Id: "managing", DisplayName: "Managing"}},
		CapabilityAreas: []*modelv1.BundleCapabilityArea{{Id: "MBR", DisplayName: "Resilience", Category: "managing", Aliases: []string{"MIR"}}},
		Domains:         []*modelv1.BundleDomain{{Id: "core", DisplayName: "Core", Core: true}},
		PracticeAreas: []*modelv1.BundlePracticeArea{
			{Id: "RSK", DisplayName: "Risk", CapabilityArea: "MBR", Domain: "core", Aliases: []string{"RISK"}},
			{Id: "PLAN", DisplayName: "Planning", CapabilityArea: "MBR", Domain: "core"},
		},
		Practices: []*modelv1.BundlePractice{
			{Id: "RSK-1.1", PracticeArea: "RSK", Level: 1, Statement: "Note risks.",
				AiContext: []*modelv1.AiContextAddition{{Id: "RSK-1.1-AI-1", Text: "Note AI risks."}, {Id: "RSK-1.1-AI-2", Text: "Note drift."}}},
			{Id: "RSK-2.10", PracticeArea: "RSK", Level: 2, Statement: "Track risks."},
			{Id: "RSK-2.9", PracticeArea: "RSK", Level: 2, Statement: "Rate risks."},
			{Id: "PLAN-1.1", PracticeArea: "PLAN", Level: 1, Statement: "Plan.",
				AiContext: []*modelv1.AiContextAddition{{Id: "PLAN-1.1-AI-1", Text: "Plan AI work."}}},
		},
		Views: []*modelv1.BundleView{{Id: "all", DisplayName: "All", PracticeAreas: []string{"PLAN", "RSK"},
			MaturityLevels: []*modelv1.MaturityLevelRequirement{{MaturityLevel: 2, Requirements: []*modelv1.PracticeAreaLevel{{PracticeArea: "RSK", Level: 2}}}}}},
	})
}

func wantKind(t *testing.T, err error, kind errs.Kind) {
	t.Helper()
	if err == nil || errs.KindOf(err) != kind {
		t.Fatalf("err = %v, want kind %v", err, kind)
	}
}

// InstallDefaults installs the embedded bundle once, as shared published
// content, and what it installs is what InstallDefault makes of the parsed
// bundle (the server tests' faster fixture).
func TestInstallDefaultsMatchesFixture(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st := open(t)
	if n, err := st.InstallDefaults(now); err != nil || n != 1 {
		t.Fatalf("InstallDefaults = %d, %v", n, err)
	}
	if n, err := st.InstallDefaults(now.Add(time.Hour)); err != nil || n != 0 {
		t.Fatalf("second InstallDefaults = %d, %v; want 0, nil", n, err)
	}

	b, err := catalog.ParseBundleText(defaults.SampleBundle())
	if err != nil {
		t.Fatal(err)
	}
	other := open(t)
	var m catalog.Model
	for _, d := range catalog.DefaultModels() {
		if d.ID == b.GetModel() {
			m = d
		}
	}
	model := &modelv1.Model{Name: m.Name(), DisplayName: m.DisplayName, Description: m.Description, Publisher: m.Publisher, Sample: m.Sample}
	if ok, err := other.InstallDefault(model, b, now); err != nil || !ok {
		t.Fatalf("InstallDefault = %v, %v", ok, err)
	}

	for _, tenant := range []string{tenantA, pstore.SharedTenant} {
		v1, ref, err := st.GetVersion(tenant, "cmmi-aim", "3.0-sample")
		if err != nil {
			t.Fatal(err)
		}
		v2, _, err := other.GetVersion(tenant, "cmmi-aim", "3.0-sample")
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(v1, v2) || !ref.Shared() || ref.Name() != "models/cmmi-aim/versions/3.0-sample" {
			t.Fatalf("InstallDefaults gives %v (%+v)\nInstallDefault gives %v", v1, ref, v2)
		}
		if v1.GetState() != modelv1.ModelVersion_STATE_PUBLISHED || v1.GetCounts().GetPractices() != 276 || v1.GetDigest() != catalog.Digest(b) {
			t.Fatalf("version = %v", v1)
		}
		m1, _ := st.GetModel(tenant, "cmmi-aim")
		m2, _ := other.GetModel(tenant, "cmmi-aim")
		if !proto.Equal(m1, m2) || !m1.GetShared() || !m1.GetSample() {
			t.Fatalf("models %v and %v", m1, m2)
		}
		b1, _, _, err := st.Bundle(tenant, "cmmi-aim", "3.0-sample")
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(b1, catalog.Canonicalize(b)) {
			t.Fatal("the stored bundle is not the canonical default")
		}
	}
}

func TestBuildContent(t *testing.T) {
	const name = "models/m/versions/1"
	c, err := store.BuildContent(name, bundle("m", "1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Categories) != 1 || len(c.CapabilityAreas) != 1 || len(c.Domains) != 1 || len(c.PracticeAreas) != 2 || len(c.Practices) != 4 || len(c.Views) != 1 {
		t.Fatalf("content sizes: %+v", c)
	}
	var rsk *modelv1.PracticeArea
	for _, pa := range c.PracticeAreas {
		if pa.GetAcronym() == "RSK" {
			rsk = pa
		}
	}
	want := &modelv1.PracticeArea{
		Name: name + "/practiceAreas/RSK", Acronym: "RSK", DisplayName: "Risk",
		Category: name + "/categories/managing", CapabilityArea: name + "/capabilityAreas/MBR", Domain: name + "/domains/core",
		Aliases: []string{"RISK"}, MaxLevel: 2, PracticeCount: 3, AiContextPracticeCount: 1,
	}
	if !proto.Equal(rsk, want) {
		t.Fatalf("RSK = %v\nwant %v", rsk, want)
	}
	var p *modelv1.Practice
	for _, x := range c.Practices {
		if x.GetName() == name+"/practiceAreas/RSK/practices/RSK-2.10" {
			p = x
		}
	}
	if p == nil || p.GetLabel() != "RSK 2.10" || !slices.Equal(p.GetAliases(), []string{"RISK 2.10"}) || p.GetPracticeArea() != name+"/practiceAreas/RSK" {
		t.Fatalf("RSK-2.10 = %v", p)
	}
	if c.Aliases["pa:RISK"] != "RSK" || c.Aliases["ca:MIR"] != "MBR" || len(c.Aliases) != 2 {
		t.Fatalf("aliases = %v", c.Aliases)
	}
	if !c.Views[0].GetBuiltIn() || c.Views[0].GetName() != name+"/views/all" {
		t.Fatalf("view = %v", c.Views[0])
	}
	if _, err := store.BuildContent(name, &modelv1.ModelBundle{Practices: []*modelv1.BundlePractice{{Id: "X-1.1", PracticeArea: "X", Level: 1}}}); err == nil {
		t.Fatal("a practice of an unknown practice area built")
	}
}

func TestVersionLifecycle(t *testing.T) {
	st := open(t)
	now := time.Now()
	b := bundle("acme-ai", "1.0")
	v, err := st.Import(tenantA, b, now)
	if err != nil {
		t.Fatal(err)
	}
	if v.GetState() != modelv1.ModelVersion_STATE_DRAFT || v.GetEtag() != pstore.ETag(v) || v.GetCounts().GetAiContextAdditions() != 3 {
		t.Fatalf("imported %v", v)
	}
	_, err = st.Import(tenantA, b, now)
	wantKind(t, err, errs.AlreadyExists)
	if _, err := st.Import(tenantB, b, now); err != nil {
		t.Fatalf("another tenant, same id: %v", err)
	}
	_, _, err = st.GetVersion("other", "acme-ai", "1.0")
	wantKind(t, err, errs.NotFound)
	_, err = st.GetModel("other", "acme-ai")
	wantKind(t, err, errs.NotFound)

	// Reads resolve aliases and order practices numerically.
	p, err := st.GetPractice(tenantA, "acme-ai", "1.0", catalog.PracticeID{Area: "RISK", Level: 2, Number: 9})
	if err != nil || p.GetName() != "models/acme-ai/versions/1.0/practiceAreas/RSK/practices/RSK-2.9" {
		t.Fatalf("GetPractice(RISK-2.9) = %v, %v", p, err)
	}
	if area, err := st.CanonicalPracticeArea(tenantA, "acme-ai", "1.0", "risk"); err != nil || area != "RSK" {
		t.Fatalf("CanonicalPracticeArea(risk) = %q, %v", area, err)
	}
	var ids []string
	if _, _, err := st.List(tenantA, "acme-ai", "1.0", store.KindPractice, nil, nil, 100, func(k, _ []byte) (bool, error) {
		id, err := catalog.ParsePracticeKey(k)
		ids = append(ids, id.String())
		return true, err
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"PLAN-1.1", "RSK-1.1", "RSK-2.9", "RSK-2.10"}; !slices.Equal(ids, want) {
		t.Fatalf("practices in key order = %q, want %q", ids, want)
	}
	ca := &modelv1.CapabilityArea{}
	if _, err := st.Get(tenantA, "acme-ai", "1.0", store.KindCapabilityArea, "MIR", ca); err != nil || ca.GetName() != "models/acme-ai/versions/1.0/capabilityAreas/MBR" {
		t.Fatalf("Get(MIR) = %v, %v", ca, err)
	}

	_, err = st.Publish(tenantA, "acme-ai", "1.0", "stale", now)
	wantKind(t, err, errs.Aborted)
	_, err = st.Deprecate(tenantA, "acme-ai", "1.0", "", now)
	wantKind(t, err, errs.FailedPrecondition)
	pub, err := st.Publish(tenantA, "acme-ai", "1.0", v.GetEtag(), now)
	if err != nil {
		t.Fatal(err)
	}
	if pub.GetDigest() != catalog.Digest(b) || pub.GetState() != modelv1.ModelVersion_STATE_PUBLISHED || pub.GetEtag() == v.GetEtag() {
		t.Fatalf("published %v", pub)
	}
	wantKind(t, st.Delete(tenantA, "acme-ai", "1.0", ""), errs.FailedPrecondition)
	_, err = st.Publish(tenantA, "acme-ai", "1.0", "", now)
	wantKind(t, err, errs.FailedPrecondition)
	dep, err := st.Deprecate(tenantA, "acme-ai", "1.0", pub.GetEtag(), now)
	if err != nil || dep.GetState() != modelv1.ModelVersion_STATE_DEPRECATED || dep.GetDeprecateTime() == nil {
		t.Fatalf("Deprecate = %v, %v", dep, err)
	}

	// Tenant B's copy is untouched and still a draft it may delete.
	vb, _, err := st.GetVersion(tenantB, "acme-ai", "1.0")
	if err != nil || vb.GetState() != modelv1.ModelVersion_STATE_DRAFT {
		t.Fatalf("tenant B's version = %v, %v", vb, err)
	}
	if err := st.Delete(tenantB, "acme-ai", "1.0", vb.GetEtag()); err != nil {
		t.Fatal(err)
	}
	_, _, err = st.GetVersion(tenantB, "acme-ai", "1.0")
	wantKind(t, err, errs.NotFound)
	if _, _, err := st.GetVersion(tenantA, "acme-ai", "1.0"); err != nil {
		t.Fatalf("tenant A's version after tenant B's delete: %v", err)
	}
}

// The shared default is readable by tenants and changeable by none.
func TestSharedVersionIsReadOnly(t *testing.T) {
	st := open(t)
	if _, err := st.InstallDefault(&modelv1.Model{Name: "models/m", DisplayName: "M"}, bundle("m", "1"), time.Now()); err != nil {
		t.Fatal(err)
	}
	_, err := st.Publish(tenantA, "m", "1", "", time.Now())
	wantKind(t, err, errs.PermissionDenied)
	_, err = st.Deprecate(tenantA, "m", "1", "", time.Now())
	wantKind(t, err, errs.PermissionDenied)
	wantKind(t, st.Delete(tenantA, "m", "1", ""), errs.PermissionDenied)
	_, err = st.Import(tenantA, bundle("m", "1"), time.Now())
	wantKind(t, err, errs.AlreadyExists)
	// A second install of the same version writes nothing.
	if ok, err := st.InstallDefault(&modelv1.Model{Name: "models/m"}, bundle("m", "1"), time.Now()); err != nil || ok {
		t.Fatalf("second InstallDefault = %v, %v", ok, err)
	}
}

// Versions list per model: a model id that prefixes another's does not
// pick up the other's versions.
func TestListVersionsByModel(t *testing.T) {
	st := open(t)
	for _, mv := range [][2]string{{"acme", "1"}, {"acme", "2"}, {"acme-ai", "1"}, {"acme-ai", "10"}} {
		if _, err := st.Import(tenantA, bundle(mv[0], mv[1]), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	names := func(model string, limit int) []string {
		var out []string
		after := []byte(model + "/")
		for range 10 {
			list, last, more, err := st.ListVersions(tenantA, model, after, limit)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range list {
				out = append(out, v.GetName())
			}
			if !more {
				return out
			}
			after = last
		}
		t.Fatal("no end")
		return nil
	}
	for _, limit := range []int{1, 10} {
		if got, want := names("acme", limit), []string{"models/acme/versions/1", "models/acme/versions/2"}; !slices.Equal(got, want) {
			t.Fatalf("acme (limit %d) = %q, want %q", limit, got, want)
		}
		if got, want := names("acme-ai", limit), []string{"models/acme-ai/versions/1", "models/acme-ai/versions/10"}; !slices.Equal(got, want) {
			t.Fatalf("acme-ai (limit %d) = %q, want %q", limit, got, want)
		}
	}
	_, _, _, err := st.ListVersions(tenantB, "acme", nil, 10)
	wantKind(t, err, errs.NotFound)
	models, _, _, err := st.ListModels(tenantA, nil, 10)
	if err != nil || len(models) != 2 {
		t.Fatalf("ListModels = %v, %v", models, err)
	}
}

// A tenant's own views: created next to the built-in ones, deleted with
// their draft, never shadowing a built-in view.
func TestTenantViews(t *testing.T) {
	st := open(t)
	for _, version := range []string{"1.0", "1.0.1"} {
		if _, err := st.Import(tenantA, bundle("acme-ai", version), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	view := func(version, id string) *modelv1.View {
		v := &modelv1.View{Name: "models/acme-ai/versions/" + version + "/views/" + id, DisplayName: id, PracticeAreas: []string{"RSK"}}
		v.Etag = pstore.ETag(v)
		return v
	}
	for _, version := range []string{"1.0", "1.0.1"} {
		for _, id := range []string{"a-mine", "z-mine"} {
			if err := st.CreateView(tenantA, "acme-ai", version, id, view(version, id)); err != nil {
				t.Fatal(err)
			}
		}
	}
	wantKind(t, st.CreateView(tenantA, "acme-ai", "1.0", "all", view("1.0", "all")), errs.AlreadyExists)
	wantKind(t, st.CreateView(tenantA, "acme-ai", "1.0", "a-mine", view("1.0", "a-mine")), errs.AlreadyExists)
	wantKind(t, st.CreateView(tenantB, "acme-ai", "1.0", "x", view("1.0", "x")), errs.NotFound)

	var got []string
	after := ""
	for range 10 {
		views, more, err := st.ListViews(tenantA, "acme-ai", "1.0", after, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range views {
			got = append(got, v.GetName()[len("models/acme-ai/versions/1.0/views/"):])
		}
		if !more {
			break
		}
		after = got[len(got)-1]
	}
	if want := []string{"a-mine", "all", "z-mine"}; !slices.Equal(got, want) {
		t.Fatalf("views = %q, want %q", got, want)
	}

	wantKind(t, st.DeleteView(tenantA, "acme-ai", "1.0", "all", ""), errs.FailedPrecondition)
	wantKind(t, st.DeleteView(tenantA, "acme-ai", "1.0", "a-mine", "stale"), errs.Aborted)
	wantKind(t, st.DeleteView(tenantA, "acme-ai", "1.0", "nope", ""), errs.NotFound)
	if err := st.DeleteView(tenantA, "acme-ai", "1.0", "a-mine", view("1.0", "a-mine").GetEtag()); err != nil {
		t.Fatal(err)
	}
	_, err := st.GetView(tenantA, "acme-ai", "1.0", "a-mine")
	wantKind(t, err, errs.NotFound)

	// Deleting draft 1.0 deletes its views, not those of 1.0.1.
	if err := st.Delete(tenantA, "acme-ai", "1.0", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Import(tenantA, bundle("acme-ai", "1.0"), time.Now()); err != nil {
		t.Fatal(err)
	}
	_, err = st.GetView(tenantA, "acme-ai", "1.0", "z-mine")
	wantKind(t, err, errs.NotFound)
	for _, id := range []string{"a-mine", "z-mine"} {
		if _, err := st.GetView(tenantA, "acme-ai", "1.0.1", id); err != nil {
			t.Fatalf("view %s of 1.0.1: %v", id, err)
		}
	}
}
