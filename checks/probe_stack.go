package checks

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/gputop/gputop/model"
)

// The stack probe: TensorRT, NCCL, other frameworks and compiled
// extensions, and the CUDA a container image declares. Like the other
// probes it reads files only (headers, library names, dpkg's status file,
// dist-info metadata) and never imports Python or loads a library.

var (
	stackIncludeDirs = []string{"/usr/include/x86_64-linux-gnu", "/usr/include/aarch64-linux-gnu", "/usr/include", "/usr/local/cuda/include", "/opt/tensorrt/include"}
	stackLibDirs     = []string{"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/cuda/lib64", "/opt/tensorrt/lib"}
	defineRE         = regexp.MustCompile(`(?m)^\s*#\s*define\s+([A-Za-z_][A-Za-z0-9_]*)\s+([A-Za-z0-9_]+)`)
	debCUDAVerRE     = regexp.MustCompile(`\+cuda(\d+)\.(\d+)`)
	pipCUDATagRE     = regexp.MustCompile(`_cu(\d+)(?:_|$)`)
	localTagRE       = regexp.MustCompile(`^[^-]+-[^-+]+\+([^-]+)-`)
)

// ncclEnvVars are the NCCL variables that change how it runs (transport,
// interfaces, algorithms, debugging); NCCL's documentation lists them under
// "Environment Variables".
var ncclEnvVars = []string{
	"NCCL_P2P_DISABLE", "NCCL_P2P_LEVEL", "NCCL_SHM_DISABLE", "NCCL_IB_DISABLE", "NCCL_IB_HCA", "NCCL_IB_GID_INDEX",
	"NCCL_IB_TIMEOUT", "NCCL_SOCKET_IFNAME", "NCCL_NET", "NCCL_NET_GDR_LEVEL", "NCCL_NET_GDR_READ", "NCCL_CROSS_NIC",
	"NCCL_ALGO", "NCCL_PROTO", "NCCL_NVLS_ENABLE", "NCCL_CUMEM_ENABLE", "NCCL_COLLNET_ENABLE", "NCCL_BUFFSIZE",
	"NCCL_MIN_NCHANNELS", "NCCL_MAX_NCHANNELS", "NCCL_TOPO_FILE", "NCCL_IGNORE_CPU_AFFINITY", "NCCL_LAUNCH_MODE",
	"NCCL_DEBUG", "NCCL_DEBUG_SUBSYS",
}

// stackWheelNames are the distributions the stack rules judge (names
// normalised: lower case, '-' and '.' as '_').
func stackWheelWanted(name string) bool {
	switch name {
	case "jax", "jaxlib", "tensorflow", "tensorflow_gpu", "tensorflow_cpu", "vllm", "flash_attn", "xformers",
		"bitsandbytes", "torchvision", "torchaudio", "tensorrt", "triton":
		return true
	}
	return strings.HasPrefix(name, "jax_cuda") || strings.HasPrefix(name, "tensorrt_cu") || strings.HasPrefix(name, "nvidia_nccl_cu")
}

func normDist(name string) string {
	return strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToLower(name))
}

// probeStack gathers the stack facts; sites are the Python package dirs.
func probeStack(env Env, sites []string) model.StackFacts {
	s := model.StackFacts{Probed: true, TensorRT: []model.LibraryInstall{}, NCCL: []model.LibraryInstall{},
		Wheels: []model.WheelInstall{}, NCCLEnv: map[string]string{}}
	debs := readDpkgStatus(env)
	s.TensorRT = probeVersionedLib(env, debs, libSpec{
		header: "NvInferVersion.h", macros: [3]string{"NV_TENSORRT_MAJOR", "NV_TENSORRT_MINOR", "NV_TENSORRT_PATCH"},
		lib: "libnvinfer.so.", debPrefix: []string{"libnvinfer"}, headerGlobs: []string{"/usr/local/TensorRT*/include"}, libGlobs: []string{"/usr/local/TensorRT*/lib"},
	})
	s.NCCL = probeVersionedLib(env, debs, libSpec{
		header: "nccl.h", macros: [3]string{"NCCL_MAJOR", "NCCL_MINOR", "NCCL_PATCH"},
		lib: "libnccl.so.", debPrefix: []string{"libnccl2"},
	})
	for _, site := range sites {
		for _, di := range env.glob(path.Join(site, "*.dist-info")) {
			name, ver, ok := distInfoName(path.Base(di))
			if !ok || !stackWheelWanted(name) {
				continue
			}
			w := readWheel(env, di, name, ver)
			s.Wheels = append(s.Wheels, w)
			switch {
			case strings.HasPrefix(name, "tensorrt"):
				s.TensorRT = append(s.TensorRT, pipLib(di, name, ver))
			case strings.HasPrefix(name, "nvidia_nccl_cu"):
				s.NCCL = append(s.NCCL, pipLib(di, name, ver))
			}
		}
	}
	s.TensorRT = collapsePipTensorRT(s.TensorRT)
	for _, k := range ncclEnvVars {
		if v, ok := env.getenv(k); ok {
			s.NCCLEnv[k] = v
		}
	}
	s.Image.CUDAVersion, _ = env.getenv("CUDA_VERSION")
	s.Image.RequireCUDA, _ = env.getenv("NVIDIA_REQUIRE_CUDA")
	s.Image.DisableRequire, _ = env.getenv("NVIDIA_DISABLE_REQUIRE")
	return s
}

