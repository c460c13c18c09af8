package sim

import "math"

// energyStep is the grid on which one period of clean power is integrated.
const energyStep = 0.5 // seconds

// planEnergy integrates one period of the clean power draw (trapezoids on a
// 0.5 s grid) so that energyJ is a cheap, monotonic pure function of time:
// whole periods times their energy, plus the part of the current one.
func (g *gpuSim) planEnergy() {
	period := g.slot.role.period()
	n := int(math.Round(period / energyStep))
	g.energyCycle = make([]float64, n+1)
	prev := g.cleanPowerW(0)
	for i := 1; i <= n; i++ {
		p := g.cleanPowerW(float64(i) * energyStep)
		g.energyCycle[i] = g.energyCycle[i-1] + energyStep*(prev+p)/2
		prev = p
	}
	// The counter starts at driver load, 2 to 7 days before Start.
	uptime := (2 + 5*unit(g.seed, chEnergy, 0)) * 86400
	g.energyBase = uptime * g.energyCycle[n] / period
}

// energyJ is the energy counter at t seconds after Start, in joules.
func (g *gpuSim) energyJ(t float64) float64 {
	phase, cycle := floorMod(t, g.slot.role.period())
	n := len(g.energyCycle) - 1
	x := phase / energyStep
	i := min(int(x), n-1)
	part := g.energyCycle[i] + (g.energyCycle[i+1]-g.energyCycle[i])*(x-float64(i))
	return g.energyBase + float64(cycle)*g.energyCycle[n] + part
}
