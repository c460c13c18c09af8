package checks

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/gputop/gputop/model"
)

// probeEnvironment gathers where the GPUs live: container runtime details,
// cuda-compat, the loader's choice of driver libraries, GPU Operator, Slurm,
// WSL2, AER counters and IOMMU/ACS. It reads small files only (through
// Env's bounded readers) and opens /dev/nvidiactl once, read-write and
// non-blocking, then closes it: what CUDA and NVML do first.
func probeEnvironment(env Env, f *model.Facts) model.EnvironmentFacts {
	e := model.EnvironmentFacts{Probed: true}
	e.Container = probeContainerEnv(env)
	e.Libraries = probeLibraryOrder(env, f.SiteDirs)
	e.ForwardCompat = probeForwardCompat(env, e.Libraries)
	e.Operator = probeOperator(env)
	e.Slurm = probeSlurm(env)
	e.WSL = probeWSL(env)
	e.AER = probeAER(env, f.PCI)
	e.IOMMU = probeIOMMU(env, f.PCI)
	return e
}

// openDevice opens a host path read-write without blocking and closes it.
// A variable so tests can play a device cgroup that denies the open.
var openDevice = func(hostPath string) error {
	fd, err := os.OpenFile(hostPath, os.O_RDWR|syscall.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	return fd.Close()
}

var cdiLibcudaRE = regexp.MustCompile(`libcuda\.so\.(\d+\.\d+(?:\.\d+)?)`)

func probeContainerEnv(env Env) model.ContainerEnv {
	var c model.ContainerEnv
	if v, ok := env.getenv("NVIDIA_DRIVER_CAPABILITIES"); ok {
		c.DriverCapabilities = model.Some(v)
	}
	var specs []string
	for _, dir := range []string{"/etc/cdi", "/var/run/cdi"} {
		for _, ext := range []string{"*.yaml", "*.yml", "*.json"} {
			specs = append(specs, env.glob(dir+"/"+ext)...)
		}
	}
	for _, p := range specs {
		s := model.CDISpec{Path: p}
		b, err := env.readFile(p)
		if err != nil {
			s.Error = err.Error()
		} else if m := cdiLibcudaRE.FindSubmatch(b); m != nil {
			s.DriverVersion = string(m[1])
		}
		c.CDISpecs = append(c.CDISpecs, s)
	}
	if env.exists("/dev/nvidiactl") {
		c.ControlOpenTried = true
		if err := openDevice(env.hostResolved("/dev/nvidiactl")); err != nil {
			c.ControlOpenError = errText(err)
		}
	}
	return c
}

// errText is an error's innermost message ("operation not permitted").
func errText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// defaultLibDirs are the loader's trusted directories after ld.so.cache
// (x86_64 and aarch64 multiarch, then the classic ones).
var defaultLibDirs = []string{
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
	"/lib64", "/usr/lib64", "/lib", "/usr/lib",
}

// loaderSonames are the libraries whose copy matters: the driver API, NVML
// and cuDNN 8/9.
var loaderSonames = []struct{ soname, prefix string }{
	{"libcuda.so.1", "libcuda.so."},
	{"libnvidia-ml.so.1", "libnvidia-ml.so."},
	{"libcudnn.so.9", "libcudnn.so."},
	{"libcudnn.so.8", "libcudnn.so."},
}

// loaderDir is one directory in the loader's search order.
type loaderDir struct{ dir, via string }

// loaderDirs lists the search order of ld.so(8) for a program without
// RPATH: LD_LIBRARY_PATH, then ld.so.cache (approximated by ld.so.conf's
// order; the cache is rebuilt from it by ldconfig), then the defaults.
func loaderDirs(env Env) []loaderDir {
	var out []loaderDir
	if ld, ok := env.getenv("LD_LIBRARY_PATH"); ok {
		for _, d := range strings.Split(ld, ":") {
			if path.IsAbs(d) {
				out = append(out, loaderDir{path.Clean(d), "LD_LIBRARY_PATH"})
			}
		}
	}
	seenConf := map[string]bool{}
	var readConf func(p string, depth int)
	readConf = func(p string, depth int) {
		if depth > 4 || seenConf[p] {
			return
		}
		seenConf[p] = true
		b, err := env.readFile(p)
		if err != nil {
			return
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = strings.TrimSpace(line[:i])
			}
			if line == "" {
				continue
			}
			if pat, ok := strings.CutPrefix(line, "include "); ok {
				pat = strings.TrimSpace(pat)
				if !path.IsAbs(pat) {
					pat = path.Join(path.Dir(p), pat)
				}
				for _, m := range env.glob(pat) {
					readConf(m, depth+1)
				}
				continue
			}
			if path.IsAbs(line) {
				out = append(out, loaderDir{path.Clean(line), "ld.so.conf (" + p + ")"})
			}
		}
	}
	readConf("/etc/ld.so.conf", 0)
	for _, d := range defaultLibDirs {
		out = append(out, loaderDir{d, "default"})
	}
	return out
}

