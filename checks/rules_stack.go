package checks

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/model/safe"
)

// blackwellGPUs lists the GPUs with a Blackwell compute capability.
func blackwellGPUs(f *model.Facts) []string {
	var out []string
	for _, g := range f.NVML.GPUs {
		if cc, ok := ccOf(g.Info); ok {
			if a, ok := archFor(cc); ok && a.IsBlackwell {
				out = append(out, gpuName(g.Info)+" cc "+ccString(cc))
			}
		}
	}
	return out
}

// condaCuDNNNote: compat.md marks the conda header location UNVERIFIED.
const condaCuDNNNote = "the conda header location $CONDA_PREFIX/include is not confirmed"

// cudnnInstallsRule lists every cuDNN and warns when they differ.
func cudnnInstallsRule(f *model.Facts) []model.CheckResult {
	r := model.CheckResult{ID: "cudnn.installs", Title: "cuDNN installations",
		Why: "Machines often carry several cuDNNs (system package, toolkit, each framework's wheel). A framework loads its own; tools like collect_env report another, so the version you read may not be the one in use."}
	if len(f.CuDNN) == 0 {
		r.Status = model.Skip
		r.Evidence = "no cudnn_version.h / cudnn.h found (toolkit include, /usr/include, pip wheels nvidia/cudnn, $CONDA_PREFIX)"
		return []model.CheckResult{r}
	}
	versions := map[string]bool{}
	var lines []string
	for _, c := range f.CuDNN {
		line := c.Origin + " " + orDash(c.Version) + " (" + c.Header + ")"
		if c.CUDAMajor.OK {
			line += " for CUDA " + strconv.Itoa(c.CUDAMajor.V)
		}
		if c.Origin == "conda" {
			line += unverified(condaCuDNNNote)
		}
		if c.Error != "" {
			line += " [" + c.Error + "]"
		}
		lines = append(lines, line)
		if c.Version != "" {
			versions[versionOr(c.Version).MajorMinor().String()] = true
		}
	}
	r.Evidence = strings.Join(lines, "; ")
	if len(versions) == 0 {
		// Headers found but none readable (a FIFO, /dev/zero, no
		// permission): nothing was confirmed, so no pass.
		r.Status = model.Skip
		r.Evidence = "no cuDNN header could be read: " + r.Evidence
		return []model.CheckResult{r}
	}
	if len(versions) > 1 {
		r.Status = model.Warn
		r.Fix = "Know which one your program loads: PyTorch uses the cuDNN in its wheel (torch.backends.cudnn.version()); builds against the system use the one in /usr/include. Remove stale installs or keep them consistent."
		r.Commands = []string{"python3 -c 'import torch; print(torch.backends.cudnn.version())'", "ldconfig -p | grep libcudnn"}
		return []model.CheckResult{r}
	}
	r.Status = model.Pass
	return []model.CheckResult{r}
}

