package checks

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/gputop/gputop/checks/knowledge"
	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/model/safe"
)

// toolkitDir is the toolkit an nvcc belongs to (/usr/local/cuda-12.8/bin/nvcc -> /usr/local/cuda-12.8).
func toolkitDir(nvccPath string) string { return path.Dir(path.Dir(nvccPath)) }

func listToolkits(f *model.Facts) string {
	if len(f.Toolkits) == 0 {
		return "no /usr/local/cuda-X.Y directories"
	}
	var s []string
	for _, t := range f.Toolkits {
		item := t.Path
		if t.Version != "" {
			item += " " + t.Version
		}
		if t.Error != "" {
			item += " (" + t.Error + ")"
		}
		s = append(s, item)
	}
	return "installed: " + strings.Join(s, ", ")
}

func cudaLinkText(c model.CUDAInstall) string {
	if !c.Exists && len(c.Chain) == 0 {
		return "/usr/local/cuda absent"
	}
	s := "/usr/local/cuda -> " + strings.Join(c.Chain, " -> ")
	if len(c.Chain) == 0 {
		s = "/usr/local/cuda (a directory)"
	}
	if c.Version != "" {
		s += " = CUDA " + c.Version + " (" + c.VersionSource + ")"
	}
	if c.Error != "" {
		s += " (" + c.Error + ")"
	}
	return s
}

func nvccText(n model.NVCCFacts) string {
	if !n.Found {
		return "nvcc not on PATH"
	}
	s := "nvcc on PATH: " + n.Path
	if n.ResolvedPath != "" && n.ResolvedPath != n.Path {
		s += " -> " + n.ResolvedPath
	}
	if n.Version != "" {
		s += " = release " + n.Version + " (" + n.Output + ")"
	}
	if n.Error != "" {
		s += " (" + n.Error + ")"
	}
	return s
}

// linkIsAlternative: /usr/local/cuda resolves through the alternatives
// system (/etc/alternatives/cuda), so update-alternatives manages it.
func linkIsAlternative(c model.CUDAInstall) bool {
	for _, hop := range c.Chain {
		if strings.HasPrefix(hop, "/etc/alternatives/") {
			return true
		}
	}
	return false
}

// repointCommand is the command that points /usr/local/cuda at dir: the
// alternatives system when it manages the link, a plain link otherwise.
func repointCommand(c model.CUDAInstall, dir string) string {
	if linkIsAlternative(c) {
		return "sudo update-alternatives --config cuda  # choose " + dir + " as the toolkit /usr/local/cuda points to"
	}
	return "sudo ln -sfn " + dir + " /usr/local/cuda  # point /usr/local/cuda at " + dir
}

// newestToolkitDir is the newest /usr/local/cuda-X.Y with a readable version.
func newestToolkitDir(f *model.Facts) string {
	best, bestV := "", Version{}
	for _, t := range f.Toolkits {
		v, err := ParseVersion(t.Version)
		if err != nil || t.Error != "" {
			continue
		}
		if best == "" || bestV.Less(v) {
			best, bestV = t.Path, v
		}
	}
	return best
}

