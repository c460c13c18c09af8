package checks

import (
	"testing"
	"time"

	"github.com/gputop/gputop/model"
)

func TestDriverLifecycleRule(t *testing.T) {
	at := func(day string, drv string) func(*model.Facts) {
		return func(f *model.Facts) {
			d, _ := time.Parse("2006-01-02", day)
			f.Collected = model.TimestampOf(d)
			f.NVML.DriverVersion = drv
		}
	}
	runRuleCases(t, driverLifecycleRule, []ruleCase{
		{name: "R580 in 2026", id: "driver.lifecycle", want: model.Pass, evidence: []string{"R580", "long term support branch", "June 2028"},
			mutate: at("2026-11-30", "580.159.04")},
		{name: "R580 on its last day", id: "driver.lifecycle", want: model.Pass, mutate: at("2028-06-30", "580.159.04")},
		{name: "R580 the day after", id: "driver.lifecycle", want: model.Warn, evidence: []string{"past its end of life"},
			fix: []string{"R620"}, mutate: at("2028-07-01", "580.159.04")},
		{name: "R535 after June 2026", id: "driver.lifecycle", want: model.Warn, evidence: []string{"R535"},
			fix: []string{"Move to R580", "June 2028"}, mutate: at("2026-11-30", "535.274.02")},
		{name: "R570 production branch before its end", id: "driver.lifecycle", want: model.Pass, mutate: at("2026-01-15", "570.195.03")},
		{name: "R550 listed as ended", id: "driver.lifecycle", want: model.Warn, mutate: at("2026-11-30", "550.163.01")},
		{name: "unknown branch", id: "driver.lifecycle", want: model.Skip, evidence: []string{"R590 is not in"}, mutate: at("2026-11-30", "590.44.01")},
		{name: "R470 (unconfirmed row) still warns, never passes", id: "driver.lifecycle", want: model.Warn, evidence: []string{"not confirmed"},
			mutate: func(f *model.Facts) {
				at("2026-11-30", "470.256.02")(f)
				f.NVML.GPUs[0].Info = gpuInfo(0, "Tesla K80", 3, 7, 12*gib, 16*gib)
			}},
		{name: "Volta on an ended branch is sent no further than R580", id: "driver.lifecycle", want: model.Warn, fix: []string{"R580"},
			mutate: func(f *model.Facts) {
				at("2026-11-30", "550.163.01")(f)
				f.NVML.GPUs[0].Info = gpuInfo(0, "Tesla V100-SXM2-32GB", 7, 0, 32*gib, 32*gib)
			}},
		{name: "driver unknown", id: "driver.lifecycle", want: model.Skip,
			mutate: func(f *model.Facts) { f.NVML.DriverVersion = ""; f.KernelModule = model.KernelModuleFacts{} }},
	})
}
