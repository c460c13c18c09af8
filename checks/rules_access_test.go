package checks

import (
	"testing"

	"github.com/gputop/gputop/model"
)

func TestDevNodesRule(t *testing.T) {
	runRuleCases(t, devNodesRule, []ruleCase{
		{name: "accessible", id: "access.devnodes", want: model.Pass, evidence: []string{"2 node(s), 1 GPU node(s)"}},
		{name: "permission denied", id: "access.devnodes", want: model.Fail, evidence: []string{"no read/write access to /dev/nvidia0"},
			mutate: func(f *model.Facts) {
				f.DevNodes.Nodes[1] = model.DevNode{Path: "/dev/nvidia0", Error: "permission denied"}
			}},
		{name: "fewer nodes than GPUs", id: "access.devnodes", want: model.Warn, evidence: []string{"NVML sees 2 GPU(s) but only 1"},
			mutate: func(f *model.Facts) { f.NVML.GPUs = append(f.NVML.GPUs, h100(1)) }},
		{name: "driver loaded, no nodes", id: "access.devnodes", want: model.Fail, evidence: []string{"no nvidia* nodes"},
			mutate: func(f *model.Facts) { f.DevNodes.Nodes = nil }},
		{name: "no driver, no nodes", id: "access.devnodes", want: model.Skip,
			mutate: func(f *model.Facts) { f.DevNodes.Nodes = nil; f.KernelModule = model.KernelModuleFacts{} }},
	})
}

func TestContainerRule(t *testing.T) {
	inDocker := func(f *model.Facts) {
		f.Container = model.ContainerFacts{Detected: true, Kind: "docker", Evidence: "/.dockerenv exists"}
		f.Env["NVIDIA_VISIBLE_DEVICES"] = "all"
	}
	runRuleCases(t, containerRule, []ruleCase{
		{name: "bare metal", id: "access.container", want: model.Skip},
		{name: "docker", id: "access.container", want: model.Pass, evidence: []string{"/.dockerenv exists", "NVIDIA_VISIBLE_DEVICES=\"all\""}, mutate: inDocker},
		{name: "host PIDs unresolved", id: "access.container", want: model.Warn, evidence: []string{"1 GPU process(es)"},
			mutate: func(f *model.Facts) {
				inDocker(f)
				slow(f).Processes = []model.Process{{PID: 4242, Kind: "compute"}}
			}},
	})
}

func TestVisibleDevicesRule(t *testing.T) {
	setEnv := func(kv ...string) func(*model.Facts) {
		return func(f *model.Facts) {
			for i := 0; i+1 < len(kv); i += 2 {
				f.Env[kv[i]] = kv[i+1]
			}
			f.NVML.GPUs = append(f.NVML.GPUs, h100(1))
		}
	}
	runRuleCases(t, visibleDevicesRule, []ruleCase{
		{name: "unset", id: "access.visible_devices", want: model.Pass},
		{name: "all GPUs listed", id: "access.visible_devices", want: model.Pass, evidence: []string{"CUDA_VISIBLE_DEVICES=\"0,1\""}, mutate: setEnv("CUDA_VISIBLE_DEVICES", "0,1")},
		{name: "subset", id: "access.visible_devices", want: model.Warn, evidence: []string{"CUDA sees 1 of the 2"}, mutate: setEnv("CUDA_VISIBLE_DEVICES", "1")},
		{name: "set empty hides all", id: "access.visible_devices", want: model.Fail, evidence: []string{"no GPU at all"}, mutate: setEnv("CUDA_VISIBLE_DEVICES", "")},
		{name: "-1 hides all", id: "access.visible_devices", want: model.Fail, mutate: setEnv("CUDA_VISIBLE_DEVICES", "-1")},
		{name: "index out of range", id: "access.visible_devices", want: model.Warn, evidence: []string{"index 5 does not exist"}, mutate: setEnv("CUDA_VISIBLE_DEVICES", "0,5")},
		{name: "UUIDs", id: "access.visible_devices", want: model.Pass, mutate: setEnv("CUDA_VISIBLE_DEVICES", "GPU-00000000,GPU-00000001")},
		{name: "container given no GPU", id: "access.visible_devices", want: model.Warn, evidence: []string{"gives this container no GPU"}, mutate: setEnv("NVIDIA_VISIBLE_DEVICES", "void")},
		{name: "container given all", id: "access.visible_devices", want: model.Pass, mutate: setEnv("NVIDIA_VISIBLE_DEVICES", "all")},
	})
}

func TestProfilerEnvRule(t *testing.T) {
	runRuleCases(t, profilerEnvRule, []ruleCase{
		{name: "clean", id: "access.profiler_env", want: model.Pass, evidence: []string{"dcgmi diag"}},
		{name: "injection library", id: "access.profiler_env", want: model.Warn, evidence: []string{"CUDA_INJECTION64_PATH=\"/opt/x.so\"", "COMPUTE_PROFILE=\"1\""},
			mutate: func(f *model.Facts) { f.Env["CUDA_INJECTION64_PATH"] = "/opt/x.so"; f.Env["COMPUTE_PROFILE"] = "1" }},
	})
}

func TestFabricRule(t *testing.T) {
	nvswitch := func(f *model.Facts) {
		f.PCI.Devices = append(f.PCI.Devices, model.PCIDevice{BDF: "0000:05:00.0", Vendor: 0x10de, Device: 0x22a3, Class: 0x068000})
	}
	state := func(st int, status uint32) func(*model.Facts) {
		return func(f *model.Facts) {
			nvswitch(f)
			slow(f).FabricState, slow(f).FabricStatus = model.Some(st), model.Some(status)
		}
	}
	runRuleCases(t, fabricRule, []ruleCase{
		{name: "not an NVSwitch system", id: "fabric.manager", want: model.Skip, evidence: []string{"not an NVSwitch system"}},
		{name: "fabric state 0 = not supported", id: "fabric.manager", want: model.Skip,
			mutate: func(f *model.Facts) { slow(f).FabricState = model.Some(0) }},
		{name: "NVSwitch without fabric state", id: "fabric.manager", want: model.Skip, evidence: []string{"0000:05:00.0"}, mutate: nvswitch},
		{name: "completed", id: "fabric.manager", want: model.Pass, evidence: []string{"GPU 0 completed"}, mutate: state(3, 0)},
		{name: "not started", id: "fabric.manager", want: model.Fail, evidence: []string{"not started"}, mutate: state(1, 0)},
		{name: "in progress", id: "fabric.manager", want: model.Fail, evidence: []string{"in progress"}, mutate: state(2, 0)},
		{name: "completed with an error", id: "fabric.manager", want: model.Fail, evidence: []string{"status 999"}, mutate: state(3, 999)},
	})
}
