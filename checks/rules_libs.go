package checks

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/gputop/gputop/checks/knowledge"
	"github.com/gputop/gputop/model"
)

// Rules for the stack above the driver, CUDA, cuDNN and PyTorch (issue 15):
// TensorRT, NCCL, JAX, TensorFlow, compiled extensions built against a
// given torch, and a container image's CUDA. Absent is never a fault: a
// machine without these gets skips.

func init() {
	rules = append(rules,
		rule{name: "tensorrt", eval: tensorRTRule},
		rule{name: "nccl", eval: ncclRule},
		rule{name: "nccl.env", eval: ncclEnvRule},
		rule{name: "jax", eval: jaxRule},
		rule{name: "tensorflow", eval: tensorflowRule},
		rule{name: "ext", eval: extensionsRule},
		rule{name: "image.cuda", eval: imageCUDARule},
	)
}

// skipped returns r as a skip with its reason.
func skipped(r model.CheckResult, why string) []model.CheckResult {
	r.Status, r.Evidence = model.Skip, why
	return []model.CheckResult{r}
}

var stackNotRecorded = "not recorded: these facts were gathered before gputop probed TensorRT, NCCL and the other frameworks"

// releaseOf is the numeric release of a Python or library version
// ("2.7.4.post1+cu12torch2.5" -> 2.7.4), zero when it has none.
var releaseRE = regexp.MustCompile(`^v?(\d+(?:\.\d+)*)`)

func releaseOf(s string) Version {
	m := releaseRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Version{}
	}
	v, _ := ParseVersion(m[1])
	return v
}

// satisfies checks a version against a PEP 440 specifier set of the simple
// kinds package metadata uses (==, !=, >=, <=, >, <, ~=, comma-separated),
// comparing release numbers; ok is false when the specifier is not one of
// those.
func satisfies(ver, spec string) (sat bool, ok bool) {
	v := releaseOf(ver)
	if v.IsZero() {
		return false, false
	}
	sat = true
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		op := ""
		for _, o := range []string{"===", "==", "!=", ">=", "<=", "~=", ">", "<"} {
			if strings.HasPrefix(part, o) {
				op = o
				break
			}
		}
		if op == "" {
			return false, false
		}
		rhs := strings.TrimSpace(strings.TrimPrefix(part, op))
		wild := strings.HasSuffix(rhs, ".*")
		w := releaseOf(strings.TrimSuffix(rhs, ".*"))
		if w.IsZero() {
			return false, false
		}
		c := v.Compare(w)
		if wild {
			// ==2.5.* : equal on the given components.
			n := strings.Count(strings.TrimSuffix(rhs, ".*"), ".") + 1
			c = 0
			for i := 0; i < n; i++ {
				if v.Part(i) != w.Part(i) {
					c = 1
					break
				}
			}
		}
		switch op {
		case "==", "===":
			sat = sat && c == 0
		case "!=":
			sat = sat && c != 0
		case ">=":
			sat = sat && c >= 0
		case "<=":
			sat = sat && c <= 0
		case ">":
			sat = sat && c > 0
		case "<":
			sat = sat && c < 0
		case "~=":
			n := strings.Count(rhs, ".")
			upper := w.Part(n - 1)
			sat = sat && c >= 0 && v.Part(n-1) == upper
		}
	}
	return sat, true
}

// besideMajor is the CUDA major of what sits beside a library: PyTorch's
// runtime for pip installs, the toolkit for system ones.
func besideMajor(f *model.Facts, origin string) (int, string, bool) {
	if origin == "pip" {
		if len(f.Torch) > 0 {
			if v, err := ParseVersion(f.Torch[0].CUDA); err == nil {
				return v.Major(), "PyTorch's CUDA runtime " + f.Torch[0].CUDA, true
			}
		}
		return 0, "", false
	}
	for _, s := range []string{f.CUDALink.Version, f.NVCC.Version} {
		if v, err := ParseVersion(s); err == nil {
			return v.Major(), "the CUDA toolkit " + s, true
		}
	}
	return 0, "", false
}