// probeLibraryOrder finds every copy of the driver and cuDNN libraries in
// the loader's order, and the cuDNN copies of pip wheels.
func probeLibraryOrder(env Env, siteDirs []string) []model.LibraryChoice {
	dirs := loaderDirs(env)
	var out []model.LibraryChoice
	for _, s := range loaderSonames {
		c := model.LibraryChoice{Soname: s.soname}
		seen := map[string]bool{}
		for _, d := range dirs {
			p := path.Join(d.dir, s.soname)
			// Resolved inside Root: a directory on the path may be a link
			// (/usr/local/cuda -> cuda-12.9); a dangling library is not
			// loadable, so it is not a candidate.
			if _, err := os.Stat(env.hostResolved(p)); err != nil {
				continue
			}
			_, final, err := env.resolveLinks(p)
			if err != nil {
				final = p
			}
			if seen[final] {
				continue // the same file through another directory (/lib -> /usr/lib)
			}
			seen[final] = true
			c.Candidates = append(c.Candidates, model.LibraryHit{Path: p, Version: versionFromName(final, s.prefix), Via: d.via})
		}
		if strings.HasPrefix(s.soname, "libcudnn") {
			for _, sd := range siteDirs {
				p := path.Join(sd, "nvidia/cudnn/lib", s.soname)
				if _, err := os.Stat(env.hostResolved(p)); err != nil {
					continue
				}
				_, final, _ := env.resolveLinks(p)
				c.Candidates = append(c.Candidates, model.LibraryHit{Path: p, Version: versionFromName(final, s.prefix), Via: "wheel"})
			}
		}
		if len(c.Candidates) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// versionFromName reads "580.95.05" from ".../libcuda.so.580.95.05".
func versionFromName(p, prefix string) string {
	v, ok := strings.CutPrefix(path.Base(p), prefix)
	if !ok {
		return ""
	}
	if _, err := ParseVersion(v); err != nil || !strings.Contains(v, ".") {
		return ""
	}
	return v
}

var compatCUDARE = regexp.MustCompile(`cuda-(\d+\.\d+)$`)

// probeForwardCompat finds cuda-compat directories and whether the
// loader's libcuda comes from one.
func probeForwardCompat(env Env, libs []model.LibraryChoice) []model.ForwardCompat {
	var winner model.LibraryHit
	for _, l := range libs {
		if l.Soname == "libcuda.so.1" && len(l.Candidates) > 0 {
			winner = l.Candidates[0]
		}
	}
	winnerDir := ""
	if winner.Path != "" {
		_, winnerDir, _ = env.resolveLinks(path.Dir(winner.Path))
	}
	seen := map[string]bool{}
	var out []model.ForwardCompat
	// cuda-compat puts libcuda in compat/; NGC images in compat/lib
	// (a link to compat/lib.real).
	var dirs []string
	for _, pat := range []string{"/usr/local/cuda*/compat", "/usr/local/cuda*/compat/lib", "/usr/local/cuda*/compat/lib.real"} {
		dirs = append(dirs, env.glob(pat)...)
	}
	for _, dir := range dirs {
		_, real, err := env.resolveLinks(dir)
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		fc := model.ForwardCompat{Dir: real}
		for _, lib := range env.glob(dir + "/libcuda.so.*") {
			if v := versionFromName(lib, "libcuda.so."); v != "" {
				fc.LibCUDAVersion = v
			}
		}
		if fc.LibCUDAVersion == "" {
			continue // a compat directory without libcuda is not forward compatibility
		}
		base := strings.TrimSuffix(strings.TrimSuffix(real, "/lib.real"), "/lib")
		if m := compatCUDARE.FindStringSubmatch(path.Dir(base)); m != nil {
			fc.CUDAVersion = m[1]
		}
		if winnerDir != "" && winnerDir == real {
			fc.Active, fc.ActiveVia = true, winner.Via
		}
		out = append(out, fc)
	}
	return out
}

func probeOperator(env Env) model.OperatorFacts {
	var o model.OperatorFacts
	const root = "/run/nvidia/driver"
	if env.exists(root) {
		o.DriverRoot = true
		for _, pat := range []string{root + "/usr/lib/*/libnvidia-ml.so.1", root + "/usr/lib64/libnvidia-ml.so.1", root + "/usr/lib/libnvidia-ml.so.1"} {
			for _, p := range env.glob(pat) {
				if o.LibraryDir != "" {
					break
				}
				_, final, err := env.resolveLinks(p)
				if err != nil {
					continue
				}
				o.LibraryDir = path.Dir(p)
				o.DriverVersion = versionFromName(final, "libnvidia-ml.so.")
			}
		}
	}
	const vdir = "/run/nvidia/validations"
	if env.exists(vdir) {
		o.ValidationsDir = true
		for _, p := range env.glob(vdir + "/*") {
			o.Validations = append(o.Validations, path.Base(p))
		}
	}
	return o
}

func probeSlurm(env Env) model.SlurmFacts {
	var s model.SlurmFacts
	s.JobID, _ = env.getenv("SLURM_JOB_ID")
	if v, ok := env.getenv("SLURM_STEP_GPUS"); ok && v != "" {
		s.GPUs, s.GPUsFrom = v, "SLURM_STEP_GPUS"
	} else if v, ok := env.getenv("SLURM_JOB_GPUS"); ok && v != "" {
		s.GPUs, s.GPUsFrom = v, "SLURM_JOB_GPUS"
	}
	if b, err := env.readFile("/proc/self/cgroup"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			parts := strings.SplitN(line, ":", 3)
			if len(parts) == 3 && (strings.Contains(parts[2], "slurm") || strings.Contains(parts[2], "/job_")) {
				s.Cgroup = strings.TrimSpace(parts[2])
				break
			}
		}
	}
	if s.JobID == "" && s.Cgroup == "" {
		return s
	}
	for _, p := range []string{"/etc/slurm/cgroup.conf", "/etc/slurm-llnl/cgroup.conf", "/usr/local/etc/slurm/cgroup.conf"} {
		b, err := env.readFile(p)
		if err != nil {
			continue
		}
		s.ConfPath = p
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = line[:i]
			}
			k, v, ok := strings.Cut(line, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "ConstrainDevices") {
				s.ConstrainDevices = model.Some(strings.EqualFold(strings.TrimSpace(v), "yes"))
			}
		}
		break
	}
	return s
}

