package server

import (
	"context"
	"slices"
	"time"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
	resname "github.com/aim-platform/aim/platform/resource"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/appraisal/internal/store"
)

func timestamped[T resource](stampTimes func(T, *store.Tx)) func(T, string, *store.Tx, auth.Identity) {
	return func(item T, name string, t *store.Tx, _ auth.Identity) {
		setName(item, name)
		stampTimes(item, t)
		setEtag(item)
	}
}

var (
	members = kindOf[*appraisalv1.TeamMember]{
		kind: store.KindMembers, coll: "teamMembers", typ: "TeamMember", event: "team_member", activity: "change the team",
		write: func(t *store.Tx, who auth.Identity) (*appraisalv1.Appraisal, error) { return mustLead(t, who, true) },
		stamp: timestamped(func(m *appraisalv1.TeamMember, t *store.Tx) {
			if m.CreateTime == nil {
				m.CreateTime = timestampOf(t.Now())
			}
		}),
	}
	instances = kindOf[*appraisalv1.Instance]{
		kind: store.KindInstances, coll: "instances", typ: "Instance", event: "instance", activity: "change instances",
		write: func(t *store.Tx, who auth.Identity) (*appraisalv1.Appraisal, error) { return mustLead(t, who, true) },
		stamp: timestamped(func(i *appraisalv1.Instance, t *store.Tx) {
			if i.CreateTime == nil {
				i.CreateTime = timestampOf(t.Now())
			}
		}),
	}
	evidence = kindOf[*appraisalv1.Evidence]{
		kind: store.KindEvidence, coll: "evidence", typ: "Evidence", event: "evidence", activity: "change evidence",
		write: mustCharacterize,
		stamp: func(e *appraisalv1.Evidence, name string, t *store.Tx, who auth.Identity) {
			e.Name = name
			if e.CreateTime == nil {
				e.CreateTime = timestampOf(t.Now())
				e.Creator = who.Subject
			}
			setEtag(e)
		},
	}
	findings = kindOf[*appraisalv1.Finding]{
		kind: store.KindFindings, coll: "findings", typ: "Finding", event: "finding", activity: "change findings",
		write: mustCharacterize,
		stamp: timestamped(func(f *appraisalv1.Finding, t *store.Tx) {
			if f.CreateTime == nil {
				f.CreateTime = timestampOf(t.Now())
			}
			f.UpdateTime = timestampOf(t.Now())
		}),
	}
)

// setName and setEtag reach the name and etag fields of any child resource.
func setName(m resource, name string) {
	r := m.ProtoReflect()
	r.Set(r.Descriptor().Fields().ByName("name"), valueOfString(name))
}

func setEtag(m resource) {
	r := m.ProtoReflect()
	fd := r.Descriptor().Fields().ByName("etag")
	r.Clear(fd)
	r.Set(fd, valueOfString(pstore.ETag(m)))
}

// memberInput keeps what a client may set on a team member.
func memberInput(m *appraisalv1.TeamMember) *appraisalv1.TeamMember {
	return &appraisalv1.TeamMember{Subject: m.GetSubject(), DisplayName: m.GetDisplayName(), Role: m.GetRole(), Certifications: m.GetCertifications()}
}

// forEachMember calls fn for every team member.
func forEachMember(t *store.Tx, fn func(*appraisalv1.TeamMember)) error {
	return t.ForEach(store.KindMembers, func(_, v []byte) error {
		m := &appraisalv1.TeamMember{}
		if err := pstore.UnmarshalProto(v, m); err != nil {
			return err
		}
		fn(m)
		return nil
	})
}

// uniqueSubject checks no other member has the same subject.
func uniqueSubject(t *store.Tx, _ *appraisalv1.Appraisal, m *appraisalv1.TeamMember) error {
	var clash string
	err := forEachMember(t, func(other *appraisalv1.TeamMember) {
		if other.GetSubject() == m.GetSubject() && other.GetName() != m.GetName() {
			clash = other.GetName()
		}
	})
	if err == nil && clash != "" {
		err = errs.New(errs.AlreadyExists, "SUBJECT_ON_TEAM", "%q is already on the team as %s", m.GetSubject(), clash)
	}
	return err
}

// CreateTeamMember adds a person to the team. A subject may be on a team
// once.
func (s *Server) CreateTeamMember(ctx context.Context, req *appraisalv1.CreateTeamMemberRequest) (*appraisalv1.CreateTeamMemberResponse, error) {
	id := req.GetTeamMemberId()
	if id == "" {
		id = memberID(req.GetTeamMember().GetSubject())
	}
	m, err := members.create(ctx, s, req.GetParent(), id, req.GetRequestId(), memberInput(req.GetTeamMember()), uniqueSubject)
	if err != nil {
		return nil, err
	}
	return &appraisalv1.CreateTeamMemberResponse{TeamMember: m}, nil
}