// libInstallsRule judges the installs of a versioned library (TensorRT,
// NCCL): each against the driver floor of its CUDA major and the CUDA
// beside it; several differing installs warn.
//
// loaderKnown: which install a framework loads is known (NCCL beside a
// PyTorch wheel), so several versions are evidence, not a warning.
func libInstallsRule(f *model.Facts, id, name string, installs []model.LibraryInstall, why string, prov knowledge.Provenance, loaderKnown bool) []model.CheckResult {
	r := model.CheckResult{ID: id, Title: name + " installations", Why: why}
	if !f.Stack.Probed {
		return skipped(r, stackNotRecorded)
	}
	if len(installs) == 0 {
		r.Status, r.Evidence = model.Skip, "no "+name+" installed (headers, libraries, Debian packages, pip wheels); nothing needs it here"
		return []model.CheckResult{r}
	}
	drv, drvSrc, drvOK := driverVersion(f)
	var lines, fixes, cmds []string
	versions := map[string]bool{}
	r.Status = model.Pass
	for _, in := range installs {
		line := in.Origin + " " + orDash(in.Version) + " (" + in.Path + ")"
		if in.CUDAMajor.OK {
			line += " for CUDA " + strconv.Itoa(in.CUDAMajor.V)
			if in.CUDA != "" {
				line += " (" + in.CUDA + ")"
			}
		}
		if in.Error != "" {
			line += " [" + in.Error + "]"
		}
		if v := releaseOf(in.Version); !v.IsZero() {
			versions[v.MajorMinor().String()] = true
		}
		if in.CUDAMajor.OK {
			if fl, ok := knowledge.Floor(in.CUDAMajor.V); ok {
				cite(&r, fl.Provenance, prov)
				if drvOK && drv.Less(MustVersion(fl.Driver)) {
					r.Status = model.Fail
					line += fmt.Sprintf(": needs driver >= %s, the CUDA %d floor; driver %s (%s) is older", fl.Driver, in.CUDAMajor.V, drv, drvSrc)
					t, c := driverUpgradeText(f, fl.Driver)
					fixes, cmds = append(fixes, t), append(cmds, c...)
				}
			}
			if name == "TensorRT" {
				if minCC, p, ok := knowledge.TensorRTMinCC(releaseOf(in.Version), in.CUDAMajor.V); ok {
					for _, g := range f.NVML.GPUs {
						if cc, ok := ccOf(g.Info); ok && cc < minCC {
							cite(&r, p)
							r.Status = model.Fail
							line += fmt.Sprintf(": %s cc %s is below %s, the oldest this TensorRT build supports", gpuName(g.Info), ccString(cc), ccString(minCC))
							fixes = append(fixes, "Use TensorRT 8.6 (or a CUDA 12 build of TensorRT 10 for Volta) on GPUs this old.")
						}
					}
				}
			}
			if m, what, ok := besideMajor(f, in.Origin); ok && m != in.CUDAMajor.V {
				r.Status = worst(r.Status, model.Warn)
				line += fmt.Sprintf(": built for CUDA %d but %s is beside it", in.CUDAMajor.V, what)
				fixes = append(fixes, fmt.Sprintf("Install the %s build for CUDA %d.", name, m))
			}
		}
		if name == "TensorRT" {
			if txt, st, fix := tensorRTCudnnPairing(f, in, &r); txt != "" {
				line += ": " + txt
				r.Status = worst(r.Status, st)
				if fix != "" {
					fixes = append(fixes, fix)
				}
			}
		}
		lines = append(lines, line)
	}
	if len(versions) > 1 {
		if loaderKnown {
			lines = append(lines, "several versions: Python code loads the pip wheel's, C++ programs the system one (ldconfig order)")
		} else {
			r.Status = worst(r.Status, model.Warn)
			fixes = append(fixes, "Several "+name+" versions are installed: Python code loads the pip wheel's libraries, C++ programs the system ones (ldconfig order); engines and plans built with one version do not load in another. Keep one, or know which each program uses.")
			cmds = append(cmds, "ldconfig -p | grep -E 'libnvinfer|libnccl'")
		}
	}
	r.Evidence = strings.Join(lines, "; ")
	r.Fix = strings.Join(uniqStrings(fixes), " ")
	r.Commands = uniqStrings(cmds)
	return []model.CheckResult{r}
}

