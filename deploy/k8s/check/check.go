package check

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// The platform's conventions the checks hold the manifests to.
const (
	// partOfLabel marks every object of the platform.
	partOfLabel = "app.kubernetes.io/part-of"
	partOf      = "aim-platform"
	// nameLabel and componentLabel name each part.
	nameLabel      = "app.kubernetes.io/name"
	componentLabel = "app.kubernetes.io/component"

	// dataDir is where a StatefulSet's volume is mounted and where
	// AIM_DATA_DIR points: the bbolt files live there.
	dataDir    = "/data"
	dataDirEnv = "AIM_DATA_DIR"
	// shutdownEnv is how long aim lets calls drain after SIGTERM;
	// defaultShutdown its default.
	shutdownEnv     = "AIM_SHUTDOWN_TIMEOUT"
	defaultShutdown = 10 * time.Second
	// graceMargin is what terminationGracePeriodSeconds must leave after
	// the preStop hook and the drain, for the stores to close.
	graceMargin = 5 * time.Second
)

// Options are what the checks cannot see in the manifests.
type Options struct {
	// ExternalSecrets are Secrets the pods use that are created beside the
	// manifests rather than rendered by them (the JWT keys in the overlays).
	ExternalSecrets []string
}

// Problem is one broken rule.
type Problem struct {
	// Object is the object at fault: "StatefulSet aim-model".
	Object string
	// Message says what is wrong.
	Message string
}

// String prints the problem as "object: message".
func (p Problem) String() string { return p.Object + ": " + p.Message }

// Check applies every rule to m and returns what it finds wrong, nil when
// nothing is.
func Check(m *Manifests, opts Options) []Problem {
	c := &checker{m: m, opts: opts, workloads: m.workloads()}
	c.namespace()
	c.labels()
	c.serviceAccounts()
	for _, w := range c.workloads {
		c.podTemplate(w)
	}
	for _, s := range m.StatefulSets {
		c.statefulSet(c.workloadNamed("StatefulSet", s.Name), s.Spec.ServiceName, s.Spec.PodManagementPolicy)
	}
	for _, d := range m.Deployments {
		c.deployment(c.workloadNamed("Deployment", d.Name), d.Spec.Replicas)
	}
	c.services()
	c.ingresses()
	c.disruptionBudgets()
	c.autoscalers()
	c.networkPolicies()
	c.secrets()
	return c.problems
}

type checker struct {
	m         *Manifests
	opts      Options
	workloads []workload
	problems  []Problem
}

