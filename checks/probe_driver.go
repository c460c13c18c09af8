package checks

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/gputop/gputop/model"
)

// probeKernelModule reads /proc/driver/nvidia/version and params.
func probeKernelModule(env Env) model.KernelModuleFacts {
	var k model.KernelModuleFacts
	k.NouveauLoaded = env.exists("/sys/module/nouveau")
	probeModuleContext(env, &k)
	b, err := env.readFile("/proc/driver/nvidia/version")
	if err != nil {
		k.Error = err.Error()
		return k
	}
	k.Loaded = true
	k.VersionText, k.Version, k.Open = parseNVRMVersion(string(b))
	if k.Version == "" {
		k.Error = "no version found in /proc/driver/nvidia/version"
	}
	if p, err := env.readFile("/proc/driver/nvidia/params"); err == nil {
		k.EnableResizableBar = parseParam(p, "EnableResizableBar")
	}
	return k
}

// parseNVRMVersion reads the NVRM line:
//
//	NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build  (...)
//	NVRM version: NVIDIA UNIX x86_64 Kernel Module  570.124.06  Wed Feb  5 ...
func parseNVRMVersion(text string) (line, version string, open model.Opt[bool]) {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "NVRM") {
			line = strings.TrimSpace(l)
			break
		}
	}
	if line == "" {
		return "", "", open
	}
	open = model.Some(strings.Contains(line, "Open Kernel Module"))
	after := line
	if i := strings.Index(line, "Kernel Module"); i >= 0 {
		after = line[i+len("Kernel Module"):]
	}
	for _, tok := range strings.Fields(after) {
		if strings.Count(tok, ".") >= 1 {
			if _, err := ParseVersion(tok); err == nil && !strings.ContainsAny(tok, "+-vV") {
				return line, tok, open
			}
		}
	}
	return line, "", open
}

// parseParam reads "Name: value" from /proc/driver/nvidia/params.
func parseParam(b []byte, name string) model.Opt[int] {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				return model.Some(n)
			}
		}
	}
	return model.None[int]()
}

// libraryDirs are where distributions and container runtimes put the
// driver's user-space libraries.
var libraryDirs = []string{
	"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib",
	"/usr/local/nvidia/lib64", "/usr/local/nvidia/lib", "/usr/lib/wsl/lib",
}

// probeLibrary finds a soname link and reads the driver version from the
// real file's name (libnvidia-ml.so.1 -> libnvidia-ml.so.580.159.04).
func probeLibrary(env Env, soname, versionPrefix string) model.LibraryFacts {
	var l model.LibraryFacts
	dirs := []string{}
	if ld, ok := env.getenv("LD_LIBRARY_PATH"); ok {
		for _, d := range strings.Split(ld, ":") {
			if path.IsAbs(d) {
				dirs = append(dirs, path.Clean(d))
			}
		}
	}
	dirs = append(dirs, libraryDirs...)
	for _, d := range dirs {
		p := path.Join(d, soname)
		if _, err := os.Lstat(env.host(p)); err != nil {
			continue
		}
		l.Found, l.Path = true, p
		_, final, err := env.resolveLinks(p)
		if err != nil {
			l.Error = err.Error()
			return l
		}
		l.RealPath = final
		base := path.Base(final)
		if v, ok := strings.CutPrefix(base, versionPrefix); ok {
			if _, err := ParseVersion(v); err == nil {
				l.Version = v
			}
		}
		if l.Version == "" {
			l.Error = fmt.Sprintf("no driver version in the file name %s", base)
		}
		return l
	}
	l.Error = soname + " not found in " + strings.Join(dirs, ", ")
	return l
}

// secureBootVar is the EFI global variable SecureBoot: 4 bytes of
// attributes, then one byte, 1 when Secure Boot is enforcing.
const secureBootVar = "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"

// probeModuleContext reads what explains a module that is not loaded:
// Secure Boot, the running kernel, the kernels that have an nvidia.ko, and
// how the driver was installed.
func probeModuleContext(env Env, k *model.KernelModuleFacts) {
	if b, err := env.readFile(secureBootVar); err == nil && len(b) >= 5 {
		k.SecureBoot = model.Some(b[4] == 1)
	}
	if b, err := env.readFile("/proc/sys/kernel/osrelease"); err == nil {
		k.RunningKernel = strings.TrimSpace(string(b))
	}
	kernels := env.glob("/lib/modules/*")
	if len(kernels) > 0 {
		k.ModulesSearched = true
	}
	for _, kd := range kernels {
		if moduleUnder(env, kd) {
			k.ModuleKernels = append(k.ModuleKernels, path.Base(kd))
		}
	}
	switch {
	case len(env.glob("/var/lib/dpkg/info/nvidia-driver-*.list")) > 0:
		k.Install, k.InstallEvidence = "deb", env.glob("/var/lib/dpkg/info/nvidia-driver-*.list")[0]
	case len(env.glob("/var/lib/dpkg/info/libnvidia-compute-*.list")) > 0:
		k.Install, k.InstallEvidence = "deb", env.glob("/var/lib/dpkg/info/libnvidia-compute-*.list")[0]
	case env.exists("/usr/bin/nvidia-uninstall"):
		k.Install, k.InstallEvidence = "runfile", "/usr/bin/nvidia-uninstall"
	case len(env.glob("/usr/share/licenses/nvidia-driver*")) > 0 || env.exists("/usr/lib/modprobe.d/nvidia-installer-disable-nouveau.conf"):
		if g := env.glob("/usr/share/licenses/nvidia-driver*"); len(g) > 0 {
			k.Install, k.InstallEvidence = "rpm", g[0]
		}
	}
}

// moduleDirs are where distributions, DKMS and the runfile put nvidia.ko
// under /lib/modules/<kernel>.
var moduleDirs = []string{"updates/dkms", "kernel/drivers/video", "extra", "updates", "kernel/nvidia-*", "extra/nvidia*", "kernel/drivers/gpu/drm/nvidia*", "misc"}

// moduleUnder: an nvidia.ko (any compression) for the kernel directory kd,
// looked for in the known places only (bounded).
func moduleUnder(env Env, kd string) bool {
	for _, d := range moduleDirs {
		for _, dir := range env.glob(path.Join(kd, d)) {
			if len(env.glob(path.Join(dir, "nvidia.ko*"))) > 0 {
				return true
			}
		}
	}
	return false
}