// tensorRTCudnnPairing judges a TensorRT 8 install against the cuDNN its
// support matrix names (TensorRT 10 made cuDNN optional: no row, nothing
// said). It only ever warns: the matrix names the one cuDNN each release
// was built and tested with, not what fails with an older one. An
// unconfirmed row is said to be one. The cuDNN compared is the newest 8.x
// on the same side (pip beside pip, system beside system), else any.
func tensorRTCudnnPairing(f *model.Facts, in model.LibraryInstall, r *model.CheckResult) (string, model.Status, string) {
	row, ok := knowledge.TensorRTCudnn(releaseOf(in.Version))
	if !ok {
		return "", model.Pass, ""
	}
	cite(r, row.Provenance)
	need := MustVersion(row.Cudnn)
	note := ""
	if !row.Confirmed() {
		note = " (unconfirmed: " + row.Note + ")"
	}
	var best, otherMajor Version
	bestOrigin := ""
	for pass := 0; pass < 2 && best.IsZero(); pass++ {
		for _, c := range f.CuDNN {
			v, err := ParseVersion(c.Version)
			if err != nil {
				continue
			}
			if pass == 0 && (c.Origin == "pip") != (in.Origin == "pip") {
				continue
			}
			if v.Major() != 8 {
				if otherMajor.IsZero() || otherMajor.Less(v) {
					otherMajor = v
				}
				continue
			}
			if best.IsZero() || best.Less(v) {
				best, bestOrigin = v, c.Origin
			}
		}
	}
	fix := fmt.Sprintf("TensorRT %s was built and tested with cuDNN %s: install cuDNN %s or a newer 8.x for its CUDA major (Debian/RPM libcudnn8, or pip nvidia-cudnn-cu11/nvidia-cudnn-cu12 8.x beside a pip TensorRT), or move to TensorRT 10, which does not need cuDNN.",
		releaseOf(in.Version).MajorMinor(), row.Cudnn, need.MajorMinor())
	switch {
	case best.IsZero() && otherMajor.IsZero():
		return "no cuDNN found to pair with (TensorRT " + releaseOf(in.Version).MajorMinor().String() + " was built with cuDNN " + row.Cudnn + ")" + note, model.Pass, ""
	case best.IsZero():
		return fmt.Sprintf("only cuDNN %s found, but TensorRT %s loads cuDNN 8 (built with %s)%s", otherMajor, releaseOf(in.Version).MajorMinor(), row.Cudnn, note), model.Warn, fix
	case best.MajorMinor().Less(need.MajorMinor()):
		return fmt.Sprintf("%s cuDNN %s is older than cuDNN %s, the one its support matrix names%s", bestOrigin, best, row.Cudnn, note), model.Warn, fix
	}
	if !row.Confirmed() {
		// Cannot decide on an unconfirmed row: said, never counted as a pass.
		return fmt.Sprintf("%s cuDNN %s beside it; pairing with cuDNN %s not judged%s", bestOrigin, best, row.Cudnn, note), model.Pass, ""
	}
	return fmt.Sprintf("%s cuDNN %s, not older than cuDNN %s its support matrix names", bestOrigin, best, row.Cudnn), model.Pass, ""
}

func tensorRTRule(f *model.Facts) []model.CheckResult {
	return libInstallsRule(f, "tensorrt", "TensorRT", f.Stack.TensorRT,
		"TensorRT is built per CUDA major and needs that major's driver; engines and plugins built with one TensorRT version do not load in another.",
		knowledge.ProvTensorRTDriver, false)
}

// ncclRule: the NCCLs installed and the one PyTorch loads.
func ncclRule(f *model.Facts) []model.CheckResult {
	pipBesideTorch := false
	for _, in := range f.Stack.NCCL {
		pipBesideTorch = pipBesideTorch || (in.Origin == "pip" && len(f.Torch) > 0 && f.Torch[0].CUDA != "")
	}
	rs := libInstallsRule(f, "nccl", "NCCL", f.Stack.NCCL,
		"NCCL carries multi-GPU communication; each build targets one CUDA major. A PyTorch wheel loads the nvidia-nccl wheel beside it, not the system NCCL.",
		knowledge.Provenance{}, pipBesideTorch)
	r := &rs[0]
	if r.Status == model.Skip || len(f.Torch) == 0 || f.Torch[0].CUDA == "" {
		return rs
	}
	for _, in := range f.Stack.NCCL {
		if in.Origin == "pip" {
			r.Evidence += "; PyTorch (" + f.Torch[0].Version + ") loads the pip NCCL " + in.Version
			cite(r, knowledge.ProvTorchRPATH)
			break
		}
	}
	return rs
}