// toolkitRule: the nvcc on PATH vs /usr/local/cuda, and every toolkit installed.
func toolkitRule(f *model.Facts) []model.CheckResult {
	n, link := f.NVCC, f.CUDALink
	r := model.CheckResult{ID: "cuda.toolkit", Title: "CUDA toolkit: nvcc on PATH vs /usr/local/cuda",
		Why: "Builds compile with the nvcc first on PATH but usually link against /usr/local/cuda; two different toolkits there give version errors at build or load time."}
	r.Evidence = joinSentences([]string{nvccText(n), cudaLinkText(link), listToolkits(f)})
	switch {
	case link.Error != "":
		r.Status = model.Fail
		target := newestToolkitDir(f)
		if target == "" {
			r.Fix = "/usr/local/cuda is a dangling link and no /usr/local/cuda-X.Y toolkit is installed: remove the link, or install a toolkit and point the link at it."
			r.Commands = []string{"ls -l /usr/local/cuda", "sudo rm /usr/local/cuda  # removes the dangling link only"}
			break
		}
		r.Fix = "/usr/local/cuda is a dangling link: point it at an installed toolkit (" + target + " is the newest here)."
		r.Commands = []string{"ls -l /usr/local/cuda /etc/alternatives/cuda", repointCommand(link, target)}
	case !n.Found && !link.Exists && len(f.Toolkits) == 0:
		r.Status = model.Skip
		r.Evidence = "no CUDA toolkit installed (" + r.Evidence + "); frameworks such as PyTorch ship their own CUDA runtime, a toolkit is needed only to compile CUDA code"
	case n.Found && n.Version == "":
		r.Status = model.Warn
		r.Fix = "nvcc did not report its version; run it by hand to see why."
		r.Commands = safe.Cmds([]string{"{} --version", n.Path}) // a recorded path: quoted, or not offered
	case n.Found && link.Exists:
		nvDir := toolkitDir(n.ResolvedPath)
		if n.ResolvedPath == "" {
			nvDir = toolkitDir(n.Path)
		}
		sameDir := nvDir == link.Resolved
		sameVersion := link.Version != "" && versionOr(link.Version).MajorMinor().Compare(versionOr(n.Version)) == 0
		if sameDir || sameVersion {
			r.Status = model.Pass
			break
		}
		r.Status = model.Warn
		r.Evidence = "nvcc " + n.Version + " (" + nvDir + ") differs from /usr/local/cuda " + orDash(link.Version) + " (" + link.Resolved + "); " + r.Evidence
		r.Fix = "Pick one toolkit: put its bin first on PATH and point /usr/local/cuda at it (or set CUDA_HOME for builds that honour it)."
		r.Commands = []string{"export PATH=" + link.Resolved + "/bin:$PATH  # use the toolkit /usr/local/cuda points to",
			repointCommand(link, nvDir) + " (or keep it and change PATH as above)"}
	case !n.Found && (link.Exists || len(f.Toolkits) > 0):
		r.Status = model.Warn
		r.Fix = "A toolkit is installed but nvcc is not on PATH: builds that compile CUDA (extensions, flash-attention...) will not find it."
		dir := link.Resolved
		if !link.Exists {
			dir = newestToolkitDir(f)
		}
		if dir == "" {
			dir = "/usr/local/cuda"
		}
		r.Commands = []string{"export PATH=" + dir + "/bin:$PATH"}
	default:
		r.Status = model.Pass
	}
	return []model.CheckResult{r}
}

// cudaUse is one CUDA version something on this machine uses.
type cudaUse struct {
	id, label, version string
	wheel              bool   // a PyTorch wheel's bundled runtime (fix: another wheel)
	torch              string // the wheel's torch version
}

func cudaUses(f *model.Facts) []cudaUse {
	var uses []cudaUse
	if f.NVCC.Version != "" {
		uses = append(uses, cudaUse{id: "cuda.driver.nvcc", label: "nvcc " + f.NVCC.Build + " (" + f.NVCC.Path + ")", version: f.NVCC.Version})
	}
	if l := f.CUDALink; l.Version != "" {
		uses = append(uses, cudaUse{id: "cuda.driver.usr_local_cuda", label: "/usr/local/cuda " + l.Version + " (" + l.VersionSource + ")", version: l.Version})
	}
	for i, t := range f.Torch {
		if t.CUDA == "" {
			continue
		}
		id := "cuda.driver.torch"
		if i > 0 {
			id += strconv.Itoa(i + 1)
		}
		uses = append(uses, cudaUse{id: id, label: "PyTorch " + t.Version + " CUDA runtime (" + t.Path + ")", version: t.CUDA, wheel: true, torch: t.Version})
	}
	return uses
}

// cudaJudgement is the verdict on one CUDA version against the driver.
type cudaJudgement struct {
	status   model.Status
	evidence string
	// need is the driver the release needs for every feature ("" unknown);
	// belowFloor: the driver cannot run this CUDA major at all.
	need       string
	belowFloor bool
	provs      []knowledge.Provenance
}

