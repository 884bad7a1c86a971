package check

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// isolatesIngress reports whether p restricts ingress to the pods it
// selects. Without policyTypes, every policy does.
func isolatesIngress(p *networkingv1.NetworkPolicy) bool {
	return len(p.Spec.PolicyTypes) == 0 || slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
}

// Peer is a pod that opens a connection: its namespace, that namespace's
// labels, and its own labels.
type Peer struct {
	Namespace       string
	NamespaceLabels map[string]string
	PodLabels       map[string]string
}

// Allows reports whether the NetworkPolicies let from open a TCP
// connection to port (a name or a number) of the pods of the workload
// kind/name, as a NetworkPolicy implementation would decide it. ipBlock
// peers match no pod. It reports false when there is no such workload or
// port.
func (m *Manifests) Allows(from Peer, kind, name string, port intstr.IntOrString) bool {
	i := slices.IndexFunc(m.workloads(), func(w workload) bool { return w.kind == kind && w.name == name })
	if i < 0 {
		return false
	}
	to := m.workloads()[i]
	number, ok := resolvePort(port, to.template.Spec.Containers...)
	if !ok {
		return false
	}
	isolated := false
	for _, p := range m.NetworkPolicies {
		if p.Namespace != to.namespace || !isolatesIngress(p) || !selects(&p.Spec.PodSelector, to) {
			continue
		}
		isolated = true
		for _, r := range p.Spec.Ingress {
			if rulePortMatches(r.Ports, number, to) && rulePeerMatches(r.From, from, to.namespace) {
				return true
			}
		}
	}
	return !isolated
}

func rulePortMatches(ports []networkingv1.NetworkPolicyPort, number int32, to workload) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		if p.Protocol != nil && *p.Protocol != corev1.ProtocolTCP {
			continue
		}
		if p.Port == nil {
			return true
		}
		n, ok := resolvePort(*p.Port, to.template.Spec.Containers...)
		if !ok {
			continue
		}
		if n == number || p.EndPort != nil && n <= number && number <= *p.EndPort {
			return true
		}
	}
	return false
}

func rulePeerMatches(peers []networkingv1.NetworkPolicyPeer, from Peer, namespace string) bool {
	if len(peers) == 0 {
		return true
	}
	for _, p := range peers {
		switch {
		case p.IPBlock != nil:
		case p.NamespaceSelector == nil:
			if from.Namespace == namespace && matches(p.PodSelector, from.PodLabels) {
				return true
			}
		default:
			if matches(p.NamespaceSelector, from.NamespaceLabels) &&
				(p.PodSelector == nil || matches(p.PodSelector, from.PodLabels)) {
				return true
			}
		}
	}
	return false
}

// matches reports whether sel matches set; an empty selector matches all.
func matches(sel *metav1.LabelSelector, set map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && s.Matches(labels.Set(set))
}
