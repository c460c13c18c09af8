package checks

import (
	"context"
	"encoding/json"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/gputop/gputop/model"
)

var nvccReleaseRE = regexp.MustCompile(`release (\d+\.\d+), V(\d+(?:\.\d+)*)`)

// probeNVCC runs the first nvcc on PATH with --version.
func probeNVCC(ctx context.Context, env Env) model.NVCCFacts {
	var n model.NVCCFacts
	p, err := env.lookPath("nvcc")
	if err != nil {
		n.Error = err.Error()
		return n
	}
	n.Found, n.Path = true, p
	if _, final, err := env.resolveLinks(p); err == nil {
		n.ResolvedPath = final
	}
	out, err := env.run(ctx, env.hostResolved(p), "--version")
	text := strings.TrimSpace(string(out))
	if i := strings.LastIndex(text, "\n"); i >= 0 {
		n.Output = strings.TrimSpace(text[i+1:])
	} else {
		n.Output = text
	}
	if m := nvccReleaseRE.FindStringSubmatch(text); m != nil {
		n.Version, n.Build = m[1], m[2]
		if i := strings.Index(text, "Cuda compilation tools"); i >= 0 {
			n.Output = strings.TrimSpace(strings.SplitN(text[i:], "\n", 2)[0])
		}
	}
	if err != nil {
		n.Error = err.Error()
	} else if n.Version == "" {
		n.Error = "no \"release X.Y\" in nvcc --version output"
	}
	return n
}

// probeCUDAInstall resolves a toolkit directory and reads its version.
func probeCUDAInstall(env Env, dir string) model.CUDAInstall {
	c := model.CUDAInstall{Path: dir}
	chain, final, err := env.resolveLinks(dir)
	c.Chain = chain
	if err != nil {
		if len(chain) > 0 {
			c.Error = "dangling link: " + err.Error()
		}
		return c
	}
	c.Exists, c.Resolved = true, final
	c.Version, c.VersionSource, c.Error = toolkitVersion(env, final)
	return c
}

var (
	cudartVersionRE = regexp.MustCompile(`(?m)^\s*#\s*define\s+CUDART_VERSION\s+(\d+)`)
	cudaVersionRE   = regexp.MustCompile(`(?m)^\s*#\s*define\s+CUDA_VERSION\s+(\d+)`)
	versionTxtRE    = regexp.MustCompile(`(?m)^CUDA Version\s+(\d+(?:\.\d+)+)\s*$`)
)

// toolkitVersion: version.json (11.1+, but missing on some images), then
// CUDART_VERSION in cuda_runtime_api.h, then CUDA_VERSION in cuda.h.
func toolkitVersion(env Env, dir string) (version, source, errText string) {
	if b, err := env.readFile(path.Join(dir, "version.json")); err == nil {
		var vj struct {
			CUDA struct {
				Version string `json:"version"`
			} `json:"cuda"`
		}
		if err := json.Unmarshal(b, &vj); err == nil && vj.CUDA.Version != "" {
			if _, err := ParseVersion(vj.CUDA.Version); err == nil {
				return vj.CUDA.Version, "version.json", ""
			}
		}
	}
	headers := []struct {
		file, source string
		re           *regexp.Regexp
	}{
		{"include/cuda_runtime_api.h", "cuda_runtime_api.h CUDART_VERSION", cudartVersionRE},
		{"include/cuda.h", "cuda.h CUDA_VERSION", cudaVersionRE},
	}
	for _, h := range headers {
		b, err := env.readFile(path.Join(dir, h.file))
		if err != nil {
			continue
		}
		if m := h.re.FindSubmatch(b); m != nil {
			n, _ := strconv.Atoi(string(m[1]))
			return cudaIntVersion(n).String(), h.source, ""
		}
	}
	// CUDA 11.0 and older write version.txt ("CUDA Version 10.2.89").
	if b, err := env.readFile(path.Join(dir, "version.txt")); err == nil {
		if m := versionTxtRE.FindSubmatch(b); m != nil {
			if _, err := ParseVersion(string(m[1])); err == nil {
				return string(m[1]), "version.txt", ""
			}
		}
	}
	return "", "", "no version.json, cuda_runtime_api.h, cuda.h or version.txt with a version in " + dir
}

