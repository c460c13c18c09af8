package checks

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gputop/gputop/checks/knowledge"
	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/model/safe"
)

// condaCuDNNNote: the conda header location is not confirmed by a primary source.
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

// cudnnPackage names how to install cuDNN ver (major.minor, "9.10") for a
// CUDA major in the user's terms: a pip wheel or the Debian package.
func cudnnPackage(origin string, cudaMajor int, ver string) string {
	switch origin {
	case "pip":
		spec := ""
		if ver != "" && !strings.HasPrefix(ver, "9.99") {
			spec = "==" + ver + ".*"
		}
		return fmt.Sprintf("pip install 'nvidia-cudnn-cu%d%s'", cudaMajor, spec)
	case "conda":
		return fmt.Sprintf("conda install -c nvidia 'cudnn=%s' 'cuda-version=%d'", orDash(ver), cudaMajor)
	default:
		return fmt.Sprintf("sudo apt install libcudnn9-cuda-%d  # NVIDIA's CUDA repository: the cuDNN 9 build for CUDA %d", cudaMajor, cudaMajor)
	}
}

// cudnnVerdict is one cuDNN install judged against one row.
type cudnnVerdict struct {
	status      model.Status
	ev, fixes   []string
	cmds        []string
	provs       []knowledge.Provenance
	unconfirmed bool
}

func judgeCudnn(f *model.Facts, c model.CuDNNInstall, v Version, row knowledge.CudnnRow) cudnnVerdict {
	out := cudnnVerdict{status: model.Pass, provs: []knowledge.Provenance{row.Provenance}}
	out.unconfirmed = !row.Confirmed()
	bad := model.Fail
	if out.unconfirmed {
		bad = model.Warn
	}
	out.ev = append(out.ev, fmt.Sprintf("the CUDA %d build of cuDNN %s needs driver >= %s%s", row.CUDAMajor, row.Range(), row.Driver, unconfirmedNote(row.Provenance)))
	if drv, src, ok := driverVersion(f); ok && drv.Less(MustVersion(row.Driver)) {
		out.status = worst(out.status, bad)
		out.ev = append(out.ev, "driver "+drv.String()+" ("+src+") is older")
		t, cmds := driverUpgradeText(f, row.Driver)
		out.fixes, out.cmds = append(out.fixes, t), append(out.cmds, cmds...)
		for _, m := range knowledge.CudnnMajors(v) {
			if fl, ok := knowledge.Floor(m); ok && m < row.CUDAMajor && !drv.Less(MustVersion(fl.Driver)) {
				out.fixes = append(out.fixes, fmt.Sprintf("Or use the CUDA %d build of cuDNN %s, which this driver runs.", m, v.MajorMinor()))
				out.cmds = append(out.cmds, cudnnPackage(c.Origin, m, v.MajorMinor().String()))
				break
			}
		}
	}
	for _, g := range f.NVML.GPUs {
		cc, ok := ccOf(g.Info)
		if !ok {
			continue
		}
		carries, bwUnknown := row.Carries(cc, Version{})
		switch {
		case carries:
		case bwUnknown:
			out.status = worst(out.status, model.Skip)
			out.ev = append(out.ev, fmt.Sprintf("%s cc %s has kernels only in builds compiled with CUDA %s or newer; which CUDA %d toolkit built this one is unknown", gpuName(g.Info), ccString(cc), row.BlackwellFrom, row.CUDAMajor))
		default:
			out.status = worst(out.status, bad)
			out.ev = append(out.ev, fmt.Sprintf("no kernels for %s cc %s in this build", gpuName(g.Info), ccString(cc)))
			if fix, cmd := cudnnForCC(c.Origin, cc, row.CUDAMajor, v); fix != "" {
				out.fixes = append(out.fixes, fix)
				if cmd != "" {
					out.cmds = append(out.cmds, cmd)
				}
			}
		}
	}
	if out.status == model.Pass && out.unconfirmed {
		out.status = model.Skip
	}
	return out
}