// GetTeamMember returns one team member.
func (s *Server) GetTeamMember(ctx context.Context, req *appraisalv1.GetTeamMemberRequest) (*appraisalv1.GetTeamMemberResponse, error) {
	m, err := members.get(ctx, s, req.GetName(), &appraisalv1.TeamMember{})
	if err != nil {
		return nil, err
	}
	return &appraisalv1.GetTeamMemberResponse{TeamMember: m}, nil
}

// ListTeamMembers lists the team.
func (s *Server) ListTeamMembers(ctx context.Context, req *appraisalv1.ListTeamMembersRequest) (*appraisalv1.ListTeamMembersResponse, error) {
	list, next, err := members.list(ctx, s, req.GetParent(), req.GetPageSize(), req.GetPageToken(), func() *appraisalv1.TeamMember { return &appraisalv1.TeamMember{} })
	if err != nil {
		return nil, err
	}
	return &appraisalv1.ListTeamMembersResponse{TeamMembers: list, NextPageToken: next}, nil
}

var memberFields = map[string]func(dst, src *appraisalv1.TeamMember){
	"display_name":   func(d, s *appraisalv1.TeamMember) { d.DisplayName = s.GetDisplayName() },
	"role":           func(d, s *appraisalv1.TeamMember) { d.Role = s.GetRole() },
	"certifications": func(d, s *appraisalv1.TeamMember) { d.Certifications = s.GetCertifications() },
}

// UpdateTeamMember changes a member's name, role or certifications.
func (s *Server) UpdateTeamMember(ctx context.Context, req *appraisalv1.UpdateTeamMemberRequest) (*appraisalv1.UpdateTeamMemberResponse, error) {
	if req.GetTeamMember() == nil {
		return nil, errs.InvalidArgument(errs.Violation("team_member", "is required"))
	}
	m, err := members.update(ctx, s, req.GetTeamMember(), req.GetUpdateMask().GetPaths(), req.GetEtag(), memberFields, nil)
	if err != nil {
		return nil, err
	}
	return &appraisalv1.UpdateTeamMemberResponse{TeamMember: m}, nil
}

// DeleteTeamMember removes a member from the team.
func (s *Server) DeleteTeamMember(ctx context.Context, req *appraisalv1.DeleteTeamMemberRequest) (*appraisalv1.DeleteTeamMemberResponse, error) {
	if err := members.remove(ctx, s, req.GetName(), req.GetEtag(), &appraisalv1.TeamMember{}, nil); err != nil {
		return nil, err
	}
	return &appraisalv1.DeleteTeamMemberResponse{}, nil
}

// CreateInstance adds a sampled instance.
func (s *Server) CreateInstance(ctx context.Context, req *appraisalv1.CreateInstanceRequest) (*appraisalv1.CreateInstanceResponse, error) {
	in := req.GetInstance()
	item := &appraisalv1.Instance{DisplayName: in.GetDisplayName(), AiUsageScenario: in.GetAiUsageScenario(), Subgroup: in.GetSubgroup(), SamplingFactors: in.GetSamplingFactors()}
	i, err := instances.create(ctx, s, req.GetParent(), req.GetInstanceId(), req.GetRequestId(), item, nil)
	if err != nil {
		return nil, err
	}
	return &appraisalv1.CreateInstanceResponse{Instance: i}, nil
}

// GetInstance returns one instance.
func (s *Server) GetInstance(ctx context.Context, req *appraisalv1.GetInstanceRequest) (*appraisalv1.GetInstanceResponse, error) {
	i, err := instances.get(ctx, s, req.GetName(), &appraisalv1.Instance{})
	if err != nil {
		return nil, err
	}
	return &appraisalv1.GetInstanceResponse{Instance: i}, nil
}

// ListInstances lists the sampled instances.
func (s *Server) ListInstances(ctx context.Context, req *appraisalv1.ListInstancesRequest) (*appraisalv1.ListInstancesResponse, error) {
	list, next, err := instances.list(ctx, s, req.GetParent(), req.GetPageSize(), req.GetPageToken(), func() *appraisalv1.Instance { return &appraisalv1.Instance{} })
	if err != nil {
		return nil, err
	}
	return &appraisalv1.ListInstancesResponse{Instances: list, NextPageToken: next}, nil
}