// cudnnCompatRule judges each cuDNN against its CUDA major, the driver and
// the GPUs.
func cudnnCompatRule(f *model.Facts) []model.CheckResult {
	var out []model.CheckResult
	ids := map[string]int{}
	drv, drvSrc, drvOK := driverVersion(f)
	tkMajor := model.None[int]()
	if v, err := ParseVersion(f.CUDALink.Version); err == nil {
		tkMajor = model.Some(v.Major())
	} else if v, err := ParseVersion(f.NVCC.Version); err == nil {
		tkMajor = model.Some(v.Major())
	}
	torchMajor := model.None[int]()
	if len(f.Torch) > 0 {
		if v, err := ParseVersion(f.Torch[0].CUDA); err == nil {
			torchMajor = model.Some(v.Major())
		}
	}
	blackwell := blackwellGPUs(f)
	for _, c := range f.CuDNN {
		id := "cudnn." + c.Origin
		ids[id]++
		if ids[id] > 1 {
			id += "." + strconv.Itoa(ids[id])
		}
		r := model.CheckResult{ID: id, Title: "cuDNN " + orDash(c.Version) + " (" + c.Origin + ")",
			Why: "Each cuDNN build targets one CUDA major and needs that line's driver; old builds lack kernels for new GPUs."}
		ev := []string{c.Header}
		if c.Version == "" {
			r.Status = model.Warn
			r.Evidence = joinSentences(append(ev, "version unreadable: "+c.Error))
			r.Fix = "Check the header by hand; gputop could not read CUDNN_MAJOR/MINOR/PATCHLEVEL."
			r.Commands = safe.Cmds([]string{"grep -E 'define CUDNN_(MAJOR|MINOR|PATCHLEVEL)' {}", c.Header})
			out = append(out, r)
			continue
		}
		v := versionOr(c.Version)
		var rows []cudnnSupportRow
		for _, row := range cudnnSupportTable {
			if v.AtLeast(MustVersion(row.CuDNNMin)) && !MustVersion(row.CuDNNMax).Less(v) && (!c.CUDAMajor.OK || c.CUDAMajor.V == row.CUDAMajor) {
				rows = append(rows, row)
			}
		}
		if c.CUDAMajor.OK {
			ev = append(ev, "built for CUDA "+strconv.Itoa(c.CUDAMajor.V))
		} else {
			ev = append(ev, "CUDA build unknown")
		}
		if len(rows) == 0 {
			r.Status = model.Warn
			r.Evidence = joinSentences(append(ev, "no row for this cuDNN/CUDA pair in the support table ("+srcCuDNN+")"))
			r.Fix = "This cuDNN is older than the builds NVIDIA lists for current drivers, or built for another CUDA major: install a cuDNN 9 build for your CUDA major."
			out = append(out, r)
			continue
		}
		// With an unknown CUDA build, judge by the least demanding candidate.
		row := rows[0]
		for _, cand := range rows[1:] {
			if MustVersion(cand.DriverFloor).Less(MustVersion(row.DriverFloor)) {
				row = cand
			}
		}
		ev = append(ev, "needs driver >= "+row.DriverFloor+" ("+row.Source+")")
		r.Status = model.Pass
		var fixes []string
		if drvOK && drv.Less(MustVersion(row.DriverFloor)) {
			r.Status = model.Fail
			ev = append(ev, "driver "+drv.String()+" ("+drvSrc+") is older")
			fixes = append(fixes, "Upgrade the driver to "+row.DriverFloor+" or newer, or use the cuDNN build for an older CUDA major.")
		}
		if len(blackwell) > 0 && !row.Blackwell {
			r.Status = model.Fail
			ev = append(ev, "no Blackwell kernels in this build (cuDNN 9.10+ for CUDA 12.8/12.9, or the CUDA 13 build) for "+strings.Join(blackwell, ", "))
			fixes = append(fixes, "Install cuDNN 9.10 or newer (for pip: a newer nvidia-cudnn-cu12 / a framework build for CUDA 12.8+).")
		}
		if row.CCMin > 0 {
			for _, g := range f.NVML.GPUs {
				if cc, ok := ccOf(g.Info); ok && cc < row.CCMin {
					r.Status = model.Fail
					ev = append(ev, gpuName(g.Info)+" cc "+ccString(cc)+" is below "+ccString(row.CCMin)+", the minimum of this build")
					fixes = append(fixes, "Use the CUDA 12 build of cuDNN for GPUs older than Turing.")
				}
			}
		}
		beside := model.None[int]()
		besideName := ""
		switch c.Origin {
		case "system", "conda":
			beside, besideName = tkMajor, "the CUDA toolkit"
		case "pip":
			beside, besideName = torchMajor, "PyTorch's CUDA runtime"
		}
		if c.CUDAMajor.OK && beside.OK && beside.V != c.CUDAMajor.V {
			r.Status = worst(r.Status, model.Warn)
			ev = append(ev, fmt.Sprintf("built for CUDA %d but %s beside it is CUDA %d", c.CUDAMajor.V, besideName, beside.V))
			fixes = append(fixes, fmt.Sprintf("Install the cuDNN build for CUDA %d (package names end in -cuda-%d / -cu%d).", beside.V, beside.V, beside.V))
		}
		r.Evidence = joinSentences(ev)
		r.Fix = strings.Join(fixes, " ")
		out = append(out, r)
	}
	return out
}

// torchArchFor finds the arch coverage of a wheel.
func torchArchFor(t model.TorchInstall) (torchArchRow, bool) {
	cu, err := ParseVersion(t.CUDA)
	if err != nil {
		return torchArchRow{}, false
	}
	tv := versionOr(t.Version)
	for _, r := range torchArchTable {
		if cu.MajorMinor().Less(MustVersion(r.CUDAMin)) || MustVersion(r.CUDAMax).Less(cu.MajorMinor()) {
			continue
		}
		if r.TorchMin != "" && tv.Less(MustVersion(r.TorchMin)) {
			continue
		}
		if r.TorchMax != "" && MustVersion(r.TorchMax).Less(tv) {
			continue
		}
		return r, true
	}
	return torchArchRow{}, false
}

