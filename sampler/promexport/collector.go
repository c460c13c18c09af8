// Package promexport turns the sampler's latest readings into Prometheus
// metrics for `gputop serve`: a dcgm-exporter-compatible set (same names,
// types, units and labels, so dashboards built for dcgm-exporter work
// unchanged) and gputop_* metrics for what only gputop knows (check
// statuses, GPU verdicts, throttle reasons, peaks between scrapes, the
// memory forecast, Xid counts).
//
// A scrape never calls the driver: it reads what the sampler's goroutines
// stored, under the sampler's short locks. A GPU whose driver call hangs is
// served with its last good values and marked stale.
package promexport

import (
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
)

// Source is what the collector reads; *sampler.Sampler implements it.
type Source interface {
	System() model.System
	GPUs() []*sampler.GPU
	Events(dst []model.Event, n int) []model.Event
	EventCount() uint64
	Options() sampler.Options
}

var _ Source = (*sampler.Sampler)(nil)

// Options configures a Collector.
type Options struct {
	// Hostname is the Hostname label (default: the source's host).
	Hostname string
	// Version is gputop's version for gputop_build_info.
	Version string
	// Checks returns the newest check results, or nil before the first
	// run. It is called on every scrape and must not block.
	Checks func() []model.CheckResult
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Label names. The dcgm-exporter names are kept exactly, camelCase
// included: Grafana dashboards and alerts select on them.
const (
	LabelGPU      = "gpu"
	LabelUUID     = "UUID"
	LabelBusID    = "pci_bus_id"
	LabelDevice   = "device"
	LabelModel    = "modelName"
	LabelHostname = "Hostname"
	LabelDriver   = "DCGM_FI_DRIVER_VERSION"
)

var gpuLabels = []string{LabelGPU, LabelUUID, LabelBusID, LabelDevice, LabelModel, LabelHostname, LabelDriver}

func desc(name, help string, extra ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, append(append([]string(nil), gpuLabels...), extra...), nil)
}

// metricDef is one dcgm-exporter-compatible field: name, type and unit as
// dcgm-exporter's etc/default-counters.csv gives them.
type metricDef struct {
	desc  *prometheus.Desc
	vtype prometheus.ValueType
}

var (
	dcgmSMClock   = metricDef{desc("DCGM_FI_DEV_SM_CLOCK", "SM clock in MHz."), prometheus.GaugeValue}
	dcgmMemClock  = metricDef{desc("DCGM_FI_DEV_MEM_CLOCK", "Memory clock in MHz."), prometheus.GaugeValue}
	dcgmGPUTemp   = metricDef{desc("DCGM_FI_DEV_GPU_TEMP", "GPU temperature in degrees C."), prometheus.GaugeValue}
	dcgmMemTemp   = metricDef{desc("DCGM_FI_DEV_MEMORY_TEMP", "Memory (HBM) temperature in degrees C."), prometheus.GaugeValue}
	dcgmPower     = metricDef{desc("DCGM_FI_DEV_POWER_USAGE", "Power draw in W."), prometheus.GaugeValue}
	dcgmEnergy    = metricDef{desc("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", "Energy consumed since the driver loaded, in mJ."), prometheus.CounterValue}
	dcgmReplay    = metricDef{desc("DCGM_FI_DEV_PCIE_REPLAY_COUNTER", "PCIe replays (retries) since the driver loaded."), prometheus.CounterValue}
	dcgmGPUUtil   = metricDef{desc("DCGM_FI_DEV_GPU_UTIL", "GPU utilisation in percent."), prometheus.GaugeValue}
	dcgmCopyUtil  = metricDef{desc("DCGM_FI_DEV_MEM_COPY_UTIL", "Memory bandwidth utilisation in percent."), prometheus.GaugeValue}
	dcgmFBFree    = metricDef{desc("DCGM_FI_DEV_FB_FREE", "Framebuffer memory free in MiB."), prometheus.GaugeValue}
	dcgmFBUsed    = metricDef{desc("DCGM_FI_DEV_FB_USED", "Framebuffer memory used in MiB."), prometheus.GaugeValue}
	dcgmFBRes     = metricDef{desc("DCGM_FI_DEV_FB_RESERVED", "Framebuffer memory reserved by the driver in MiB."), prometheus.GaugeValue}
	dcgmSBEVol    = metricDef{desc("DCGM_FI_DEV_ECC_SBE_VOL_TOTAL", "Single-bit (corrected) volatile ECC errors."), prometheus.CounterValue}
	dcgmDBEVol    = metricDef{desc("DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", "Double-bit (uncorrected) volatile ECC errors."), prometheus.CounterValue}
	dcgmDBEAgg    = metricDef{desc("DCGM_FI_DEV_ECC_DBE_AGG_TOTAL", "Double-bit (uncorrected) aggregate ECC errors."), prometheus.CounterValue}
	dcgmRetSBE    = metricDef{desc("DCGM_FI_DEV_RETIRED_SBE", "Pages retired for single-bit errors."), prometheus.CounterValue}
	dcgmRetDBE    = metricDef{desc("DCGM_FI_DEV_RETIRED_DBE", "Pages retired for double-bit errors."), prometheus.CounterValue}
	dcgmRetPend   = metricDef{desc("DCGM_FI_DEV_RETIRED_PENDING", "Pages pending retirement (1 when any)."), prometheus.CounterValue}
	dcgmRowUncorr = metricDef{desc("DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS", "Rows remapped for uncorrectable errors."), prometheus.CounterValue}
	dcgmRowCorr   = metricDef{desc("DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS", "Rows remapped for correctable errors."), prometheus.CounterValue}
	dcgmRowFail   = metricDef{desc("DCGM_FI_DEV_ROW_REMAP_FAILURE", "1 when a row remapping failed."), prometheus.GaugeValue}
	dcgmXid       = metricDef{desc("DCGM_FI_DEV_XID_ERRORS", "The last Xid error seen (0: none since gputop started).", "err_code", "err_msg"), prometheus.GaugeValue}
)