// distInfoName splits "flash_attn-2.7.4.post1.dist-info".
func distInfoName(base string) (name, version string, ok bool) {
	base = strings.TrimSuffix(base, ".dist-info")
	i := strings.Index(base, "-")
	if i <= 0 || i == len(base)-1 {
		return "", "", false
	}
	return normDist(base[:i]), base[i+1:], true
}

func pipLib(di, name, ver string) model.LibraryInstall {
	l := model.LibraryInstall{Origin: "pip", Path: di, Version: ver}
	if m := pipCUDATagRE.FindStringSubmatch(name); m != nil {
		n, _ := strconv.Atoi(m[1])
		l.CUDAMajor = model.Some(n)
	}
	return l
}

// collapsePipTensorRT keeps one pip entry per site (tensorrt, tensorrt_cu12,
// tensorrt_cu12_libs and tensorrt_cu12_bindings are one install), taking the
// CUDA major from whichever names it.
func collapsePipTensorRT(in []model.LibraryInstall) []model.LibraryInstall {
	out := []model.LibraryInstall{}
	bySite := map[string]int{}
	for _, l := range in {
		if l.Origin != "pip" {
			out = append(out, l)
			continue
		}
		site := path.Dir(l.Path)
		i, ok := bySite[site]
		if !ok {
			bySite[site] = len(out)
			out = append(out, l)
			continue
		}
		if !out[i].CUDAMajor.OK && l.CUDAMajor.OK {
			out[i].CUDAMajor = l.CUDAMajor
		}
		if out[i].Version != l.Version {
			out[i].Error = joinSentences([]string{out[i].Error, "pip TensorRT packages disagree: " + path.Base(out[i].Path) + " vs " + path.Base(l.Path)})
		}
	}
	return out
}

type libSpec struct {
	header      string
	macros      [3]string
	lib         string // "libnvinfer.so." : the real file carries the full version
	debPrefix   []string
	headerGlobs []string
	libGlobs    []string
}

type debPackage struct{ name, version string }

// maxDpkgStatus bounds the dpkg database read: it is parsed as a stream,
// so only the bound on time matters; real ones are a few MB (a CUDA host's
// runs past the 1 MiB that bounds other reads).
const maxDpkgStatus = 256 << 20

// readDpkgStatus lists installed Debian packages (name and version) from
// /var/lib/dpkg/status; nil where there is none.
func readDpkgStatus(env Env) []debPackage {
	out, err := readRegularWith(env.hostResolved("/var/lib/dpkg/status"), maxDpkgStatus, readTimeout, parseDpkgStatus)
	if err != nil {
		return nil
	}
	return out
}

// parseDpkgStatus reads dpkg's status database as a stream.
func parseDpkgStatus(r io.Reader, _ int64) ([]debPackage, error) {
	var out []debPackage
	var cur debPackage
	installed := false
	flush := func() {
		if cur.name != "" && installed {
			out = append(out, cur)
		}
		cur, installed = debPackage{}, false
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	// Bytes, not Text: only the two values kept become strings (a
	// string per line was as much garbage as the file).
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0:
			flush()
		case bytes.HasPrefix(line, []byte("Package: ")):
			cur.name = string(bytes.TrimSpace(line[len("Package: "):]))
		case bytes.HasPrefix(line, []byte("Version: ")):
			cur.version = string(bytes.TrimSpace(line[len("Version: "):]))
		case bytes.HasPrefix(line, []byte("Status: ")):
			installed = bytes.HasSuffix(bytes.TrimSpace(line), []byte(" installed"))
		}
	}
	flush()
	return out, sc.Err()
}

