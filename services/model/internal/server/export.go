package server

import (
	"context"

	"google.golang.org/genproto/googleapis/api/httpbody"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/services/model/internal/catalog"
)

// ExportModelVersion writes a version as a bundle or an OSCAL catalog.
func (s *Server) ExportModelVersion(ctx context.Context, req *modelv1.ExportModelVersionRequest) (*modelv1.ExportModelVersionResponse, error) {
	who, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	model, version := versionParts(req.GetName())
	b, v, _, err := s.store.Bundle(who.Tenant, model, version)
	if err != nil {
		return nil, err
	}
	var data []byte
	contentType := "application/json"
	switch req.GetFormat() {
	case modelv1.ExportModelVersionRequest_EXPORT_FORMAT_BUNDLE_YAML:
		data, err = catalog.MarshalBundleYAML(b)
		contentType = "application/yaml"
	case modelv1.ExportModelVersionRequest_EXPORT_FORMAT_OSCAL_CATALOG_JSON:
		meta := catalog.OSCALMeta{Title: v.GetDisplayName(), Version: version}
		if t := v.GetPublishTime(); t != nil {
			meta.LastModified = t.AsTime()
		} else {
			meta.LastModified = v.GetCreateTime().AsTime()
		}
		data, err = catalog.ExportOSCALCatalog(b, meta)
	default:
		data, err = catalog.MarshalBundleJSON(b)
	}
	if err != nil {
		return nil, errs.Wrap(err, "export %s", req.GetName())
	}
	return &modelv1.ExportModelVersionResponse{Body: &httpbody.HttpBody{ContentType: contentType, Data: data}}, nil
}
