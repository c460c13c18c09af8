package ui

import (
	"math"
	"sort"

	"github.com/gputop/gputop/model"
)

// point is the part of a fast sample the graphs draw, unavailable values as
// NaN. The UI keeps its own copy so that a frame fetches only the samples
// that arrived since the previous frame instead of the whole ring: at a
// 10 ms interval on 16 GPUs, copying the full history 20 times a second
// would cost more than the sampling itself.
type point struct {
	T        model.Timestamp
	Util     float32 // %
	BW       float32 // memory-bandwidth utilisation, %
	MemUsed  float32 // GiB
	Power    float32 // W
	Temp     float32 // °C
	ClockSM  float32 // MHz
	ClockMem float32 // MHz
}

// metric picks one series out of a point. It is a number rather than a
// function so that it can key the per-series bucket caches.
type metric uint8

const (
	metricUtil metric = iota
	metricBW
	metricMem
	metricPower
	metricTemp
	metricClockSM
	metricClockMem
)

func (m metric) of(p *point) float32 {
	switch m {
	case metricUtil:
		return p.Util
	case metricBW:
		return p.BW
	case metricMem:
		return p.MemUsed
	case metricPower:
		return p.Power
	case metricTemp:
		return p.Temp
	case metricClockSM:
		return p.ClockSM
	case metricClockMem:
		return p.ClockMem
	}
	return nan32
}

var nan32 = float32(math.NaN())

func f32[T uint32 | int32 | uint64](o model.Opt[T], scale float64) float32 {
	if !o.OK {
		return nan32
	}
	return float32(float64(o.V) * scale)
}

const gib = 1 << 30

func pointOf(s *model.Sample) point {
	return point{
		T:        s.Time,
		Util:     f32(s.UtilGPU, 1),
		BW:       f32(s.UtilMem, 1),
		MemUsed:  f32(s.MemUsed, 1.0/gib),
		Power:    f32(s.PowerDraw, 1e-3),
		Temp:     f32(s.TempGPU, 1),
		ClockSM:  f32(s.ClockSM, 1),
		ClockMem: f32(s.ClockMem, 1),
	}
}

// history mirrors one GPU's fast ring as points, appended incrementally.
type history struct {
	ring *model.Ring[point]
	last model.Timestamp
	buf  []model.Sample // reused fetch buffer

	// maxes are running bucket maxima per series and bucket size, so that
	// a frame folds in only the samples that arrived since the previous one
	// instead of rescanning every graph's whole window (five per card).
	maxes map[maxesKey]*bucketMaxes
}

type maxesKey struct {
	m      metric
	bucket int64
}

// bucketMaxes holds, for buckets from on, the maximum of every point folded
// in so far (NaN for none); seen is the newest point folded in.
type bucketMaxes struct {
	from int64
	vals []float32
	seen model.Timestamp
}

// maxesKept bounds a series' cache in buckets; wider graphs are scanned.
// maxesSeries bounds how many (series, bucket size) caches one GPU keeps.
const (
	maxesKept   = 1024
	maxesSeries = 32
)

// historyCapacity bounds the mirror; it matches the sampler's largest ring.
const historyCapacity = 12000

// historyCapper is a GPUSource that says how many fast samples it keeps (the
// sampler: 120 s at its interval, 121 at 1 s). The mirror keeps no more: a
// ring allocated for 12,000 points and filled with 121 is untouched memory,
// but the collector counts it as live and lets that much more garbage pile
// up before it runs (8 demo GPUs at 1 s: peak RSS 1 MB higher).
type historyCapper interface{ HistoryCap() int }

func historyCapOf(src GPUSource) int {
	if c, ok := src.(historyCapper); ok {
		if n := c.HistoryCap(); n > 0 {
			return min(n, historyCapacity)
		}
	}
	return historyCapacity
}

func newHistory(capacity int) *history { return &history{ring: model.NewRing[point](capacity)} }

// sync appends the samples src holds that are newer than the last one seen.
// It asks for a few samples and widens the request until it reaches one it
// already has (or the ring's start), so a frame after a pause of any length
// catches up without ever copying the ring twice.
func (h *history) sync(src GPUSource) {
	for n := 16; ; n *= 4 {
		h.buf = src.History(h.buf[:0], n)
		if len(h.buf) < n || h.buf[0].Time <= h.last || n >= h.ring.Cap() {
			break
		}
	}
	for i := range h.buf {
		if h.buf[i].Time > h.last {
			h.ring.Push(pointOf(&h.buf[i]))
			h.last = h.buf[i].Time
		}
	}
}