var (
	gtBuildInfo = prometheus.NewDesc("gputop_build_info", "gputop's version (value 1).", []string{"version", "goversion"}, nil)
	gtHostInfo  = prometheus.NewDesc("gputop_host_info", "The host's driver and the newest CUDA it supports (value 1); source is nvml or demo.",
		[]string{LabelHostname, "driver_version", "cuda_version", "source"}, nil)
	gtHealth  = desc("gputop_gpu_health", "The GPU's reading state (1 for the current state): ok, stale (a driver call hangs; the values are the last good ones), lost or error.", "state")
	gtAge     = desc("gputop_gpu_last_reading_age_seconds", "Seconds since the GPU's newest good reading.")
	gtVerdict = desc("gputop_gpu_verdict", "The GPU's verdict, as every gputop view draws it (model.GPUVerdict: reachability, its failing or warning checks, recent critical events); 1 for the current level.", "verdict")
	gtReason  = desc("gputop_gpu_verdict_reason", "The short reason of a GPU's verdict when it is not ok (\"thermal\", \"PCIe x8\", \"Xid 79\"); 1.", "reason")
	gtCheck   = prometheus.NewDesc("gputop_check_status", "Each check's status (1 for the current one); gpu is empty for host-wide checks.",
		[]string{LabelHostname, "check", LabelGPU, "status"}, nil)
	gtThrottle  = desc("gputop_throttle_reason_active", "1 while the clocks-event (throttle) reason is active.", "reason")
	gtPowerPeak = desc("gputop_power_peak_watts", "Highest power draw since the previous scrape, from the driver's sample buffer and the fast readings.")
	gtUtilPeak  = desc("gputop_utilization_peak_percent", "Highest GPU utilisation since the previous scrape, from the driver's sample buffer and the fast readings.")
	gtPowerLim  = desc("gputop_power_limit_watts", "Enforced power limit in W.")
	gtToFull    = desc("gputop_memory_seconds_to_full", "While memory climbs: seconds until the card is full at the current rate (absent otherwise).")
	gtXidTotal  = desc("gputop_xid_errors_total", "Xid events seen since gputop started, by Xid.", "xid")
)

// checkStatuses are the states of gputop_check_status and
// gputop_gpu_verdict, in a fixed order.
var checkStatuses = []model.Status{model.Pass, model.Warn, model.Fail, model.Skip}

var healthStates = []model.HealthState{model.Healthy, model.Stale, model.Lost, model.Failed}

// verdictLevels are gputop_gpu_verdict's states, worst first.
var verdictLevels = []model.VerdictLevel{model.VerdictLost, model.VerdictError, model.VerdictFail,
	model.VerdictStale, model.VerdictWarn, model.VerdictOK}

// maxXidKinds bounds gputop_xid_errors_total's series per GPU.
const maxXidKinds = 32

// maxChecks bounds gputop_check_status's checks.
const maxChecks = 512

