package check

import (
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Manifests are the rendered objects, decoded into their API types. Only
// the kinds the platform uses are known; any other kind is an error.
type Manifests struct {
	Namespaces               []*corev1.Namespace
	ServiceAccounts          []*corev1.ServiceAccount
	ConfigMaps               []*corev1.ConfigMap
	Secrets                  []*corev1.Secret
	Services                 []*corev1.Service
	StatefulSets             []*appsv1.StatefulSet
	Deployments              []*appsv1.Deployment
	HorizontalPodAutoscalers []*autoscalingv2.HorizontalPodAutoscaler
	PodDisruptionBudgets     []*policyv1.PodDisruptionBudget
	NetworkPolicies          []*networkingv1.NetworkPolicy
	Ingresses                []*networkingv1.Ingress
}

// kinds maps apiVersion and kind to a function that decodes into a new
// object of the type and files it in m.
var kinds = map[[2]string]func(m *Manifests, data []byte) error{
	{"v1", "Namespace"}:                           into(func(m *Manifests) *[]*corev1.Namespace { return &m.Namespaces }),
	{"v1", "ServiceAccount"}:                      into(func(m *Manifests) *[]*corev1.ServiceAccount { return &m.ServiceAccounts }),
	{"v1", "ConfigMap"}:                           into(func(m *Manifests) *[]*corev1.ConfigMap { return &m.ConfigMaps }),
	{"v1", "Secret"}:                              into(func(m *Manifests) *[]*corev1.Secret { return &m.Secrets }),
	{"v1", "Service"}:                             into(func(m *Manifests) *[]*corev1.Service { return &m.Services }),
	{"apps/v1", "StatefulSet"}:                    into(func(m *Manifests) *[]*appsv1.StatefulSet { return &m.StatefulSets }),
	{"apps/v1", "Deployment"}:                     into(func(m *Manifests) *[]*appsv1.Deployment { return &m.Deployments }),
	{"autoscaling/v2", "HorizontalPodAutoscaler"}: into(func(m *Manifests) *[]*autoscalingv2.HorizontalPodAutoscaler { return &m.HorizontalPodAutoscalers }),
	{"policy/v1", "PodDisruptionBudget"}:          into(func(m *Manifests) *[]*policyv1.PodDisruptionBudget { return &m.PodDisruptionBudgets }),
	{"networking.k8s.io/v1", "NetworkPolicy"}:     into(func(m *Manifests) *[]*networkingv1.NetworkPolicy { return &m.NetworkPolicies }),
	{"networking.k8s.io/v1", "Ingress"}:           into(func(m *Manifests) *[]*networkingv1.Ingress { return &m.Ingresses }),
}

// into returns a decoder that appends a new *T to the slice field picks.
func into[T any](field func(*Manifests) *[]*T) func(*Manifests, []byte) error {
	return func(m *Manifests, data []byte) error {
		obj := new(T)
		if err := DecodeStrict(data, obj); err != nil {
			return err
		}
		s := field(m)
		*s = append(*s, obj)
		return nil
	}
}

// Decode decodes every resource strictly into its API type. An unknown
// apiVersion/kind, an unknown or duplicate field, a field spelt in another
// case, or a value of the wrong type is an error, as the API server's
// strict field validation would report it.
func Decode(resources []Resource) (*Manifests, error) {
	m := &Manifests{}
	var errs []error
	for _, r := range resources {
		decode, ok := kinds[[2]string{r.APIVersion, r.Kind}]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: unknown kind %s/%s (add it to kinds and to the checks)", r, r.APIVersion, r.Kind))
			continue
		}
		if err := decode(m, r.YAML); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r, err))
		}
	}
	return m, errors.Join(errs...)
}

// DecodeStrict decodes one YAML object into obj. It converts YAML to JSON
// refusing duplicate keys, then decodes the JSON case-sensitively refusing
// unknown and duplicate fields (sigs.k8s.io/json, the API server's decoder).
func DecodeStrict(data []byte, obj any) error {
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return fmt.Errorf("yaml: %w", err)
	}
	strictErrs, err := kjson.UnmarshalStrict(j, obj, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	if len(strictErrs) > 0 {
		return fmt.Errorf("strict decoding: %w", errors.Join(strictErrs...))
	}
	return nil
}
