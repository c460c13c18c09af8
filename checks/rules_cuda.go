package checks

import (
	"fmt"
	"path"
	"strconv"
	"strings"

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

// toolkitRule: the nvcc on PATH vs /usr/local/cuda, and every toolkit installed.
func toolkitRule(f *model.Facts) []model.CheckResult {
	n, link := f.NVCC, f.CUDALink
	r := model.CheckResult{ID: "cuda.toolkit", Title: "CUDA toolkit: nvcc on PATH vs /usr/local/cuda",
		Why: "Builds compile with the nvcc first on PATH but usually link against /usr/local/cuda; two different toolkits there give version errors at build or load time."}
	r.Evidence = joinSentences([]string{nvccText(n), cudaLinkText(link), listToolkits(f)})
	switch {
	case link.Error != "":
		r.Status = model.Fail
		r.Fix = "/usr/local/cuda is a dangling link: point it at an installed toolkit (update-alternatives on Debian/Ubuntu)."
		r.Commands = []string{"ls -l /usr/local/cuda /etc/alternatives/cuda", "sudo update-alternatives --config cuda  # choose which toolkit /usr/local/cuda points to"}
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
		r.Commands = []string{"export PATH=/usr/local/cuda/bin:$PATH  # use the toolkit /usr/local/cuda points to",
			"sudo update-alternatives --config cuda  # or repoint /usr/local/cuda"}
	case !n.Found && (link.Exists || len(f.Toolkits) > 0):
		r.Status = model.Warn
		r.Fix = "A toolkit is installed but nvcc is not on PATH: builds that compile CUDA (extensions, flash-attention...) will not find it."
		r.Commands = []string{"export PATH=/usr/local/cuda/bin:$PATH"}
	default:
		r.Status = model.Pass
	}
	return []model.CheckResult{r}
}

// cudaUse is one CUDA version something on this machine uses.
type cudaUse struct {
	id, label, version string
	update             model.Opt[int] // toolkit update, when version.json told it
}

func cudaUses(f *model.Facts) []cudaUse {
	var uses []cudaUse
	if f.NVCC.Version != "" {
		uses = append(uses, cudaUse{id: "cuda.driver.nvcc", label: "nvcc " + f.NVCC.Build + " (" + f.NVCC.Path + ")", version: f.NVCC.Version})
	}
	if l := f.CUDALink; l.Version != "" {
		u := cudaUse{id: "cuda.driver.usr_local_cuda", label: "/usr/local/cuda " + l.Version + " (" + l.VersionSource + ")", version: l.Version}
		if v := versionOr(l.Version); l.VersionSource == "version.json" && len(v.parts) >= 3 {
			u.update = model.Some(v.parts[2])
		}
		uses = append(uses, u)
	}
	for i, t := range f.Torch {
		if t.CUDA == "" {
			continue
		}
		id := "cuda.driver.torch"
		if i > 0 {
			id += strconv.Itoa(i + 1)
		}
		uses = append(uses, cudaUse{id: id, label: "PyTorch " + t.Version + " CUDA runtime (" + t.Path + ")", version: t.CUDA})
	}
	return uses
}

func fullRowFor(tk Version) (cudaDriverRow, bool) {
	for _, r := range cudaDriverTable {
		if MustVersion(r.Toolkit).Compare(tk.MajorMinor()) == 0 {
			return r, true
		}
	}
	return cudaDriverRow{}, false
}

func floorFor(major int) (cudaFloorRow, bool) {
	for _, r := range cudaFloorTable {
		if r.Major == major {
			return r, true
		}
	}
	return cudaFloorRow{}, false
}

// judgeDriverForCUDA applies compat.md §1: below the major's floor fail,
// between floor and the release's full driver warn, else pass.
func judgeDriverForCUDA(drv Version, cuda string, update model.Opt[int]) (model.Status, string) {
	tk, err := ParseVersion(cuda)
	if err != nil {
		return model.Skip, "CUDA version " + strconv.Quote(cuda) + " unreadable"
	}
	floor, ok := floorFor(tk.Major())
	if !ok {
		return model.Skip, "no driver floor known for CUDA " + strconv.Itoa(tk.Major()) + ".x in the table (" + srcCUDANotes + ")"
	}
	row, rowOK := fullRowFor(tk)
	full, which := "", "GA"
	if rowOK {
		full = row.Full[0]
		if update.OK && update.V < len(row.Full) {
			full = row.Full[update.V]
			if update.V > 0 {
				which = "Update " + strconv.Itoa(update.V)
			}
		}
	}
	// The full driver is checked before the floor: CUDA 11.0's own driver
	// (450.51) predates the 11.x minor-version floor (450.80.02).
	if (!rowOK || drv.Less(MustVersion(full))) && drv.Less(MustVersion(floor.Floor)) {
		return model.Fail, fmt.Sprintf("driver %s < %s, the minimum for any CUDA %d.x (%s)", drv, floor.Floor, tk.Major(), floor.Source)
	}
	if !rowOK {
		return model.Warn, fmt.Sprintf("CUDA %s is not in the release table; driver %s is above the CUDA %d.x floor %s, so it runs under minor-version compatibility at best (%s)", tk.MajorMinor(), drv, tk.Major(), floor.Floor, floor.Source)
	}
	note := unverified(row.Unverified)
	if drv.Less(MustVersion(full)) {
		return model.Warn, fmt.Sprintf("driver %s is between the CUDA %d.x floor %s and %s, which CUDA %s %s needs for every feature (%s)%s: minor-version compatibility runs most programs, but PTX built by a newer compiler fails (cudaErrorUnsupportedPtxVersion, error 222) and newer APIs are missing",
			drv, tk.Major(), floor.Floor, full, row.Toolkit, which, row.Source, note)
	}
	ev := fmt.Sprintf("driver %s >= %s, which CUDA %s %s needs (%s)%s", drv, full, row.Toolkit, which, row.Source, note)
	if !update.OK && len(row.Full) > 1 {
		last := row.Full[len(row.Full)-1]
		if drv.Less(MustVersion(last)) {
			ev += "; its later updates need up to " + last
		}
	}
	return model.Pass, ev
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
		st, ev := judgeDriverForCUDA(drv, u.version, u.update)
		r.Status = st
		r.Evidence = u.label + " = CUDA " + u.version + "; driver from " + src + "; " + ev
		switch st {
		case model.Fail:
			r.Fix = "Upgrade the driver to at least the version named, or use a CUDA " + strconv.Itoa(versionOr(u.version).Major()) + " build that matches this driver's line (for frameworks: a wheel built for an older CUDA)."
			r.Commands = []string{"nvidia-smi  # the header shows the driver and the newest CUDA it supports"}
		case model.Warn:
			r.Fix = "Upgrade the driver to the version named for full support, or build with a toolkit no newer than the driver's CUDA version."
		}
		out = append(out, r)
	}
	return out
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
