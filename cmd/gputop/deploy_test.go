package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v2"
)

// dig walks a decoded YAML tree by keys (maps) and indexes (lists).
func dig(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[any]any)
			if !ok {
				t.Fatalf("%v: not a map at %q", path, k)
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("%v: no item %d", path, k)
			}
			v = l[k]
		}
	}
	return v
}

func loadYAML(t *testing.T, name string) any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", name))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// The DaemonSet keeps the promises the README makes: no host PID namespace
// unless the user opts in, read-only root, non-root, no privilege
// escalation, the NVIDIA runtime class, serve on the port the Service and
// the ServiceMonitor use.
func TestDeployManifests(t *testing.T) {
	ds := loadYAML(t, "daemonset.yaml")
	spec := dig(t, ds, "spec", "template", "spec")
	if dig(t, spec, "hostPID") != false {
		t.Error("hostPID must be off by default")
	}
	if dig(t, spec, "runtimeClassName") != "nvidia" {
		t.Error("runtimeClassName")
	}
	if dig(t, spec, "securityContext", "runAsNonRoot") != true {
		t.Error("runAsNonRoot")
	}
	c := dig(t, spec, "containers", 0)
	sc := dig(t, c, "securityContext")
	if dig(t, sc, "readOnlyRootFilesystem") != true || dig(t, sc, "allowPrivilegeEscalation") != false {
		t.Error("container securityContext")
	}
	args := dig(t, c, "args").([]any)
	if args[0] != "serve" || args[1] != "--listen=:9400" {
		t.Errorf("args %v", args)
	}
	if dig(t, c, "ports", 0, "containerPort") != 9400 || dig(t, c, "ports", 0, "name") != "metrics" {
		t.Error("port")
	}
	if dig(t, c, "readinessProbe", "httpGet", "path") != "/healthz" {
		t.Error("probe")
	}
	if dig(t, c, "env", 0, "name") != "NODE_NAME" {
		t.Error("NODE_NAME from the downward API")
	}
	svc := loadYAML(t, "service.yaml")
	if dig(t, svc, "spec", "ports", 0, "name") != "metrics" || dig(t, svc, "spec", "selector", "app.kubernetes.io/name") != "gputop" {
		t.Error("service")
	}
	sm := loadYAML(t, "servicemonitor.yaml")
	if dig(t, sm, "spec", "endpoints", 0, "port") != "metrics" || dig(t, sm, "spec", "selector", "matchLabels", "app.kubernetes.io/name") != "gputop" {
		t.Error("servicemonitor")
	}
	k := loadYAML(t, "kustomization.yaml")
	var res []string
	for _, r := range dig(t, k, "resources").([]any) {
		res = append(res, r.(string))
	}
	if strings.Join(res, ",") != "namespace.yaml,daemonset.yaml,service.yaml,servicemonitor.yaml" {
		t.Errorf("kustomization resources %v", res)
	}
}