// cudnnForCC names a cuDNN that carries cc: the newest confirmed line of
// the same CUDA major that has kernels for it (the last one that kept an
// old GPU, or the first new enough for a new one), else of another major.
func cudnnForCC(origin string, cc, major int, have Version) (string, string) {
	var best knowledge.CudnnRow
	found := false
	better := func(r knowledge.CudnnRow) bool {
		if !found {
			return true
		}
		if (r.CUDAMajor == major) != (best.CUDAMajor == major) {
			return r.CUDAMajor == major
		}
		if r.Confirmed() != best.Confirmed() {
			return r.Confirmed()
		}
		if c := MustVersion(best.Max).Compare(MustVersion(r.Max)); c != 0 {
			return c < 0
		}
		return r.CUDAMajor > best.CUDAMajor
	}
	for _, r := range knowledge.CudnnRows() {
		if ok, _ := r.Carries(cc, MustVersion("99.0")); ok && better(r) {
			best, found = r, true
		}
	}
	if !found {
		return "", ""
	}
	ver := MustVersion(best.Max).MajorMinor().String()
	what := fmt.Sprintf("cuDNN %s built for CUDA %d", ver, best.CUDAMajor)
	if ok, _ := best.Carries(cc, Version{}); !ok {
		what += " (a build compiled with CUDA " + best.BlackwellFrom + " or newer)"
	}
	text := "Install " + what + "."
	if MustVersion(best.Max).Less(have) {
		text = "Newer cuDNN dropped this GPU: install " + what + ", the last line that has it."
	}
	if origin == "pip" {
		text += " PyTorch pins its cuDNN wheel: a PyTorch build made for this GPU brings a matching one (see torch.arch)."
	}
	return text, cudnnPackage(origin, best.CUDAMajor, ver)
}

// cudnnCompatRule judges each cuDNN against its CUDA major, the driver and
// the GPUs.
func cudnnCompatRule(f *model.Facts) []model.CheckResult {
	var out []model.CheckResult
	ids := map[string]int{}
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
	for _, c := range f.CuDNN {
		id := "cudnn." + c.Origin
		ids[id]++
		if ids[id] > 1 {
			id += "." + strconv.Itoa(ids[id])
		}
		r := model.CheckResult{ID: id, Title: "cuDNN " + orDash(c.Version) + " (" + c.Origin + ")",
			Why: "Each cuDNN build targets one CUDA major and needs that line's driver; old builds lack kernels for new GPUs and new ones dropped old GPUs."}
		ev := []string{c.Header}
		v, err := ParseVersion(c.Version)
		if err != nil {
			r.Status = model.Warn
			r.Evidence = joinSentences(append(ev, "version unreadable: "+orDash(c.Error)))
			r.Fix = "Check the header by hand; gputop could not read CUDNN_MAJOR/MINOR/PATCHLEVEL."
			r.Commands = safe.Cmds([]string{"grep -E 'define CUDNN_(MAJOR|MINOR|PATCHLEVEL)' {}", c.Header})
			out = append(out, r)
			continue
		}
		majors := knowledge.CudnnMajors(v)
		major := model.None[int]()
		if c.CUDAMajor.OK {
			major = c.CUDAMajor
			ev = append(ev, "built for CUDA "+strconv.Itoa(c.CUDAMajor.V))
		} else if len(majors) == 1 {
			major = model.Some(majors[0])
			ev = append(ev, fmt.Sprintf("CUDA build not recorded; cuDNN %s has builds for CUDA %d only", v, majors[0]))
		}
		if !major.OK {
			r.Status = model.Skip
			r.Evidence = joinSentences(append(ev, fmt.Sprintf("CUDA build unknown and cuDNN %s has builds for CUDA %v: which driver and GPUs it needs depends on that", v, majors)))
			out = append(out, r)
			continue
		}
		row, ok := knowledge.CudnnBuild(v, major.V)
		if !ok {
			r.Status = model.Skip
			r.Evidence = joinSentences(append(ev, fmt.Sprintf("no support data for cuDNN %s built for CUDA %d", v, major.V)))
			out = append(out, r)
			continue
		}
		j := judgeCudnn(f, c, v, row)
		ev = append(ev, j.ev...)
		r.Status = j.status
		fixes, cmds := j.fixes, j.cmds
		beside, besideName := model.None[int](), ""
		switch c.Origin {
		case "system", "conda", "toolkit":
			beside, besideName = tkMajor, "the CUDA toolkit"
		case "pip":
			beside, besideName = torchMajor, "PyTorch's CUDA runtime"
		}
		if beside.OK && beside.V != major.V {
			r.Status = worst(r.Status, model.Warn)
			ev = append(ev, fmt.Sprintf("built for CUDA %d but %s beside it is CUDA %d", major.V, besideName, beside.V))
			fixes = append(fixes, fmt.Sprintf("Install the cuDNN build for CUDA %d.", beside.V))
			cmds = append(cmds, cudnnPackage(c.Origin, beside.V, ""))
		}
		r.Evidence = joinSentences(ev)
		r.Fix = strings.Join(uniqStrings(fixes), " ")
		r.Commands = uniqStrings(cmds)
		cite(&r, j.provs...)
		out = append(out, r)
	}
	return out
}

