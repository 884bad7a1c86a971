package check

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// targets are the kustomizations under deploy/k8s, with what the checks
// cannot see in them.
var targets = []struct {
	dir  string
	opts Options
	// namespace the target deploys to; gatewayMin and gatewayMax bound its
	// gateways; storage is each StatefulSet's volume.
	namespace              string
	gatewayMin, gatewayMax int32
	storage                string
}{
	{dir: "../base", namespace: "aim", gatewayMin: 2, gatewayMax: 5, storage: "1Gi"},
	{dir: "../overlays/dev", opts: Options{ExternalSecrets: []string{"aim-jwt", "aim-operator", "aim-audit"}}, namespace: "aim-dev", gatewayMin: 1, gatewayMax: 2, storage: "1Gi"},
	{dir: "../overlays/prod", opts: Options{ExternalSecrets: []string{"aim-jwt", "aim-operator", "aim-audit"}}, namespace: "aim-prod", gatewayMin: 3, gatewayMax: 10, storage: "20Gi"},
}

// rendered caches each directory's build: kustomize takes a while, and the
// cases that break one rule each need fresh objects, not a fresh build.
var rendered sync.Map // dir -> []Resource

// render builds (once) and decodes a kustomization into new objects,
// failing the test on error.
func render(t *testing.T, dir string) *Manifests {
	t.Helper()
	res, ok := rendered.Load(dir)
	if !ok {
		r, err := Render(dir)
		if err != nil {
			t.Fatal(err)
		}
		res, _ = rendered.LoadOrStore(dir, r)
	}
	m, err := Decode(res.([]Resource))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestManifests(t *testing.T) {
	for _, tt := range targets {
		t.Run(filepath.Base(tt.dir), func(t *testing.T) {
			m := render(t, tt.dir)
			for _, p := range Check(m, tt.opts) {
				t.Error(p)
			}
			if len(m.StatefulSets) != 3 || len(m.Deployments) != 1 {
				t.Fatalf("got %d StatefulSets and %d Deployments, want 3 and 1", len(m.StatefulSets), len(m.Deployments))
			}
			if got := m.Namespaces[0].Name; got != tt.namespace {
				t.Errorf("namespace %q, want %q", got, tt.namespace)
			}
			h := m.autoscalerOf("Deployment", "aim-gateway")
			if h == nil || deref(h.Spec.MinReplicas, 1) != tt.gatewayMin || h.Spec.MaxReplicas != tt.gatewayMax {
				t.Errorf("gateway autoscaler %+v, want %d to %d replicas", h, tt.gatewayMin, tt.gatewayMax)
			}
			for _, s := range m.StatefulSets {
				if got := s.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests[corev1.ResourceStorage]; got.String() != tt.storage {
					t.Errorf("%s: volume %s, want %s", s.Name, got.String(), tt.storage)
				}
			}
		})
	}
}

// TestServices pins what the checks take as given: each part runs as
// `aim <part>` with its health service name in its gRPC probes, its store
// at /data and the JWT keys from the mounted Secret.
func TestServices(t *testing.T) {
	want := map[string]struct{ part, health string }{
		"aim-model":     {"model", "aim.model.v1.ModelCatalogService"},
		"aim-appraisal": {"appraisal", "aim.appraisal.v1.AppraisalService"},
		"aim-crosswalk": {"crosswalk", "aim.crosswalk.v1.CrosswalkService"},
	}
	for _, tt := range targets {
		m := render(t, tt.dir)
		for _, s := range m.StatefulSets {
			w, ok := want[s.Name]
			if !ok {
				t.Errorf("%s: unexpected StatefulSet %s", tt.dir, s.Name)
				continue
			}
			ctr := &s.Spec.Template.Spec.Containers[0]
			if !slices.Equal(ctr.Args, []string{w.part}) {
				t.Errorf("%s %s: args %v, want [%s]", tt.dir, s.Name, ctr.Args, w.part)
			}
			for _, p := range []*corev1.Probe{ctr.StartupProbe, ctr.LivenessProbe, ctr.ReadinessProbe} {
				if p == nil || p.GRPC == nil || deref(p.GRPC.Service, "") != w.health {
					t.Errorf("%s %s: probe %+v, want a grpc probe of %s", tt.dir, s.Name, p, w.health)
				}
			}
			// The tenant keys and the operators' keys (ADR 0005), and the
			// appraisal service's audit key (ADR 0008), each from its own
			// Secret, read-only.
			keyFiles := []struct{ env, secret string }{{"AIM_JWT_KEYS", "aim-jwt"}, {"AIM_OPERATOR_KEYS", "aim-operator"}}
			if w.part == "appraisal" {
				keyFiles = append(keyFiles, struct{ env, secret string }{"AIM_AUDIT_KEY", "aim-audit"})
			}
			for _, k := range keyFiles {
				checkKeyMount(t, tt.dir+" "+s.Name, m, &s.Spec.Template.Spec, k.env, k.secret)
			}
		}
		gw := &m.Deployments[0].Spec.Template.Spec.Containers[0]
		// The gateway checks credentials before it reads a body (ADR 0006).
		checkKeyMount(t, tt.dir+" gateway", m, &m.Deployments[0].Spec.Template.Spec, "AIM_JWT_KEYS", "aim-jwt")
		if !slices.Equal(gw.Args, []string{"gateway"}) {
			t.Errorf("%s gateway: args %v", tt.dir, gw.Args)
		}
		for addr, svc := range map[string]string{"AIM_MODEL_ADDR": "aim-model", "AIM_APPRAISAL_ADDR": "aim-appraisal", "AIM_CROSSWALK_ADDR": "aim-crosswalk"} {
			if v, _ := m.envValue(gw, addr); v != svc+":9090" {
				t.Errorf("%s gateway: %s=%q, want %s:9090", tt.dir, addr, v, svc)
			}
		}
	}
}

// TestNetworkPolicies evaluates the policies: only the listed connections
// are allowed, every other one between these peers and ports is denied.
func TestNetworkPolicies(t *testing.T) {
	for _, tt := range targets {
		m := render(t, tt.dir)
		ns := tt.namespace
		nsLabels := map[string]string{"kubernetes.io/metadata.name": ns}
		peers := map[string]Peer{
			"ingress":    {Namespace: "ingress-nginx", NamespaceLabels: map[string]string{"kubernetes.io/metadata.name": "ingress-nginx"}, PodLabels: map[string]string{"app.kubernetes.io/name": "ingress-nginx"}},
			"monitoring": {Namespace: "monitoring", NamespaceLabels: map[string]string{"kubernetes.io/metadata.name": "monitoring"}, PodLabels: map[string]string{"app": "prometheus"}},
			"stranger":   {Namespace: ns, NamespaceLabels: nsLabels, PodLabels: map[string]string{"app": "debug"}},
			"outsider":   {Namespace: "other", NamespaceLabels: map[string]string{"kubernetes.io/metadata.name": "other"}, PodLabels: map[string]string{"app.kubernetes.io/name": "aim-gateway"}},
		}
		for _, w := range m.workloads() {
			peers[w.name] = Peer{Namespace: ns, NamespaceLabels: nsLabels, PodLabels: w.template.Labels}
		}
		allowed := map[string]bool{
			"ingress -> aim-gateway:http": true,
			"ingress -> aim-model:grpc":   true, "ingress -> aim-appraisal:grpc": true, "ingress -> aim-crosswalk:grpc": true,
			"aim-gateway -> aim-model:grpc": true, "aim-gateway -> aim-appraisal:grpc": true, "aim-gateway -> aim-crosswalk:grpc": true,
			"aim-appraisal -> aim-model:grpc": true,
			"aim-crosswalk -> aim-model:grpc": true, "aim-crosswalk -> aim-appraisal:grpc": true,
			"monitoring -> aim-gateway:admin": true, "monitoring -> aim-model:admin": true,
			"monitoring -> aim-appraisal:admin": true, "monitoring -> aim-crosswalk:admin": true,
		}
		seen := 0
		for from, peer := range peers {
			for _, to := range m.workloads() {
				for _, p := range to.template.Spec.Containers[0].Ports {
					key := fmt.Sprintf("%s -> %s:%s", from, to.name, p.Name)
					want := allowed[key]
					if want {
						seen++
					}
					if got := m.Allows(peer, to.kind, to.name, intstr.FromString(p.Name)); got != want {
						t.Errorf("%s: %s: allowed %v, want %v", tt.dir, key, got, want)
					}
				}
			}
		}
		if seen != len(allowed) {
			t.Errorf("%s: %d of the %d allowed connections exist", tt.dir, seen, len(allowed))
		}
	}
}

// TestProbePortMutation: a probe that names a port its container does not
// declare fails the checks, whether the name is new or the number is.
func TestProbePortMutation(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(m *Manifests)
		want   string
	}{
		{"gateway readiness to a missing name", func(m *Manifests) {
			m.Deployments[0].Spec.Template.Spec.Containers[0].ReadinessProbe.HTTPGet.Port = intstr.FromString("nope")
		}, `Deployment aim-gateway container "aim": readinessProbe httpGet: port "nope" is not a port of the container`},
		{"gateway liveness to a missing number", func(m *Manifests) {
			m.Deployments[0].Spec.Template.Spec.Containers[0].LivenessProbe.HTTPGet.Port = intstr.FromInt32(8081)
		}, `livenessProbe httpGet: port 8081 is not a port`},
		{"model readiness to another grpc port", func(m *Manifests) {
			find(m.StatefulSets, "aim-model").Spec.Template.Spec.Containers[0].ReadinessProbe.GRPC.Port = 9999
		}, `readinessProbe grpc: port 9999 is not a port`},
		{"model startup to the admin port by tcp name", func(m *Manifests) {
			ctr := &find(m.StatefulSets, "aim-model").Spec.Template.Spec.Containers[0]
			ctr.StartupProbe.GRPC = nil
			ctr.StartupProbe.TCPSocket = &corev1.TCPSocketAction{Port: intstr.FromString("nope")}
		}, `startupProbe tcpSocket: port "nope" is not a port`},
		{"declared port renamed under the probe", func(m *Manifests) {
			m.Deployments[0].Spec.Template.Spec.Containers[0].Ports[0].Name = "web"
		}, `readinessProbe httpGet: port "http" is not a port of the container (declared: web=8080, admin=9091)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := render(t, "../overlays/dev")
			tt.mutate(m)
			expectProblem(t, Check(m, targets[1].opts), tt.want)
		})
	}
}

// TestBadProbeFixture renders testdata/bad-probe, an overlay of the base
// that points the gateway's readiness probe at a port name no container
// declares; the checks must fail it.
func TestBadProbeFixture(t *testing.T) {
	m := render(t, "testdata/bad-probe")
	expectProblem(t, Check(m, Options{}), `Deployment aim-gateway container "aim": readinessProbe httpGet: port "nope" is not a port of the container`)
}

// TestRules breaks one rule at a time in a rendered overlay and expects
// the checks to say so.
func TestRules(t *testing.T) {
	ctr := func(m *Manifests, name string) *corev1.Container {
		return &find(m.StatefulSets, name).Spec.Template.Spec.Containers[0]
	}
	gw := func(m *Manifests) *corev1.Container { return &m.Deployments[0].Spec.Template.Spec.Containers[0] }
	tests := []struct {
		name   string
		mutate func(m *Manifests)
		want   string
	}{
		{"runs as root", func(m *Manifests) {
			f := false
			find(m.StatefulSets, "aim-model").Spec.Template.Spec.SecurityContext.RunAsNonRoot = &f
			ctr(m, "aim-model").SecurityContext.RunAsNonRoot = nil
		}, "runAsNonRoot must be true"},
		{"keeps capabilities", func(m *Manifests) { gw(m).SecurityContext.Capabilities = nil }, `capabilities must drop ["ALL"]`},
		{"adds a capability", func(m *Manifests) {
			gw(m).SecurityContext.Capabilities.Add = []corev1.Capability{"NET_BIND_SERVICE"}
		}, "capabilities must add none"},
		{"writable root", func(m *Manifests) {
			f := false
			ctr(m, "aim-appraisal").SecurityContext.ReadOnlyRootFilesystem = &f
		}, "readOnlyRootFilesystem must be true"},
		{"privilege escalation", func(m *Manifests) { ctr(m, "aim-crosswalk").SecurityContext.AllowPrivilegeEscalation = nil }, "allowPrivilegeEscalation must be false"},
		{"no seccomp", func(m *Manifests) { m.Deployments[0].Spec.Template.Spec.SecurityContext.SeccompProfile = nil }, "seccompProfile must be RuntimeDefault"},
		{"no memory limit", func(m *Manifests) { delete(gw(m).Resources.Limits, corev1.ResourceMemory) }, "resources.limits.memory is missing"},
		{"no cpu request", func(m *Manifests) { delete(ctr(m, "aim-model").Resources.Requests, corev1.ResourceCPU) }, "resources.requests.cpu is missing"},
		{"no liveness", func(m *Manifests) { ctr(m, "aim-model").LivenessProbe = nil }, "livenessProbe is missing"},
		{"whole-server grpc probe", func(m *Manifests) { ctr(m, "aim-model").ReadinessProbe.GRPC.Service = nil }, "name the gRPC service"},
		{"two writers", func(m *Manifests) {
			two := int32(2)
			find(m.StatefulSets, "aim-model").Spec.Replicas = &two
		}, "replicas is 2, want 1"},
		{"store not on the volume", func(m *Manifests) { ctr(m, "aim-model").VolumeMounts[0].MountPath = "/var/data" }, "no volumeClaimTemplate is mounted at /data"},
		{"shared volume", func(m *Manifests) {
			find(m.StatefulSets, "aim-model").Spec.VolumeClaimTemplates[0].Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
		}, "access mode ReadWriteMany"},
		{"short grace", func(m *Manifests) {
			ten := int64(10)
			m.Deployments[0].Spec.Template.Spec.TerminationGracePeriodSeconds = &ten
		}, "terminationGracePeriodSeconds 10s is shorter"},
		{"service links", func(m *Manifests) { find(m.StatefulSets, "aim-model").Spec.Template.Spec.EnableServiceLinks = nil }, "enableServiceLinks must be false"},
		{"token mounted", func(m *Manifests) { m.Deployments[0].Spec.Template.Spec.AutomountServiceAccountToken = nil }, "automountServiceAccountToken must be false"},
		{"latest image", func(m *Manifests) { gw(m).Image = "registry.example.com/aim-platform/aim:latest" }, "is not pinned"},
		{"missing ConfigMap", func(m *Manifests) { gw(m).EnvFrom[0].ConfigMapRef.Name = "aim-config" }, `ConfigMap "aim-config" is not rendered`},
		{"missing Secret", func(m *Manifests) {
			find(m.StatefulSets, "aim-model").Spec.Template.Spec.Volumes[0].Secret.SecretName = "aim-jwt-old"
		}, `Secret "aim-jwt-old" is neither rendered nor an external Secret`},
		{"Service to a missing port", func(m *Manifests) {
			m.service("aim-model").Spec.Ports[0].TargetPort = intstr.FromString("grcp")
		}, `targetPort "grcp" is not a container port of StatefulSet aim-model`},
		{"Service outside the cluster", func(m *Manifests) { m.service("aim-gateway").Spec.Type = corev1.ServiceTypeLoadBalancer }, "type LoadBalancer"},
		{"headless Service gone", func(m *Manifests) { find(m.StatefulSets, "aim-appraisal").Spec.ServiceName = "aim-appraisal" }, "must be a headless Service"},
		{"Ingress to a missing Service", func(m *Manifests) {
			find(m.Ingresses, "aim-rest").Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name = "aim-nope"
		}, `Service "aim-nope" is not rendered`},
		{"Ingress to a missing port", func(m *Manifests) {
			find(m.Ingresses, "aim-grpc").Spec.Rules[0].HTTP.Paths[0].Backend.Service.Port.Name = "nope"
		}, `has no port "nope"`},
		{"Ingress host without TLS", func(m *Manifests) { find(m.Ingresses, "aim-rest").Spec.TLS = nil }, "is not in tls"},
		{"PDB blocks drains", func(m *Manifests) {
			zero := intstr.FromInt32(0)
			find(m.PodDisruptionBudgets, "aim-model").Spec.MaxUnavailable = &zero
		}, "blocks every eviction"},
		{"PDB minAvailable on one replica", func(m *Manifests) {
			one := intstr.FromInt32(1)
			find(m.PodDisruptionBudgets, "aim-gateway").Spec.MaxUnavailable, find(m.PodDisruptionBudgets, "aim-gateway").Spec.MinAvailable = nil, &one
		}, "minAvailable 1 of Deployment aim-gateway's 1 replicas blocks every eviction"},
		{"no PDB", func(m *Manifests) {
			m.PodDisruptionBudgets = slices.DeleteFunc(m.PodDisruptionBudgets, func(p *policyv1.PodDisruptionBudget) bool { return p.Name == "aim-appraisal" })
		}, "StatefulSet aim-appraisal: no PodDisruptionBudget selects its pods"},
		{"no HPA", func(m *Manifests) { m.HorizontalPodAutoscalers = nil }, "no HorizontalPodAutoscaler scales it"},
		{"HPA fights apply", func(m *Manifests) {
			two := int32(2)
			m.Deployments[0].Spec.Replicas = &two
		}, "replicas is set while a HorizontalPodAutoscaler owns the count"},
		{"no NetworkPolicy for a service", func(m *Manifests) {
			m.NetworkPolicies = slices.DeleteFunc(m.NetworkPolicies, func(p *networkingv1.NetworkPolicy) bool { return p.Name == "aim-crosswalk" })
		}, `Service aim-crosswalk: port "grpc": no NetworkPolicy lets anything reach StatefulSet aim-crosswalk on port 9090`},
		{"no default deny", func(m *Manifests) {
			m.NetworkPolicies = slices.DeleteFunc(m.NetworkPolicies, func(p *networkingv1.NetworkPolicy) bool {
				return p.Name == "aim-default-deny" || p.Name == "aim-allow-monitoring"
			})
			m.NetworkPolicies = slices.DeleteFunc(m.NetworkPolicies, func(p *networkingv1.NetworkPolicy) bool { return p.Name == "aim-gateway" })
		}, "Deployment aim-gateway: no NetworkPolicy isolates its pods"},
		{"NetworkPolicy open to all", func(m *Manifests) { find(m.NetworkPolicies, "aim-gateway").Spec.Ingress[0].From = nil }, "allows every source"},
		{"NetworkPolicy to a missing port", func(m *Manifests) {
			p := intstr.FromString("grpc")
			find(m.NetworkPolicies, "aim-gateway").Spec.Ingress[0].Ports[0].Port = &p
		}, `port "grpc" is not a container port of Deployment aim-gateway`},
		{"private key committed", func(m *Manifests) {
			m.Secrets = append(m.Secrets, &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: "aim-jwt", Namespace: m.Namespaces[0].Name, Labels: map[string]string{partOfLabel: partOf}},
				StringData: map[string]string{"jwks.json": `{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b","d":"c"}]}`},
			})
		}, `key "jwks.json" holds a private key`},
		{"object in another namespace", func(m *Manifests) { m.ConfigMaps[0].Namespace = "default" }, `namespace is "default"`},
		{"unlabelled", func(m *Manifests) { delete(m.service("aim-model").Labels, partOfLabel) }, "Service aim-model: label app.kubernetes.io/part-of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := render(t, "../overlays/dev")
			tt.mutate(m)
			expectProblem(t, Check(m, targets[1].opts), tt.want)
		})
	}
}