// DeleteInstance removes an instance that nothing refers to yet.
func (s *Server) DeleteInstance(ctx context.Context, req *appraisalv1.DeleteInstanceRequest) (*appraisalv1.DeleteInstanceResponse, error) {
	err := instances.remove(ctx, s, req.GetName(), req.GetEtag(), &appraisalv1.Instance{}, func(t *store.Tx, i *appraisalv1.Instance) error {
		id := resname.ID(i.GetName())
		used := false
		_, _, err := t.Scan(store.KindChars, []byte(id+"/"), nil, 1, func(_, _ []byte) (bool, error) {
			used = true
			return true, nil
		})
		if err == nil && used {
			err = errs.New(errs.FailedPrecondition, "INSTANCE_IN_USE", "%s has characterizations; it cannot be removed", i.GetName())
		}
		if err != nil {
			return err
		}
		return refusedIfReferenced(t, store.KindEvidence, "INSTANCE_IN_USE", i.GetName(), func(v []byte) (bool, error) {
			e := &appraisalv1.Evidence{}
			if err := pstore.UnmarshalProto(v, e); err != nil {
				return false, err
			}
			return slices.Contains(e.GetInstances(), id), nil
		})
	})
	if err != nil {
		return nil, err
	}
	return &appraisalv1.DeleteInstanceResponse{}, nil
}

// checkEvidence requires evidence's practices in scope and its instances to
// exist, reporting every problem.
func checkEvidence(t *store.Tx, _ *appraisalv1.Appraisal, e *appraisalv1.Evidence) error {
	violations := scopeViolations(t, "evidence.practices", e.GetPractices())
	for i, inst := range e.GetInstances() {
		if !t.Has(store.KindInstances, inst) {
			violations = append(violations, errs.Violation("evidence.instances["+itoa(i)+"]", "the appraisal has no instance %q", inst))
		}
	}
	if len(violations) > 0 {
		return errs.InvalidArgument(violations...)
	}
	return nil
}

// scopeViolations reports the practices that are not in the appraisal's
// scope (or, before planning, all of them: there is no scope yet).
func scopeViolations(t *store.Tx, field string, practices []string) []errs.FieldViolation {
	var out []errs.FieldViolation
	for i, p := range practices {
		if !t.Has(store.KindScope, p) {
			out = append(out, errs.Violation(field+"["+itoa(i)+"]", "practice %q is not in the appraisal's scope", p))
		}
	}
	return out
}

// CreateEvidence adds an artifact or affirmation.
func (s *Server) CreateEvidence(ctx context.Context, req *appraisalv1.CreateEvidenceRequest) (*appraisalv1.CreateEvidenceResponse, error) {
	in := req.GetEvidence()
	item := &appraisalv1.Evidence{Kind: in.GetKind(), Title: in.GetTitle(), Uri: in.GetUri(), Sha256: in.GetSha256(),
		Practices: in.GetPractices(), Instances: in.GetInstances(), Description: in.GetDescription()}
	e, err := evidence.create(ctx, s, req.GetParent(), req.GetEvidenceId(), req.GetRequestId(), item, checkEvidence)
	if err != nil {
		return nil, err
	}
	return &appraisalv1.CreateEvidenceResponse{Evidence: e}, nil
}

// GetEvidence returns one piece of evidence.
func (s *Server) GetEvidence(ctx context.Context, req *appraisalv1.GetEvidenceRequest) (*appraisalv1.GetEvidenceResponse, error) {
	e, err := evidence.get(ctx, s, req.GetName(), &appraisalv1.Evidence{})
	if err != nil {
		return nil, err
	}
	return &appraisalv1.GetEvidenceResponse{Evidence: e}, nil
}

// ListEvidence lists the evidence.
func (s *Server) ListEvidence(ctx context.Context, req *appraisalv1.ListEvidenceRequest) (*appraisalv1.ListEvidenceResponse, error) {
	list, next, err := evidence.list(ctx, s, req.GetParent(), req.GetPageSize(), req.GetPageToken(), func() *appraisalv1.Evidence { return &appraisalv1.Evidence{} })
	if err != nil {
		return nil, err
	}
	return &appraisalv1.ListEvidenceResponse{Evidence: list, NextPageToken: next}, nil
}

