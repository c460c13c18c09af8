package sim

import (
	"math"

	"github.com/gputop/gputop/model"
)

const mib = 1 << 20

// Timing of the model-loading GPU's loop, in seconds of its cycle.
const (
	loadPeriod     = 90.0 // the whole loop: a viewer always sees a load soon
	loadStart      = 3.0  // process starts, creates its context
	loadExit       = 86.0 // process exits, memory is freed
	loadRamp       = 4.0  // utilisation rises over this long after the load
	loadContextMiB = 512
	loadTarget     = 0.90 // of total memory
)

// Each role's clean load repeats with this period, so the energy counter can
// integrate one period once and multiply.
func (r role) period() float64 {
	switch r {
	case roleLoading:
		return loadPeriod
	case roleBursty:
		return 120 // 24 segments of 5 s
	case roleDesktop:
		return 60 // 20 segments of 3 s
	case roleLight:
		return 150 // 15 segments of 10 s
	}
	return 60
}

// segment picks the level of a repeating segment of a role's period.
func (g *gpuSim) segment(t, segLen float64) (pick, level float64) {
	phase, _ := floorMod(t, g.slot.role.period())
	k := int64(phase / segLen)
	return unit(g.seed, chSegment, k), unit(g.seed, chSegmentLevel, k)
}

// loadStep is one chunk of the model arriving in GPU memory.
type loadStep struct {
	at  float64 // seconds into the cycle
	mem uint64  // bytes used from then on
}

// planLoad lays out the loading GPU's steps: 2-4 GiB every 200-400 ms up to
// 90% of memory. It depends only on the seed, so every cycle loads alike and
// the table can be built once.
func (g *gpuSim) planLoad() {
	total := float64(g.slot.card.memMiB)
	target := math.Floor(total * loadTarget)
	at, used := loadStart, float64(loadContextMiB)
	g.steps = append(g.steps, loadStep{at, uint64(used) * mib})
	for k := int64(0); used < target; k++ {
		at += 0.2 + 0.2*unit(g.seed, chStepGap, k)
		used = math.Min(used+2048+2048*unit(g.seed, chStepSize, k), target)
		g.steps = append(g.steps, loadStep{at, uint64(used) * mib})
	}
	g.loadEnd = at
}

