package nvmlbackend

import (
	"github.com/gputop/gputop/sampler"
	"sync/atomic"
	"time"
)

// callKind names one kind of per-tick NVML call. It indexes the per-device
// "never ask again" bitmask and the latency counters, so there must be fewer
// than 64 of them.
type callKind uint8

const (
	// Fast tier.
	callMemoryInfoV2 callKind = iota
	callMemoryInfo
	callUtilization
	callTemperature
	callPowerUsage
	callEnforcedPowerLimit
	callClockSM
	callClockMem
	callPerformanceState
	callClocksEventReasons
	callFanSpeed

	// Slow tier.
	callMemoryTemperature
	callPcieThroughputTX
	callPcieThroughputRX
	callPcieLinkGeneration
	callPcieLinkWidth
	callPcieReplayCounter
	callTotalEnergy
	callEccMode
	callEccVolatileCorrected
	callEccVolatileUncorrected
	callEccAggregateUncorrected
	callRemappedRows
	callRetiredPagesSBE
	callRetiredPagesDBE
	callRetiredPagesPending
	callPersistenceMode
	callComputeMode
	callMigMode
	callFabricInfo
	callComputeProcesses
	callGraphicsProcesses
	callProcessUtilization
	callSamplesPower
	callSamplesUtilization

	// Hardware signals (signals.go).
	callSignalFields
	callNvLinkFields
	callNvLinkLinkFields
	callInforomValidate
	callInforomVersion
	callNvLinkState
	callNvLinkRemote
	callNvLinkErrors
	callEncoderUtil
	callDecoderUtil
	callTopology
	callP2PStatus
	callMigDevices
	callMigMemory
	callMigProcesses
	callGpmSupport // GPM for MIG instances (mig.go)
	callGpmAlloc
	callGpmSample
	callGpmMetrics

	numCallKinds
)

// numFastKinds: the kinds before it are the fast tier's, each with a
// costGuard.
const numFastKinds = callFanSpeed + 1