// DeleteEvidence removes evidence.
func (s *Server) DeleteEvidence(ctx context.Context, req *appraisalv1.DeleteEvidenceRequest) (*appraisalv1.DeleteEvidenceResponse, error) {
	check := func(t *store.Tx, e *appraisalv1.Evidence) error {
		id := resname.ID(e.GetName())
		return refusedIfReferenced(t, store.KindChars, "EVIDENCE_IN_USE", e.GetName(), func(v []byte) (bool, error) {
			c := &appraisalv1.Characterization{}
			if err := pstore.UnmarshalProto(v, c); err != nil {
				return false, err
			}
			return slices.Contains(c.GetEvidence(), id), nil
		})
	}
	if err := evidence.remove(ctx, s, req.GetName(), req.GetEtag(), &appraisalv1.Evidence{}, check); err != nil {
		return nil, err
	}
	return &appraisalv1.DeleteEvidenceResponse{}, nil
}

func checkFinding(t *store.Tx, _ *appraisalv1.Appraisal, f *appraisalv1.Finding) error {
	if v := scopeViolations(t, "finding.practices", f.GetPractices()); len(v) > 0 {
		return errs.InvalidArgument(v...)
	}
	return nil
}

// CreateFinding records a finding.
func (s *Server) CreateFinding(ctx context.Context, req *appraisalv1.CreateFindingRequest) (*appraisalv1.CreateFindingResponse, error) {
	in := req.GetFinding()
	item := &appraisalv1.Finding{Kind: in.GetKind(), Text: in.GetText(), Practices: in.GetPractices()}
	f, err := findings.create(ctx, s, req.GetParent(), req.GetFindingId(), req.GetRequestId(), item, checkFinding)
	if err != nil {
		return nil, err
	}
	return &appraisalv1.CreateFindingResponse{Finding: f}, nil
}

// GetFinding returns one finding.
func (s *Server) GetFinding(ctx context.Context, req *appraisalv1.GetFindingRequest) (*appraisalv1.GetFindingResponse, error) {
	f, err := findings.get(ctx, s, req.GetName(), &appraisalv1.Finding{})
	if err != nil {
		return nil, err
	}
	return &appraisalv1.GetFindingResponse{Finding: f}, nil
}

// ListFindings lists the findings.
func (s *Server) ListFindings(ctx context.Context, req *appraisalv1.ListFindingsRequest) (*appraisalv1.ListFindingsResponse, error) {
	list, next, err := findings.list(ctx, s, req.GetParent(), req.GetPageSize(), req.GetPageToken(), func() *appraisalv1.Finding { return &appraisalv1.Finding{} })
	if err != nil {
		return nil, err
	}
	return &appraisalv1.ListFindingsResponse{Findings: list, NextPageToken: next}, nil
}

var findingFields = map[string]func(dst, src *appraisalv1.Finding){
	"kind":      func(d, s *appraisalv1.Finding) { d.Kind = s.GetKind() },
	"text":      func(d, s *appraisalv1.Finding) { d.Text = s.GetText() },
	"practices": func(d, s *appraisalv1.Finding) { d.Practices = s.GetPractices() },
}

// UpdateFinding changes a finding.
func (s *Server) UpdateFinding(ctx context.Context, req *appraisalv1.UpdateFindingRequest) (*appraisalv1.UpdateFindingResponse, error) {
	if req.GetFinding() == nil {
		return nil, errs.InvalidArgument(errs.Violation("finding", "is required"))
	}
	f, err := findings.update(ctx, s, req.GetFinding(), req.GetUpdateMask().GetPaths(), req.GetEtag(), findingFields, checkFinding)
	if err != nil {
		return nil, err
	}
	return &appraisalv1.UpdateFindingResponse{Finding: f}, nil
}

// DeleteFinding removes a finding.
func (s *Server) DeleteFinding(ctx context.Context, req *appraisalv1.DeleteFindingRequest) (*appraisalv1.DeleteFindingResponse, error) {
	if err := findings.remove(ctx, s, req.GetName(), req.GetEtag(), &appraisalv1.Finding{}, nil); err != nil {
		return nil, err
	}
	return &appraisalv1.DeleteFindingResponse{}, nil
}

func valueOfString(s string) protoreflect.Value { return protoreflect.ValueOfString(s) }

func timestampOf(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

// refusedIfReferenced answers FAILED_PRECONDITION when any item of a kind
// refers to the resource about to be removed, so no reference dangles.
func refusedIfReferenced(t *store.Tx, k store.Kind, reason, name string, refers func(v []byte) (bool, error)) error {
	var by string
	err := t.ForEach(k, func(key, v []byte) error {
		if by != "" {
			return nil
		}
		yes, err := refers(v)
		if yes {
			by = string(key)
		}
		return err
	})
	if err == nil && by != "" {
		err = errs.New(errs.FailedPrecondition, reason, "%s is still referred to (by %s %s); remove that reference first", name, k, by)
	}
	return err
}