// TestStrictDecode: unknown fields, fields in the wrong case, duplicate
// keys, wrong types and unknown kinds all fail.
func TestStrictDecode(t *testing.T) {
	const deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n"
	tests := []struct {
		name string
		res  Resource
		want string
	}{
		{"unknown field", Resource{"apps/v1", "Deployment", "x", []byte(deployment + "  replica: 1\n")}, `unknown field "spec.replica"`},
		{"wrong case", Resource{"apps/v1", "Deployment", "x", []byte(deployment + "  Replicas: 1\n")}, `unknown field "spec.Replicas"`},
		{"duplicate key", Resource{"apps/v1", "Deployment", "x", []byte(deployment + "  replicas: 1\n  replicas: 2\n")}, "replicas"},
		{"wrong type", Resource{"apps/v1", "Deployment", "x", []byte(deployment + "  replicas: \"2\"\n")}, "replicas"},
		{"probe grpc port by name", Resource{"apps/v1", "Deployment", "x", []byte(deployment +
			"  template:\n    spec:\n      containers:\n      - name: c\n        livenessProbe:\n          grpc:\n            port: grpc\n")},
			"port"},
		{"unknown kind", Resource{"apps/v1", "DaemonSet", "x", []byte("apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: x\n")}, "unknown kind apps/v1/DaemonSet"},
		{"old apiVersion", Resource{"autoscaling/v1", "HorizontalPodAutoscaler", "x", []byte("apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\n")}, "unknown kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]Resource{tt.res})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Decode: %v, want an error with %q", err, tt.want)
			}
		})
	}
}

