package sim

import (
	"math"
	"strconv"

	"github.com/gputop/gputop/model"
)

// Memory of the simulated processes, MiB.
const (
	desktopXorgMiB      = 424
	desktopShellMiB     = 188
	desktopFirefoxMiB   = 246
	burstyModelMiB      = 18944
	burstyActivationMiB = 1536
	lightModelMiB       = 6144
)

// processes lists the GPU's processes at t.
//
// A simulated process is pre-resolved: its PID exists on no host, so the
// host side (user, command, CPU, RSS) that the real backend gets from /proc
// is filled in here, with Resolved set. A process resolver must leave
// processes that are already Resolved alone.
func (g *gpuSim) processes(t float64) []model.Process {
	seed := g.seed
	tick := int64(math.Floor(t)) // host figures change once a second
	cpu := func(base, spread float64) model.Opt[float64] {
		v := base + spread*jitter(seed, chCPU, tick)
		return model.Some(math.Round(math.Max(v, 0)*10) / 10)
	}
	rss := func(mibs float64) model.Opt[uint64] {
		return model.Some(uint64(mibs*(1+0.01*wander(seed, chRSS, t, 7))) * mib)
	}
	smUtil := model.Some(uint32(math.Round(clamp(g.util(t)*100, 0, 100))))
	proc := func(pid uint32, kind, user, name, cmd string, memBytes uint64) model.Process {
		return model.Process{
			PID: pid, GPUIndex: g.index, Kind: kind,
			UsedMemory: model.Some(memBytes), SMUtil: smUtil,
			Resolved: true, User: user, Name: name, Command: cmd,
		}
	}

	switch g.slot.role {
	case roleLoading:
		phase, cycle := floorMod(t, loadPeriod)
		mem := g.loadedMem(phase)
		if mem == 0 {
			return nil
		}
		// Each loop is a new run of the job, so a new PID.
		pid := uint32(41000 + ((cycle%2000)+2000)%2000*7)
		p := proc(pid, "compute", "alice", "python3",
			"python3 train.py --model meta-llama/Llama-3.1-8B --bf16 --batch-size 16", mem)
		if phase < g.loadEnd {
			p.CPUPercent = cpu(220, 40) // reading and unpacking weights
		} else {
			p.CPUPercent = cpu(104, 6)
		}
		p.RSS = rss(9800)
		return []model.Process{p}
	case rolePowerCap:
		p := proc(2741, "compute", "vllm", "vllm",
			"/opt/vllm/bin/python3 /opt/vllm/bin/vllm serve Qwen/Qwen2.5-32B-Instruct --gpu-memory-utilization 0.90 --port 8000",
			g.procMem(t))
		p.CPUPercent, p.RSS = cpu(101, 3), rss(6300)
		return []model.Process{p}
	case roleThermal:
		p := proc(3377, "compute", "carol", "gpu_burn", "./gpu_burn -d 3600", g.procMem(t))
		p.CPUPercent, p.RSS = cpu(100, 1), rss(880)
		return []model.Process{p}
	case roleDesktop:
		xorg := proc(1650, "graphics", "root", "Xorg",
			"/usr/lib/xorg/Xorg vt2 -displayfd 3 -auth /run/user/1000/gdm/Xauthority -nolisten tcp -background none -noreset -keeptty -novtswitch -verbose 3",
			desktopXorgMiB*mib)
		xorg.CPUPercent, xorg.RSS = cpu(3, 1.5), rss(112)
		shell := proc(1893, "graphics", "dave", "gnome-shell", "/usr/bin/gnome-shell", desktopShellMiB*mib)
		shell.CPUPercent, shell.RSS = cpu(5, 2.5), rss(410)
		firefox := proc(2412, "graphics", "dave", "firefox", "/usr/lib/firefox/firefox", desktopFirefoxMiB*mib)
		firefox.CPUPercent, firefox.RSS = cpu(6+40*g.util(t), 3), rss(1350)
		return []model.Process{xorg, shell, firefox}
	case roleBursty:
		p := proc(5123, "compute", "erin", "python3", "python3 main.py --listen 0.0.0.0 --port 8188", g.procMem(t))
		p.CPUPercent, p.RSS = cpu(12+60*g.util(t), 5), rss(7400)
		return []model.Process{p}
	case roleLight:
		port := strconv.Itoa(9000 + g.index)
		p := proc(uint32(6000+17*g.index), "compute", "svc-embed", "python3",
			"python3 serve_embeddings.py --port "+port, g.procMem(t))
		p.CPUPercent, p.RSS = cpu(4+30*g.util(t), 2), rss(2900)
		return []model.Process{p}
	}
	return nil
}