func (c *checker) addf(object, format string, args ...any) {
	c.problems = append(c.problems, Problem{Object: object, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) workloadNamed(kind, name string) workload {
	i := slices.IndexFunc(c.workloads, func(w workload) bool { return w.kind == kind && w.name == name })
	return c.workloads[i]
}

// object is a decoded object with its kind.
type object struct {
	kind string
	obj  metav1.Object
}

// objects lists every decoded object with its kind.
func (c *checker) objects() []object {
	var out []object
	add := func(kind string, obj metav1.Object) { out = append(out, object{kind, obj}) }
	m := c.m
	for _, o := range m.Namespaces {
		add("Namespace", o)
	}
	for _, o := range m.ServiceAccounts {
		add("ServiceAccount", o)
	}
	for _, o := range m.ConfigMaps {
		add("ConfigMap", o)
	}
	for _, o := range m.Secrets {
		add("Secret", o)
	}
	for _, o := range m.Services {
		add("Service", o)
	}
	for _, o := range m.StatefulSets {
		add("StatefulSet", o)
	}
	for _, o := range m.Deployments {
		add("Deployment", o)
	}
	for _, o := range m.HorizontalPodAutoscalers {
		add("HorizontalPodAutoscaler", o)
	}
	for _, o := range m.PodDisruptionBudgets {
		add("PodDisruptionBudget", o)
	}
	for _, o := range m.NetworkPolicies {
		add("NetworkPolicy", o)
	}
	for _, o := range m.Ingresses {
		add("Ingress", o)
	}
	return out
}

// namespace: one Namespace, enforcing the restricted Pod Security
// Standard, and every other object in it.
func (c *checker) namespace() {
	if len(c.m.Namespaces) != 1 {
		c.addf("Namespace", "want exactly one Namespace object, got %d", len(c.m.Namespaces))
		return
	}
	ns := c.m.Namespaces[0]
	if got := ns.Labels["pod-security.kubernetes.io/enforce"]; got != "restricted" {
		c.addf(describe("Namespace", ns), "pod-security.kubernetes.io/enforce is %q, want restricted", got)
	}
	for _, o := range c.objects() {
		if o.kind != "Namespace" && o.obj.GetNamespace() != ns.Name {
			c.addf(describe(o.kind, o.obj), "namespace is %q, want %q", o.obj.GetNamespace(), ns.Name)
		}
	}
}

// labels: every object is part of the platform; the parts also say which.
func (c *checker) labels() {
	for _, o := range c.objects() {
		name := describe(o.kind, o.obj)
		if problems := validation.IsDNS1123Subdomain(o.obj.GetName()); len(problems) > 0 {
			c.addf(name, "invalid name: %s", strings.Join(problems, "; "))
		}
		l := o.obj.GetLabels()
		if l[partOfLabel] != partOf {
			c.addf(name, "label %s is %q, want %q", partOfLabel, l[partOfLabel], partOf)
		}
		switch o.kind {
		case "StatefulSet", "Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler":
			for _, k := range []string{nameLabel, componentLabel} {
				if l[k] == "" {
					c.addf(name, "label %s is missing", k)
				}
			}
		}
	}
	for _, w := range c.workloads {
		for _, k := range []string{nameLabel, componentLabel, partOfLabel} {
			if w.template.Labels[k] == "" {
				c.addf(w.String(), "pod template label %s is missing", k)
			}
		}
		if !selects(w.selector, w) {
			c.addf(w.String(), "the selector does not select the pod template's labels")
		}
	}
}

func (c *checker) serviceAccounts() {
	for _, sa := range c.m.ServiceAccounts {
		if !deref(sa.AutomountServiceAccountToken, true) {
			continue
		}
		c.addf(describe("ServiceAccount", sa), "automountServiceAccountToken must be false: no pod calls the Kubernetes API")
	}
}

// podTemplate checks what every pod must keep.
func (c *checker) podTemplate(w workload) {
	name := w.String()
	spec := &w.template.Spec
	if deref(spec.AutomountServiceAccountToken, true) {
		c.addf(name, "automountServiceAccountToken must be false")
	}
	if deref(spec.EnableServiceLinks, true) {
		c.addf(name, "enableServiceLinks must be false: Service links put AIM_* variables, aim's flag prefix, in the environment")
	}
	if spec.HostNetwork || spec.HostPID || spec.HostIPC {
		c.addf(name, "hostNetwork, hostPID and hostIPC must be false")
	}
	if sa := spec.ServiceAccountName; sa != "" && sa != "default" &&
		!slices.ContainsFunc(c.m.ServiceAccounts, func(s *corev1.ServiceAccount) bool { return s.Name == sa }) {
		c.addf(name, "serviceAccountName %q names no ServiceAccount", sa)
	}
	psc := spec.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	volumes := map[string]*corev1.Volume{}
	for i := range spec.Volumes {
		v := &spec.Volumes[i]
		volumes[v.Name] = v
		c.volume(name, v)
	}
	for i := range w.claims {
		claim := &w.claims[i]
		volumes[claim.Name] = &corev1.Volume{Name: claim.Name}
	}
	c.portsUnique(name, spec)
	all := append(slices.Clone(spec.InitContainers), spec.Containers...)
	for i := range all {
		ctr := &all[i]
		cname := fmt.Sprintf("%s container %q", name, ctr.Name)
		c.containerSecurity(cname, ctr, psc)
		c.resources(cname, ctr)
		c.image(cname, ctr.Image)
		c.mounts(cname, ctr, volumes)
		c.env(cname, ctr)
	}
	for i := range spec.Containers {
		ctr := &spec.Containers[i]
		cname := fmt.Sprintf("%s container %q", name, ctr.Name)
		c.probes(cname, ctr)
		c.grace(name, spec, ctr)
	}
}

// containerSecurity: non-root, no privilege escalation, no capabilities,
// read-only root, seccomp RuntimeDefault, at pod or container level.
func (c *checker) containerSecurity(name string, ctr *corev1.Container, psc *corev1.PodSecurityContext) {
	sc := ctr.SecurityContext
	if sc == nil {
		c.addf(name, "securityContext is missing")
		sc = &corev1.SecurityContext{}
	}
	runAsNonRoot := psc.RunAsNonRoot
	if sc.RunAsNonRoot != nil {
		runAsNonRoot = sc.RunAsNonRoot
	}
	if !deref(runAsNonRoot, false) {
		c.addf(name, "runAsNonRoot must be true (pod or container securityContext)")
	}
	runAsUser := psc.RunAsUser
	if sc.RunAsUser != nil {
		runAsUser = sc.RunAsUser
	}
	if runAsUser != nil && *runAsUser == 0 {
		c.addf(name, "runAsUser must not be 0")
	}
	if deref(sc.AllowPrivilegeEscalation, true) {
		c.addf(name, "allowPrivilegeEscalation must be false")
	}
	if deref(sc.Privileged, false) {
		c.addf(name, "privileged must not be true")
	}
	if !deref(sc.ReadOnlyRootFilesystem, false) {
		c.addf(name, "readOnlyRootFilesystem must be true")
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		c.addf(name, `capabilities must drop ["ALL"]`)
	}
	if sc.Capabilities != nil && len(sc.Capabilities.Add) > 0 {
		c.addf(name, "capabilities must add none, got %v", sc.Capabilities.Add)
	}
	seccomp := psc.SeccompProfile
	if sc.SeccompProfile != nil {
		seccomp = sc.SeccompProfile
	}
	if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
		c.addf(name, "seccompProfile must be RuntimeDefault (pod or container securityContext)")
	}
}

// resources: cpu and memory requested and limited, requests within limits.
func (c *checker) resources(name string, ctr *corev1.Container) {
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, hasReq := ctr.Resources.Requests[r]
		lim, hasLim := ctr.Resources.Limits[r]
		switch {
		case !hasReq || req.IsZero():
			c.addf(name, "resources.requests.%s is missing", r)
		case !hasLim || lim.IsZero():
			c.addf(name, "resources.limits.%s is missing", r)
		case req.Cmp(lim) > 0:
			c.addf(name, "resources.requests.%s %s is above the limit %s", r, req.String(), lim.String())
		}
	}
}

