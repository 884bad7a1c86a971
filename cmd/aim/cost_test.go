package main

import (
	"testing"

	"google.golang.org/grpc"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/server"
)

// TestMethodCostsNameServedMethods keeps platform/server's table of costly
// methods in step with the APIs: a renamed method must not silently lose
// its weight.
func TestMethodCostsNameServedMethods(t *testing.T) {
	served := map[string]bool{}
	for _, desc := range []*grpc.ServiceDesc{
		&modelv1.ModelCatalogService_ServiceDesc, &appraisalv1.AppraisalService_ServiceDesc, &crosswalkv1.CrosswalkService_ServiceDesc,
	} {
		for _, m := range desc.Methods {
			served["/"+desc.ServiceName+"/"+m.MethodName] = true
		}
	}
	costs := server.MethodCosts()
	if len(costs) == 0 {
		t.Fatal("no costly methods")
	}
	for method := range costs {
		if !served[method] {
			t.Errorf("platform/server's methodCosts names %s, which no service serves", method)
		}
	}
}