// Collector is a prometheus.Collector over a Source.
type Collector struct {
	src  Source
	opts Options

	mu        sync.Mutex
	lastScrap time.Time
	fastBuf   []model.Sample
	slowBuf   []model.SlowSample
	evBuf     []model.Event
	recent    []model.Event
	seenCount uint64
	lastEvent model.Event
	lastXid   map[int]int
	xidCount  map[int]map[int]uint64
	energy    map[int]uint64 // newest energy reading per GPU (read about once a minute)
}

// New builds a collector.
func New(src Source, o Options) *Collector {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Hostname == "" {
		o.Hostname = src.System().Host
	}
	return &Collector{src: src, opts: o, lastXid: map[int]int{}, xidCount: map[int]map[int]uint64{}, energy: map[int]uint64{}}
}

// Describe sends every descriptor.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []metricDef{dcgmSMClock, dcgmMemClock, dcgmGPUTemp, dcgmMemTemp, dcgmPower, dcgmEnergy, dcgmReplay,
		dcgmGPUUtil, dcgmCopyUtil, dcgmFBFree, dcgmFBUsed, dcgmFBRes, dcgmSBEVol, dcgmDBEVol, dcgmDBEAgg,
		dcgmRetSBE, dcgmRetDBE, dcgmRetPend, dcgmRowUncorr, dcgmRowCorr, dcgmRowFail, dcgmXid} {
		ch <- d.desc
	}
	for _, d := range []*prometheus.Desc{gtBuildInfo, gtHostInfo, gtHealth, gtAge, gtVerdict, gtReason, gtCheck, gtThrottle,
		gtPowerPeak, gtUtilPeak, gtPowerLim, gtToFull, gtXidTotal} {
		ch <- d
	}
}

// Collect reads the newest state. It never calls the driver.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.opts.Now()
	since := c.lastScrap
	if since.IsZero() {
		since = now.Add(-15 * time.Second)
	}
	c.lastScrap = now

	sys := c.src.System()
	host := CleanLabel(c.opts.Hostname)
	driver := CleanLabel(sys.DriverVersion)
	cuda := ""
	if sys.CUDADriverVersion.OK {
		cuda = model.CUDAVersionString(sys.CUDADriverVersion.V)
	}
	ch <- prometheus.MustNewConstMetric(gtBuildInfo, prometheus.GaugeValue, 1, CleanLabel(c.opts.Version), runtime.Version())
	ch <- prometheus.MustNewConstMetric(gtHostInfo, prometheus.GaugeValue, 1, host, driver, cuda, CleanLabel(sys.Source))

	c.readEvents()
	var results []model.CheckResult
	if c.opts.Checks != nil {
		results = c.opts.Checks()
	}
	// Recent events feed the verdict (an Xid marks its GPU for ten minutes).
	c.recent = c.src.Events(c.recent[:0], 256)
	opts := c.src.Options()
	for i, g := range c.src.GPUs() {
		fast, ok, slow, health := g.Latest()
		info := g.Info
		lv := []string{strconv.Itoa(i), CleanLabel(info.UUID), CleanLabel(info.BusID), "nvidia" + strconv.Itoa(i),
			CleanLabel(info.Name), host, driver}
		c.collectGPU(ch, lv, i, g, fast, ok, slow, health, now, since, opts)
		v := model.GPUVerdict(model.VerdictInput{Info: info, Health: health, Fast: fast, Slow: slow,
			Checks: results, Events: c.recent, Now: model.TimestampOf(now)})
		for _, l := range verdictLevels {
			ch <- prometheus.MustNewConstMetric(gtVerdict, prometheus.GaugeValue, b2f(l == v.Level), append(lv, string(l))...)
		}
		if v.Level != model.VerdictOK && v.Reason != "" {
			ch <- prometheus.MustNewConstMetric(gtReason, prometheus.GaugeValue, 1, append(lv, CleanLabel(v.Reason))...)
		}
	}
	seen := make(map[string]bool, len(results))
	for _, r := range results {
		// A check id is exported once (a duplicate would fail the scrape).
		if len(seen) >= maxChecks || seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		gpu := ""
		if g, ok := r.GPU.Get(); ok {
			gpu = strconv.Itoa(g)
		}
		for _, s := range checkStatuses {
			ch <- prometheus.MustNewConstMetric(gtCheck, prometheus.GaugeValue, b2f(s == r.Status), host, CleanLabel(r.ID), gpu, string(s))
		}
	}
}

