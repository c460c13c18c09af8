// Package standin builds a stand-in libnvidia-ml.so.1 for tests (testdata/nvml.c
// here): the NVML symbols gputop calls, answering from
// environment variables (GPUTOP_STANDIN_GPUS, GPUTOP_STANDIN_NAME,
// GPUTOP_STANDIN_PIDS, GPUTOP_STANDIN_MIG, GPUTOP_STANDIN_GPM,
// GPUTOP_STANDIN_LOG; see testdata/nvml.c). With it the real binary's live path runs
// end to end without a GPU:
//
//	dir := standin.BuildForTest(t) // skips without gcc, fails in CI
//	cmd := exec.Command(gputop, "snapshot", "-o", out)
//	cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+dir, "GPUTOP_STANDIN_PIDS=1234")
//
// go-nvml dlopens "libnvidia-ml.so.1" by name, so LD_LIBRARY_PATH decides
// which library it gets.
package standin

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
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

// BuildForTest compiles the stand-in into a temporary directory of t and
// returns that directory. Without a C compiler the test skips, and fails
// under CI (CI=true, as .ci/run sets): CI has gcc, so there a skip would
// only hide that the live path went untested. A compile error fails the
// test everywhere: then the stand-in itself is broken.
func BuildForTest(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := Build(dir); err != nil {
		if !errors.Is(err, exec.ErrNotFound) {
			t.Fatal(err)
		}
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatalf("%v\n(CI=true: the stand-in's tests must run in CI, so this fails instead of skipping)", err)
		}
		t.Skip(err)
	}
	return dir
}
