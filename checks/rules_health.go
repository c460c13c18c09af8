package checks

import (
	"strconv"
	"strings"

	"github.com/gputop/gputop/model"
)

// healthRow is what an NVML error code on a GPU's readings means and what
// to do first. Codes and meanings: NVML API reference (nvmlReturn_t,
// docs.nvidia.com/deploy/nvml-api); actions: NVIDIA's Xid catalog
// (docs.nvidia.com/deploy/xid-errors: Xid 79 "GPU has fallen off the bus",
// resolution RESTART_BM) and nvidia-smi's reset documentation.
type healthRow struct {
	Code     string
	Meaning  string
	Fix      string
	Commands func(gpu int) []string
}

var healthTable = []healthRow{
	{"GPU_IS_LOST", "the GPU is lost: it fell off the bus or stopped answering (NVML_ERROR_GPU_IS_LOST; the kernel log usually shows Xid 79)",
		"Drain the node and reboot it: a lost GPU comes back only after a reboot (NVIDIA's Xid catalog: restart the machine). If it happens again, power off, reseat the GPU and its riser, check its PCIe power cables and the power supply, and look at the kernel log for Xid 79 or AER errors before the loss.",
		func(int) []string {
			return []string{"sudo dmesg | grep -iE 'xid|fallen off|aer'", "sudo reboot  # a lost GPU returns only after a reboot: stops everything on this machine"}
		}},
	{"RESET_REQUIRED", "the GPU needs a reset before it can be used again (NVML_ERROR_RESET_REQUIRED)",
		"Stop the work on this GPU and reset it, or reboot the machine. A GPU reset ends every process on that GPU.",
		func(gpu int) []string {
			i := strconv.Itoa(gpu)
			return []string{"nvidia-smi --query-compute-apps=pid,name --format=csv -i " + i + "  # must be empty first",
				"sudo nvidia-smi -r -i " + i + "  # GPU reset: kills every context on this GPU"}
		}},
	{"INSUFFICIENT_POWER", "the GPU reports insufficient external power (NVML_ERROR_INSUFFICIENT_POWER): a PCIe power connector is missing or not seated",
		"Power the machine off and connect every PCIe power connector of the GPU (8-pin or 12V-2x6/12VHPWR fully seated); check the power supply's capacity and that each connector has its own cable.",
		func(int) []string { return []string{"sudo dmesg | grep -iE 'power|nvrm'"} }},
	{"TIMEOUT", "NVML calls to the GPU time out (NVML_ERROR_TIMEOUT)",
		"Look at the kernel log for Xids on this GPU; if readings do not come back, reset the GPU when idle or reboot.",
		func(int) []string { return []string{"sudo dmesg | grep -i xid"} }},
	{"UNKNOWN", "NVML reports an unknown error for this GPU",
		"Look at the kernel log for Xids on this GPU; in a container, \"Unknown Error\" after a host `systemctl daemon-reload` means the container lost its device access: restart the container.",
		func(int) []string { return []string{"sudo dmesg | grep -i xid"} }},
}

// healthCode reads NVML's code from a health reason ("GPU_IS_LOST: ...",
// "ERROR_RESET_REQUIRED: ...").
func healthCode(reason string) string {
	code, _, _ := strings.Cut(strings.TrimSpace(reason), ":")
	code = strings.TrimPrefix(strings.TrimSpace(code), "ERROR_")
	code = strings.TrimPrefix(code, "NVML_ERROR_")
	return code
}

func healthRowFor(code string) (healthRow, bool) {
	for _, r := range healthTable {
		if r.Code == code {
			return r, true
		}
	}
	return healthRow{}, false
}

// healthRule: is each GPU answering NVML? A lost or failing GPU fails with
// NVML's code, its meaning and the first action.
func healthRule(f *model.Facts) []model.CheckResult {
	var out []model.CheckResult
	for _, g := range f.NVML.GPUs {
		r := gpuResult("health", "GPU answering", g.Info)
		r.Why = "A GPU that is lost or returns errors runs no work; every other reading of it is the last one that arrived, not the current state."
		h := g.Health
		since := ""
		if !h.Since.IsZero() {
			since = " since " + h.Since.Time().Format("2006-01-02 15:04:05 UTC")
		}
		switch h.State {
		case model.Healthy:
			r.Status, r.Evidence = model.Pass, "readings arrive on time (NVML)"
			if !g.Sample.OK {
				r.Status, r.Evidence = model.Skip, "no reading recorded yet (NVML)"
			}
		case model.Stale:
			r.Status = model.Warn
			r.Cause = "stale"
			r.Evidence = "readings are overdue" + since + ": an NVML call on this GPU hangs or is slow; the values shown are the last good ones"
			if h.Reason != "" {
				r.Evidence += " (" + h.Reason + ")"
			}
			r.Fix = "Look at the kernel log for Xids on this GPU; if the readings do not come back, the GPU may need a reset (when idle) or the machine a reboot."
			r.Commands = []string{"sudo dmesg | grep -i xid", "nvidia-smi -q -i " + strconv.Itoa(g.Info.Index) + " | head -40"}
		case model.Lost, model.Failed:
			code := healthCode(h.Reason)
			r.Status = model.Fail
			r.Cause = strings.ToLower(code)
			if h.State == model.Lost {
				r.Cause = "lost"
				if code == "" {
					code = "GPU_IS_LOST"
				}
			}
			row, ok := healthRowFor(code)
			if h.State == model.Lost && !ok {
				row, ok = healthRowFor("GPU_IS_LOST")
			}
			r.Evidence = "GPU " + h.State.String() + since + ": " + orDash(h.Reason) + " (NVML)"
			if ok {
				r.Evidence += "; " + row.Code + ": " + row.Meaning
				r.Fix, r.Commands = row.Fix, row.Commands(g.Info.Index)
			} else {
				r.Fix = "NVML returns " + orDash(code) + " for this GPU: look at the kernel log for Xids on it; reset the GPU when idle or reboot if the error stays."
				r.Commands = []string{"sudo dmesg | grep -i xid", "nvidia-smi -q -i " + strconv.Itoa(g.Info.Index)}
			}
		default:
			r.Status, r.Evidence = model.Skip, "health state unknown"
		}
		out = append(out, r)
	}
	return out
}

// notCurrent: a lost or failing GPU's readings are its last ones, so the
// per-GPU static checks skip it instead of judging stale values (a wrong
// pass on a dead GPU is the worst answer).
func notCurrent(g model.GPUFacts) (string, bool) {
	switch g.Health.State {
	case model.Lost, model.Failed:
		return "GPU " + g.Health.State.String() + " (" + orDash(g.Health.Reason) + "): its readings are not current, see health.gpu" + strconv.Itoa(g.Info.Index), true
	}
	return "", false
}
