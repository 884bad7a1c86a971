package server

import (
	"context"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/auth"
)

var settingsFields = map[string]func(dst, src *appraisalv1.Settings){
	"allow_uncertified_ai_lead": func(d, s *appraisalv1.Settings) { d.AllowUncertifiedAiLead = s.GetAllowUncertifiedAiLead() },
}

// GetSettings returns the caller's tenant's settings.
func (s *Server) GetSettings(ctx context.Context, _ *appraisalv1.GetSettingsRequest) (*appraisalv1.GetSettingsResponse, error) {
	who, err := auth.Caller(ctx, auth.KnownRoles()...)
	if err != nil {
		return nil, err
	}
	st, err := s.store.Settings(who.Tenant)
	if err != nil {
		return nil, err
	}
	return &appraisalv1.GetSettingsResponse{Settings: st}, nil
}

// UpdateSettings changes the caller's tenant's settings; admins only.
func (s *Server) UpdateSettings(ctx context.Context, req *appraisalv1.UpdateSettingsRequest) (*appraisalv1.UpdateSettingsResponse, error) {
	who, err := auth.Caller(ctx, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	paths, err := maskPaths(req.GetUpdateMask().GetPaths(), settingsFields)
	if err != nil {
		return nil, err
	}
	st, err := s.store.UpdateSettings(who.Tenant, req.GetEtag(), func(cur *appraisalv1.Settings) {
		for _, p := range paths {
			settingsFields[p](cur, req.GetSettings())
		}
	})
	if err != nil {
		return nil, err
	}
	return &appraisalv1.UpdateSettingsResponse{Settings: st}, nil
}
