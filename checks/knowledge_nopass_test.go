package checks

import (
	"strconv"
	"strings"
	"testing"

	"github.com/gputop/gputop/checks/knowledge"
	"github.com/gputop/gputop/model"
)

// noPass runs every rule over f and fails the test when the result id
// passes: the facts were built from a row no primary source confirms.
func noPass(t *testing.T, what, id string, f model.Facts) {
	t.Helper()
	found := false
	for _, r := range Evaluate(f) {
		if r.ID != id {
			continue
		}
		found = true
		if r.Status == model.Pass {
			t.Errorf("%s: %s passes on an unconfirmed row: %s", what, id, r.Evidence)
		}
		for _, bad := range []string{"UNVERIFIED", "compat.md"} {
			if strings.Contains(r.Evidence+r.Fix+r.Title, bad) {
				t.Errorf("%s: %s mentions %s", what, id, bad)
			}
		}
	}
	if !found {
		t.Errorf("%s: no result %s", what, id)
	}
}

// TestUnconfirmedRowsNeverPass builds, for every row of every table whose
// provenance is not verified, the machine that row would judge, and asserts
// that the check it feeds does not pass.
func TestUnconfirmedRowsNeverPass(t *testing.T) {
	n := 0
	for _, r := range knowledge.ToolkitReleases() {
		if r.Confirmed() || r.Driver == "" || r.Release == "" {
			continue
		}
		f := healthyFacts()
		f.NVML.CUDADriverVersion = model.None[int]() // the measured answer would rightly pass
		f.NVML.DriverVersion = r.Driver
		f.NVCC = model.NVCCFacts{}
		f.Torch = nil
		f.CUDALink.Version, f.CUDALink.VersionSource = r.Release, "version.json"
		noPass(t, "toolkit "+r.Label(), "cuda.driver.usr_local_cuda", f)
		n++
	}
	for _, a := range knowledge.Archs() {
		if a.ToolkitProv.Confirmed() || a.FirstToolkit == "" {
			continue
		}
		for _, tk := range []string{a.FirstToolkit} {
			if MustVersion(tk).Major() >= 13 {
				continue // CUDA 13 states its own range (verified)
			}
			f := healthyFacts()
			f.NVML.GPUs[0].Info = gpuInfo(0, "GPU", a.CC/10, a.CC%10, 32*gib, 32*gib)
			f.NVCC.Version, f.CUDALink.Version = tk, tk
			noPass(t, "arch "+knowledge.CCString(a.CC)+" first toolkit", "cc.gpu0", f)
			n++
		}
	}
	for _, row := range knowledge.CudnnRows() {
		if row.Confirmed() {
			continue
		}
		f := healthyFacts()
		f.NVML.GPUs[0].Info = gpuInfo(0, "GPU", row.CCs[len(row.CCs)-1]/10, row.CCs[len(row.CCs)-1]%10, 32*gib, 32*gib)
		f.NVML.DriverVersion = "999.0"
		f.CuDNN = []model.CuDNNInstall{{Header: "/usr/include/cudnn_version.h", Origin: "system", Version: row.Min, CUDAMajor: model.Some(row.CUDAMajor)}}
		f.CUDALink.Version, f.NVCC.Version = strconv.Itoa(row.CUDAMajor)+".0", strconv.Itoa(row.CUDAMajor)+".0"
		noPass(t, "cudnn "+row.Range()+" cu"+strconv.Itoa(row.CUDAMajor), "cudnn.system", f)
		n++
	}
	for _, w := range knowledge.TorchWheels() {
		if w.Confirmed() {
			continue
		}
		for _, cc := range w.Archs {
			f := healthyFacts()
			f.NVML.GPUs[0].Info = gpuInfo(0, "GPU", cc/10, cc%10, 32*gib, 32*gib)
			f.Torch[0].Version, f.Torch[0].CUDA = w.Torch+".0+"+w.CUDATag, w.CUDA().String()
			noPass(t, "torch "+w.Torch+" "+w.CUDATag+" cc "+knowledge.CCString(cc), "torch.arch.gpu0", f)
			n++
		}
	}
	for _, m := range knowledge.Bar1Models() {
		if m.Confirmed() {
			continue
		}
		f := healthyFacts()
		// A framebuffer larger than the aperture: only the row could pass it.
		f.NVML.GPUs[0].Info = gpuInfo(0, m.Name, 8, 0, m.BAR1*2, m.BAR1)
		f.PCI.Devices = []model.PCIDevice{pciFor(f.NVML.GPUs[0].Info, 0x1)}
		noPass(t, "bar1 "+m.Name, "bar1.gpu0", f)
		n++
	}
	for _, name := range []string{"NVIDIA GeForce RTX 2080 Ti", "NVIDIA GeForce GTX 1080"} {
		f := healthyFacts()
		f.NVML.GPUs[0].Info = gpuInfo(0, name, 7, 5, 11*gib, 256*mib)
		f.PCI.Devices = []model.PCIDevice{pciFor(f.NVML.GPUs[0].Info, 0x1)}
		noPass(t, "ReBAR "+name, "bar1.gpu0", f)
		n++
	}
	t.Logf("%d machines built from unconfirmed rows", n)
}