// loadedMem is the loading GPU's process memory at a phase of its cycle
// (0 while no process runs).
func (g *gpuSim) loadedMem(phase float64) uint64 {
	if phase < loadStart || phase >= loadExit {
		return 0
	}
	lo, hi := 0, len(g.steps)-1
	for lo < hi { // last step with at <= phase
		mid := (lo + hi + 1) / 2
		if g.steps[mid].at <= phase {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return g.steps[lo].mem
}

// util is the clean utilisation (0..1) a role's work asks of the GPU at t,
// before noise. Power, temperature and P-state follow it.
func (g *gpuSim) util(t float64) float64 {
	if g.migOn() {
		return g.migUtil(t) // mig.go
	}
	switch g.slot.role {
	case roleLoading:
		phase, _ := floorMod(t, loadPeriod)
		switch {
		case phase < loadStart || phase >= loadExit:
			return 0
		case phase < g.loadEnd:
			return 0.15 // copying weights: the GPU mostly waits for the host
		}
		return 0.96 * math.Min(1, (phase-g.loadEnd)/loadRamp)
	case rolePowerCap:
		return 0.98
	case roleThermal:
		return 1
	case roleDesktop:
		pick, level := g.segment(t, 3)
		if pick < 0.3 {
			return 0.12 + 0.15*level // scrolling, a video
		}
		return 0.03 + 0.03*level
	case roleBursty:
		pick, level := g.segment(t, 5)
		if pick < 0.55 {
			return 0.6 + 0.3*level // an image being generated
		}
		return 0.1 + 0.08*level
	case roleLight:
		pick, level := g.segment(t, 10)
		if pick < 0.5 {
			return 0.1 + 0.2*level
		}
		return 0.02
	}
	return 0
}

// busy says the GPU is clocked up for work (P0/P2) rather than idling in P8.
func busy(util float64) bool { return util >= 0.1 }

// smoothUtil is the utilisation as the heat sink sees it: an exponentially
// weighted look back over the last minute, so temperature lags load.
func (g *gpuSim) smoothUtil(t float64) float64 {
	const steps, every, decay = 12, 5.0, 0.72
	sum, weights, w := 0.0, 0.0, 1.0
	for k := range steps {
		sum += w * g.util(t-every*float64(k))
		weights += w
		w *= decay
	}
	return sum / weights
}

// procMem is the memory the role's processes hold at t, in bytes.
func (g *gpuSim) procMem(t float64) uint64 {
	if g.migOn() {
		return g.migMem(t) // mig.go
	}
	c := g.slot.card
	switch g.slot.role {
	case roleLoading:
		phase, _ := floorMod(t, loadPeriod)
		return g.loadedMem(phase)
	case rolePowerCap:
		return uint64(math.Floor(float64(c.memMiB)*0.9)) * mib
	case roleThermal:
		return uint64(math.Floor(float64(c.memMiB)*0.88)) * mib
	case roleDesktop:
		return (desktopXorgMiB + desktopShellMiB + desktopFirefoxMiB) * mib
	case roleBursty:
		if pick, _ := g.segment(t, 5); pick < 0.55 {
			return (burstyModelMiB + burstyActivationMiB) * mib
		}
		return burstyModelMiB * mib
	case roleLight:
		return lightModelMiB * mib
	}
	return 0
}

// driverMem is what NVML counts as used with no process: a MiB or so.
const driverMem = 1 * mib

// cleanPowerW is the draw without noise: what the energy counter integrates.
func (g *gpuSim) cleanPowerW(t float64) float64 {
	c := g.slot.card
	limit := float64(c.powerDefaultW)
	switch g.slot.role {
	case rolePowerCap:
		return limit * 0.992
	case roleThermal:
		return limit * 0.72 // clocks pulled down: it cannot reach its cap
	}
	return math.Min(c.idleW+(c.fullW-c.idleW)*g.util(t), limit)
}

// fillFast computes one fast-tier sample at t seconds after Start. It must not
// allocate: the benchmark holds it to 0 allocs/op.
func (g *gpuSim) fillFast(t float64, s *model.Sample) {
	c := g.slot.card
	seed := g.seed
	tick := int64(math.Floor(t * 10)) // noise changes every 100 ms
	u := g.util(t)
	isBusy := busy(u)

	s.MemTotal.Set(c.memMiB * mib)
	s.MemReserved.Set(c.reservedMiB * mib)
	s.MemUsed.Set(driverMem + g.procMem(t))

	utilPct := 0.0
	switch g.slot.role {
	case rolePowerCap:
		utilPct = 97 + 2*unit(seed, chUtil, tick)
	case roleThermal:
		utilPct = 99 + 2*unit(seed, chUtil, tick)
	default:
		if u > 0 {
			utilPct = u*100 + 2.5*jitter(seed, chUtil, tick)
		}
	}
	utilPct = clamp(utilPct, 0, 100)
	s.UtilGPU.Set(uint32(math.Round(utilPct)))
	memShare := 0.45
	switch g.slot.role {
	case rolePowerCap:
		memShare = 0.7 // decoding is memory-bound
	case roleThermal:
		memShare = 0.3 // a burn test is all arithmetic
	}
	s.UtilMem.Set(uint32(math.Round(clamp(utilPct*memShare+jitter(seed, chUtilMem, tick), 0, 100))))
	if g.migOn() {
		// NVML refuses whole-GPU utilisation in MIG mode (NOT_SUPPORTED):
		// the demo shows what a real MIG GPU shows, the instances' own.
		s.UtilGPU, s.UtilMem = model.Opt[uint32]{}, model.Opt[uint32]{}
	}

	limitW := float64(c.powerDefaultW)
	var powerW float64
	switch g.slot.role {
	case rolePowerCap:
		powerW = limitW * (0.985 + 0.015*unit(seed, chPower, tick))
	case roleThermal:
		powerW = limitW * (0.70 + 0.03*wander(seed, chPower, t, 2)) // pulled down with the clocks
	default:
		p := g.cleanPowerW(t)
		powerW = math.Min(p+(1+0.02*p)*jitter(seed, chPower, tick), limitW)
	}
	s.PowerDraw.Set(uint32(math.Max(powerW, 1) * 1000))
	s.PowerLimit.Set(c.powerDefaultW * 1000)

	var temp float64
	switch g.slot.role {
	case roleThermal:
		// At the slowdown threshold and held there by the throttling.
		temp = float64(c.slowdownC) + 1 + wander(seed, chTemp, t, 4)
	default:
		temp = c.ambientC + (c.loadC-c.ambientC)*g.smoothUtil(t) + 0.6*wander(seed, chTemp, t, 3)
		if g.slot.role == rolePowerCap {
			temp += 4 // at the cap the sink runs hotter than at typical full load
		}
	}
	tempC := int32(math.Round(temp))
	if g.slot.role == roleThermal {
		tempC = max(tempC, c.slowdownC)
	}
	s.TempGPU.Set(tempC)
	if c.memMaxC > 0 {
		memOffset := 5.0
		if g.slot.role == roleThermal {
			memOffset = 2 // stays just under the memory limit
		}
		s.TempMem.Set(int32(math.Round(temp + memOffset + wander(seed, chMemTemp, t, 5))))
	}

	var sm float64
	switch {
	case g.slot.role == rolePowerCap:
		sm = float64(c.maxSM) * (0.885 + 0.03*wander(seed, chClock, t, 1.5))
	case g.slot.role == roleThermal:
		sm = float64(c.maxSM) * (0.66 + 0.04*wander(seed, chClock, t, 2))
	case isBusy:
		sm = math.Min(float64(c.maxSM)*(0.97+0.03*wander(seed, chClock, t, 2)), float64(c.maxSM))
	default:
		sm = float64(c.idleSM)
	}
	s.ClockSM.Set(uint32(math.Round(sm/15) * 15)) // clocks move in 15 MHz bins
	if isBusy {
		s.ClockMem.Set(c.maxMem)
	} else {
		s.ClockMem.Set(c.idleMem)
	}

	switch {
	case !isBusy:
		s.PState.Set(8)
	case c.geforce && g.slot.role != roleDesktop:
		s.PState.Set(2) // CUDA work runs in P2 on GeForce cards
	default:
		s.PState.Set(0)
	}

	var reasons uint64
	switch {
	case g.slot.role == rolePowerCap:
		reasons = model.ThrottleSWPowerCap
	case g.slot.role == roleThermal:
		reasons = model.ThrottleHWThermal | model.ThrottleSWThermal
	case !isBusy:
		reasons = model.ThrottleIdle
	}
	s.ThrottleReasons.Set(reasons)

	if c.fans > 0 {
		s.FanPercent.Set(uint32(math.Round(clamp(30+(temp-40)*1.6, 30, 100))))
	}
}
