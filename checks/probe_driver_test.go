package checks

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gputop/gputop/model"
)

func put(t *testing.T, root, p string, data []byte) {
	t.Helper()
	full := filepath.Join(root, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A fresh install whose module is not loaded: Secure Boot from the EFI
// variable, the running kernel, the kernels that have an nvidia.ko, the
// install method, and the verdict that names them.
func TestProbeModuleContext(t *testing.T) {
	root := t.TempDir()
	put(t, root, secureBootVar, []byte{0x06, 0, 0, 0, 1})
	put(t, root, "/proc/sys/kernel/osrelease", []byte("6.8.0-90-generic\n"))
	put(t, root, "/lib/modules/6.8.0-88-generic/updates/dkms/nvidia.ko.zst", nil)
	put(t, root, "/lib/modules/6.8.0-90-generic/kernel/drivers/net/e1000.ko", nil)
	put(t, root, "/lib/modules/6.5.0-1-generic/kernel/nvidia-550/nvidia.ko", nil)
	put(t, root, "/var/lib/dpkg/info/nvidia-driver-580-open.list", nil)
	fe := &fakeEnv{vars: map[string]string{"PATH": "/usr/bin"}}
	k := probeKernelModule(fe.env(root))
	if k.Loaded || !k.SecureBoot.OK || !k.SecureBoot.V || k.RunningKernel != "6.8.0-90-generic" || !k.ModulesSearched {
		t.Fatalf("module facts = %+v", k)
	}
	if len(k.ModuleKernels) != 2 || k.ModuleKernels[0] != "6.5.0-1-generic" || k.ModuleKernels[1] != "6.8.0-88-generic" {
		t.Errorf("module kernels = %v", k.ModuleKernels)
	}
	if k.Install != "deb" || k.InstallEvidence != "/var/lib/dpkg/info/nvidia-driver-580-open.list" {
		t.Errorf("install = %q (%q)", k.Install, k.InstallEvidence)
	}
	f := Gather(context.Background(), fe.env(root), model.NVMLFacts{Source: "nvml", ErrorCode: "DRIVER_NOT_LOADED"})
	r := findResult(t, Evaluate(f), "driver.loaded")
	if r.Status != model.Fail || !contains(r.Evidence, "not for the running kernel 6.8.0-90-generic") || !contains(r.Fix, "running kernel") {
		t.Errorf("driver.loaded = %s: %s / %s", r.Status, r.Evidence, r.Fix)
	}

	// Secure Boot off, a runfile install, no /lib/modules at all.
	root = t.TempDir()
	put(t, root, secureBootVar, []byte{0x06, 0, 0, 0, 0})
	put(t, root, "/usr/bin/nvidia-uninstall", nil)
	k = probeKernelModule(fe.env(root))
	if !k.SecureBoot.OK || k.SecureBoot.V || k.Install != "runfile" || k.ModulesSearched || len(k.ModuleKernels) != 0 {
		t.Errorf("module facts = %+v", k)
	}
	// A BIOS boot: no EFI variable, Secure Boot unknown.
	k = probeKernelModule(fe.env(t.TempDir()))
	if k.SecureBoot.OK || k.Install != "" {
		t.Errorf("empty machine: %+v", k)
	}
}

// The kernel log probe runs dmesg found on PATH under the command timeout.
func TestGatherReadsTheKernelLog(t *testing.T) {
	root := t.TempDir()
	script := "#!/bin/sh\nprintf '%s\\n' '[ 5107.644336] NVRM: Xid (PCI:0000:18:00): 79, pid=0, GPU has fallen off the bus.'\n"
	put(t, root, "/usr/bin/dmesg", []byte(script))
	if err := os.Chmod(filepath.Join(root, "/usr/bin/dmesg"), 0o755); err != nil {
		t.Fatal(err)
	}
	fe := &fakeEnv{vars: map[string]string{"PATH": "/usr/bin"}}
	env := fe.env(root)
	env.CommandTimeout = 10 * time.Second
	f := Gather(context.Background(), env, model.NVMLFacts{Source: "nvml", ErrorCode: "DRIVER_NOT_LOADED"})
	if !f.KernelLog.Read || f.KernelLog.Source != "dmesg" || len(f.KernelLog.Xids) != 1 || f.KernelLog.Xids[0].Xid != 79 {
		t.Fatalf("kernel log = %+v", f.KernelLog)
	}
	r := findResult(t, Evaluate(f), "xid.pci-0000:18:00")
	if r.Status != model.Fail {
		t.Errorf("xid = %s", r.Status)
	}
}
