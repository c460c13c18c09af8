package sim

import (
	"fmt"
	"math"

	"github.com/gputop/gputop/model"
)

// The demo's MIG GPUs, each split into two half-GPU instances, one at work
// and one idle:
//   - GPU 3 (A100, 3g.20gb): memory and processes per instance, but no
//     per-instance utilisation, as on a real A100 (NVML's GPM, the only
//     per-instance utilisation, needs Hopper): the reading says why;
//   - GPU 7 (H100, 3g.40gb): the same, with GPM utilisation per instance.
//
// Sizes are the profiles' names; the MiB figures are illustrative. In MIG
// mode the whole GPU's memory is what the instances hold, and its
// utilisation, power and heat follow the busy instance. (A real MIG GPU
// reports no whole-GPU utilisation; the demo keeps one because the cluster
// view finds GPUs by their DCGM_FI_DEV_GPU_UTIL series, which a real MIG
// GPU lacks: sampler/promapi's base metric.)

// migDemo says whether GPU index runs in MIG mode in the demo (on MIG-capable
// cards only: see fleet.go).
func migDemo(index int) bool { return index == 3 || index == 7 }

// migOn says whether the GPU runs in MIG mode in the demo.
func (g *gpuSim) migOn() bool { return g.slot.card.mig && migDemo(g.index) }

// migUtil is the whole GPU's load in MIG mode: the busy instance holds 3 of
// its 7 slices. It drives utilisation, power, temperature and clocks.
func (g *gpuSim) migUtil(t float64) float64 { return 3.0 / 7 * g.migBusy(t) }

// migMem is the memory the instances' processes hold.
func (g *gpuSim) migMem(t float64) uint64 { return g.migJobMem(t) }

// migBusy is the busy instance's work at t, 0..1.
func (g *gpuSim) migBusy(t float64) float64 {
	return clamp(0.85+0.1*wander(g.seed, chMIG, t, 9), 0, 1)
}

// migProfile is the demo instances' profile and size on the GPU's card.
func (g *gpuSim) migProfile() (profile string, totalMiB uint64, gpm bool) {
	if g.slot.card == cardH100 {
		return "3g.40gb", 40192, true
	}
	return "3g.20gb", 19968, false
}

// migJob is the busy instance's process.
func (g *gpuSim) migJob() (pid uint32, user, cmd string) {
	if g.slot.card == cardH100 {
		return 28810, "frank", "python3 finetune.py --model mistralai/Mistral-7B-v0.3 --lora"
	}
	return 31337, "grace", "python3 infer.py --model resnet50 --batch 64"
}

// migJobMem is the busy instance's process memory at t, bytes.
func (g *gpuSim) migJobMem(t float64) uint64 {
	_, total, _ := g.migProfile()
	return uint64(float64(total)*mib*(0.55+0.1*g.migBusy(t))) &^ (mib - 1)
}

// migInstances are the GPU's instances at t, and the note that says why
// they carry no utilisation, if they do not.
func (g *gpuSim) migInstances(t float64) ([]model.MIGInstance, string) {
	c := g.slot.card
	profile, total, gpm := g.migProfile()
	pid, _, _ := g.migJob()
	busy := model.MIGInstance{Index: 0, GI: model.Some(1), CI: model.Some(0), Name: c.name + " MIG " + profile,
		UUID:    fmt.Sprintf("MIG-%08x-0001", uint32(g.seed)),
		MemUsed: model.Some(g.migJobMem(t) + 13*mib), MemTotal: model.Some(total * mib), PIDs: []uint32{pid}}
	idle := model.MIGInstance{Index: 1, GI: model.Some(2), CI: model.Some(0), Name: c.name + " MIG " + profile,
		UUID:    fmt.Sprintf("MIG-%08x-0002", uint32(g.seed)),
		MemUsed: model.Some(uint64(13 * mib)), MemTotal: model.Some(total * mib)}
	if !gpm {
		return []model.MIGInstance{busy, idle}, model.MIGUtilNoGPM
	}
	u := g.migBusy(t)
	busy.UtilGPU = model.Some(uint32(math.Round(100 * u)))
	busy.SMUtil = model.Some(uint32(math.Round(72 * u)))
	idle.UtilGPU, idle.SMUtil = model.Some(uint32(0)), model.Some(uint32(0))
	return []model.MIGInstance{busy, idle}, ""
}

// migProcesses are the processes of a MIG GPU's instances, with their
// instance. NVML has no per-process SM utilisation inside MIG instances.
func (g *gpuSim) migProcesses(t float64, s *model.SlowSample) []model.Process {
	if !s.MIGCurrent.OK || s.MIGCurrent.V != 1 {
		return nil
	}
	pid, user, cmd := g.migJob()
	tick := int64(math.Floor(t))
	return []model.Process{{
		PID: pid, GPUIndex: g.index, Kind: "compute", UsedMemory: model.Some(g.migJobMem(t)),
		GI: model.Some(1), CI: model.Some(0),
		Resolved: true, User: user, Name: "python3", Command: cmd,
		CPUPercent: model.Some(math.Round(math.Max(98+4*jitter(g.seed, chCPU, tick), 0)*10) / 10),
		RSS:        model.Some(uint64(5200*(1+0.01*wander(g.seed, chRSS, t, 7))) * mib),
	}}
}