// judgeDriverForCUDA: below the CUDA major's minor-version floor fails;
// a driver whose own CUDA version (NVML) covers the release passes; between
// floor and full support warns (minor-version compatibility). Table rows no
// primary source confirms never make a pass: without the driver's own CUDA
// version the verdict is skip.
func judgeDriverForCUDA(drv Version, drvCUDA model.Opt[int], cuda string) cudaJudgement {
	tk, err := ParseVersion(cuda)
	if err != nil {
		return cudaJudgement{status: model.Skip, evidence: "CUDA version " + strconv.Quote(cuda) + " unreadable"}
	}
	if knowledge.NoMinorCompat(tk.Major()) {
		return judgeOldCUDA(drv, tk)
	}
	floor, ok := knowledge.Floor(tk.Major())
	if !ok {
		return cudaJudgement{status: model.Skip, evidence: "no minimum driver known for CUDA " + strconv.Itoa(tk.Major()) + ".x"}
	}
	j := cudaJudgement{provs: []knowledge.Provenance{floor.Provenance}}
	row, exact, rowOK := knowledge.ToolkitDriver(tk)
	which := ""
	if rowOK {
		which = "CUDA " + row.Label()
		if !exact {
			which = "CUDA " + tk.String() + " (read as " + row.Label() + ")"
		}
		if row.Driver != "" {
			j.need = row.Driver
		}
	}
	// CUDA 11.0's own driver (450.51) predates the 11.x floor (450.80.02).
	ownDriverOK := rowOK && row.Driver != "" && !drv.Less(MustVersion(row.Driver))
	if drv.Less(MustVersion(floor.Driver)) && !ownDriverOK {
		j.status, j.belowFloor = model.Fail, true
		j.evidence = fmt.Sprintf("driver %s is below %s, the minimum for any CUDA %d.x: programs fail with \"CUDA driver version is insufficient for CUDA runtime version\"", drv, floor.Driver, tk.Major())
		if j.need == "" || MustVersion(j.need).Less(MustVersion(floor.Driver)) {
			j.need = floor.Driver
		}
		return j
	}
	tableNote := ""
	if rowOK && row.Driver != "" {
		j.provs = append(j.provs, row.Provenance)
		tableNote = fmt.Sprintf("NVIDIA's table lists %s for %s%s", row.Driver, which, unconfirmedNote(row.Provenance))
	} else if rowOK {
		tableNote = which + ": its full-support driver is not known here" + unconfirmedNote(row.Provenance)
	} else {
		tableNote = "CUDA " + tk.MajorMinor().String() + " is not in the release table"
	}
	if drvCUDA.OK {
		dc := cudaIntVersion(drvCUDA.V)
		if !dc.Less(tk.MajorMinor()) {
			j.status = model.Pass
			j.evidence = fmt.Sprintf("the driver reports CUDA %s (NVML), which covers CUDA %s; %s", dc, tk.MajorMinor(), tableNote)
			j.provs = append(j.provs, knowledge.Provenance{Source: "NVML SystemGetCudaDriverVersion (measured on this machine)", Verified: true})
			return j
		}
		j.status = model.Warn
		j.evidence = fmt.Sprintf("driver %s reports CUDA %s (NVML), older than CUDA %s; %s; it is above the CUDA %d.x floor %s, so minor-version compatibility runs most programs, but PTX built by a newer compiler fails (cudaErrorUnsupportedPtxVersion, error 222) and newer APIs are missing",
			drv, dc, tk.MajorMinor(), tableNote, tk.Major(), floor.Driver)
		return j
	}
	if j.need != "" && drv.Less(MustVersion(j.need)) {
		j.status = model.Warn
		j.evidence = fmt.Sprintf("driver %s is above the CUDA %d.x floor %s but below %s (%s): minor-version compatibility runs most programs, but PTX built by a newer compiler fails (error 222) and newer APIs are missing", drv, tk.Major(), floor.Driver, j.need, tableNote)
		return j
	}
	j.status = model.Skip
	j.evidence = fmt.Sprintf("driver %s is above the CUDA %d.x floor %s; %s; the driver's own CUDA version (NVML) is unknown, so full support cannot be confirmed", drv, tk.Major(), floor.Driver, tableNote)
	return j
}

