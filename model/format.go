package model

import (
	"math"
	"strconv"
	"strings"
)

// One formatter per quantity, used by every view (dashboard, report), so
// a reading is spelled the same wherever it appears.

// NotAvailable is how every unavailable value is shown. It is never 0:
// "the card reports 0 W" and "the card does not report power" must differ.
const NotAvailable = "N/A"

const gibibyte = 1 << 30

// FormatMemory renders used/total memory as "45.2/79.6 GiB" ("45.2 GiB"
// without a total, "N/A" without a reading).
func FormatMemory(used, total Opt[uint64]) string {
	if !used.OK {
		return NotAvailable
	}
	u := strconv.FormatFloat(float64(used.V)/gibibyte, 'f', 1, 64)
	if !total.OK {
		return u + " GiB"
	}
	return u + "/" + strconv.FormatFloat(float64(total.V)/gibibyte, 'f', 1, 64) + " GiB"
}

// FormatPercent renders a percentage ("67%").
func FormatPercent(p Opt[uint32]) string {
	if !p.OK {
		return NotAvailable
	}
	return strconv.FormatUint(uint64(p.V), 10) + "%"
}

// FormatPower renders draw against the enforced limit, both in mW, as
// "412/700 W" ("412 W" without a limit), rounded to the watt.
func FormatPower(draw, limit Opt[uint32]) string {
	if !draw.OK {
		return NotAvailable
	}
	d := strconv.Itoa(int(math.Round(float64(draw.V) / 1000)))
	if !limit.OK {
		return d + " W"
	}
	return d + "/" + strconv.Itoa(int(math.Round(float64(limit.V)/1000))) + " W"
}

// FormatTemp renders a temperature against its slowdown threshold
// ("54/87°C"; "54°C" without one).
func FormatTemp(t, slowdown Opt[int32]) string {
	if !t.OK {
		return NotAvailable
	}
	v := strconv.Itoa(int(t.V))
	if !slowdown.OK {
		return v + "°C"
	}
	return v + "/" + strconv.Itoa(int(slowdown.V)) + "°C"
}

// FormatBusID trims the PCI domain NVML prints ("00000000:18:00.0" ->
// "18:00.0") when it is zero, which it is on almost every machine.
func FormatBusID(bus string) string {
	if rest, ok := strings.CutPrefix(bus, "00000000:"); ok {
		return rest
	}
	if rest, ok := strings.CutPrefix(bus, "0000:"); ok {
		return rest
	}
	return bus
}