func torchWheelFor(cuda string) (torchWheelRow, bool) {
	cu, err := ParseVersion(cuda)
	if err != nil {
		return torchWheelRow{}, false
	}
	for _, r := range torchWheelTable {
		if !cu.MajorMinor().Less(MustVersion(r.CUDAMin)) && !MustVersion(r.CUDAMax).Less(cu.MajorMinor()) {
			return r, true
		}
	}
	return torchWheelRow{}, false
}

// torchInstallRule judges the first PyTorch found (the one `python3` most
// likely imports) against the driver.
func torchInstallRule(f *model.Facts) []model.CheckResult {
	r := model.CheckResult{ID: "torch.install", Title: "PyTorch build vs driver",
		Why: "A PyTorch wheel bundles its CUDA runtime (the +cuXYZ tag) and needs the driver floor of that CUDA line; a CPU-only wheel never uses the GPU."}
	if len(f.Torch) == 0 {
		r.Status = model.Skip
		r.Evidence = "no torch/version.py in " + orDash(strings.Join(f.SiteDirs, ", "))
		return []model.CheckResult{r}
	}
	t := f.Torch[0]
	ev := []string{"torch " + orDash(t.Version) + ", CUDA " + orDash(t.CUDA) + " (" + t.Path + ")"}
	if len(f.Torch) > 1 {
		var others []string
		for _, o := range f.Torch[1:] {
			others = append(others, o.Version+" ("+o.Path+")")
		}
		ev = append(ev, "also installed: "+strings.Join(others, ", "))
	}
	if t.CUDA == "" {
		r.Evidence = joinSentences(ev)
		if len(f.NVML.GPUs) > 0 || t.Error != "" {
			r.Status = model.Warn
			r.Evidence += "; a CPU-only build (cuda = None) on a machine with GPUs"
			r.Fix = "Install a CUDA build of PyTorch (pip install torch --index-url https://download.pytorch.org/whl/cuXYZ, choosing cuXYZ your driver supports)."
			r.Commands = []string{"python3 -c 'import torch; print(torch.version.cuda, torch.cuda.is_available())'"}
		} else {
			r.Status = model.Pass
			r.Evidence += "; CPU-only build, no GPU seen"
		}
		return []model.CheckResult{r}
	}
	drv, src, drvOK := driverVersion(f)
	wheel, ok := torchWheelFor(t.CUDA)
	if !ok {
		r.Status = model.Skip
		r.Evidence = joinSentences(append(ev, "no wheel driver floor known for CUDA "+t.CUDA+" ("+srcTorch+")"))
		return []model.CheckResult{r}
	}
	ev = append(ev, "wheel needs driver >= "+wheel.DriverFloor+" ("+wheel.Source+")")
	if !drvOK {
		r.Status = model.Skip
		r.Evidence = joinSentences(append(ev, "driver version unknown"))
		return []model.CheckResult{r}
	}
	ev = append(ev, "driver "+drv.String()+" ("+src+")")
	r.Status = model.Pass
	var fixes []string
	if drv.Less(MustVersion(wheel.DriverFloor)) {
		r.Status = model.Fail
		fixes = append(fixes, "Upgrade the driver to "+wheel.DriverFloor+"+, or install a PyTorch wheel for an older CUDA line.")
	}
	if bw := blackwellGPUs(f); len(bw) > 0 {
		if versionOr(t.CUDA).MajorMinor().Less(MustVersion("12.8")) {
			r.Status = model.Fail
			ev = append(ev, "Blackwell GPUs ("+strings.Join(bw, ", ")+") need a cu128+ wheel")
			fixes = append(fixes, "Install a cu128 or newer PyTorch wheel (pip install torch --index-url https://download.pytorch.org/whl/cu128).")
		}
		if drv.Less(MustVersion("570")) {
			r.Status = model.Fail
			ev = append(ev, "Blackwell GPUs need driver R570+")
			fixes = append(fixes, "Upgrade the driver to R570 or newer (open kernel module).")
		}
	}
	r.Evidence = joinSentences(ev)
	r.Fix = strings.Join(fixes, " ")
	return []model.CheckResult{r}
}

