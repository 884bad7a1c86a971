package check

import (
	"fmt"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// Resource is one rendered object, as YAML, with the fields that say how to
// decode it.
type Resource struct {
	APIVersion string
	Kind       string
	Name       string
	YAML       []byte
}

// String names the resource for messages: "StatefulSet aim-model".
func (r Resource) String() string { return r.Kind + " " + r.Name }

// Render builds the kustomization in dir, on disk, as `kustomize build dir`
// does with its default options.
func Render(dir string) ([]Resource, error) {
	return RenderFS(filesys.MakeFsOnDisk(), dir)
}

// RenderFS builds the kustomization in dir of fsys.
func RenderFS(fsys filesys.FileSystem, dir string) ([]Resource, error) {
	resMap, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	var out []Resource
	for _, r := range resMap.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			return nil, fmt.Errorf("kustomize build %s: %s %s: %w", dir, r.GetKind(), r.GetName(), err)
		}
		out = append(out, Resource{APIVersion: r.GetApiVersion(), Kind: r.GetKind(), Name: r.GetName(), YAML: y})
	}
	return out, nil
}
