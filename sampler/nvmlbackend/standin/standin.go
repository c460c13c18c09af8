// Package standin builds a stand-in libnvidia-ml.so.1 for tests (testdata/nvml.c
// here): the NVML symbols gputop calls, answering from
// environment variables (GPUTOP_STANDIN_GPUS, GPUTOP_STANDIN_NAME,
// GPUTOP_STANDIN_PIDS, GPUTOP_STANDIN_MIG, GPUTOP_STANDIN_GPM,
// GPUTOP_STANDIN_LOG; see testdata/nvml.c). With it the real binary's live path runs
// end to end without a GPU:
//
//	dir := t.TempDir()
//	if err := standin.Build(dir); err != nil { t.Skip(err) } // no gcc
//	cmd := exec.Command(gputop, "snapshot", "-o", out)
//	cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+dir, "GPUTOP_STANDIN_PIDS=1234")
//
// go-nvml dlopens "libnvidia-ml.so.1" by name, so LD_LIBRARY_PATH decides
// which library it gets.
package standin

import (
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

//go:embed testdata/nvml.c
var source []byte

// Library is the file name go-nvml opens.
const Library = "libnvidia-ml.so.1"

// Build compiles the stand-in into dir/libnvidia-ml.so.1 with the C
// compiler in $CC (gcc when unset).
func Build(dir string) error {
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "gcc"
	}
	if _, err := exec.LookPath(cc); err != nil {
		return fmt.Errorf("stand-in NVML: no C compiler: %w", err)
	}
	src := filepath.Join(dir, "nvml.c")
	if err := os.WriteFile(src, source, 0o600); err != nil {
		return err
	}
	out, err := exec.Command(cc, "-shared", "-fPIC", "-O2", "-Wall", "-o", filepath.Join(dir, Library), src).CombinedOutput()
	if err != nil {
		return fmt.Errorf("stand-in NVML: %s: %v\n%s", cc, err, out)
	}
	return nil
}
