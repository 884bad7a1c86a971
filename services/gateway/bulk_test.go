package gateway

import (
	"regexp"
	"slices"
	"testing"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/server"
)

// TestBulkRoutesAreTheBulkMethods keeps the gateway's body limits in step
// with the services' receive limits: a route takes the bulk body limit
// exactly when its method (by its google.api.http rule) gets the bulk
// receive limit, so no route refuses what its method accepts, nor reads
// more than its method will take.
func TestBulkRoutesAreTheBulkMethods(t *testing.T) {
	field := regexp.MustCompile(`\{[^}]*\}`)
	bulk := server.BulkMethods()
	seen := 0
	for _, fd := range []protoreflect.FileDescriptor{
		modelv1.File_aim_model_v1_model_catalog_service_proto,
		appraisalv1.File_aim_appraisal_v1_appraisal_service_proto,
		crosswalkv1.File_aim_crosswalk_v1_crosswalk_service_proto,
	} {
		for i := range fd.Services().Len() {
			sd := fd.Services().Get(i)
			for j := range sd.Methods().Len() {
				md := sd.Methods().Get(j)
				rule, _ := proto.GetExtension(md.Options(), annotations.E_Http).(*annotations.HttpRule)
				if rule == nil {
					continue
				}
				full := "/" + string(sd.FullName()) + "/" + string(md.Name())
				isBulk := slices.Contains(bulk, full)
				if isBulk {
					seen++
				}
				for _, r := range append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...) {
					pattern := r.GetPost() + r.GetPatch() + r.GetPut() + r.GetGet() + r.GetDelete()
					path := field.ReplaceAllString(pattern, "things/x")
					if got := bulkRoute(path); got != isBulk {
						t.Errorf("%s (%s): bulk route %v, bulk method %v", full, pattern, got, isBulk)
					}
				}
			}
		}
	}
	if seen != len(bulk) {
		t.Errorf("found %d of the %d bulk methods %v in the service files", seen, len(bulk), bulk)
	}
}