// TestConfirmedRowsCanPass is the other side: the same construction on a
// confirmed row passes, so the test above cannot pass by accident.
func TestConfirmedRowsCanPass(t *testing.T) {
	f := healthyFacts()
	f.CuDNN[0].Version = "9.17.0"
	f.Torch[0].Version, f.Torch[0].CUDA = "2.8.0+cu128", "12.8"
	f.NVML.GPUs[0].Info = gpuInfo(0, "NVIDIA H100 80GB HBM3", 9, 0, 80*gib, 128*gib)
	for _, r := range Evaluate(f) {
		switch r.ID {
		case "cudnn.system", "torch.arch.gpu0", "bar1.gpu0", "cc.gpu0", "cuda.driver.nvcc":
			if r.Status != model.Pass {
				t.Errorf("%s = %s on confirmed rows: %s", r.ID, r.Status, r.Evidence)
			}
		}
	}
}

// TestSourcesOncePerCheck: every result cites each source at most once and
// the evidence does not repeat a cited URL.
func TestSourcesOncePerCheck(t *testing.T) {
	for _, f := range []model.Facts{healthyFacts(), DemoFacts(demoFleet(8))} {
		for _, r := range Evaluate(f) {
			seen := map[string]bool{}
			for _, s := range r.Sources {
				if seen[s] {
					t.Errorf("%s cites %q twice", r.ID, s)
				}
				seen[s] = true
				if strings.HasPrefix(s, "https://") && strings.Contains(r.Evidence, s) {
					t.Errorf("%s repeats source %q in its evidence", r.ID, s)
				}
			}
		}
	}
}

// TestFixesSaidOnce: no result repeats a fix sentence or a command (two
// GPUs or two installs needing the same thing).
func TestFixesSaidOnce(t *testing.T) {
	f := healthyFacts()
	f.NVML.DriverVersion, f.NVML.CUDADriverVersion = "575.57.08", model.Some(12090)
	f.NVML.GPUs = append(f.NVML.GPUs, h100(1))
	f.CuDNN = []model.CuDNNInstall{{Header: "/a/cudnn_version.h", Origin: "system", Version: "9.17.0", CUDAMajor: model.Some(13)}}
	f.Stack.TensorRT = []model.LibraryInstall{{Origin: "deb", Path: "a", Version: "10.14.1", CUDAMajor: model.Some(13)}, {Origin: "header", Path: "b", Version: "10.14.1", CUDAMajor: model.Some(13)}}
	for _, r := range Evaluate(f) {
		seen := map[string]bool{}
		for _, c := range r.Commands {
			if seen[c] {
				t.Errorf("%s repeats command %q", r.ID, c)
			}
			seen[c] = true
		}
		for _, s := range strings.SplitAfter(r.Fix, ". ") {
			s = strings.TrimSpace(s)
			if s != "" && strings.Count(r.Fix, s) > 1 {
				t.Errorf("%s repeats %q in its fix", r.ID, s)
			}
		}
	}
}
