package server

import (
	"context"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/auth"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/services/appraisal/internal/audit"
	"github.com/aim-platform/aim/services/appraisal/internal/store"
)

// VerifyAuditTrail recomputes the chain in one read transaction.
func (s *Server) VerifyAuditTrail(ctx context.Context, req *appraisalv1.VerifyAuditTrailRequest) (*appraisalv1.VerifyAuditTrailResponse, error) {
	who, err := auth.Caller(ctx, auth.KnownRoles()...)
	if err != nil {
		return nil, err
	}
	resp := &appraisalv1.VerifyAuditTrailResponse{Verified: true}
	err = s.store.View(who.Tenant, appraisalID(req.GetName()), func(t *store.Tx) error {
		if _, err := mustRead(t, who); err != nil {
			return err
		}
		var v audit.Verifier
		err := t.ForEach(store.KindEvents, func(k, raw []byte) error {
			if !resp.GetVerified() {
				return nil
			}
			e := &appraisalv1.AuditEvent{}
			if err := pstore.UnmarshalProto(raw, e); err != nil {
				resp.Verified, resp.Reason = false, "the stored event does not decode"
				resp.FirstBrokenEvent = store.EventName(appraisalID(req.GetName()), int64(v.Checked()+1))
				return nil
			}
			if why := v.Next(e); why != "" {
				resp.Verified, resp.Reason = false, why
				resp.FirstBrokenEvent = store.EventName(appraisalID(req.GetName()), v.Checked())
			}
			return nil
		})
		resp.EventsChecked = v.Checked()
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