// ncclDisabling are the variables that switch a transport off: a job then
// runs, slower, without saying why.
var ncclDisabling = map[string]string{
	"NCCL_P2P_DISABLE":  "GPU peer-to-peer (NVLink/PCIe P2P) is off",
	"NCCL_SHM_DISABLE":  "shared-memory transport is off",
	"NCCL_IB_DISABLE":   "InfiniBand/RoCE is off: inter-node traffic falls back to TCP sockets",
	"NCCL_NVLS_ENABLE":  "NVLink SHARP is off",
	"NCCL_CUMEM_ENABLE": "cuMem-based buffers are off",
}

func ncclEnvRule(f *model.Facts) []model.CheckResult {
	r := model.CheckResult{ID: "nccl.env", Title: "NCCL environment variables",
		Why: "NCCL_* variables silently change which transports and algorithms NCCL uses; a leftover NCCL_P2P_DISABLE or NCCL_IB_DISABLE makes every collective slower without an error."}
	if !f.Stack.Probed {
		return skipped(r, stackNotRecorded)
	}
	if len(f.Stack.NCCLEnv) == 0 {
		r.Status, r.Evidence = model.Skip, "no NCCL_* variable from NCCL's list is set"
		return []model.CheckResult{r}
	}
	cite(&r, knowledge.ProvNCCLEnv)
	var set, off []string
	for _, k := range sortedKeys(f.Stack.NCCLEnv) {
		v := f.Stack.NCCLEnv[k]
		set = append(set, k+"="+strconv.Quote(v))
		what, ok := ncclDisabling[k]
		disables := v == "1"
		if k == "NCCL_NVLS_ENABLE" || k == "NCCL_CUMEM_ENABLE" {
			disables = v == "0"
		}
		if ok && disables {
			off = append(off, k+": "+what)
		}
	}
	r.Evidence = "set: " + strings.Join(set, ", ")
	if len(off) == 0 {
		r.Status = model.Pass
		return []model.CheckResult{r}
	}
	r.Status = model.Warn
	r.Evidence = strings.Join(off, "; ") + "; " + r.Evidence
	r.Fix = "Unset the variables unless this machine needs them (a known driver or topology problem); run one job with NCCL_DEBUG=INFO to see the transports NCCL picks."
	for _, k := range sortedKeys(f.Stack.NCCLEnv) {
		if _, ok := ncclDisabling[k]; ok {
			r.Commands = append(r.Commands, "unset "+k)
		}
	}
	return []model.CheckResult{r}
}

func wheelNamed(f *model.Facts, name string) (model.WheelInstall, bool) {
	for _, w := range f.Stack.Wheels {
		if w.Name == name {
			return w, true
		}
	}
	return model.WheelInstall{}, false
}

var jaxPluginRE = regexp.MustCompile(`^jax_cuda(\d+)_(plugin|pjrt)$`)