func (c *Collector) collectGPU(ch chan<- prometheus.Metric, lv []string, i int, g *sampler.GPU,
	fast model.Sample, ok bool, slow model.SlowSample, health model.Health, now, since time.Time, opts sampler.Options) {
	put := func(d metricDef, v float64) { ch <- prometheus.MustNewConstMetric(d.desc, d.vtype, v, lv...) }
	for _, st := range healthStates {
		ch <- prometheus.MustNewConstMetric(gtHealth, prometheus.GaugeValue, b2f(health.State == st), append(lv, st.String())...)
	}
	if ok {
		ch <- prometheus.MustNewConstMetric(gtAge, prometheus.GaugeValue, max(now.Sub(fast.Time.Time()).Seconds(), 0), lv...)
		optU32(put, dcgmSMClock, fast.ClockSM, 1)
		optU32(put, dcgmMemClock, fast.ClockMem, 1)
		if t, ok := fast.TempGPU.Get(); ok {
			put(dcgmGPUTemp, float64(t))
		}
		if t, ok := fast.TempMem.Get(); ok {
			put(dcgmMemTemp, float64(t))
		}
		optU32(put, dcgmPower, fast.PowerDraw, 1000)
		optU32(put, dcgmGPUUtil, fast.UtilGPU, 1)
		optU32(put, dcgmCopyUtil, fast.UtilMem, 1)
		if used, ok := fast.MemUsed.Get(); ok {
			put(dcgmFBUsed, mib(used))
			if total, ok := fast.MemTotal.Get(); ok {
				free := total - min(total, used)
				if res, ok := fast.MemReserved.Get(); ok {
					put(dcgmFBRes, mib(res))
					free -= min(free, res)
				}
				put(dcgmFBFree, mib(free))
			}
		}
		if lim, ok := fast.PowerLimit.Get(); ok {
			ch <- prometheus.MustNewConstMetric(gtPowerLim, prometheus.GaugeValue, float64(lim)/1000, lv...)
		}
		if mask, ok := fast.ThrottleReasons.Get(); ok {
			for _, r := range model.ThrottleReasons {
				ch <- prometheus.MustNewConstMetric(gtThrottle, prometheus.GaugeValue, b2f(mask&r.Bit != 0), append(lv, r.Tag)...)
			}
		}
	}
	if !slow.Time.IsZero() {
		if v, ok := slow.PCIeReplays.Get(); ok {
			put(dcgmReplay, float64(v))
		}
		optU64(put, dcgmSBEVol, slow.ECCVolatileCorrected)
		optU64(put, dcgmDBEVol, slow.ECCVolatileUncorrected)
		optU64(put, dcgmDBEAgg, slow.ECCAggregateUncorrected)
		optInt(put, dcgmRetSBE, slow.RetiredPagesSBE)
		optInt(put, dcgmRetDBE, slow.RetiredPagesDBE)
		optBool(put, dcgmRetPend, slow.RetiredPagesPending)
		optInt(put, dcgmRowUncorr, slow.RowRemapUncorrectable)
		optInt(put, dcgmRowCorr, slow.RowRemapCorrectable)
		optBool(put, dcgmRowFail, slow.RowRemapFailure)
	}
	c.peaksAndEnergy(ch, lv, i, g, now, since, opts, put)
	xid := c.lastXid[i]
	ch <- prometheus.MustNewConstMetric(dcgmXid.desc, dcgmXid.vtype, float64(xid), append(lv, strconv.Itoa(xid), xidText(xid))...)
	for x, n := range c.xidCount[i] {
		ch <- prometheus.MustNewConstMetric(gtXidTotal, prometheus.CounterValue, float64(n), append(lv, strconv.Itoa(x))...)
	}
}