// image: pinned by a tag other than latest, or by digest.
func (c *checker) image(name, image string) {
	if strings.Contains(image, "@sha256:") {
		return
	}
	last := image[strings.LastIndex(image, "/")+1:]
	_, tag, ok := strings.Cut(last, ":")
	if !ok || tag == "" || tag == "latest" || !strings.Contains(image, "/") {
		c.addf(name, "image %q is not pinned to a registry and a version tag or digest", image)
	}
}

// volume: only Secrets, ConfigMaps that exist, emptyDirs and claims; no
// Secret readable by all.
func (c *checker) volume(name string, v *corev1.Volume) {
	switch {
	case v.Secret != nil:
		if !c.secretExists(v.Secret.SecretName) && !deref(v.Secret.Optional, false) {
			c.addf(name, "volume %q: Secret %q is neither rendered nor an external Secret", v.Name, v.Secret.SecretName)
		}
		if mode := deref(v.Secret.DefaultMode, corev1.SecretVolumeSourceDefaultMode); mode&0o007 != 0 {
			c.addf(name, "volume %q: defaultMode %#o lets every user read the Secret", v.Name, mode)
		}
	case v.ConfigMap != nil:
		if c.m.configMap(v.ConfigMap.Name) == nil && !deref(v.ConfigMap.Optional, false) {
			c.addf(name, "volume %q: ConfigMap %q is not rendered", v.Name, v.ConfigMap.Name)
		}
	case v.EmptyDir != nil:
	case v.PersistentVolumeClaim != nil:
		c.addf(name, "volume %q: use a StatefulSet volumeClaimTemplate, not a shared PersistentVolumeClaim", v.Name)
	default:
		c.addf(name, "volume %q: only secret, configMap and emptyDir volumes are allowed", v.Name)
	}
}

func (c *checker) secretExists(name string) bool {
	return c.m.secret(name) != nil || slices.Contains(c.opts.ExternalSecrets, name)
}