func probeWSL(env Env) model.WSLFacts {
	var w model.WSLFacts
	w.DXG = env.exists("/dev/dxg")
	w.LibDir = env.exists("/usr/lib/wsl/lib/libcuda.so.1")
	if b, err := env.readFile("/proc/sys/kernel/osrelease"); err == nil {
		rel := strings.TrimSpace(string(b))
		if l := strings.ToLower(rel); strings.Contains(l, "microsoft") || strings.Contains(l, "wsl") {
			w.Detected, w.Evidence = true, "kernel release "+strconv.Quote(rel)
		}
	}
	if !w.Detected && w.DXG && w.LibDir {
		w.Detected, w.Evidence = true, "/dev/dxg and /usr/lib/wsl/lib/libcuda.so.1 exist"
	}
	return w
}

// probeAER reads the AER totals of the NVIDIA functions (Linux 5.6+ sysfs
// aer_dev_* files; absent without AER support or in most VMs).
func probeAER(env Env, pci model.PCIFacts) []model.AERCounters {
	var out []model.AERCounters
	for _, d := range pci.Devices {
		if d.Vendor != 0x10de {
			continue
		}
		a := model.AERCounters{BDF: d.BDF}
		found := false
		for _, f := range []struct {
			file, total string
			dst         *model.Opt[uint64]
		}{
			{"aer_dev_correctable", "TOTAL_ERR_COR", &a.Correctable},
			{"aer_dev_nonfatal", "TOTAL_ERR_NONFATAL", &a.NonFatal},
			{"aer_dev_fatal", "TOTAL_ERR_FATAL", &a.Fatal},
		} {
			b, err := env.readFile("/sys/bus/pci/devices/" + d.BDF + "/" + f.file)
			if err != nil {
				continue
			}
			for _, line := range strings.Split(string(b), "\n") {
				k, v, ok := strings.Cut(strings.TrimSpace(line), " ")
				if ok && k == f.total {
					if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64); err == nil {
						f.dst.Set(n)
						found = true
					}
				}
			}
		}
		if found {
			out = append(out, a)
		}
	}
	return out
}