// TestDockerfile reads the Dockerfile, which cannot be built here, for the
// rules the manifests rely on: a static binary, the distroless nonroot
// base, the user the pods run as, /aim as the entrypoint.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	for _, want := range []string{
		"FROM golang:1.26.8-bookworm AS build",
		"CGO_ENABLED=0",
		"FROM gcr.io/distroless/static-debian12:nonroot",
		"USER 65532:65532",
		`ENTRYPOINT ["/aim"]`,
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	m := render(t, "../base")
	for _, w := range m.workloads() {
		sc := w.template.Spec.SecurityContext
		if sc == nil || deref(sc.RunAsUser, 0) != 65532 || deref(sc.RunAsGroup, 0) != 65532 {
			t.Errorf("%s: pods must run as 65532:65532, the image's user", w)
		}
	}
}

func TestHoldsPrivateKey(t *testing.T) {
	for _, tt := range []struct {
		v    string
		want bool
	}{
		{`{"keys":[]}`, false},
		{`{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","x":"IYfu"}]}`, false},
		{`{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","x":"IYfu","d":"c2Vj"}]}`, true},
		{`{"keys":[{"kty":"oct","k":"c2Vj"}]}`, true},
		{"-----BEGIN PUBLIC KEY-----\nMCow\n-----END PUBLIC KEY-----\n", false},
		{"-----BEGIN PRIVATE KEY-----\nMC4C\n-----END PRIVATE KEY-----\n", true},
		{"-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n", true},
	} {
		if got := holdsPrivateKey([]byte(tt.v)); got != tt.want {
			t.Errorf("holdsPrivateKey(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

func expectProblem(t *testing.T, problems []Problem, want string) {
	t.Helper()
	for _, p := range problems {
		if strings.Contains(p.String(), want) {
			return
		}
	}
	t.Errorf("no problem contains %q; got %d:", want, len(problems))
	for _, p := range problems {
		t.Log("  ", p)
	}
}

// find returns the object named name, failing the test's cases by panic
// when there is none (the manifests changed under them).
func find[T metav1.Object](objs []T, name string) T {
	i := slices.IndexFunc(objs, func(o T) bool { return o.GetName() == name })
	if i < 0 {
		panic("no object named " + name)
	}
	return objs[i]
}

// checkKeyMount requires the first container of spec to read the key file
// named by env from a read-only mount of the Secret secret, and the Secret,
// when rendered, to hold that file.
func checkKeyMount(t *testing.T, obj string, m *Manifests, spec *corev1.PodSpec, env, secret string) {
	t.Helper()
	ctr := &spec.Containers[0]
	keys, _ := m.envValue(ctr, env)
	dir, file := filepath.Split(keys)
	i := slices.IndexFunc(ctr.VolumeMounts, func(vm corev1.VolumeMount) bool { return vm.MountPath+"/" == dir })
	if keys == "" || i < 0 || !ctr.VolumeMounts[i].ReadOnly {
		t.Errorf("%s: %s=%q is not in a read-only mount", obj, env, keys)
		return
	}
	j := slices.IndexFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == ctr.VolumeMounts[i].Name })
	switch {
	case j < 0 || spec.Volumes[j].Secret == nil || spec.Volumes[j].Secret.SecretName != secret:
		t.Errorf("%s: %s is not in the %s Secret", obj, env, secret)
	case m.secret(secret) != nil && !secretHasKey(m.secret(secret), file):
		t.Errorf("%s: Secret %s has no key %q", obj, secret, file)
	}
}