// torchWheelOf finds the table row of an installed PyTorch.
func torchWheelOf(t model.TorchInstall) (knowledge.TorchWheel, bool) {
	tv, err := ParseVersion(t.Version)
	cu, err2 := ParseVersion(t.CUDA)
	if err != nil || err2 != nil {
		return knowledge.TorchWheel{}, false
	}
	return knowledge.TorchWheelFor(tv, knowledge.CUDATag(cu))
}

// torchInstallRule judges the first PyTorch found (the one `python3` most
// likely imports) against the driver's floor for its CUDA major.
func torchInstallRule(f *model.Facts) []model.CheckResult {
	r := model.CheckResult{ID: "torch.install", Title: "PyTorch build vs driver",
		Why: "A PyTorch wheel bundles its CUDA runtime (the +cuXYZ tag) and needs at least the driver floor of that CUDA major; a CPU-only wheel never uses the GPU."}
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
	drv, src, drvOK := driverVersion(f)
	if t.CUDA == "" {
		r.Evidence = joinSentences(ev)
		if len(f.NVML.GPUs) > 0 || t.Error != "" {
			r.Status = model.Warn
			r.Evidence += "; a CPU-only build (cuda = None) on a machine with GPUs"
			r.Fix = "Install a CUDA build of PyTorch."
			r.Commands = []string{"python3 -c 'import torch; print(torch.version.cuda, torch.cuda.is_available())'"}
			if tv, err := ParseVersion(t.Version); err == nil && drvOK {
				if w, ok := wheelForDriver(f, tv, drv); ok {
					r.Fix = "Install the CUDA " + w.CUDA().String() + " build of PyTorch " + tv.Numeric() + ", which this driver and these GPUs run."
					r.Commands = append([]string{"pip install torch==" + tv.Numeric() + " --index-url " + w.Index()}, r.Commands...)
				}
			}
		} else {
			r.Status = model.Pass
			r.Evidence += "; CPU-only build, no GPU seen"
		}
		return []model.CheckResult{r}
	}
	cu, err := ParseVersion(t.CUDA)
	floor, ok := knowledge.Floor(cu.Major())
	if err != nil || !ok {
		r.Status = model.Skip
		r.Evidence = joinSentences(append(ev, "no driver floor known for CUDA "+t.CUDA))
		return []model.CheckResult{r}
	}
	cite(&r, floor.Provenance)
	ev = append(ev, fmt.Sprintf("a CUDA %d.x runtime needs driver >= %s", cu.Major(), floor.Driver))
	if !drvOK {
		r.Status = model.Skip
		r.Evidence = joinSentences(append(ev, "driver version unknown"))
		return []model.CheckResult{r}
	}
	ev = append(ev, "driver "+drv.String()+" ("+src+")")
	r.Status = model.Pass
	if drv.Less(MustVersion(floor.Driver)) {
		r.Status = model.Fail
		var fixes []string
		t2, cmds := driverUpgradeText(f, floor.Driver)
		fixes = append(fixes, t2)
		if tv, err := ParseVersion(t.Version); err == nil {
			if w, ok := wheelForDriver(f, tv, drv); ok {
				fixes = append(fixes, "Or keep this driver and install the CUDA "+w.CUDA().String()+" build of PyTorch "+tv.Numeric()+".")
				cmds = append(cmds, "pip install torch=="+tv.Numeric()+" --index-url "+w.Index())
			}
		}
		r.Fix, r.Commands = strings.Join(fixes, " "), cmds
	} else {
		ev = append(ev, "full support of CUDA "+cu.MajorMinor().String()+" is judged by cuda.driver.torch")
	}
	r.Evidence = joinSentences(ev)
	return []model.CheckResult{r}
}

