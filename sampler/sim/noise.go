package sim

import "math"

// The fleet's randomness is a hash, not a generator: a value is a pure
// function of (seed, GPU, channel, tick). ReadFast and ReadSlow run
// concurrently on different goroutines, and Step replays arbitrary times, so
// there must be no shared generator state whose order of use would change the
// numbers.

// channel separates the independent noise streams of one GPU.
type channel uint64

const (
	chUtil channel = iota + 1
	chUtilMem
	chPower
	chTemp
	chMemTemp
	chClock
	chSegment
	chSegmentLevel
	chStepGap
	chStepSize
	chPCIeTx
	chPCIeRx
	chCPU
	chRSS
	chIdentity
	chEnergy
	chMIG // MIG instances' work (mig.go)
)

// mix64 is the splitmix64 finaliser: a cheap, well-spread 64-bit hash.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

const golden = 0x9E3779B97F4A7C15

// gpuSeed mixes the fleet seed with a GPU index.
func gpuSeed(seed int64, gpu int) uint64 {
	return mix64(uint64(seed) ^ mix64(uint64(gpu)+1)*golden)
}

// hash is the raw 64-bit value of (GPU seed, channel, k).
func hash(seed uint64, ch channel, k int64) uint64 {
	return mix64(seed ^ mix64(uint64(ch)*golden^uint64(k)))
}

// unit is a value in [0, 1).
func unit(seed uint64, ch channel, k int64) float64 {
	return float64(hash(seed, ch, k)>>11) * (1.0 / (1 << 53))
}

// jitter is a value in [-1, 1).
func jitter(seed uint64, ch channel, k int64) float64 {
	return 2*unit(seed, ch, k) - 1
}

// wander is smooth noise in [-1, 1]: jitter points every period seconds,
// eased between, so a value drifts instead of jumping.
func wander(seed uint64, ch channel, t, period float64) float64 {
	x := t / period
	k := math.Floor(x)
	f := x - k
	f = f * f * (3 - 2*f)
	a := jitter(seed, ch, int64(k))
	b := jitter(seed, ch, int64(k)+1)
	return a + (b-a)*f
}

// floorMod is t mod period in [0, period), for negative t too (a sample
// stamped before Start is still a valid time).
func floorMod(t, period float64) (phase float64, cycle int64) {
	c := math.Floor(t / period)
	return t - c*period, int64(c)
}

func clamp(v, lo, hi float64) float64 {
	return math.Min(math.Max(v, lo), hi)
}
