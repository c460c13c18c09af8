package checks

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gputop/gputop/model"
)

// driverVersion is the loaded driver's version: NVML's answer when it has
// one, else the kernel module's.
func driverVersion(f *model.Facts) (Version, string, bool) {
	if f.NVML.DriverVersion != "" {
		if v, err := ParseVersion(f.NVML.DriverVersion); err == nil {
			return v, "NVML", true
		}
	}
	if f.KernelModule.Version != "" {
		if v, err := ParseVersion(f.KernelModule.Version); err == nil {
			return v, "/proc/driver/nvidia/version", true
		}
	}
	return Version{}, "", false
}

// ccOf encodes a GPU's compute capability as major*10+minor.
func ccOf(g model.GPUInfo) (int, bool) {
	if !g.CCMajor.OK || !g.CCMinor.OK {
		return 0, false
	}
	return g.CCMajor.V*10 + g.CCMinor.V, true
}

func ccString(cc int) string { return strconv.Itoa(cc/10) + "." + strconv.Itoa(cc%10) }

// normBDF turns NVML's "00000000:18:00.0" and sysfs's "0000:18:00.0" into
// one comparable form.
func normBDF(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	parts := strings.SplitN(s, ":", 3)
	if len(parts) != 3 {
		return s
	}
	dom, err := strconv.ParseUint(parts[0], 16, 32)
	if err != nil {
		return s
	}
	return fmt.Sprintf("%04x:%s:%s", dom, parts[1], parts[2])
}

func pciByBDF(f *model.Facts, busID string) (model.PCIDevice, bool) {
	want := normBDF(busID)
	for _, d := range f.PCI.Devices {
		if normBDF(d.BDF) == want {
			return d, true
		}
	}
	return model.PCIDevice{}, false
}

func gpuID(prefix string, g model.GPUInfo) string { return prefix + ".gpu" + strconv.Itoa(g.Index) }

func gpuName(g model.GPUInfo) string {
	if g.Name == "" {
		return "GPU " + strconv.Itoa(g.Index)
	}
	return "GPU " + strconv.Itoa(g.Index) + " (" + g.Name + ")"
}

func bytesString(b uint64) string {
	switch {
	case b >= gib && b%gib == 0:
		return strconv.FormatUint(b/gib, 10) + " GiB"
	case b >= gib:
		return strconv.FormatFloat(float64(b)/float64(gib), 'f', 1, 64) + " GiB"
	default:
		return strconv.FormatUint(b/mib, 10) + " MiB"
	}
}

// unverified says plainly that a fact is not confirmed by a primary source.
func unverified(note string) string {
	if note == "" {
		return ""
	}
	return " (not confirmed by a primary source: " + note + ")"
}

// worst returns the more severe of two statuses.
func worst(a, b model.Status) model.Status {
	if b.Rank() < a.Rank() {
		return b
	}
	return a
}

func joinSentences(parts []string) string {
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}

// gpuResult starts a result about one GPU.
func gpuResult(prefix, title string, g model.GPUInfo) model.CheckResult {
	return model.CheckResult{ID: gpuID(prefix, g), Title: title + ": " + gpuName(g), GPU: model.Some(g.Index)}
}

func nvmlErrorFor(code string) (nvmlErrorRow, bool) {
	for _, r := range nvmlErrorTable {
		if r.Code == code {
			return r, true
		}
	}
	return nvmlErrorRow{}, false
}

func nvmlStatus(f *model.Facts) string {
	switch {
	case f.NVML.Opened:
		return fmt.Sprintf("NVML open (%s), %d GPU(s)", orDash(f.NVML.Source), len(f.NVML.GPUs))
	case f.NVML.ErrorCode != "":
		return "NVML failed: " + f.NVML.ErrorCode + " " + f.NVML.ErrorMessage
	default:
		return "NVML not queried"
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