var bdfRE = regexp.MustCompile(`^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$`)

// probeIOMMU counts IOMMU groups, reads the kernel's IOMMU parameters, and
// looks for ACS redirection on the bridges above each GPU.
func probeIOMMU(env Env, pci model.PCIFacts) model.IOMMUFacts {
	var m model.IOMMUFacts
	if env.exists("/sys/kernel/iommu_groups") {
		m.Groups = model.Some(len(env.glob("/sys/kernel/iommu_groups/*")))
	}
	if b, err := env.readFile("/proc/cmdline"); err == nil {
		var params []string
		for _, p := range strings.Fields(string(b)) {
			if strings.Contains(p, "iommu") {
				params = append(params, p)
				if p == "iommu=pt" || p == "iommu.passthrough=1" || p == "amd_iommu=pt" || p == "intel_iommu=pt" {
					m.Passthrough = true
				}
			}
		}
		m.Cmdline = strings.Join(params, " ")
	}
	redirect := map[string]bool{}
	for _, d := range pci.Devices {
		if !d.IsGPU() {
			continue
		}
		_, real, err := env.resolveLinks("/sys/bus/pci/devices/" + d.BDF)
		if err != nil {
			continue
		}
		parts := strings.Split(real, "/")
		for _, bridge := range parts[:max(len(parts)-1, 0)] {
			if !bdfRE.MatchString(bridge) || redirect[bridge] {
				continue
			}
			cfg, err := env.readFile("/sys/bus/pci/devices/" + bridge + "/config")
			if err != nil || len(cfg) < 0x104 {
				continue // unprivileged reads stop at 64 or 256 bytes
			}
			m.ACSReadable = true
			if acsRedirects(cfg) {
				redirect[bridge] = true
			}
		}
	}
	for b := range redirect {
		m.ACSRedirects = append(m.ACSRedirects, b)
	}
	sort.Strings(m.ACSRedirects)
	return m
}

// acsRedirects walks the PCIe extended capabilities for ACS (id 0x000D)
// and reports whether P2P Request Redirect (bit 2) or Completion Redirect
// (bit 3) is enabled in its control register (offset 6).
func acsRedirects(cfg []byte) bool {
	off := 0x100
	for hops := 0; off >= 0x100 && off+8 <= len(cfg) && hops < 64; hops++ {
		hdr := binary.LittleEndian.Uint32(cfg[off:])
		if hdr == 0 || hdr == 0xffffffff {
			return false
		}
		if hdr&0xffff == 0x000d {
			ctl := binary.LittleEndian.Uint16(cfg[off+6:])
			return ctl&(1<<2|1<<3) != 0
		}
		off = int(hdr >> 20)
	}
	return false
}
