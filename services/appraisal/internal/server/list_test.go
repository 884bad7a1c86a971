package server_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/auth"
)

// listPages walks every page of ListAppraisals as ctx and returns the pages.
func listPages(t *testing.T, c appraisalv1.AppraisalServiceClient, ctx context.Context, pageSize int32) [][]string {
	t.Helper()
	var pages [][]string
	token := ""
	for range 100 {
		resp, err := c.ListAppraisals(ctx, &appraisalv1.ListAppraisalsRequest{PageSize: pageSize, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, names(resp.GetAppraisals()))
		if token = resp.GetNextPageToken(); token == "" {
			return pages
		}
	}
	t.Fatal("paging does not end")
	return nil
}

// A caller who is not a tenant admin lists exactly the appraisals whose
// team they are on, in name order, page after page, however the teams
// changed; an admin lists them all.
func TestListAppraisalsOnlyOwnTeams(t *testing.T) {
	h := newHarness(t)
	c := h.client
	lead := as(t, h.env, "lead", tenantA, auth.RoleLeadAppraiser)
	amy := as(t, h.env, "amy", tenantA, auth.RoleAppraiser)
	var all, amys []string
	for i := range 15 {
		id := fmt.Sprintf("t%02d", (i*4)%15) // out of name order on purpose
		if _, err := c.CreateAppraisal(lead, &appraisalv1.CreateAppraisalRequest{Appraisal: draftAppraisal(), AppraisalId: id}); err != nil {
			t.Fatal(err)
		}
		all = append(all, "appraisals/"+id)
		if i%3 == 0 {
			continue
		}
		if _, err := c.CreateTeamMember(lead, &appraisalv1.CreateTeamMemberRequest{
			Parent: "appraisals/" + id, TeamMember: &appraisalv1.TeamMember{Subject: "amy", DisplayName: "Amy", Role: appraisalv1.TeamMember_ROLE_TEAM_MEMBER},
		}); err != nil {
			t.Fatal(err)
		}
		amys = append(amys, "appraisals/"+id)
	}
	// Amy leaves one team again.
	gone := amys[3]
	if _, err := c.DeleteTeamMember(lead, &appraisalv1.DeleteTeamMemberRequest{Name: gone + "/teamMembers/amy"}); err != nil {
		t.Fatal(err)
	}
	amys = slices.DeleteFunc(amys, func(n string) bool { return n == gone })
	// Bob creates his own, and so is on its team alone.
	bob := as(t, h.env, "bob", tenantA, auth.RoleAppraiser)
	if _, err := c.CreateAppraisal(bob, &appraisalv1.CreateAppraisalRequest{Appraisal: draftAppraisal(), AppraisalId: "t07b"}); err != nil {
		t.Fatal(err)
	}
	all = append(all, "appraisals/t07b")
	// Amy is on a team of tenant B too, under an id tenant A also uses.
	leadB := as(t, h.env, "lead", tenantB, auth.RoleLeadAppraiser)
	if _, err := c.CreateAppraisal(leadB, &appraisalv1.CreateAppraisalRequest{Appraisal: draftAppraisal(), AppraisalId: "t00"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTeamMember(leadB, &appraisalv1.CreateTeamMemberRequest{
		Parent: "appraisals/t00", TeamMember: &appraisalv1.TeamMember{Subject: "amy", DisplayName: "Amy", Role: appraisalv1.TeamMember_ROLE_OBSERVER},
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(all)
	slices.Sort(amys)
	leads := slices.DeleteFunc(slices.Clone(all), func(n string) bool { return n == "appraisals/t07b" })

	tests := []struct {
		name string
		ctx  context.Context
		want []string
	}{
		{"team member", amy, amys},
		{"team member with the viewer role", as(t, h.env, "amy", tenantA, auth.RoleViewer), amys},
		{"lead", lead, leads},
		{"creator of one", bob, []string{"appraisals/t07b"}},
		{"on no team", as(t, h.env, "walt", tenantA, auth.RoleAppraiser), nil},
		{"member in the other tenant", as(t, h.env, "amy", tenantB, auth.RoleAppraiser), []string{"appraisals/t00"}},
		{"admin", as(t, h.env, "root", tenantA, auth.RoleAdmin), all},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, size := range []int32{1, 2, 3, 4, 0} {
				pages := listPages(t, c, tt.ctx, size)
				if got := slices.Concat(pages...); !slices.Equal(got, tt.want) {
					t.Fatalf("page_size %d: pages cover %q\nwant %q", size, got, tt.want)
				}
				for i, p := range pages[:len(pages)-1] {
					if size > 0 && len(p) != int(size) {
						t.Fatalf("page_size %d: page %d holds %d", size, i, len(p))
					}
				}
			}
		})
	}

	// A token is bound to the caller: amy's does not work for bob.
	first, err := c.ListAppraisals(amy, &appraisalv1.ListAppraisalsRequest{PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListAppraisals(bob, &appraisalv1.ListAppraisalsRequest{PageSize: 2, PageToken: first.GetNextPageToken()})
	wantViolations(t, err, "page_token")

	// The next page follows the teams as they are when it is read: a team
	// amy joins after her first page, ahead of where she stopped, shows up.
	if _, err := c.CreateTeamMember(lead, &appraisalv1.CreateTeamMemberRequest{
		Parent: "appraisals/t12", TeamMember: &appraisalv1.TeamMember{Subject: "amy", DisplayName: "Amy", Role: appraisalv1.TeamMember_ROLE_TEAM_MEMBER},
	}); err != nil {
		t.Fatal(err)
	}
	var rest []string
	token := first.GetNextPageToken()
	for token != "" {
		resp, err := c.ListAppraisals(amy, &appraisalv1.ListAppraisalsRequest{PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		rest = append(rest, names(resp.GetAppraisals())...)
		token = resp.GetNextPageToken()
	}
	want := append(slices.Clone(amys[2:]), "appraisals/t12")
	slices.Sort(want)
	if !slices.Equal(rest, want) {
		t.Fatalf("after the first page: %q, want %q", rest, want)
	}
}