// peaksAndEnergy reads the history since the previous scrape: the power and
// utilisation maxima, the newest energy counter, the memory forecast.
func (c *Collector) peaksAndEnergy(ch chan<- prometheus.Metric, lv []string, i int, g *sampler.GPU,
	now, since time.Time, opts sampler.Options, put func(metricDef, float64)) {
	window := now.Sub(since)
	n := int(window/opts.Interval) + 2
	n = max(n, int(forecastOpts.Window/opts.Interval)+2)
	n = min(n, opts.RingCapacity())
	c.fastBuf = g.History(c.fastBuf[:0], n)
	sinceTS := model.TimestampOf(since)
	var pPeak, uPeak model.Opt[uint32]
	for _, s := range c.fastBuf {
		if s.Time <= sinceTS {
			continue
		}
		maxOpt(&pPeak, s.PowerDraw)
		maxOpt(&uPeak, s.UtilGPU)
	}
	// Slow readings: the buffered-sample peaks, and the energy counter,
	// which NVML is asked for about once a minute.
	slowN := int(max(window, 2*time.Minute)/opts.SlowInterval) + 2
	c.slowBuf = g.SlowHistory(c.slowBuf[:0], slowN)
	energySeen := false
	for k := len(c.slowBuf) - 1; k >= 0; k-- {
		s := &c.slowBuf[k]
		if s.Time > sinceTS {
			maxOpt(&pPeak, s.PowerPeak)
			maxOpt(&uPeak, s.UtilPeak)
		}
		if !energySeen {
			if e, ok := s.EnergyMilliJ.Get(); ok {
				c.energy[i] = e
				energySeen = true
			}
		}
	}
	if e, ok := c.energy[i]; ok {
		put(dcgmEnergy, float64(e))
	}
	if v, ok := pPeak.Get(); ok {
		ch <- prometheus.MustNewConstMetric(gtPowerPeak, prometheus.GaugeValue, float64(v)/1000, lv...)
	}
	if v, ok := uPeak.Get(); ok {
		ch <- prometheus.MustNewConstMetric(gtUtilPeak, prometheus.GaugeValue, float64(v), lv...)
	}
	fc := model.ForecastMemory(c.fastBuf, forecastOpts)
	if d, ok := fc.TimeToFull.Get(); ok {
		ch <- prometheus.MustNewConstMetric(gtToFull, prometheus.GaugeValue, d.Seconds(), lv...)
	}
}

// forecastOpts are the dashboard's defaults (a 3 s growth window).
var forecastOpts = model.ForecastOptions{Window: 3 * time.Second}

// readEvents counts the Xid events emitted since the previous scrape. The
// newest event handled is remembered, so an event is counted once even when
// several arrive during a scrape.
func (c *Collector) readEvents() {
	count := c.src.EventCount()
	if count == c.seenCount {
		return
	}
	n := int(min(count-c.seenCount+8, 2048))
	c.evBuf = c.src.Events(c.evBuf[:0], n)
	start := 0
	if c.seenCount > 0 {
		for k := len(c.evBuf) - 1; k >= 0; k-- {
			if c.evBuf[k] == c.lastEvent {
				start = k + 1
				break
			}
		}
	}
	for _, ev := range c.evBuf[start:] {
		gpu, gok := ev.GPU.Get()
		xid, xok := ev.Xid.Get()
		if ev.Kind != model.EventXid || !gok || !xok {
			continue
		}
		c.lastXid[gpu] = xid
		m := c.xidCount[gpu]
		if m == nil {
			m = map[int]uint64{}
			c.xidCount[gpu] = m
		}
		if _, seen := m[xid]; seen || len(m) < maxXidKinds {
			m[xid]++
		}
	}
	if len(c.evBuf) > 0 {
		c.lastEvent = c.evBuf[len(c.evBuf)-1]
	}
	c.seenCount = count
}

func xidText(xid int) string {
	if xid == 0 {
		return "No Error"
	}
	e, _ := model.XidInfo(xid)
	return CleanLabel(e.Meaning)
}

func optU32(put func(metricDef, float64), d metricDef, v model.Opt[uint32], div float64) {
	if x, ok := v.Get(); ok {
		put(d, float64(x)/div)
	}
}

func optU64(put func(metricDef, float64), d metricDef, v model.Opt[uint64]) {
	if x, ok := v.Get(); ok {
		put(d, float64(x))
	}
}

func optInt(put func(metricDef, float64), d metricDef, v model.Opt[int]) {
	if x, ok := v.Get(); ok {
		put(d, float64(x))
	}
}

func optBool(put func(metricDef, float64), d metricDef, v model.Opt[bool]) {
	if x, ok := v.Get(); ok {
		put(d, b2f(x))
	}
}

func maxOpt(dst *model.Opt[uint32], v model.Opt[uint32]) {
	if x, ok := v.Get(); ok && (!dst.OK || x > dst.V) {
		dst.Set(x)
	}
}

func mib(b uint64) float64 { return float64(b / (1 << 20)) }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// maxLabelLen bounds a label value taken from the driver or a host name.
const maxLabelLen = 128

// CleanLabel makes a value safe for a label: valid UTF-8, no control
// characters, at most maxLabelLen bytes.
func CleanLabel(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > maxLabelLen {
		cut := maxLabelLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}