// portsUnique: valid, unique port names and numbers across the pod.
func (c *checker) portsUnique(name string, spec *corev1.PodSpec) {
	names, numbers := map[string]bool{}, map[string]bool{}
	for _, ctr := range spec.Containers {
		for _, p := range ctr.Ports {
			if p.Name == "" {
				c.addf(name, "container %q port %d has no name", ctr.Name, p.ContainerPort)
			} else if errs := validation.IsValidPortName(p.Name); len(errs) > 0 {
				c.addf(name, "container %q port name %q: %s", ctr.Name, p.Name, strings.Join(errs, "; "))
			} else if names[p.Name] {
				c.addf(name, "port name %q is declared twice", p.Name)
			}
			if errs := validation.IsValidPortNum(int(p.ContainerPort)); len(errs) > 0 {
				c.addf(name, "container %q port %d: %s", ctr.Name, p.ContainerPort, strings.Join(errs, "; "))
			}
			key := fmt.Sprint(p.ContainerPort, p.Protocol)
			if numbers[key] {
				c.addf(name, "port %d is declared twice", p.ContainerPort)
			}
			names[p.Name], numbers[key] = true, true
		}
	}
}

// mounts: every mount names a volume; a read-only root has a writable /tmp.
func (c *checker) mounts(name string, ctr *corev1.Container, volumes map[string]*corev1.Volume) {
	tmp := false
	for _, vm := range ctr.VolumeMounts {
		v, ok := volumes[vm.Name]
		if !ok {
			c.addf(name, "volumeMount %q names no volume", vm.Name)
			continue
		}
		if vm.MountPath == "/tmp" && v.EmptyDir != nil && !vm.ReadOnly {
			tmp = true
		}
		if (v.Secret != nil || v.ConfigMap != nil) && !vm.ReadOnly {
			c.addf(name, "volumeMount %q of a Secret or ConfigMap must be readOnly", vm.Name)
		}
	}
	if !tmp {
		c.addf(name, "the root filesystem is read-only: mount an emptyDir at /tmp")
	}
}

// env: ConfigMaps and Secrets referred to exist, with the keys named.
func (c *checker) env(name string, ctr *corev1.Container) {
	seen := map[string]bool{}
	for _, e := range ctr.Env {
		if seen[e.Name] {
			c.addf(name, "env %s is set twice", e.Name)
		}
		seen[e.Name] = true
		if e.ValueFrom == nil {
			continue
		}
		if ref := e.ValueFrom.ConfigMapKeyRef; ref != nil && !deref(ref.Optional, false) {
			if cm := c.m.configMap(ref.Name); cm == nil {
				c.addf(name, "env %s: ConfigMap %q is not rendered", e.Name, ref.Name)
			} else if _, ok := cm.Data[ref.Key]; !ok {
				c.addf(name, "env %s: ConfigMap %q has no key %q", e.Name, ref.Name, ref.Key)
			}
		}
		if ref := e.ValueFrom.SecretKeyRef; ref != nil && !deref(ref.Optional, false) {
			if !c.secretExists(ref.Name) {
				c.addf(name, "env %s: Secret %q is neither rendered nor an external Secret", e.Name, ref.Name)
			} else if s := c.m.secret(ref.Name); s != nil && !secretHasKey(s, ref.Key) {
				c.addf(name, "env %s: Secret %q has no key %q", e.Name, ref.Name, ref.Key)
			}
		}
	}
	for _, ef := range ctr.EnvFrom {
		if ref := ef.ConfigMapRef; ref != nil && !deref(ref.Optional, false) && c.m.configMap(ref.Name) == nil {
			c.addf(name, "envFrom: ConfigMap %q is not rendered", ref.Name)
		}
		if ref := ef.SecretRef; ref != nil && !deref(ref.Optional, false) && !c.secretExists(ref.Name) {
			c.addf(name, "envFrom: Secret %q is neither rendered nor an external Secret", ref.Name)
		}
	}
}

func secretHasKey(s *corev1.Secret, key string) bool {
	_, inData := s.Data[key]
	_, inString := s.StringData[key]
	return inData || inString
}