// jaxRule: jaxlib and its CUDA plugin wheels: the same version, and a driver
// at the plugin's CUDA major floor.
func jaxRule(f *model.Facts) []model.CheckResult {
	r := model.CheckResult{ID: "jax", Title: "JAX and its CUDA plugin",
		Why: "JAX runs on the GPU through the jax-cudaNN-plugin and -pjrt wheels, which bundle CUDA NN.x and must match jaxlib's version; the driver must meet that CUDA major's floor."}
	if !f.Stack.Probed {
		return skipped(r, stackNotRecorded)
	}
	jaxlib, hasLib := wheelNamed(f, "jaxlib")
	var plugins []model.WheelInstall
	for _, w := range f.Stack.Wheels {
		if jaxPluginRE.MatchString(w.Name) {
			plugins = append(plugins, w)
		}
	}
	if !hasLib && len(plugins) == 0 {
		r.Status, r.Evidence = model.Skip, "JAX is not installed"
		return []model.CheckResult{r}
	}
	ev := []string{}
	if hasLib {
		ev = append(ev, "jaxlib "+jaxlib.Version+" ("+jaxlib.Path+")")
	}
	if len(plugins) == 0 {
		r.Status = model.Skip
		r.Evidence = joinSentences(append(ev, "no jax-cuda plugin wheel: JAX runs on the CPU only"))
		return []model.CheckResult{r}
	}
	r.Status = model.Pass
	drv, drvSrc, drvOK := driverVersion(f)
	var fixes, cmds []string
	for _, p := range plugins {
		m := jaxPluginRE.FindStringSubmatch(p.Name)
		major, _ := strconv.Atoi(m[1])
		line := p.Name + " " + p.Version + " (CUDA " + m[1] + ")"
		if hasLib && releaseOf(p.Version).Compare(releaseOf(jaxlib.Version)) != 0 {
			r.Status = model.Fail
			line += " does not match jaxlib " + jaxlib.Version
			fixes = append(fixes, "Install the plugin of jaxlib's version.")
			cmds = append(cmds, fmt.Sprintf("pip install 'jax[cuda%d]==%s'", major, releaseOf(jaxlib.Version)))
		}
		if fl, ok := knowledge.Floor(major); ok {
			cite(&r, fl.Provenance)
			if !drvOK {
				r.Status = worst(r.Status, model.Skip)
				line += "; driver version unknown"
			} else if drv.Less(MustVersion(fl.Driver)) {
				r.Status = model.Fail
				line += fmt.Sprintf("; needs driver >= %s, the CUDA %d floor; driver %s (%s) is older", fl.Driver, major, drv, drvSrc)
				t, c := driverUpgradeText(f, fl.Driver)
				fixes, cmds = append(fixes, t), append(cmds, c...)
				if major > 12 {
					fixes = append(fixes, "Or install JAX's CUDA 12 plugin, which this driver may run.")
					cmds = append(cmds, "pip install 'jax[cuda12]'")
				}
			}
		}
		ev = append(ev, line)
	}
	r.Evidence = joinSentences(ev)
	r.Fix, r.Commands = strings.Join(uniqStrings(fixes), " "), uniqStrings(cmds)
	return []model.CheckResult{r}
}

// tensorflowRule: the CUDA a TensorFlow release was built with, against the
// driver.
func tensorflowRule(f *model.Facts) []model.CheckResult {
	r := model.CheckResult{ID: "tensorflow", Title: "TensorFlow's CUDA vs driver",
		Why: "A TensorFlow release is built against one CUDA and cuDNN; its GPU build needs the driver floor of that CUDA major."}
	if !f.Stack.Probed {
		return skipped(r, stackNotRecorded)
	}
	var w model.WheelInstall
	found := false
	for _, n := range []string{"tensorflow", "tensorflow_gpu"} {
		if w, found = wheelNamed(f, n); found {
			break
		}
	}
	if !found {
		r.Status, r.Evidence = model.Skip, "TensorFlow is not installed"
		return []model.CheckResult{r}
	}
	b, ok := knowledge.TensorFlowBuild(releaseOf(w.Version))
	if !ok {
		r.Status, r.Evidence = model.Skip, "tensorflow "+w.Version+" ("+w.Path+"): no build table row for this release"
		return []model.CheckResult{r}
	}
	cite(&r, b.Provenance)
	cu := MustVersion(b.CUDA)
	r.Evidence = fmt.Sprintf("tensorflow %s (%s) was built with CUDA %s and cuDNN %s%s", w.Version, w.Path, b.CUDA, b.Cudnn, unconfirmedNote(b.Provenance))
	drv, drvSrc, drvOK := driverVersion(f)
	fl, ok := knowledge.Floor(cu.Major())
	if !drvOK || !ok {
		r.Status = model.Skip
		r.Evidence += "; driver version unknown"
		return []model.CheckResult{r}
	}
	cite(&r, fl.Provenance)
	r.Evidence += fmt.Sprintf("; driver %s (%s), CUDA %d floor %s", drv, drvSrc, cu.Major(), fl.Driver)
	switch {
	case drv.Less(MustVersion(fl.Driver)):
		r.Status = model.Warn
		if b.Confirmed() {
			r.Status = model.Fail
		}
		r.Fix, r.Commands = driverUpgradeText(f, fl.Driver)
	case b.Confirmed():
		r.Status = model.Pass
	default:
		r.Status = model.Skip
	}
	return []model.CheckResult{r}
}

// extensionNames are the compiled extensions that break on a torch upgrade.
var extensionNames = []string{"vllm", "flash_attn", "xformers", "torchvision", "torchaudio", "bitsandbytes"}

var builtTorchRE = regexp.MustCompile(`torch(\d+)\.?(\d+)`)
var builtCUDARE = regexp.MustCompile(`^cu(\d+)`)