// wheelForGPU picks a wheel that has code for cc and that the driver runs:
// the same torch version first, else the newest torch that has one.
func wheelForGPU(f *model.Facts, torch Version, cc int) (knowledge.TorchWheel, bool) {
	maxCUDA := Version{}
	if c := f.NVML.CUDADriverVersion; c.OK {
		maxCUDA = cudaIntVersion(c.V)
	}
	fits := func(w knowledge.TorchWheel) bool {
		runs, _ := w.Runs(cc)
		return runs && (maxCUDA.IsZero() || !maxCUDA.Less(w.CUDA()))
	}
	tags := knowledge.TorchTags(torch)
	for i := len(tags) - 1; i >= 0; i-- {
		if fits(tags[i]) {
			return tags[i], true
		}
	}
	all := knowledge.TorchWheels()
	for i := len(all) - 1; i >= 0; i-- {
		if fits(all[i]) && !MustVersion(all[i].Torch).Less(torch.MajorMinor()) {
			return all[i], true
		}
	}
	for i := len(all) - 1; i >= 0; i-- {
		if fits(all[i]) {
			return all[i], true
		}
	}
	return knowledge.TorchWheel{}, false
}

// torchArchRule: does the wheel carry kernels for each GPU?
func torchArchRule(f *model.Facts) []model.CheckResult {
	var out []model.CheckResult
	var t model.TorchInstall
	if len(f.Torch) > 0 {
		t = f.Torch[0]
	}
	w, rowOK := torchWheelOf(t)
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
			r.Status, r.Evidence = model.Skip, "no architecture list known for torch "+t.Version+" CUDA "+t.CUDA
		default:
			cite(&r, w.Provenance)
			runs, viaPTX := w.Runs(cc)
			r.Evidence = fmt.Sprintf("torch %s (%s, %s) carries %s%s; GPU cc %s", t.Version, w.CUDATag, t.Path, w.ArchList(), unconfirmedNote(w.Provenance), ccString(cc))
			switch {
			case runs && w.Confirmed():
				r.Status = model.Pass
				if viaPTX {
					r.Evidence += " runs through PTX compiled by the driver at first use (slow first start)"
				}
			case runs:
				r.Status = model.Skip
				r.Evidence += ": covered by this list, which no primary source confirms for this release"
			default:
				r.Status = model.Fail
				if !w.Confirmed() {
					r.Status = model.Warn
				}
				r.Evidence += " is not covered: \"no kernel image is available for execution on the device\""
				tv := versionOr(t.Version)
				if nw, ok := wheelForGPU(f, tv, cc); ok {
					r.Fix = fmt.Sprintf("Install PyTorch %s built for CUDA %s, which carries code for cc %s.", nw.Torch, nw.CUDA(), ccString(cc))
					ver := nw.Torch + ".*"
					if MustVersion(nw.Torch).Compare(tv.MajorMinor()) == 0 {
						ver = tv.Numeric()
					}
					r.Commands = []string{"pip install torch==" + ver + " --index-url " + nw.Index()}
					if c := f.NVML.CUDADriverVersion; !c.OK {
						if fl, ok := knowledge.WheelDriverFloor(nw.CUDATag); ok {
							r.Fix += " It needs driver >= " + fl.Driver + "."
						}
					}
				} else {
					r.Fix = "No PyTorch wheel in the table carries code for cc " + ccString(cc) + " on this driver: build PyTorch from source with TORCH_CUDA_ARCH_LIST=" + ccString(cc) + ", or upgrade the driver first if the GPU is newer than it."
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
		r.Why = "Each toolkit compiles for a range of architectures: CUDA 13 dropped Maxwell, Pascal and Volta; Blackwell needs CUDA 12.8 (code for cc 10.0 / 12.0 runs on 10.3 / 12.1; 12.9 adds their own targets)."
		cc, ok := ccOf(g.Info)
		arch, archOK := knowledge.ArchOfCC(cc)
		switch {
		case !ok:
			r.Status, r.Evidence = model.Skip, "compute capability unknown"
		case len(tks) == 0:
			r.Status, r.Evidence = model.Skip, "no CUDA toolkit in use (nvcc not on PATH, /usr/local/cuda version unknown)"
		case !archOK:
			r.Status, r.Evidence = model.Skip, "compute capability "+ccString(cc)+" is not in the architecture table"
		default:
			r.Status = model.Pass
			ev := []string{"GPU cc " + ccString(cc) + " " + arch.Name}
			var fixes []string
			seenNote := map[string]bool{}
			for _, t := range tks {
				s := arch.ToolkitSupports(versionOr(t.version))
				cite(&r, s.Provenance)
				// The same unconfirmed row behind two toolkits is said once.
				note := unconfirmedNote(s.Provenance)
				if note != "" && seenNote[note] {
					note = " (same unconfirmed row)"
				}
				seenNote[note] = true
				switch {
				case s.Supported && s.Confirmed():
					ev = append(ev, t.name+": "+s.Reason)
				case s.Supported:
					r.Status = worst(r.Status, model.Skip)
					ev = append(ev, t.name+": "+s.Reason+note)
				default:
					bad := model.Fail
					if !s.Confirmed() {
						bad = model.Warn
					}
					r.Status = worst(r.Status, bad)
					ev = append(ev, t.name+": "+s.Reason+note)
					if arch.RemovedIn != "" && !versionOr(t.version).MajorMinor().Less(MustVersion(arch.RemovedIn)) {
						last := lastToolkitBefore(arch.RemovedIn)
						fixes = append(fixes, "Use a CUDA "+last+" toolkit (the last before "+arch.RemovedIn+") to compile for this GPU; the driver can stay.")
					} else if min := arch.MinToolkit(); min != "" {
						fixes = append(fixes, "Install CUDA "+min+" or newer and make it the toolkit in use (PATH and /usr/local/cuda).")
					}
				}
			}
			r.Evidence = joinSentences(ev)
			r.Fix = strings.Join(uniqStrings(fixes), " ")
		}
		out = append(out, r)
	}
	return out
}

// lastToolkitBefore is the newest toolkit release older than v ("12.9" for 13.0).
func lastToolkitBefore(v string) string {
	limit := MustVersion(v)
	best := ""
	for _, r := range knowledge.ToolkitReleases() {
		if MustVersion(r.Toolkit).Less(limit) {
			best = r.Toolkit
		}
	}
	if best == "" {
		return "older than " + v
	}
	return best
}
