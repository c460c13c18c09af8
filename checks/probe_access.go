package checks

import (
	"os"
	"strings"

	"github.com/gputop/gputop/model"
)

// probeDevNodes lists /dev/nvidia* and whether we may open them.
func probeDevNodes(env Env) model.DevNodeFacts {
	d := model.DevNodeFacts{Nodes: []model.DevNode{}}
	for _, p := range env.glob("/dev/nvidia*") {
		fi, err := os.Stat(env.hostResolved(p))
		if err == nil && fi.IsDir() {
			continue // /dev/nvidia-caps holds MIG capabilities, not a device
		}
		n := model.DevNode{Path: p}
		if err := env.access(p); err != nil {
			n.Error = err.Error()
		} else {
			n.Accessible = true
		}
		d.Nodes = append(d.Nodes, n)
	}
	return d
}

// probeContainer looks for the marks container runtimes leave.
func probeContainer(env Env) model.ContainerFacts {
	switch {
	case env.exists("/.dockerenv"):
		return model.ContainerFacts{Detected: true, Kind: "docker", Evidence: "/.dockerenv exists"}
	case env.exists("/run/.containerenv"):
		return model.ContainerFacts{Detected: true, Kind: "podman", Evidence: "/run/.containerenv exists"}
	}
	if v, ok := env.getenv("KUBERNETES_SERVICE_HOST"); ok && v != "" {
		return model.ContainerFacts{Detected: true, Kind: "kubernetes", Evidence: "KUBERNETES_SERVICE_HOST is set"}
	}
	if v, ok := env.getenv("container"); ok && v != "" {
		return model.ContainerFacts{Detected: true, Kind: v, Evidence: "container=" + v}
	}
	if b, err := env.readFile("/proc/1/cgroup"); err == nil {
		s := string(b)
		for _, kind := range []string{"kubepods", "docker", "containerd", "lxc", "libpod"} {
			if strings.Contains(s, kind) {
				return model.ContainerFacts{Detected: true, Kind: kind, Evidence: "/proc/1/cgroup mentions " + kind}
			}
		}
	}
	return model.ContainerFacts{}
}

// probeEnvVars records the relevant variables that are set, even when set
// to "" (CUDA_VISIBLE_DEVICES="" hides every GPU).
func probeEnvVars(env Env) map[string]string {
	out := map[string]string{}
	for _, k := range append(append([]string{}, visibilityEnvVars...), dcgmEnvVars...) {
		if v, ok := env.getenv(k); ok {
			out[k] = v
		}
	}
	return out
}