// extensionsRule: each compiled extension against the installed torch: the
// torch its metadata pins, and the torch and CUDA its wheel was built for.
func extensionsRule(f *model.Facts) []model.CheckResult {
	var out []model.CheckResult
	if !f.Stack.Probed {
		return []model.CheckResult{{ID: "ext", Title: "Compiled extensions vs PyTorch", Status: model.Skip, Evidence: stackNotRecorded}}
	}
	var torch model.TorchInstall
	hasTorch := len(f.Torch) > 0 && f.Torch[0].Version != ""
	if hasTorch {
		torch = f.Torch[0]
	}
	for _, name := range extensionNames {
		w, ok := wheelNamed(f, name)
		if !ok {
			continue
		}
		r := model.CheckResult{ID: "ext." + name, Title: strings.ReplaceAll(name, "_", "-") + " " + w.Version + " vs PyTorch",
			Why: "Compiled extensions link against one torch's C++ ABI (and one CUDA major): with another torch installed, importing them fails with \"undefined symbol\"."}
		ev := []string{name + " " + w.Version + " (" + w.Path + ")"}
		if !hasTorch {
			r.Status = model.Skip
			r.Evidence = joinSentences(append(ev, "no PyTorch installed to compare with"))
			out = append(out, r)
			continue
		}
		tv := releaseOf(torch.Version)
		ev = append(ev, "torch "+torch.Version+" ("+torch.Path+")")
		r.Status = model.Skip
		decided := false
		var bad []string
		if w.RequiresTorch != "" {
			sat, ok := satisfies(torch.Version, w.RequiresTorch)
			if ok {
				decided = true
				ev = append(ev, "its metadata requires torch "+w.RequiresTorch)
				if !sat {
					bad = append(bad, "requires torch "+w.RequiresTorch)
				}
			}
		}
		if w.BuiltFor != "" {
			ev = append(ev, "its wheel was built as +"+w.BuiltFor)
			if m := builtTorchRE.FindStringSubmatch(w.BuiltFor); m != nil {
				decided = true
				built := MustVersion(m[1] + "." + m[2])
				if built.Compare(tv.MajorMinor()) != 0 {
					bad = append(bad, "built for torch "+built.String())
				}
			}
			if m := builtCUDARE.FindStringSubmatch(w.BuiltFor); m != nil && torch.CUDA != "" {
				decided = true
				if want := strconv.Itoa(versionOr(torch.CUDA).Major()); !strings.HasPrefix(m[1], want) {
					bad = append(bad, "built for CUDA "+m[1]+" while torch runs CUDA "+torch.CUDA)
				}
			}
		}
		cite(&r, knowledge.ProvPipMetadata)
		switch {
		case len(bad) > 0:
			r.Status = model.Fail
			ev = append(ev, "mismatch: "+strings.Join(bad, "; ")+": importing it fails (\"undefined symbol\")")
			r.Fix = "Install the " + strings.ReplaceAll(name, "_", "-") + " build made for torch " + tv.String() + ", or install the torch it was built for."
			r.Commands = []string{"pip install --force-reinstall --no-deps " + strings.ReplaceAll(name, "_", "-") + "  # fetches or builds it against the installed torch"}
			if pin := strings.TrimPrefix(w.RequiresTorch, "=="); pin != w.RequiresTorch && !strings.ContainsAny(pin, ",<>!~*") {
				cmd := "pip install torch==" + pin
				if cu, err := ParseVersion(torch.CUDA); err == nil {
					cmd += " --index-url https://download.pytorch.org/whl/" + knowledge.CUDATag(cu)
				}
				r.Commands = append(r.Commands, cmd+"  # or return torch to the version it requires")
			}
		case decided:
			r.Status = model.Pass
		default:
			ev = append(ev, "its metadata names no torch version and its wheel tag is unknown")
		}
		r.Evidence = joinSentences(ev)
		out = append(out, r)
	}
	if len(out) == 0 {
		return []model.CheckResult{{ID: "ext", Title: "Compiled extensions vs PyTorch", Status: model.Skip,
			Evidence: "none of " + strings.Join(extensionNames, ", ") + " is installed"}}
	}
	return out
}

var requireCUDARE = regexp.MustCompile(`cuda>=(\d+\.\d+)`)