// probes: liveness and readiness present; every probe, and every lifecycle
// hook, on a port this container declares. The kubelet resolves a named
// probe port in the probe's own container, and fails the probe, not the
// apply, when the name is unknown; a number the container does not declare
// is almost always a typo too.
func (c *checker) probes(name string, ctr *corev1.Container) {
	if ctr.LivenessProbe == nil {
		c.addf(name, "livenessProbe is missing")
	}
	if ctr.ReadinessProbe == nil {
		c.addf(name, "readinessProbe is missing")
	}
	for _, p := range []struct {
		kind  string
		probe *corev1.Probe
	}{{"startupProbe", ctr.StartupProbe}, {"livenessProbe", ctr.LivenessProbe}, {"readinessProbe", ctr.ReadinessProbe}} {
		if p.probe == nil {
			continue
		}
		h := p.probe.ProbeHandler
		switch {
		case h.GRPC != nil:
			c.port(name, p.kind+" grpc", intstr.FromInt32(h.GRPC.Port), ctr)
			if h.GRPC.Service == nil || *h.GRPC.Service == "" {
				c.addf(name, "%s grpc: name the gRPC service to check, not the whole server", p.kind)
			}
		case h.HTTPGet != nil:
			c.port(name, p.kind+" httpGet", h.HTTPGet.Port, ctr)
		case h.TCPSocket != nil:
			c.port(name, p.kind+" tcpSocket", h.TCPSocket.Port, ctr)
		case h.Exec != nil:
			c.addf(name, "%s: exec probes cannot run in the distroless image (no shell); use grpc or httpGet", p.kind)
		default:
			c.addf(name, "%s has no handler", p.kind)
		}
	}
	if ctr.Lifecycle != nil {
		for _, hook := range []struct {
			kind string
			h    *corev1.LifecycleHandler
		}{{"postStart", ctr.Lifecycle.PostStart}, {"preStop", ctr.Lifecycle.PreStop}} {
			kind, h := hook.kind, hook.h
			switch {
			case h == nil:
			case h.HTTPGet != nil:
				c.port(name, kind+" httpGet", h.HTTPGet.Port, ctr)
			case h.TCPSocket != nil:
				c.port(name, kind+" tcpSocket", h.TCPSocket.Port, ctr)
			case h.Exec != nil:
				c.addf(name, "%s: exec hooks cannot run in the distroless image (no shell); use sleep", kind)
			}
		}
	}
}

func (c *checker) port(name, what string, port intstr.IntOrString, ctr *corev1.Container) {
	if _, ok := resolvePort(port, *ctr); !ok {
		c.addf(name, "%s: port %s is not a port of the container (%s)", what, portString(port), declaredPorts(*ctr))
	}
}

// grace: terminationGracePeriodSeconds covers the preStop sleep, the
// drain (AIM_SHUTDOWN_TIMEOUT) and a margin for the stores to close.
func (c *checker) grace(name string, spec *corev1.PodSpec, ctr *corev1.Container) {
	shutdown := defaultShutdown
	if v, ok := c.m.envValue(ctr, shutdownEnv); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			c.addf(name, "%s=%q: %v", shutdownEnv, v, err)
			return
		}
		shutdown = d
	}
	var preStop time.Duration
	if l := ctr.Lifecycle; l != nil && l.PreStop != nil && l.PreStop.Sleep != nil {
		preStop = time.Duration(l.PreStop.Sleep.Seconds) * time.Second
	}
	need := preStop + shutdown + graceMargin
	got := time.Duration(deref(spec.TerminationGracePeriodSeconds, corev1.DefaultTerminationGracePeriodSeconds)) * time.Second
	if got < need {
		c.addf(name, "terminationGracePeriodSeconds %s is shorter than preStop %s + %s %s + margin %s",
			got, preStop, shutdownEnv, shutdown, graceMargin)
	}
}