// judgeOldCUDA: CUDA 10.x and older have no minor-version compatibility,
// so the release's own driver is the minimum.
func judgeOldCUDA(drv, tk Version) cudaJudgement {
	row, _, ok := knowledge.ToolkitDriver(tk.MajorMinor())
	if !ok || row.Driver == "" {
		return cudaJudgement{status: model.Skip, evidence: "no minimum driver known for CUDA " + tk.MajorMinor().String()}
	}
	j := cudaJudgement{need: row.Driver, provs: []knowledge.Provenance{row.Provenance}}
	if drv.Less(MustVersion(row.Driver)) {
		j.status, j.belowFloor = model.Fail, true
		j.evidence = fmt.Sprintf("driver %s is below %s, which CUDA %s needs (CUDA 10 and older have no minor-version compatibility)", drv, row.Driver, tk.MajorMinor())
		return j
	}
	j.status = model.Pass
	j.evidence = fmt.Sprintf("driver %s >= %s, which CUDA %s needs", drv, row.Driver, tk.MajorMinor())
	return j
}

// withForwardCompat: an active cuda-compat package (env.forward_compat,
// data-center GPUs only) runs CUDA up to its own version on this driver, so
// a fail or warn that it covers becomes a pass that says so.
func withForwardCompat(f *model.Facts, j cudaJudgement, cuda string) cudaJudgement {
	if j.status != model.Fail && j.status != model.Warn {
		return j
	}
	fcCUDA, fc, ok := ForwardCompatCUDA(f)
	if !ok {
		return j
	}
	tk, err1 := ParseVersion(cuda)
	fv, err2 := ParseVersion(fcCUDA)
	if err1 != nil || err2 != nil || fv.MajorMinor().Less(tk.MajorMinor()) {
		return j
	}
	j.status, j.belowFloor = model.Pass, false
	j.evidence += fmt.Sprintf("; but NVIDIA's forward-compatibility package for CUDA %s is active (%s, via %s, libcuda %s), which runs CUDA %s on this driver",
		fcCUDA, fc.Dir, orDash(fc.ActiveVia), fc.LibCUDAVersion, tk.MajorMinor())
	j.provs = append(j.provs, knowledge.Provenance{Source: knowledge.SrcForwardCompat, Verified: true})
	return j
}

// driverCUDARule judges the driver against every CUDA version in use.
func driverCUDARule(f *model.Facts) []model.CheckResult {
	uses := cudaUses(f)
	if len(uses) == 0 {
		return []model.CheckResult{{ID: "cuda.driver", Title: "Driver supports the CUDA versions in use", Status: model.Skip,
			Evidence: "no CUDA toolkit and no CUDA framework runtime found (" + nvccText(f.NVCC) + "; " + cudaLinkText(f.CUDALink) + "; " + strconv.Itoa(len(f.Torch)) + " PyTorch install(s))"}}
	}
	drv, src, drvOK := driverVersion(f)
	var out []model.CheckResult
	for _, u := range uses {
		r := model.CheckResult{ID: u.id, Title: "Driver supports " + u.label,
			Why: "A CUDA program needs a driver at least as new as its CUDA release; an older driver fails with \"CUDA driver version is insufficient for CUDA runtime version\"."}
		if !drvOK {
			r.Status = model.Skip
			r.Evidence = "driver version unknown; " + u.label + " = CUDA " + u.version
			out = append(out, r)
			continue
		}
		j := withForwardCompat(f, judgeDriverForCUDA(drv, f.NVML.CUDADriverVersion, u.version), u.version)
		r.Status = j.status
		r.Evidence = u.label + " = CUDA " + u.version + "; driver " + drv.String() + " (" + src + "); " + j.evidence
		cite(&r, j.provs...)
		if j.status == model.Fail || j.status == model.Warn {
			r.Fix, r.Commands = cudaDriverFix(f, &r, u, drv, j)
		}
		out = append(out, r)
	}
	return out
}