func probeVersionedLib(env Env, debs []debPackage, spec libSpec) []model.LibraryInstall {
	out := []model.LibraryInstall{}
	seen := map[string]bool{}
	dirs := append([]string{}, stackIncludeDirs...)
	for _, g := range spec.headerGlobs {
		dirs = append(dirs, env.glob(g)...)
	}
	for _, d := range dirs {
		p := path.Join(d, spec.header)
		if !env.exists(p) {
			continue
		}
		if !firstSeen(env, seen, p) {
			continue
		}
		l := model.LibraryInstall{Origin: "header", Path: p}
		b, err := env.readFile(p)
		if err != nil {
			l.Error = err.Error()
		} else if v, ok := headerVersion(b, spec.macros); ok {
			l.Version = v
		} else {
			l.Error = "no " + spec.macros[0] + " in " + p
		}
		out = append(out, l)
	}
	libDirs := append([]string{}, stackLibDirs...)
	for _, g := range spec.libGlobs {
		libDirs = append(libDirs, env.glob(g)...)
	}
	for _, d := range libDirs {
		for _, p := range env.glob(path.Join(d, spec.lib+"*")) {
			ver := strings.TrimPrefix(path.Base(p), spec.lib)
			if strings.Count(ver, ".") < 2 {
				continue // the soname link (libnccl.so.2): its target carries the version
			}
			if _, err := ParseVersion(ver); err != nil {
				continue
			}
			if !firstSeen(env, seen, p) {
				continue
			}
			out = append(out, model.LibraryInstall{Origin: "library", Path: p, Version: ver})
		}
	}
	for _, d := range debs {
		for _, pre := range spec.debPrefix {
			if !strings.HasPrefix(d.name, pre) || strings.HasSuffix(d.name, "-dev") {
				continue
			}
			l := model.LibraryInstall{Origin: "deb", Path: "/var/lib/dpkg/status: " + d.name}
			ver := d.version
			if i := strings.Index(ver, "-"); i > 0 {
				ver = ver[:i]
			}
			l.Version = ver
			if m := debCUDAVerRE.FindStringSubmatch(d.version); m != nil {
				n, _ := strconv.Atoi(m[1])
				l.CUDAMajor, l.CUDA = model.Some(n), m[1]+"."+m[2]
			}
			out = append(out, l)
		}
	}
	return out
}

// firstSeen reports whether p (links resolved) is met for the first time:
// a header or library reached through several links is one install.
func firstSeen(env Env, seen map[string]bool, p string) bool {
	_, final, err := env.resolveLinks(p)
	if err != nil {
		final = p
	}
	if seen[final] {
		return false
	}
	seen[final] = true
	return true
}

// headerVersion reads MAJOR/MINOR/PATCH macros, following a macro defined as
// another macro (TensorRT 10: NV_TENSORRT_MAJOR TRT_MAJOR_ENTERPRISE).
func headerVersion(b []byte, macros [3]string) (string, bool) {
	defs := map[string]string{}
	for _, m := range defineRE.FindAllSubmatch(b, -1) {
		if _, dup := defs[string(m[1])]; !dup {
			defs[string(m[1])] = string(m[2])
		}
	}
	resolve := func(name string) (string, bool) {
		v, ok := defs[name]
		for i := 0; ok && i < 4; i++ {
			if _, err := strconv.Atoi(v); err == nil {
				return v, true
			}
			v, ok = defs[v]
		}
		return "", false
	}
	var parts []string
	for i, m := range macros {
		v, ok := resolve(m)
		if !ok {
			if i == 0 {
				return "", false
			}
			v = "0"
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, "."), true
}

var requiresDistRE = regexp.MustCompile(`(?m)^Requires-Dist:[ \t]*([A-Za-z0-9_.\-]+)[ \t]*(?:\[[^\]\n]*\])?[ \t]*\(?([^;)\n]*)\)?[ \t]*(;[^\n]*)?$`)

// readWheel reads a dist-info's METADATA (the torch requirement) and
// direct_url.json (the wheel file's local version tag).
func readWheel(env Env, di, name, ver string) model.WheelInstall {
	w := model.WheelInstall{Name: name, Version: ver, Path: di}
	if b, err := env.readFile(path.Join(di, "METADATA")); err == nil {
		for _, m := range requiresDistRE.FindAllSubmatch(b, -1) {
			if normDist(string(m[1])) != "torch" || strings.Contains(string(m[3]), "extra") {
				continue
			}
			w.RequiresTorch = strings.TrimSpace(string(m[2]))
			break
		}
	} else {
		w.Error = "METADATA unreadable: " + err.Error()
	}
	if b, err := env.readFile(path.Join(di, "direct_url.json")); err == nil {
		var du struct {
			URL string `json:"url"`
		}
		if json.Unmarshal(b, &du) == nil && du.URL != "" {
			if m := localTagRE.FindStringSubmatch(path.Base(du.URL)); m != nil {
				w.BuiltFor = m[1]
			}
		}
	}
	return w
}

// sortedKeys lists a map's keys in order.
func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