// statefulSet: one replica, its volume mounted at /data where AIM_DATA_DIR
// points, a headless Service, a disruption budget and a network policy.
func (c *checker) statefulSet(w workload, serviceName string, policy appsv1.PodManagementPolicyType) {
	name := w.String()
	if w.minReplicas != 1 {
		c.addf(name, "replicas is %d, want 1: bbolt allows one writer per file (deploy/k8s/README.md)", w.minReplicas)
	}
	if policy != appsv1.OrderedReadyPodManagement {
		c.addf(name, "podManagementPolicy is %q, want OrderedReady", policy)
	}
	if len(w.claims) == 0 {
		c.addf(name, "no volumeClaimTemplate: the store would live in the pod")
	}
	for _, claim := range w.claims {
		for _, mode := range claim.Spec.AccessModes {
			if mode != corev1.ReadWriteOnce && mode != corev1.ReadWriteOncePod {
				c.addf(name, "volumeClaimTemplate %q: access mode %s lets more than one node write", claim.Name, mode)
			}
		}
		if q, ok := claim.Spec.Resources.Requests[corev1.ResourceStorage]; !ok || q.Cmp(resource.MustParse("1Gi")) < 0 {
			c.addf(name, "volumeClaimTemplate %q: request at least 1Gi of storage", claim.Name)
		}
	}
	for _, ctr := range w.template.Spec.Containers {
		cname := fmt.Sprintf("%s container %q", name, ctr.Name)
		mounted := slices.ContainsFunc(ctr.VolumeMounts, func(vm corev1.VolumeMount) bool {
			return vm.MountPath == dataDir && !vm.ReadOnly && vm.SubPath == "" &&
				slices.ContainsFunc(w.claims, func(claim corev1.PersistentVolumeClaim) bool { return claim.Name == vm.Name })
		})
		if !mounted {
			c.addf(cname, "no volumeClaimTemplate is mounted at %s", dataDir)
		}
		if v, _ := c.m.envValue(&ctr, dataDirEnv); v != dataDir {
			c.addf(cname, "%s is %q, want %s (the volume)", dataDirEnv, v, dataDir)
		}
	}
	svc := c.m.service(serviceName)
	switch {
	case serviceName == "":
		c.addf(name, "serviceName is empty")
	case svc == nil:
		c.addf(name, "serviceName %q names no Service", serviceName)
	case svc.Spec.ClusterIP != corev1.ClusterIPNone || !selectsMap(svc.Spec.Selector, w):
		c.addf(name, "serviceName %q must be a headless Service (clusterIP: None) that selects the pods", serviceName)
	}
	c.guarded(w)
}

// deployment: scaled by an autoscaler that owns the replica count, with a
// disruption budget and a network policy.
func (c *checker) deployment(w workload, replicas *int32) {
	if c.m.autoscalerOf("Deployment", w.name) == nil {
		c.addf(w.String(), "no HorizontalPodAutoscaler scales it")
	} else if replicas != nil {
		c.addf(w.String(), "replicas is set while a HorizontalPodAutoscaler owns the count: each apply would reset it")
	}
	c.guarded(w)
}

// guarded: a disruption budget and an allowing network policy select w.
func (c *checker) guarded(w workload) {
	if !slices.ContainsFunc(c.m.PodDisruptionBudgets, func(p *policyv1.PodDisruptionBudget) bool { return selects(p.Spec.Selector, w) }) {
		c.addf(w.String(), "no PodDisruptionBudget selects its pods")
	}
	if !slices.ContainsFunc(c.m.NetworkPolicies, func(p *networkingv1.NetworkPolicy) bool {
		return len(p.Spec.Ingress) > 0 && selects(&p.Spec.PodSelector, w)
	}) {
		c.addf(w.String(), "no NetworkPolicy allows any traffic to its pods")
	}
}

// reachable reports whether some NetworkPolicy rule allows traffic to
// port number of the pods of w.
func (c *checker) reachable(w workload, number int32) bool {
	for _, p := range c.m.NetworkPolicies {
		if !selects(&p.Spec.PodSelector, w) {
			continue
		}
		for _, r := range p.Spec.Ingress {
			if rulePortMatches(r.Ports, number, w) {
				return true
			}
		}
	}
	return false
}

// services: cluster-internal only, named ports that reach a container port
// of every pod they select.
func (c *checker) services() {
	for _, svc := range c.m.Services {
		name := describe("Service", svc)
		if errs := validation.IsDNS1035Label(svc.Name); len(errs) > 0 {
			c.addf(name, "invalid Service name: %s", strings.Join(errs, "; "))
		}
		if t := svc.Spec.Type; t != "" && t != corev1.ServiceTypeClusterIP {
			c.addf(name, "type %s: Services stay inside the cluster; the Ingress is the way in", t)
		}
		var selected []workload
		for _, w := range c.workloads {
			if selectsMap(svc.Spec.Selector, w) {
				selected = append(selected, w)
			}
		}
		if len(selected) == 0 {
			c.addf(name, "the selector selects no pods")
		}
		for _, p := range svc.Spec.Ports {
			if p.Name == "" {
				c.addf(name, "port %d has no name", p.Port)
			}
			target := p.TargetPort
			if target.Type == intstr.Int && target.IntVal == 0 {
				target = intstr.FromInt32(p.Port)
			}
			for _, w := range selected {
				number, ok := resolvePort(target, w.template.Spec.Containers...)
				if !ok {
					c.addf(name, "port %q: targetPort %s is not a container port of %s (%s)",
						p.Name, portString(target), w, declaredPorts(w.template.Spec.Containers...))
				} else if !c.reachable(w, number) {
					c.addf(name, "port %q: no NetworkPolicy lets anything reach %s on port %d", p.Name, w, number)
				}
			}
		}
	}
}

