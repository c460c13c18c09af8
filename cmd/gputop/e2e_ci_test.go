package main

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gputop/gputop/sampler/nvmlbackend/standin"
)

// underCI reports whether the tests run under CI (.ci/run sets CI=true).
func underCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

// skipUnlessCI skips the test with reason on a developer's machine and
// fails it under CI. The live-path end-to-end tests need a C compiler, a
// private mount namespace and a helper process that is up in time; CI
// provides all three, so there a missing one is a broken CI machine (or a
// loaded one), and a skip would only hide that the live path went
// untested.
func skipUnlessCI(t *testing.T, reason string) {
	t.Helper()
	if underCI() {
		t.Fatalf("%s\n(CI=true: the live-path end-to-end tests must run in CI, so this fails instead of skipping)", reason)
	}
	t.Skip(reason)
}

// readyBound is how long a helper process of the end-to-end tests may take
// to be ready: generous under CI, where a loaded 2-core machine running the
// -race build must not turn the wait into a failure; shorter on a
// developer's machine, where the test then skips and says why.
func readyBound() time.Duration {
	if underCI() {
		return 60 * time.Second
	}
	return 10 * time.Second
}

// buildStandin compiles the stand-in libnvidia-ml.so.1 into a temporary
// directory and returns it (standin.BuildForTest: skips without a C
// compiler, fails under CI or on a compile error). The tests call it (or
// standinEnv) before gputopBinary, whose cgo build would fail first without
// a compiler.
func buildStandin(t *testing.T) string {
	t.Helper()
	return standin.BuildForTest(t)
}