// summariseRequireCUDA shortens NVIDIA_REQUIRE_CUDA for evidence: NVIDIA's
// images list dozens of "brand=X,driver>=N,driver<M" clauses (60 in the
// 13.0 image on the H200) after the "cuda>=X.Y" that matters here.
func summariseRequireCUDA(s string) string {
	if len(s) <= 80 {
		return strconv.Quote(s)
	}
	var keep []string
	brands := 0
	for _, c := range strings.Fields(s) {
		if strings.HasPrefix(c, "brand=") {
			brands++
			continue
		}
		keep = append(keep, c)
	}
	out := strconv.Quote(strings.Join(keep, " "))
	if brands > 0 {
		out += fmt.Sprintf(" (+ %d brand-specific driver ranges)", brands)
	}
	return out
}

// imageCUDARule: inside an NVIDIA CUDA image, the image's CUDA against the
// host driver.
func imageCUDARule(f *model.Facts) []model.CheckResult {
	r := model.CheckResult{ID: "image.cuda", Title: "Container image's CUDA vs host driver",
		Why: "NVIDIA's CUDA images declare their CUDA (CUDA_VERSION) and the driver they need (NVIDIA_REQUIRE_CUDA, enforced by the NVIDIA container toolkit when the container starts); the host's driver decides what runs."}
	if !f.Stack.Probed {
		return skipped(r, stackNotRecorded)
	}
	img := f.Stack.Image
	if img.CUDAVersion == "" && img.RequireCUDA == "" {
		r.Status, r.Evidence = model.Skip, "no CUDA_VERSION / NVIDIA_REQUIRE_CUDA in the environment: not an NVIDIA CUDA image"
		return []model.CheckResult{r}
	}
	cuda := img.CUDAVersion
	if cuda == "" {
		if m := requireCUDARE.FindStringSubmatch(img.RequireCUDA); m != nil {
			cuda = m[1]
		}
	}
	ev := []string{}
	if img.CUDAVersion != "" {
		ev = append(ev, "CUDA_VERSION="+img.CUDAVersion)
	}
	if img.RequireCUDA != "" {
		ev = append(ev, "NVIDIA_REQUIRE_CUDA="+summariseRequireCUDA(img.RequireCUDA))
	}
	if img.DisableRequire != "" {
		ev = append(ev, "NVIDIA_DISABLE_REQUIRE="+img.DisableRequire+" (the container toolkit's check was switched off)")
	}
	drv, src, ok := driverVersion(f)
	if !ok || cuda == "" {
		r.Status = model.Skip
		r.Evidence = joinSentences(append(ev, "host driver version unknown"))
		return []model.CheckResult{r}
	}
	j := withForwardCompat(f, judgeDriverForCUDA(drv, f.NVML.CUDADriverVersion, cuda), cuda)
	r.Status = j.status
	r.Evidence = joinSentences(append(ev, "host driver "+drv.String()+" ("+src+")", j.evidence))
	cite(&r, j.provs...)
	if j.status == model.Fail || j.status == model.Warn {
		var fixes, cmds []string
		if j.need != "" {
			t, c := driverUpgradeText(f, j.need)
			fixes, cmds = append(fixes, "On the host: "+t), append(cmds, c...)
		}
		maxCUDA := Version{}
		if c := f.NVML.CUDADriverVersion; c.OK {
			maxCUDA = cudaIntVersion(c.V)
		} else if t, ok := knowledge.NewestToolkitForDriver(drv); ok {
			maxCUDA = MustVersion(t.Toolkit)
		}
		if !maxCUDA.IsZero() {
			fixes = append(fixes, "Or use an image built for CUDA "+maxCUDA.String()+" or older (an nvidia/cuda:"+maxCUDA.String()+".x-... tag), which this host driver runs.")
		}
		if j.belowFloor && allDataCenter(f) {
			mm := versionOr(cuda).MajorMinor()
			fixes = append(fixes, "On data-center GPUs the image can carry NVIDIA's forward-compatibility package instead.")
			cmds = append(cmds, fmt.Sprintf("apt-get install cuda-compat-%d-%d  # in the image; LD_LIBRARY_PATH=/usr/local/cuda-%s/compat", mm.Major(), mm.Minor(), mm))
			citeText(&r, knowledge.SrcForwardCompat)
		}
		r.Fix, r.Commands = strings.Join(fixes, " "), cmds
	}
	return []model.CheckResult{r}
}
