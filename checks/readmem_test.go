package checks

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// allocated is the bytes f allocates (the test's own goroutine; the
// runtime's background work allocates next to nothing).
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// fakeDpkgStatus writes a dpkg status file of n packages (about 600 KB for
// 1500, the size of this development machine's) under root.
func fakeDpkgStatus(t *testing.T, root string, n int) int {
	t.Helper()
	var sb strings.Builder
	for i := range n {
		fmt.Fprintf(&sb, "Package: pkg-%d\nStatus: install ok installed\nPriority: optional\nSection: libs\n"+
			"Installed-Size: 123\nMaintainer: Someone <someone@example.org>\nArchitecture: amd64\nVersion: 1.%d-1\n"+
			"Depends: libc6 (>= 2.34), libgcc-s1 (>= 3.0)\nDescription: package %d\n a longer description of the package\n"+
			" spanning a few lines of text as the real file does, and more than\n a few of them too.\n\n", i, i, i)
	}
	p := filepath.Join(root, "var", "lib", "dpkg", "status")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return sb.Len()
}

// The dashboard reads /var/lib/dpkg/status while it starts; what that read
// allocates is garbage the heap has to hold until the next collection, a
// part of the dashboard's peak memory (docs/performance.md, "Memory"). It
// costs about the file once (the read) plus the packages' names and
// versions (1.4 times the file), not a growing buffer's copies and a string
// per line (3.9 times the file before; under -race 2.4 and 6.3 times).
func TestDpkgStatusReadAllocatesTheFileOnce(t *testing.T) {
	root := t.TempDir()
	size := fakeDpkgStatus(t, root, 1500)
	env := Env{Root: root}
	var debs []debPackage
	got := allocated(func() { debs = readDpkgStatus(env) })
	if len(debs) != 1500 || debs[1499].name != "pkg-1499" || debs[1499].version != "1.1499-1" {
		t.Fatalf("parsed %d packages, last %+v", len(debs), debs[len(debs)-1])
	}
	limit := uint64(size) * 3 / 2
	if raceEnabled {
		// The race detector's pointer checks move more to the heap: 2.4x
		// the file, the old code 6.3x.
		limit = uint64(size) * 3
	}
	t.Logf("file %d bytes, read and parse allocated %d (%.2fx)", size, got, float64(got)/float64(size))
	if got > limit {
		t.Errorf("reading a %d-byte dpkg status allocated %d bytes, more than %d", size, got, limit)
	}
}

// A CUDA host's dpkg database runs past the 1 MiB that bounds other reads
// (a few MB is common); the packages after the first MiB are still found.
func TestDpkgStatusPastOneMiB(t *testing.T) {
	root := t.TempDir()
	size := fakeDpkgStatus(t, root, 12000)
	if size <= maxReadBytes*2 {
		t.Fatalf("fixture %d bytes, want well past %d", size, maxReadBytes)
	}
	debs := readDpkgStatus(Env{Root: root})
	if len(debs) != 12000 || debs[11999].name != "pkg-11999" {
		t.Fatalf("parsed %d of 12000 packages from a %d-byte database", len(debs), size)
	}
}