// ingresses: a class, TLS for every host, and backends that name a Service
// and one of its ports.
func (c *checker) ingresses() {
	for _, ing := range c.m.Ingresses {
		name := describe("Ingress", ing)
		if ing.Spec.IngressClassName == nil || *ing.Spec.IngressClassName == "" {
			c.addf(name, "ingressClassName is not set")
		}
		var tlsHosts []string
		for _, t := range ing.Spec.TLS {
			if t.SecretName == "" {
				c.addf(name, "tls for %v has no secretName", t.Hosts)
			}
			tlsHosts = append(tlsHosts, t.Hosts...)
		}
		if b := ing.Spec.DefaultBackend; b != nil {
			c.backend(name, "defaultBackend", b)
		}
		for _, r := range ing.Spec.Rules {
			if r.Host == "" {
				c.addf(name, "a rule has no host")
			} else if !slices.Contains(tlsHosts, r.Host) {
				c.addf(name, "host %q is not in tls", r.Host)
			}
			if r.HTTP == nil {
				c.addf(name, "host %q has no paths", r.Host)
				continue
			}
			for _, p := range r.HTTP.Paths {
				if p.PathType == nil {
					c.addf(name, "path %q has no pathType", p.Path)
				}
				c.backend(name, "path "+p.Path, &p.Backend)
			}
		}
	}
}

func (c *checker) backend(name, where string, b *networkingv1.IngressBackend) {
	if b.Service == nil {
		c.addf(name, "%s: the backend is not a Service", where)
		return
	}
	svc := c.m.service(b.Service.Name)
	if svc == nil {
		c.addf(name, "%s: Service %q is not rendered", where, b.Service.Name)
		return
	}
	p := b.Service.Port
	if !slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool {
		return p.Name != "" && sp.Name == p.Name || p.Name == "" && sp.Port == p.Number
	}) {
		c.addf(name, "%s: Service %q has no port %q/%d", where, svc.Name, p.Name, p.Number)
	}
}

// disruptionBudgets: each selects a workload and lets at least one of its
// pods be evicted (otherwise a node drain waits forever).
func (c *checker) disruptionBudgets() {
	for _, pdb := range c.m.PodDisruptionBudgets {
		name := describe("PodDisruptionBudget", pdb)
		minAvailable, maxUnavailable := pdb.Spec.MinAvailable, pdb.Spec.MaxUnavailable
		if (minAvailable == nil) == (maxUnavailable == nil) {
			c.addf(name, "set exactly one of minAvailable and maxUnavailable")
			continue
		}
		found := false
		for _, w := range c.workloads {
			if !selects(pdb.Spec.Selector, w) {
				continue
			}
			found = true
			n := int(w.minReplicas)
			if minAvailable != nil {
				v, err := intstr.GetScaledValueFromIntOrPercent(minAvailable, n, true)
				if err != nil {
					c.addf(name, "minAvailable: %v", err)
				} else if v >= n {
					c.addf(name, "minAvailable %s of %s's %d replicas blocks every eviction, so node drains never finish",
						minAvailable.String(), w, n)
				}
			} else {
				v, err := intstr.GetScaledValueFromIntOrPercent(maxUnavailable, n, true)
				if err != nil {
					c.addf(name, "maxUnavailable: %v", err)
				} else if v < 1 {
					c.addf(name, "maxUnavailable %s blocks every eviction of %s, so node drains never finish",
						maxUnavailable.String(), w)
				}
			}
		}
		if !found {
			c.addf(name, "the selector selects no pods")
		}
	}
}

