// Package check renders the Kubernetes manifests under deploy/k8s with
// kustomize, decodes every object strictly into the Kubernetes API types,
// and checks the rules the platform's workloads must keep: the security
// context, resources, probes that name ports their containers declare, a
// single replica and a mounted volume for each bbolt-owning StatefulSet, an
// autoscaler and a disruption budget for each Deployment, Services,
// Ingresses and NetworkPolicies that point at ports and objects that exist.
//
// It is the test of the manifests; it has no command. The kustomize library
// is pinned (sigs.k8s.io/kustomize/api v0.21.2, the one kustomize v5.8.2
// is built with), so `go test` renders exactly what `kustomize build` does.
package check