// cudaDriverFix names what would make u work on this driver, in the user's
// terms: another wheel for a pip install, another toolkit for a toolkit, a
// newer driver (named), and NVIDIA's forward-compatibility package on
// data-center GPUs when the CUDA major is newer than the driver's.
func cudaDriverFix(f *model.Facts, r *model.CheckResult, u cudaUse, drv Version, j cudaJudgement) (string, []string) {
	var fixes, cmds []string
	tk := versionOr(u.version)
	if j.need != "" {
		t, c := driverUpgradeText(f, j.need)
		fixes, cmds = append(fixes, t), append(cmds, c...)
	}
	if u.wheel {
		if w, ok := wheelForDriver(f, versionOr(u.torch), drv); ok {
			fixes = append(fixes, "Or keep this driver and install the PyTorch wheel built for CUDA "+w.CUDA().String()+", which it supports.")
			cmds = append(cmds, "pip install torch=="+versionOr(u.torch).Numeric()+" --index-url "+w.Index())
		} else {
			fixes = append(fixes, "No PyTorch "+versionOr(u.torch).MajorMinor().String()+" wheel in the table runs on this driver and these GPUs: the driver upgrade is the way.")
		}
	} else if older, ok := knowledge.NewestToolkitForDriver(drv); ok && older.Toolkit != tk.MajorMinor().String() && MustVersion(older.Toolkit).Less(tk.MajorMinor()) {
		fixes = append(fixes, "Or build with CUDA "+older.Toolkit+", the newest toolkit this driver fully supports (put its bin first on PATH).")
	}
	if j.belowFloor && allDataCenter(f) {
		if b, ok := knowledge.Branch(drv); ok {
			if ended, _ := b.EndedBy(nowOf(f)); !ended {
				mm := tk.MajorMinor()
				fixes = append(fixes, "On data-center GPUs NVIDIA's forward-compatibility package runs CUDA "+mm.String()+" on this R"+strconv.Itoa(b.Branch)+" driver without replacing it.")
				cmds = append(cmds, fmt.Sprintf("sudo apt install cuda-compat-%d-%d  # NVIDIA's forward-compatibility libraries (CUDA repository); then LD_LIBRARY_PATH=/usr/local/cuda-%s/compat", mm.Major(), mm.Minor(), mm))
				citeText(r, knowledge.SrcForwardCompat)
			}
		}
	}
	cmds = append(cmds, "nvidia-smi  # the header shows the driver and the newest CUDA it supports")
	return strings.Join(fixes, " "), cmds
}

// wheelForDriver picks the wheel of torch's version (or, failing that, the
// newest torch) whose CUDA this driver runs with full support and which
// carries code for every GPU.
func wheelForDriver(f *model.Facts, torch Version, drv Version) (knowledge.TorchWheel, bool) {
	maxCUDA := Version{}
	if c := f.NVML.CUDADriverVersion; c.OK {
		maxCUDA = cudaIntVersion(c.V)
	} else if t, ok := knowledge.NewestToolkitForDriver(drv); ok {
		maxCUDA = MustVersion(t.Toolkit)
	}
	if maxCUDA.IsZero() {
		return knowledge.TorchWheel{}, false
	}
	fits := func(w knowledge.TorchWheel) bool {
		if maxCUDA.Less(w.CUDA()) {
			return false
		}
		for _, g := range f.NVML.GPUs {
			if cc, ok := ccOf(g.Info); ok {
				if runs, _ := w.Runs(cc); !runs {
					return false
				}
			}
		}
		return true
	}
	pick := func(ws []knowledge.TorchWheel) (knowledge.TorchWheel, bool) {
		for i := len(ws) - 1; i >= 0; i-- {
			if fits(ws[i]) {
				return ws[i], true
			}
		}
		return knowledge.TorchWheel{}, false
	}
	if w, ok := pick(knowledge.TorchTags(torch)); ok {
		return w, true
	}
	return knowledge.TorchWheel{}, false
}

// CUDAVersionsView is the three "CUDA versions" users confuse, side by side.
type CUDAVersionsView struct {
	Driver    string          `json:"driver"`     // newest CUDA the driver supports, "13.0"
	DriverSrc string          `json:"driver_src"` // "NVML cudaDriverGetVersion" or ""
	NVCC      string          `json:"nvcc"`       // toolkit on PATH
	NVCCSrc   string          `json:"nvcc_src"`
	CUDALink  string          `json:"cuda_link"` // /usr/local/cuda
	Framework []FrameworkCUDA `json:"framework"`
}