var toolkitDirRE = regexp.MustCompile(`^cuda-\d+(\.\d+)*$`)

// probeToolkits lists every /usr/local/cuda-X.Y, oldest first.
func probeToolkits(env Env) []model.CUDAInstall {
	out := []model.CUDAInstall{}
	for _, p := range env.glob("/usr/local/cuda-*") {
		if toolkitDirRE.MatchString(path.Base(p)) {
			out = append(out, probeCUDAInstall(env, p))
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, _ := ParseVersion(strings.TrimPrefix(path.Base(out[i].Path), "cuda-"))
		b, _ := ParseVersion(strings.TrimPrefix(path.Base(out[j].Path), "cuda-"))
		return a.Less(b)
	})
	return out
}

// siteDirs lists the Python package directories to search, in the order a
// user's `python3` would likely use them: the active virtualenv, the conda
// env, the prefix of the python3 on PATH, then the system and user dirs.
// Globbing instead of running python keeps gathering fast and side-effect
// free.
func siteDirs(env Env) []string {
	var prefixes []string
	if v, ok := env.getenv("VIRTUAL_ENV"); ok && path.IsAbs(v) {
		prefixes = append(prefixes, v)
	}
	if v, ok := env.getenv("CONDA_PREFIX"); ok && path.IsAbs(v) {
		prefixes = append(prefixes, v)
	}
	if p, err := env.lookPath("python3"); err == nil {
		// Not resolved: a venv's bin/python3 links to /usr/bin/python3,
		// but its packages live under the venv.
		prefixes = append(prefixes, path.Dir(path.Dir(p)))
	}
	prefixes = append(prefixes, "/usr", "/usr/local")
	if h, ok := env.getenv("HOME"); ok && path.IsAbs(h) {
		prefixes = append(prefixes, path.Join(h, ".local"))
	}
	seen := map[string]bool{}
	out := []string{}
	for _, pre := range prefixes {
		for _, pat := range []string{"lib/python3*/site-packages", "lib/python3/dist-packages", "lib/python3*/dist-packages"} {
			for _, d := range env.glob(path.Join(pre, pat)) {
				if !seen[d] {
					seen[d] = true
					out = append(out, d)
				}
			}
		}
	}
	return out
}

var (
	cudnnMajorRE = regexp.MustCompile(`(?m)^\s*#\s*define\s+CUDNN_MAJOR\s+(\d+)`)
	cudnnMinorRE = regexp.MustCompile(`(?m)^\s*#\s*define\s+CUDNN_MINOR\s+(\d+)`)
	cudnnPatchRE = regexp.MustCompile(`(?m)^\s*#\s*define\s+CUDNN_PATCHLEVEL\s+(\d+)`)
	cuTagRE      = regexp.MustCompile(`cu(\d+)`)
	debCUDARE    = regexp.MustCompile(`-cuda-(\d+)$`)
)