// len is the number of points held.
func (h *history) len() int { return h.ring.Len() }

// at returns the i-th point, oldest first.
func (h *history) at(i int) point { return h.ring.At(i) }

// indexAt is the index of the newest point at or before t, or -1.
func (h *history) indexAt(t model.Timestamp) int {
	n := h.ring.Len()
	i := sort.Search(n, func(i int) bool { return h.ring.At(i).T > t })
	return i - 1
}

// bucketMax samples series m over the window of `width` buckets of
// `bucket` nanoseconds ending at end, each bucket holding the maximum of the
// points that fall into it (NaN when none), so a one-sample spike between
// two frames is still drawn. Buckets are aligned to multiples of their
// duration so the graph scrolls instead of shimmering as end advances.
//
// Live graphs (end at or after the newest point) come from the running
// maxima; a replay cursor, a window reaching the oldest point the full ring
// still holds, or a very wide graph is computed by scanning, which the
// cache is tested against.
func (h *history) bucketMax(dst []float32, m metric, end model.Timestamp, bucket int64, width int) []float32 {
	dst = dst[:0]
	for range width {
		dst = append(dst, nan32)
	}
	if width <= 0 || bucket <= 0 {
		return dst
	}
	lastBucket := int64(end) / bucket
	firstBucket := lastBucket - int64(width) + 1
	start := firstBucket * bucket
	n := h.ring.Len()
	if n == 0 {
		return dst
	}
	full := n == h.ring.Cap()
	if end < h.ring.At(n-1).T || (full && int64(h.ring.At(0).T) >= start) || width > maxesKept || start < 0 {
		return h.scanMax(dst, m, end, bucket, width)
	}
	key := maxesKey{m, bucket}
	c := h.maxes[key]
	if c == nil || firstBucket < c.from {
		// First use, or a wider window than kept: fold in the whole window.
		c = &bucketMaxes{from: firstBucket}
		if h.maxes == nil || len(h.maxes) >= maxesSeries {
			// The zoom's bucket follows its width: after many resizes,
			// start afresh rather than keep every size ever drawn.
			h.maxes = map[maxesKey]*bucketMaxes{}
		}
		h.maxes[key] = c
		i := sort.Search(n, func(i int) bool { return int64(h.ring.At(i).T) >= start })
		h.fold(c, m, bucket, i)
	} else {
		h.fold(c, m, bucket, h.indexAt(c.seen)+1)
	}
	for b := range dst {
		if j := firstBucket + int64(b) - c.from; j < int64(len(c.vals)) {
			dst[b] = c.vals[j]
		}
	}
	return dst
}

// fold adds the points from index i on to c, then drops buckets beyond
// what any graph is drawn from.
func (h *history) fold(c *bucketMaxes, m metric, bucket int64, i int) {
	for n := h.ring.Len(); i < n; i++ {
		p := h.ring.At(i)
		c.seen = p.T
		v := m.of(&p)
		if v != v { // NaN: unavailable
			continue
		}
		j := int64(p.T)/bucket - c.from
		if j < 0 {
			continue
		}
		for int64(len(c.vals)) <= j {
			c.vals = append(c.vals, nan32)
		}
		if d := c.vals[j]; d != d || v > d {
			c.vals[j] = v
		}
	}
	if drop := len(c.vals) - maxesKept; drop > maxesKept {
		c.vals = append(c.vals[:0], c.vals[drop:]...)
		c.from += int64(drop)
	}
}

// scanMax is bucketMax computed from the points alone.
func (h *history) scanMax(dst []float32, m metric, end model.Timestamp, bucket int64, width int) []float32 {
	lastBucket := int64(end) / bucket
	firstBucket := lastBucket - int64(width) + 1
	start := firstBucket * bucket
	i := h.indexAt(end)
	for ; i >= 0; i-- {
		p := h.ring.At(i)
		if int64(p.T) < start {
			break
		}
		v := m.of(&p)
		if v != v { // NaN: unavailable
			continue
		}
		b := int(int64(p.T)/bucket - firstBucket)
		if b < 0 || b >= width {
			continue
		}
		if d := dst[b]; d != d || v > d {
			dst[b] = v
		}
	}
	return dst
}
