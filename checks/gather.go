// Package checks is gputop's compatibility checklist. Probes gather raw
// model.Facts from the machine through an Env (file system root, PATH,
// command runner, environment); rules are pure functions from Facts to
// []model.CheckResult, driven by the reference tables in tables.go.
package checks

import (
	"context"
	"strings"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/model/safe"
)

// Gather probes the machine. It never fails: what a probe could not read is
// recorded as text in the facts. `nvcc --version` runs under
// Env's command timeout, concurrently with the file probes, and so does the
// kernel log (dmesg, or journalctl -k).
func Gather(ctx context.Context, env Env, nvml model.NVMLFacts) model.Facts {
	f := model.Facts{
		Collected: model.TimestampOf(env.now()),
		Source:    "probe",
		NVML:      nvml,
	}
	if nvml.GPUs == nil {
		f.NVML.GPUs = []model.GPUFacts{}
	}

	nvccDone := make(chan model.NVCCFacts, 1)
	go func() { nvccDone <- probeNVCC(ctx, env) }()
	logDone := make(chan model.KernelLogFacts, 1)
	go func() { logDone <- probeKernelLog(ctx, env) }()

	if b, err := env.readFile("/proc/sys/kernel/hostname"); err == nil {
		f.Host = strings.TrimSpace(string(b))
	}
	f.KernelModule = probeKernelModule(env)
	f.NVMLLibrary = probeLibrary(env, "libnvidia-ml.so.1", "libnvidia-ml.so.")
	f.CUDALibrary = probeLibrary(env, "libcuda.so.1", "libcuda.so.")
	f.PCI = probePCI(env)
	f.CUDALink = probeCUDAInstall(env, "/usr/local/cuda")
	f.Toolkits = probeToolkits(env)
	f.SiteDirs = siteDirs(env)
	f.CuDNN = probeCuDNN(env, f.CUDALink, f.Toolkits, f.SiteDirs)
	f.Torch = probeTorch(env, f.SiteDirs)
	f.Stack = probeStack(env, f.SiteDirs)
	f.DevNodes = probeDevNodes(env)
	f.Container = probeContainer(env)
	f.Env = probeEnvVars(env)
	f.Environment = probeEnvironment(env, &f) // containers, compat, Operator, Slurm, WSL2 (probe_env.go)

	select {
	case f.NVCC = <-nvccDone:
	case <-ctx.Done():
		f.NVCC = model.NVCCFacts{Error: "nvcc probe abandoned: " + ctx.Err().Error()}
	}
	select {
	case f.KernelLog = <-logDone:
	case <-ctx.Done():
		f.KernelLog = model.KernelLogFacts{Error: "kernel log probe abandoned: " + ctx.Err().Error()}
	}
	// File contents, link targets, the kernel log and nvcc's output are
	// outside text: the rules quote them into evidence that reaches the
	// terminal.
	safe.Walk(&f)
	return f
}