// autoscalers: a target that exists, sane bounds, and requests for the
// resources they measure utilization of.
func (c *checker) autoscalers() {
	for _, h := range c.m.HorizontalPodAutoscalers {
		name := describe("HorizontalPodAutoscaler", h)
		ref := h.Spec.ScaleTargetRef
		i := slices.IndexFunc(c.workloads, func(w workload) bool { return w.kind == ref.Kind && w.name == ref.Name })
		if i < 0 || ref.APIVersion != "apps/v1" {
			c.addf(name, "scaleTargetRef %s %s %s is not rendered", ref.APIVersion, ref.Kind, ref.Name)
			continue
		}
		w := c.workloads[i]
		if w.kind != "Deployment" {
			c.addf(name, "scales %s: only the stateless Deployments may scale", w)
		}
		if lo := deref(h.Spec.MinReplicas, 1); lo < 1 || lo > h.Spec.MaxReplicas {
			c.addf(name, "minReplicas %d must be between 1 and maxReplicas %d", lo, h.Spec.MaxReplicas)
		}
		if len(h.Spec.Metrics) == 0 {
			c.addf(name, "no metrics")
		}
		for _, m := range h.Spec.Metrics {
			if m.Resource == nil || m.Resource.Target.AverageUtilization == nil {
				continue
			}
			for _, ctr := range w.template.Spec.Containers {
				if _, ok := ctr.Resources.Requests[m.Resource.Name]; !ok {
					c.addf(name, "measures %s utilization but container %q requests no %s", m.Resource.Name, ctr.Name, m.Resource.Name)
				}
			}
		}
	}
}

// networkPolicies: every pod isolated for ingress; every policy selects
// pods; every rule names its sources and ports, and named ports exist.
func (c *checker) networkPolicies() {
	for _, w := range c.workloads {
		if !slices.ContainsFunc(c.m.NetworkPolicies, func(p *networkingv1.NetworkPolicy) bool {
			return isolatesIngress(p) && selects(&p.Spec.PodSelector, w)
		}) {
			c.addf(w.String(), "no NetworkPolicy isolates its pods for ingress (default deny)")
		}
	}
	for _, p := range c.m.NetworkPolicies {
		name := describe("NetworkPolicy", p)
		var selected []workload
		for _, w := range c.workloads {
			if selects(&p.Spec.PodSelector, w) {
				selected = append(selected, w)
			}
		}
		if len(selected) == 0 {
			c.addf(name, "the podSelector selects no pods")
		}
		for i, r := range p.Spec.Ingress {
			if len(r.From) == 0 {
				c.addf(name, "ingress rule %d allows every source: name them", i)
			}
			for _, peer := range r.From {
				if peer.IPBlock != nil && (peer.IPBlock.CIDR == "0.0.0.0/0" || peer.IPBlock.CIDR == "::/0") {
					c.addf(name, "ingress rule %d allows every address", i)
				}
			}
			if len(r.Ports) == 0 {
				c.addf(name, "ingress rule %d allows every port: name them", i)
			}
			for _, port := range r.Ports {
				if port.Port == nil {
					c.addf(name, "ingress rule %d allows every port: name them", i)
					continue
				}
				for _, w := range selected {
					if _, ok := resolvePort(*port.Port, w.template.Spec.Containers...); !ok {
						c.addf(name, "ingress rule %d: port %s is not a container port of %s (%s)",
							i, portString(*port.Port), w, declaredPorts(w.template.Spec.Containers...))
					}
				}
			}
		}
	}
}

// secrets: no private key material in a rendered Secret.
func (c *checker) secrets() {
	for _, s := range c.m.Secrets {
		values := map[string][]byte{}
		for k, v := range s.Data {
			values[k] = v
		}
		for k, v := range s.StringData {
			values[k] = []byte(v)
		}
		for k, v := range values {
			if holdsPrivateKey(v) {
				c.addf(describe("Secret", s), "key %q holds a private key: never commit one", k)
			}
		}
	}
}

// holdsPrivateKey reports a PEM private key, or a JWK set with a private
// member (RSA and EC "d", symmetric "k").
func holdsPrivateKey(v []byte) bool {
	if strings.Contains(string(v), "PRIVATE KEY") {
		return true
	}
	var jwks struct {
		Keys []map[string]any `json:"keys"`
	}
	if json.Unmarshal(v, &jwks) != nil {
		return false
	}
	for _, k := range jwks.Keys {
		if _, ok := k["d"]; ok {
			return true
		}
		if _, ok := k["k"]; ok {
			return true
		}
	}
	return false
}