// callInfo describes a call kind: the name shown in the overview and the C
// symbol behind it. The symbol is looked up once at Open: an older driver's
// library that lacks it would crash the process if go-nvml called it, so a
// missing symbol marks the call unsupported before it is ever made.
var callInfo = [numCallKinds]struct {
	name   string
	symbol string
}{
	callMemoryInfoV2:            {"GetMemoryInfo_v2", "nvmlDeviceGetMemoryInfo_v2"},
	callMemoryInfo:              {"GetMemoryInfo", "nvmlDeviceGetMemoryInfo"},
	callUtilization:             {"GetUtilizationRates", "nvmlDeviceGetUtilizationRates"},
	callTemperature:             {"GetTemperature", "nvmlDeviceGetTemperature"},
	callPowerUsage:              {"GetPowerUsage", "nvmlDeviceGetPowerUsage"},
	callEnforcedPowerLimit:      {"GetEnforcedPowerLimit", "nvmlDeviceGetEnforcedPowerLimit"},
	callClockSM:                 {"GetClockInfo(SM)", "nvmlDeviceGetClockInfo"},
	callClockMem:                {"GetClockInfo(MEM)", "nvmlDeviceGetClockInfo"},
	callPerformanceState:        {"GetPerformanceState", "nvmlDeviceGetPerformanceState"},
	callClocksEventReasons:      {"GetCurrentClocksEventReasons", "nvmlDeviceGetCurrentClocksEventReasons"},
	callFanSpeed:                {"GetFanSpeed", "nvmlDeviceGetFanSpeed"},
	callMemoryTemperature:       {"GetFieldValues(MEMORY_TEMP)", "nvmlDeviceGetFieldValues"},
	callPcieThroughputTX:        {"GetPcieThroughput(TX)", "nvmlDeviceGetPcieThroughput"},
	callPcieThroughputRX:        {"GetPcieThroughput(RX)", "nvmlDeviceGetPcieThroughput"},
	callPcieLinkGeneration:      {"GetCurrPcieLinkGeneration", "nvmlDeviceGetCurrPcieLinkGeneration"},
	callPcieLinkWidth:           {"GetCurrPcieLinkWidth", "nvmlDeviceGetCurrPcieLinkWidth"},
	callPcieReplayCounter:       {"GetPcieReplayCounter", "nvmlDeviceGetPcieReplayCounter"},
	callTotalEnergy:             {"GetTotalEnergyConsumption", "nvmlDeviceGetTotalEnergyConsumption"},
	callEccMode:                 {"GetEccMode", "nvmlDeviceGetEccMode"},
	callEccVolatileCorrected:    {"GetTotalEccErrors(corrected, volatile)", "nvmlDeviceGetTotalEccErrors"},
	callEccVolatileUncorrected:  {"GetTotalEccErrors(uncorrected, volatile)", "nvmlDeviceGetTotalEccErrors"},
	callEccAggregateUncorrected: {"GetTotalEccErrors(uncorrected, aggregate)", "nvmlDeviceGetTotalEccErrors"},
	callRemappedRows:            {"GetRemappedRows", "nvmlDeviceGetRemappedRows"},
	callRetiredPagesSBE:         {"GetRetiredPages(SBE)", "nvmlDeviceGetRetiredPages"},
	callRetiredPagesDBE:         {"GetRetiredPages(DBE)", "nvmlDeviceGetRetiredPages"},
	callRetiredPagesPending:     {"GetRetiredPagesPendingStatus", "nvmlDeviceGetRetiredPagesPendingStatus"},
	callPersistenceMode:         {"GetPersistenceMode", "nvmlDeviceGetPersistenceMode"},
	callComputeMode:             {"GetComputeMode", "nvmlDeviceGetComputeMode"},
	callMigMode:                 {"GetMigMode", "nvmlDeviceGetMigMode"},
	callFabricInfo:              {"GetGpuFabricInfo", "nvmlDeviceGetGpuFabricInfo"},
	callComputeProcesses:        {"GetComputeRunningProcesses", "nvmlDeviceGetComputeRunningProcesses"},
	callGraphicsProcesses:       {"GetGraphicsRunningProcesses", "nvmlDeviceGetGraphicsRunningProcesses"},
	callProcessUtilization:      {"GetProcessUtilization", "nvmlDeviceGetProcessUtilization"},
	callSamplesPower:            {"GetSamples(TOTAL_POWER)", "nvmlDeviceGetSamples"},
	callSamplesUtilization:      {"GetSamples(GPU_UTILIZATION)", "nvmlDeviceGetSamples"},
	callSignalFields:            {"GetFieldValues(signals)", "nvmlDeviceGetFieldValues"},
	callNvLinkFields:            {"GetFieldValues(NVLink totals)", "nvmlDeviceGetFieldValues"},
	callNvLinkLinkFields:        {"GetFieldValues(NVLink per link)", "nvmlDeviceGetFieldValues"},
	callInforomValidate:         {"ValidateInforom", "nvmlDeviceValidateInforom"},
	callInforomVersion:          {"GetInforomImageVersion", "nvmlDeviceGetInforomImageVersion"},
	callNvLinkState:             {"GetNvLinkState", "nvmlDeviceGetNvLinkState"},
	callNvLinkRemote:            {"GetNvLinkRemotePciInfo", "nvmlDeviceGetNvLinkRemotePciInfo"},
	callNvLinkErrors:            {"GetNvLinkErrorCounter", "nvmlDeviceGetNvLinkErrorCounter"},
	callEncoderUtil:             {"GetEncoderUtilization", "nvmlDeviceGetEncoderUtilization"},
	callDecoderUtil:             {"GetDecoderUtilization", "nvmlDeviceGetDecoderUtilization"},
	callTopology:                {"GetTopologyCommonAncestor", "nvmlDeviceGetTopologyCommonAncestor"},
	callP2PStatus:               {"GetP2PStatus", "nvmlDeviceGetP2PStatus"},
	callMigDevices:              {"GetMigDeviceHandleByIndex", "nvmlDeviceGetMigDeviceHandleByIndex"},
	callMigMemory:               {"GetMemoryInfo(MIG)", "nvmlDeviceGetMemoryInfo"},
	callMigProcesses:            {"GetComputeRunningProcesses(MIG)", "nvmlDeviceGetComputeRunningProcesses"},
	callGpmSupport:              {"GpmQueryDeviceSupport", "nvmlGpmQueryDeviceSupport"},
	callGpmAlloc:                {"GpmSampleAlloc", "nvmlGpmSampleAlloc"},
	callGpmSample:               {"GpmMigSampleGet", "nvmlGpmMigSampleGet"},
	callGpmMetrics:              {"GpmMetricsGet", "nvmlGpmMetricsGet"},
}

func (k callKind) bit() uint64 { return 1 << k }

func (k callKind) String() string { return callInfo[k].name }

// CallStat is the measured cost of one kind of NVML call, summed over all
// GPUs, for the overhead view.
type CallStat = sampler.CallStat

// callCounter accumulates one call kind's cost on one device. Atomics, so
// the fast and slow goroutines of a GPU and the reader of CallStats never
// take a lock.
type callCounter struct {
	count atomic.Uint64
	nanos atomic.Uint64
}

// CallStats reports the count and mean latency of every call kind made so
// far (kinds never called are left out). It is empty unless
// Options.CallStats was set.
func (b *Backend) CallStats() []CallStat {
	var out []CallStat
	for k := range numCallKinds {
		var count, nanos uint64
		for _, d := range b.devices {
			count += d.stats[k].count.Load()
			nanos += d.stats[k].nanos.Load()
		}
		if count == 0 {
			continue
		}
		out = append(out, CallStat{Name: k.String(), Count: count, Mean: time.Duration(nanos / count)})
	}
	if n := b.waits.count.Load(); b.opts.CallStats && n > 0 {
		out = append(out, CallStat{Name: "EventSet.Wait", Count: n, Mean: time.Duration(b.waits.nanos.Load() / n)})
	}
	return out
}