// probeCuDNN finds every cuDNN header: real machines have several, and a
// framework loads the one in its own wheel.
func probeCuDNN(env Env, link model.CUDAInstall, toolkits []model.CUDAInstall, sites []string) []model.CuDNNInstall {
	type candidate struct {
		header, origin string
		cudaMajor      model.Opt[int]
	}
	var cands []candidate
	addDir := func(dir, origin string, major model.Opt[int]) {
		found := false
		for _, h := range env.glob(path.Join(dir, "cudnn_version*.h")) {
			cands = append(cands, candidate{h, origin, major})
			found = true
		}
		if !found && env.exists(path.Join(dir, "cudnn.h")) {
			// cuDNN 7 and older keep the macros in cudnn.h.
			cands = append(cands, candidate{path.Join(dir, "cudnn.h"), origin, major})
		}
	}
	tkMajor := func(c model.CUDAInstall) model.Opt[int] {
		if v, err := ParseVersion(c.Version); err == nil {
			return model.Some(v.Major())
		}
		return model.None[int]()
	}
	if link.Exists {
		addDir(path.Join(link.Path, "include"), "toolkit", tkMajor(link))
	}
	for _, tk := range toolkits {
		if tk.Exists {
			addDir(path.Join(tk.Path, "include"), "toolkit", tkMajor(tk))
		}
	}
	sysMajor := model.None[int]()
	for _, d := range env.glob("/usr/share/doc/libcudnn*-cuda-*") {
		if m := debCUDARE.FindStringSubmatch(path.Base(d)); m != nil {
			n, _ := strconv.Atoi(m[1])
			sysMajor = model.Some(n)
		}
	}
	for _, d := range []string{"/usr/include/x86_64-linux-gnu", "/usr/include/aarch64-linux-gnu", "/usr/include"} {
		addDir(d, "system", sysMajor)
	}
	if c, ok := env.getenv("CONDA_PREFIX"); ok && path.IsAbs(c) {
		addDir(path.Join(c, "include"), "conda", model.None[int]())
	}
	for _, s := range sites {
		major := model.None[int]()
		for _, di := range env.glob(path.Join(s, "nvidia_cudnn_cu*.dist-info")) {
			if m := cuTagRE.FindStringSubmatch(path.Base(di)); m != nil {
				n, _ := strconv.Atoi(m[1])
				major = model.Some(n)
			}
		}
		addDir(path.Join(s, "nvidia/cudnn/include"), "pip", major)
	}

	out := []model.CuDNNInstall{}
	seen := map[string]bool{}
	// A directory can hold cudnn_version.h and cudnn_version_v9.h as two
	// copies of one header (the pip wheel does): one install, reported once.
	seenDirVersion := map[string]bool{}
	for _, c := range cands {
		// Debian's alternatives and the toolkit's include link make one
		// header appear under several names: report it once.
		_, final, err := env.resolveLinks(c.header)
		if err != nil {
			final = c.header
		}
		if seen[final] {
			continue
		}
		seen[final] = true
		in := model.CuDNNInstall{Header: c.header, Origin: c.origin, CUDAMajor: c.cudaMajor}
		b, err := env.readFile(c.header)
		if err != nil {
			in.Error = err.Error()
			out = append(out, in)
			continue
		}
		ma, mi, pa := cudnnMajorRE.FindSubmatch(b), cudnnMinorRE.FindSubmatch(b), cudnnPatchRE.FindSubmatch(b)
		if ma == nil {
			if path.Base(c.header) == "cudnn.h" {
				continue // a cuDNN 8+ cudnn.h without macros: its version header was listed already
			}
			in.Error = "no CUDNN_MAJOR in " + c.header
			out = append(out, in)
			continue
		}
		v := string(ma[1])
		for _, m := range [][][]byte{mi, pa} {
			if m == nil {
				v += ".0"
			} else {
				v += "." + string(m[1])
			}
		}
		in.Version = v
		key := path.Dir(final) + "|" + v
		if seenDirVersion[key] {
			continue
		}
		seenDirVersion[key] = true
		out = append(out, in)
	}
	return out
}

var (
	torchVersionRE = regexp.MustCompile(`(?m)^__version__\s*(?::[^=]*)?=\s*['"]([^'"]+)['"]`)
	torchCUDARE    = regexp.MustCompile(`(?m)^cuda\s*(?::[^=]*)?=\s*(?:['"]([^'"]*)['"]|None)`)
)

// probeTorch reads torch/version.py in every site dir; importing torch would
// be slow and may initialise CUDA.
func probeTorch(env Env, sites []string) []model.TorchInstall {
	out := []model.TorchInstall{}
	for _, s := range sites {
		p := path.Join(s, "torch/version.py")
		if !env.exists(p) {
			continue
		}
		t := model.TorchInstall{Path: p}
		b, err := env.readFile(p)
		if err != nil {
			t.Error = err.Error()
			out = append(out, t)
			continue
		}
		if m := torchVersionRE.FindSubmatch(b); m != nil {
			t.Version = string(m[1])
		} else {
			t.Error = "no __version__ in " + p
		}
		if m := torchCUDARE.FindSubmatch(b); m != nil {
			t.CUDA = string(m[1])
		}
		out = append(out, t)
	}
	return out
}
