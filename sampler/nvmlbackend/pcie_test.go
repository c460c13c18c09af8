package nvmlbackend

import (
	"testing"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/gputop/gputop/model"
)

// With the PCIe byte counters, throughput is their mean rate since the
// previous read, and GetPcieThroughput (20 ms blocking a direction) is
// never called; without them (older drivers answer NOT_SUPPORTED or
// INVALID_ARGUMENT per field), GetPcieThroughput is used as before.
func TestPCIeThroughputFromByteCounters(t *testing.T) {
	for _, c := range []struct {
		name     string
		fieldRet nvml.Return
	}{{"counters", nvml.SUCCESS}, {"not supported", nvml.ERROR_NOT_SUPPORTED}, {"unknown field", nvml.ERROR_INVALID_ARGUMENT}} {
		t.Run(c.name, func(t *testing.T) {
			srv, devs := newFleet(t)
			d := devs[0]
			inner := d.GetFieldValuesFunc
			var tx, rx uint64 = 10_000_000, 3_000_000
			var at int64 = 1_700_000_000_000_000
			d.GetFieldValuesFunc = func(v []nvml.FieldValue) nvml.Return {
				ret := inner(v)
				for i := range v {
					var val uint64
					switch v[i].FieldId {
					case nvml.FI_DEV_PCIE_COUNT_TX_BYTES:
						val = tx
					case nvml.FI_DEV_PCIE_COUNT_RX_BYTES:
						val = rx
					default:
						continue
					}
					v[i].NvmlReturn = uint32(c.fieldRet)
					v[i].Timestamp = at
					if c.fieldRet == nvml.SUCCESS {
						putU64(&v[i], val)
						v[i].NvmlReturn = uint32(nvml.SUCCESS)
					}
				}
				return ret
			}
			throughputCalls := 0
			d.GetPcieThroughputFunc = func(nvml.PcieUtilCounter) (uint32, nvml.Return) {
				throughputCalls++
				return 777, nvml.SUCCESS
			}
			b := openServer(t, srv)
			var s1, s2 model.SlowSample
			if err := b.ReadSlow(0, &s1); err != nil {
				t.Fatal(err)
			}
			// 5 s later: 2 GB sent, 500 MB received.
			at += 5_000_000
			tx += 2_000_000_000
			rx += 500_000_000
			if err := b.ReadSlow(0, &s2); err != nil {
				t.Fatal(err)
			}
			if c.fieldRet != nvml.SUCCESS {
				if throughputCalls != 4 || s2.PCIeTxKBps != model.Some(uint32(777)) {
					t.Errorf("without counters: %d GetPcieThroughput calls, TX %v", throughputCalls, s2.PCIeTxKBps)
				}
				return
			}
			if throughputCalls != 0 {
				t.Errorf("GetPcieThroughput called %d times although the counters answer", throughputCalls)
			}
			if s1.PCIeTxKBps.OK {
				t.Errorf("first read has nothing to subtract, but TX %v", s1.PCIeTxKBps)
			}
			if s2.PCIeTxKBps != model.Some(uint32(400_000)) || s2.PCIeRxKBps != model.Some(uint32(100_000)) {
				t.Errorf("TX %v RX %v, want 400000 and 100000 kB/s", s2.PCIeTxKBps, s2.PCIeRxKBps)
			}
		})
	}
}

func TestPCIeRate(t *testing.T) {
	for _, c := range []struct {
		name      string
		prev, cur pcieCount
		want      uint32
		ok        bool
	}{
		{"first read", pcieCount{}, pcieCount{100, 10}, 0, false},
		{"1 MB in 1 s", pcieCount{0, 1_000_000}, pcieCount{1_000_000, 2_000_000}, 1000, true},
		{"counter went back (reset)", pcieCount{5_000, 1}, pcieCount{10, 2}, 0, false},
		{"same timestamp", pcieCount{5, 7}, pcieCount{9, 7}, 0, false},
		{"beyond uint32 kB/s saturates", pcieCount{0, 1}, pcieCount{1 << 62, 2}, 1<<32 - 1, true},
	} {
		got, ok := pcieRate(c.prev, c.cur)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: %d %v, want %d %v", c.name, got, ok, c.want, c.ok)
		}
	}
}