// FrameworkCUDA is a framework's bundled CUDA runtime.
type FrameworkCUDA struct {
	Name    string `json:"name"`    // "torch 2.5.1+cu124"
	Runtime string `json:"runtime"` // "12.4"
	Path    string `json:"path"`
}

// CUDAVersions collects the driver's CUDA version, nvcc's and the framework
// runtimes'.
func CUDAVersions(f model.Facts) CUDAVersionsView {
	v := CUDAVersionsView{Framework: []FrameworkCUDA{}}
	if c := f.NVML.CUDADriverVersion; c.OK {
		v.Driver, v.DriverSrc = model.CUDAVersionString(c.V), "NVML SystemGetCudaDriverVersion"
	}
	if f.NVCC.Version != "" {
		v.NVCC, v.NVCCSrc = f.NVCC.Version, f.NVCC.Path
	}
	v.CUDALink = f.CUDALink.Version
	for _, t := range f.Torch {
		v.Framework = append(v.Framework, FrameworkCUDA{Name: "torch " + t.Version, Runtime: t.CUDA, Path: t.Path})
	}
	return v
}

// String renders the view on one line.
func (v CUDAVersionsView) String() string {
	parts := []string{"driver supports " + orDash(v.Driver), "nvcc " + orDash(v.NVCC), "/usr/local/cuda " + orDash(v.CUDALink)}
	if len(v.Framework) == 0 {
		parts = append(parts, "framework runtime -")
	}
	for _, fw := range v.Framework {
		rt := fw.Runtime
		if rt == "" {
			rt = "CPU-only"
		}
		parts = append(parts, fw.Name+" runtime "+rt)
	}
	return strings.Join(parts, " · ")
}

// cudaVersionsRule shows the three numbers side by side and fails nothing
// but flags a runtime newer than the driver supports.
func cudaVersionsRule(f *model.Facts) []model.CheckResult {
	v := CUDAVersions(*f)
	r := model.CheckResult{ID: "cuda.versions", Title: "The three CUDA versions",
		Why: "The driver's CUDA version is the newest CUDA it can run, not an installed toolkit; nvcc is the toolkit on PATH; frameworks ship their own runtime. A runtime newer than the driver's CUDA version needs a newer driver."}
	r.Evidence = v.String()
	if v.DriverSrc != "" {
		r.Evidence += " (driver's from " + v.DriverSrc + ")"
	}
	if v.Driver == "" {
		r.Status = model.Skip
		r.Evidence = "the driver's CUDA version is unknown (NVML not open); " + r.Evidence
		return []model.CheckResult{r}
	}
	drvCUDA := MustVersion(v.Driver)
	if fc, _, ok := ForwardCompatCUDA(f); ok {
		if fv, err := ParseVersion(fc); err == nil && drvCUDA.Less(fv.MajorMinor()) {
			drvCUDA = fv.MajorMinor()
			r.Evidence += "; an active forward-compatibility package raises it to CUDA " + fc
		}
	}
	var newer []string
	check := func(name, ver string) {
		if ver == "" {
			return
		}
		if pv, err := ParseVersion(ver); err == nil && drvCUDA.Less(pv.MajorMinor()) {
			newer = append(newer, name+" "+ver)
		}
	}
	check("nvcc", v.NVCC)
	check("/usr/local/cuda", v.CUDALink)
	for _, fw := range v.Framework {
		check(fw.Name, fw.Runtime)
	}
	if len(newer) == 0 {
		r.Status = model.Pass
		return []model.CheckResult{r}
	}
	r.Status = model.Warn
	r.Evidence = "newer than the driver's CUDA " + v.Driver + ": " + strings.Join(newer, ", ") + "; " + r.Evidence
	r.Fix = "Upgrade the driver, or use a toolkit / framework build for CUDA " + v.Driver + " or older (see the cuda.driver.* checks for what each needs)."
	r.Commands = []string{"nvidia-smi  # \"CUDA Version\" in the header is the driver's"}
	return []model.CheckResult{r}
}
