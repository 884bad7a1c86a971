package check

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// workload is what the checks need of a StatefulSet or a Deployment.
type workload struct {
	kind      string
	name      string
	namespace string
	selector  *metav1.LabelSelector
	template  *corev1.PodTemplateSpec
	// claims are a StatefulSet's volumeClaimTemplates.
	claims []corev1.PersistentVolumeClaim
	// minReplicas is the fewest pods it runs: a StatefulSet's replicas, the
	// minReplicas of the autoscaler that scales a Deployment, or else the
	// Deployment's replicas.
	minReplicas int32
}

// String names the workload for messages: "StatefulSet aim-model".
func (w workload) String() string { return w.kind + " " + w.name }

// workloads lists the StatefulSets and the Deployments.
func (m *Manifests) workloads() []workload {
	var out []workload
	for _, s := range m.StatefulSets {
		out = append(out, workload{
			kind: "StatefulSet", name: s.Name, namespace: s.Namespace, selector: s.Spec.Selector,
			template: &s.Spec.Template, claims: s.Spec.VolumeClaimTemplates, minReplicas: deref(s.Spec.Replicas, 1),
		})
	}
	for _, d := range m.Deployments {
		minReplicas := deref(d.Spec.Replicas, 1)
		if h := m.autoscalerOf("Deployment", d.Name); h != nil {
			minReplicas = deref(h.Spec.MinReplicas, 1)
		}
		out = append(out, workload{
			kind: "Deployment", name: d.Name, namespace: d.Namespace, selector: d.Spec.Selector,
			template: &d.Spec.Template, minReplicas: minReplicas,
		})
	}
	return out
}

// autoscalerOf returns the autoscaler that scales the named object, or nil.
func (m *Manifests) autoscalerOf(kind, name string) *autoscalingv2.HorizontalPodAutoscaler {
	for _, h := range m.HorizontalPodAutoscalers {
		ref := h.Spec.ScaleTargetRef
		if ref.Kind == kind && ref.Name == name && ref.APIVersion == appsv1.SchemeGroupVersion.String() {
			return h
		}
	}
	return nil
}

// selects reports whether sel selects the pods of w. A nil or invalid
// selector selects nothing.
func selects(sel *metav1.LabelSelector, w workload) bool {
	if sel == nil {
		return false
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && s.Matches(labels.Set(w.template.Labels))
}

// selectsMap is selects for the map selectors of Services. An empty
// selector selects nothing (the Service's endpoints are managed by hand).
func selectsMap(sel map[string]string, w workload) bool {
	return len(sel) > 0 && labels.SelectorFromSet(sel).Matches(labels.Set(w.template.Labels))
}

// resolvePort finds port, a name or a number, among the ports containers
// declare, and returns its number.
func resolvePort(port intstr.IntOrString, containers ...corev1.Container) (int32, bool) {
	for _, c := range containers {
		for _, p := range c.Ports {
			if port.Type == intstr.String && p.Name == port.StrVal ||
				port.Type == intstr.Int && p.ContainerPort == port.IntVal {
				return p.ContainerPort, true
			}
		}
	}
	return 0, false
}

// declaredPorts describes the ports of containers for messages.
func declaredPorts(containers ...corev1.Container) string {
	var ps []string
	for _, c := range containers {
		for _, p := range c.Ports {
			if p.Name != "" {
				ps = append(ps, p.Name+"="+strconv.Itoa(int(p.ContainerPort)))
			} else {
				ps = append(ps, strconv.Itoa(int(p.ContainerPort)))
			}
		}
	}
	if len(ps) == 0 {
		return "none declared"
	}
	return "declared: " + strings.Join(ps, ", ")
}

// portString prints a name or number port.
func portString(p intstr.IntOrString) string {
	if p.Type == intstr.String {
		return strconv.Quote(p.StrVal)
	}
	return strconv.Itoa(int(p.IntVal))
}

// envValue returns the value a container's variable gets from a literal
// env entry or from a rendered ConfigMap in envFrom; the later source
// wins, and env wins over envFrom, as in the kubelet.
func (m *Manifests) envValue(c *corev1.Container, name string) (string, bool) {
	for i := len(c.Env) - 1; i >= 0; i-- {
		if e := c.Env[i]; e.Name == name {
			return e.Value, e.ValueFrom == nil
		}
	}
	for i := len(c.EnvFrom) - 1; i >= 0; i-- {
		ref := c.EnvFrom[i].ConfigMapRef
		if ref == nil {
			continue
		}
		key, ok := strings.CutPrefix(name, c.EnvFrom[i].Prefix)
		if cm := m.configMap(ref.Name); ok && cm != nil {
			if v, ok := cm.Data[key]; ok {
				return v, true
			}
		}
	}
	return "", false
}

func (m *Manifests) configMap(name string) *corev1.ConfigMap {
	i := slices.IndexFunc(m.ConfigMaps, func(cm *corev1.ConfigMap) bool { return cm.Name == name })
	if i < 0 {
		return nil
	}
	return m.ConfigMaps[i]
}

func (m *Manifests) secret(name string) *corev1.Secret {
	i := slices.IndexFunc(m.Secrets, func(s *corev1.Secret) bool { return s.Name == name })
	if i < 0 {
		return nil
	}
	return m.Secrets[i]
}

func (m *Manifests) service(name string) *corev1.Service {
	i := slices.IndexFunc(m.Services, func(s *corev1.Service) bool { return s.Name == name })
	if i < 0 {
		return nil
	}
	return m.Services[i]
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// describe names an object for messages.
func describe(kind string, obj metav1.Object) string {
	return fmt.Sprintf("%s %s", kind, obj.GetName())
}