// torchArchRule: does the wheel carry kernels for each GPU?
func torchArchRule(f *model.Facts) []model.CheckResult {
	var out []model.CheckResult
	var t model.TorchInstall
	if len(f.Torch) > 0 {
		t = f.Torch[0]
	}
	row, rowOK := torchArchFor(t)
	for _, g := range f.NVML.GPUs {
		r := gpuResult("torch.arch", "PyTorch kernels for the GPU's architecture", g.Info)
		r.Why = "A wheel carries GPU code for a list of architectures; on a GPU outside the list every kernel launch fails with \"no kernel image is available for execution on the device\"."
		cc, ccOK := ccOf(g.Info)
		switch {
		case len(f.Torch) == 0:
			r.Status, r.Evidence = model.Skip, "no PyTorch installed"
		case t.CUDA == "":
			r.Status, r.Evidence = model.Skip, "PyTorch "+t.Version+" is a CPU-only build ("+t.Path+")"
		case !ccOK:
			r.Status, r.Evidence = model.Skip, "compute capability unknown"
		case !rowOK:
			r.Status, r.Evidence = model.Skip, "no architecture list known for torch "+t.Version+" CUDA "+t.CUDA+" ("+srcTorch+")"
		default:
			covered := cc >= row.ArchLo && (cc <= row.ArchHi || cc/10 == row.ArchHi/10)
			r.Evidence = fmt.Sprintf("torch %s (CUDA %s, %s) carries sm_%d..sm_%d (%s)%s; GPU cc %s", t.Version, t.CUDA, t.Path, row.ArchLo, row.ArchHi, row.Source, unverified(row.Unverified), ccString(cc))
			if covered {
				r.Status = model.Pass
			} else {
				r.Status = model.Fail
				r.Evidence += " is not covered: \"no kernel image is available for execution on the device\""
				if cc > row.ArchHi {
					r.Fix = "Install a PyTorch build that includes sm_" + strconv.Itoa(cc) + " (for Blackwell: torch 2.7+ with cu128 or newer)."
					r.Commands = []string{"pip install --upgrade torch --index-url https://download.pytorch.org/whl/cu128"}
				} else {
					r.Fix = "This GPU is older than the wheel supports: install an older PyTorch / CUDA build that still includes sm_" + strconv.Itoa(cc) + " (cu126 or older), or build from source."
				}
			}
		}
		out = append(out, r)
	}
	return out
}

// ccToolkitRule: can each toolkit in use compile for each GPU?
func ccToolkitRule(f *model.Facts) []model.CheckResult {
	type tk struct{ name, version string }
	var tks []tk
	if f.NVCC.Version != "" {
		tks = append(tks, tk{"nvcc " + f.NVCC.Version + " (" + f.NVCC.Path + ")", f.NVCC.Version})
	}
	if v := f.CUDALink.Version; v != "" && (f.NVCC.Version == "" || versionOr(v).MajorMinor().Compare(versionOr(f.NVCC.Version)) != 0) {
		tks = append(tks, tk{"/usr/local/cuda " + v, v})
	}
	var out []model.CheckResult
	for _, g := range f.NVML.GPUs {
		r := gpuResult("cc", "Compute capability vs CUDA toolkit", g.Info)
		r.Why = "Each toolkit compiles for a range of architectures: CUDA 13 dropped compute capability below 7.5, Blackwell needs CUDA 12.8 (12.9 for cc 10.3 and 12.1)."
		cc, ok := ccOf(g.Info)
		arch, archOK := archFor(cc)
		switch {
		case !ok:
			r.Status, r.Evidence = model.Skip, "compute capability unknown"
		case len(tks) == 0:
			r.Status, r.Evidence = model.Skip, "no CUDA toolkit in use (nvcc not on PATH, /usr/local/cuda version unknown)"
		case !archOK:
			r.Status, r.Evidence = model.Skip, "compute capability "+ccString(cc)+" is not in the architecture table"
		default:
			r.Status = model.Pass
			ev := []string{"GPU cc " + ccString(cc) + " " + arch.Name + " (" + arch.Source + ")"}
			for _, t := range tks {
				v := versionOr(t.version).MajorMinor()
				switch {
				case arch.RemovedIn != "" && v.AtLeast(MustVersion(arch.RemovedIn)):
					r.Status = model.Fail
					ev = append(ev, t.name+": "+arch.Name+" was removed in CUDA "+arch.RemovedIn)
					r.Fix = "Use a CUDA toolkit older than " + arch.RemovedIn + " for this GPU."
				case arch.FirstToolkit != "" && v.Less(MustVersion(arch.FirstToolkit)):
					r.Status = model.Fail
					ev = append(ev, t.name+": "+arch.Name+" needs CUDA "+arch.FirstToolkit+" or newer")
					r.Fix = "Install CUDA " + arch.FirstToolkit + " or newer and make it the toolkit in use (PATH and /usr/local/cuda)."
				default:
					ev = append(ev, t.name+": supported")
				}
			}
			r.Evidence = joinSentences(ev)
		}
		out = append(out, r)
	}
	return out
}
