package knowledge

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// allProvenance lists every row of every table with a name for messages.
func allProvenance() map[string]Provenance {
	out := map[string]Provenance{}
	for _, r := range toolkitReleases {
		out["toolkit "+r.Label()] = r.Provenance
	}
	for _, f := range minorFloors {
		out["floor "+itoa(f.Major)] = f.Provenance
	}
	for _, a := range archs {
		n := "arch " + CCString(a.CC)
		out[n+" toolkit"] = a.ToolkitProv
		out[n+" module"] = a.ModuleProv
		if a.RemovedIn != "" {
			out[n+" removed"] = a.RemovedProv
		}
		if a.MinBranch != 0 || a.LastBranch != 0 {
			out[n+" branch"] = a.BranchProv
		}
	}
	for _, r := range pciRanges {
		out["pci "+r.Family+" "+itoa(int(r.Lo))] = r.Provenance
	}
	for _, b := range branches {
		out["branch R"+itoa(b.Branch)] = b.Provenance
	}
	for _, r := range cudnnRows {
		out["cudnn "+r.Range()+" cu"+itoa(r.CUDAMajor)] = r.Provenance
	}
	for _, w := range torchWheels {
		out["torch "+w.Torch+" "+w.CUDATag] = w.Provenance
		out["torch "+w.Torch+" "+w.CUDATag+" cudnn"] = w.CudnnProv
	}
	for _, m := range bar1Models {
		out["bar1 "+m.Name] = m.Provenance
	}
	for _, b := range tfBuilds {
		out["tensorflow "+b.TF] = b.Provenance
	}
	for _, r := range trtCudnnRows {
		out["tensorrt cudnn "+r.Range()] = r.Provenance
	}
	return out
}

func TestEveryRowHasSourceAndDate(t *testing.T) {
	verifiedN, total := 0, 0
	for name, p := range allProvenance() {
		total++
		if p.Source == "" {
			t.Errorf("%s: no source", name)
		}
		if p.Read != ReadOn {
			t.Errorf("%s: read %q, want %q", name, p.Read, ReadOn)
		}
		if !p.Verified && p.Note == "" {
			t.Errorf("%s: unconfirmed without saying why", name)
		}
		if p.Confirmed() {
			verifiedN++
		}
		for _, bad := range []string{"compat.md", "UNVERIFIED", "session", "project reference", "stored copy"} {
			if strings.Contains(p.Source+p.Note, bad) {
				t.Errorf("%s: user-facing provenance mentions %q", name, bad)
			}
		}
	}
	t.Logf("%d of %d provenance entries verified", verifiedN, total)
}

func TestToolkitTable(t *testing.T) {
	seen := map[string]bool{}
	for i, r := range toolkitReleases {
		MustVersion(r.Toolkit)
		if r.Release != "" {
			if seen[r.Release] {
				t.Errorf("release %s twice", r.Release)
			}
			seen[r.Release] = true
			if MustVersion(r.Release).MajorMinor().Compare(MustVersion(r.Toolkit)) != 0 {
				t.Errorf("%s: release %s is another toolkit", r.Label(), r.Release)
			}
		}
		if r.Driver != "" {
			MustVersion(r.Driver)
		} else if r.Verified {
			t.Errorf("%s: verified without a driver", r.Label())
		}
		if i == 0 {
			continue
		}
		p := toolkitReleases[i-1]
		c := MustVersion(p.Toolkit).Compare(MustVersion(r.Toolkit))
		switch {
		case c > 0:
			t.Errorf("not oldest first at %s", r.Label())
		case c == 0 && r.Update != p.Update+1:
			t.Errorf("%s follows %s", r.Label(), p.Label())
		case c < 0 && r.Update != 0:
			t.Errorf("%s starts without GA", r.Label())
		}
		if p.Driver != "" && r.Driver != "" && MustVersion(r.Driver).Less(MustVersion(p.Driver)) {
			t.Errorf("%s needs an older driver than %s", r.Label(), p.Label())
		}
	}
}

func TestToolkitDriverBoundaries(t *testing.T) {
	tests := []struct {
		v      string
		label  string
		driver string
		exact  bool
		ok     bool
	}{
		{"9.2", "", "", false, false},
		{"10.0", "10.0 GA", "410.48", true, true},
		{"10.2.89", "10.2 GA", "440.33", true, true},
		{"11.0", "11.0 GA", "450.51.05", true, true},
		{"11.0.2", "11.0 GA", "450.51.05", true, true},
		{"11.0.3", "11.0 Update 1", "450.51.06", true, true},
		{"11.0.1", "11.0 GA", "450.51.05", false, true}, // the RC: not a release row
		{"11.8", "11.8 GA", "520.61.05", true, true},
		{"12.7", "", "", false, false}, // there is no 12.7
		{"12.8.0", "12.8 GA", "570.26", true, true},
		{"12.8.1", "12.8 Update 1", "570.124.06", true, true},
		{"12.8.2", "12.8 GA", "570.26", false, true},
		{"13.0.2", "13.0 Update 2", "580.95.05", true, true},
		{"13.3", "13.3 GA", "610.43.02", true, true},
		{"13.4", "13.4 GA", "", true, true},
		{"13.4.0", "13.4 GA", "", false, true}, // the developer preview
		{"13.4.1", "13.4 GA", "", true, true},  // the GA's build number
		{"13.4.2", "13.4 Update 1", "", true, true},
		{"13.5", "13.5 GA", "", true, true},
		{"13.6", "", "", false, false},
	}
	for _, tt := range tests {
		r, exact, ok := ToolkitDriver(MustVersion(tt.v))
		if ok != tt.ok || (ok && (r.Label() != tt.label || r.Driver != tt.driver || exact != tt.exact)) {
			t.Errorf("ToolkitDriver(%s) = %s %q exact=%v ok=%v, want %s %q exact=%v ok=%v", tt.v, r.Label(), r.Driver, exact, ok, tt.label, tt.driver, tt.exact, tt.ok)
		}
	}
	if !ThirdDigitIsBuild(MustVersion("13.4.1")) || ThirdDigitIsBuild(MustVersion("13.3.1")) || !ThirdDigitIsBuild(MustVersion("13.5")) {
		t.Error("ThirdDigitIsBuild boundary at 13.4")
	}
	if n := NewestToolkit(); n.Toolkit != "13.5" {
		t.Errorf("newest toolkit %s", n.Label())
	}
}

func TestFloors(t *testing.T) {
	want := map[int]string{11: "450.80.02", 12: "525.60.13", 13: "580"}
	for major, d := range want {
		f, ok := Floor(major)
		if !ok || f.Driver != d || !f.Confirmed() {
			t.Errorf("Floor(%d) = %+v", major, f)
		}
	}
	for _, major := range []int{10, 14} {
		if _, ok := Floor(major); ok {
			t.Errorf("Floor(%d) found", major)
		}
	}
	// Every toolkit's GA driver sits at or above its major's floor, except
	// CUDA 11.0 whose own driver predates the 11.x floor.
	for _, r := range toolkitReleases {
		if NoMinorCompat(MustVersion(r.Toolkit).Major()) {
			if !r.Confirmed() || r.Driver == "" {
				t.Errorf("%s: CUDA 10 rows come from the minor-version page and carry a driver", r.Label())
			}
			continue
		}
		f, ok := Floor(MustVersion(r.Toolkit).Major())
		if !ok {
			t.Errorf("%s: no floor", r.Label())
			continue
		}
		if r.Driver != "" && r.Toolkit != "11.0" && MustVersion(r.Driver).Less(MustVersion(f.Driver)) {
			t.Errorf("%s: driver %s below floor %s", r.Label(), r.Driver, f.Driver)
		}
	}
}

func TestNewestToolkitForDriver(t *testing.T) {
	tests := []struct{ drv, want string }{
		{"410.47", ""}, {"410.48", "10.0"}, {"440.33", "10.2"}, {"450.51.04", "10.2"}, {"450.51.05", "11.0"}, {"570.25", "12.6"}, {"570.26", "12.8"},
		{"570.124.06", "12.8"}, {"580.65.05", "12.9"}, {"580.65.06", "13.0"}, {"610.43.02", "13.3"}, {"700", "13.3"},
	}
	for _, tt := range tests {
		r, ok := NewestToolkitForDriver(MustVersion(tt.drv))
		got := ""
		if ok {
			got = r.Toolkit
		}
		if got != tt.want {
			t.Errorf("NewestToolkitForDriver(%s) = %q, want %q", tt.drv, got, tt.want)
		}
	}
}

func TestArchTable(t *testing.T) {
	for i, a := range archs {
		if i > 0 && a.CC <= archs[i-1].CC {
			t.Errorf("cc %d not ascending", a.CC)
		}
		if a.FirstToolkit != "" {
			MustVersion(a.FirstToolkit)
		}
		if a.RemovedIn != "" {
			MustVersion(a.RemovedIn)
		}
	}
	for _, tt := range []struct {
		cc     int
		family string
		mod    ModuleSupport
		ok     bool
	}{
		{29, "", "", false}, {30, "Kepler", ProprietaryOnly, true}, {72, "Volta", ProprietaryOnly, true}, {74, "", "", false},
		{75, "Turing", EitherModule, true}, {90, "Hopper", EitherModule, true}, {100, "Blackwell", OpenOnly, true},
		{121, "Blackwell", OpenOnly, true}, {122, "", "", false},
	} {
		a, ok := ArchOfCC(tt.cc)
		if ok != tt.ok || a.Family != tt.family || a.Module != tt.mod {
			t.Errorf("ArchOfCC(%d) = %s %s %v", tt.cc, a.Family, a.Module, ok)
		}
	}
}

// TestOldArchsPredateCUDA11 pins the architectures NVIDIA's CUDA 10 samples
// build: their rows name no first toolkit (older than CUDA 11), confirmed;
// the Tegra parts the samples never built stay unconfirmed.
func TestOldArchsPredateCUDA11(t *testing.T) {
	for _, tt := range []struct {
		cc       int
		verified bool
	}{
		{30, true}, {35, true}, {37, true}, {50, true}, {52, true}, {60, true}, {61, true}, {70, true}, {72, true},
		{32, false}, {53, false}, {62, false}, {75, false}, {86, false}, {87, false},
	} {
		a, _ := ArchOfCC(tt.cc)
		if a.ToolkitProv.Confirmed() != tt.verified {
			t.Errorf("cc %s toolkit provenance confirmed=%v, want %v", CCString(tt.cc), a.ToolkitProv.Confirmed(), tt.verified)
		}
		if tt.cc < 75 && a.FirstToolkit != "" {
			t.Errorf("cc %s: first toolkit %q, want none (older than CUDA 11)", CCString(tt.cc), a.FirstToolkit)
		}
	}
}

func TestToolkitSupportsBoundaries(t *testing.T) {
	tests := []struct {
		cc       int
		toolkit  string
		want     bool
		verified bool
	}{
		{35, "11.8", true, true}, {35, "12.0", false, true}, {30, "10.2", true, true}, {30, "11.0", false, true},
		{70, "12.9", true, true}, {70, "13.0", false, true}, {50, "13.0", false, true},
		{75, "10.0", true, false}, {75, "13.0", true, true},
		{80, "10.2", false, true}, {80, "11.0", true, true},
		{86, "11.0", true, true}, {86, "11.1", true, false}, // 11.0's sm_80 cubins run on 8.6
		{89, "11.7", true, true}, {89, "11.8", true, true}, // Ampere cubins before 11.8
		{75, "11.8", true, false},
		{90, "11.7", false, true}, {90, "11.8", true, true}, {90, "13.0", true, true},
		{100, "12.6", false, true}, {100, "12.8", true, true},
		{103, "12.8", true, true}, {103, "12.6", false, true}, {103, "12.9", true, true},
		{120, "12.8", true, true}, {121, "12.8", true, true}, {121, "12.6", false, true}, {121, "12.9", true, true}, {121, "13.2", true, true},
	}
	for _, tt := range tests {
		a, _ := ArchOfCC(tt.cc)
		s := a.ToolkitSupports(MustVersion(tt.toolkit))
		if s.Supported != tt.want || s.Confirmed() != tt.verified {
			t.Errorf("cc %s on CUDA %s: supported=%v verified=%v (%s), want %v %v", CCString(tt.cc), tt.toolkit, s.Supported, s.Confirmed(), s.Reason, tt.want, tt.verified)
		}
	}
}

func TestCubinRuns(t *testing.T) {
	for _, tt := range []struct {
		built, gpu int
		want       bool
	}{{80, 86, true}, {86, 80, false}, {86, 89, true}, {80, 90, false}, {90, 100, false}, {100, 103, true}, {120, 121, true}, {121, 120, false}} {
		if got := CubinRuns(tt.built, tt.gpu); got != tt.want {
			t.Errorf("CubinRuns(%d, %d) = %v", tt.built, tt.gpu, got)
		}
	}
}

func TestPCIRanges(t *testing.T) {
	for i := 1; i < len(pciRanges); i++ {
		if pciRanges[i].Lo <= pciRanges[i-1].Hi {
			t.Errorf("range %04x overlaps %04x", pciRanges[i].Lo, pciRanges[i-1].Hi)
		}
	}
	for _, r := range pciRanges {
		if r.Lo > r.Hi || r.Verified {
			t.Errorf("range %04x-%04x: bad bounds or claims verification", r.Lo, r.Hi)
		}
	}
	for _, tt := range []struct {
		id     uint16
		family string
	}{
		{0x133f, "Kepler or older"}, {0x1340, "Maxwell"}, {0x15f7, "Pascal"}, {0x17c2, "Maxwell"}, {0x1800, ""},
		{0x1b80, "Pascal"}, {0x1db1, "Volta"}, {0x1dff, "Volta"}, {0x1e00, "Turing"}, {0x1e04, "Turing"},
		{0x20b0, "Ampere"}, {0x2182, "Turing"}, {0x2204, "Ampere"}, {0x2330, "Hopper"}, {0x2335, "Hopper"},
		{0x2684, "Ada"}, {0x28ff, "Ada"}, {0x2900, "Blackwell"}, {0x2b85, "Blackwell"}, {0x2fff, "Blackwell"}, {0x3000, "Blackwell"}, {0x3182, "Blackwell"}, {0x31ff, "Blackwell"}, {0x3200, ""},
	} {
		r, ok := ArchOfPCIID(tt.id)
		if (tt.family == "") == ok || r.Family != tt.family {
			t.Errorf("ArchOfPCIID(%04x) = %q %v, want %q", tt.id, r.Family, ok, tt.family)
		}
	}
}

func TestBranches(t *testing.T) {
	for i := 1; i < len(branches); i++ {
		if branches[i].Branch <= branches[i-1].Branch {
			t.Errorf("branch R%d not ascending", branches[i].Branch)
		}
	}
	day := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }
	for _, tt := range []struct {
		drv          string
		at           string
		typ          BranchType
		ended, known bool
	}{
		{"535.104.05", "2026-06-30", LTSB, false, true},
		{"535.274.02", "2026-07-01", LTSB, true, true},
		{"570.26", "2026-02-28", Production, false, true},
		{"570.195.03", "2026-03-01", Production, true, true},
		{"580.95.05", "2028-06-30", LTSB, false, true},
		{"580.159.04", "2028-07-01", LTSB, true, true},
		{"550.163.01", "2024-01-01", Unknown, true, true}, // listed as ended, no date
		{"595.45.04", "2026-11-30", Production, false, true},
		{"610.43.02", "2026-11-30", NewFeature, true, true},
		{"620.10", "2029-09-30", LTSB, false, true},
	} {
		b, ok := Branch(MustVersion(tt.drv))
		if !ok {
			t.Errorf("Branch(%s) not found", tt.drv)
			continue
		}
		ended, known := b.EndedBy(day(tt.at))
		if b.Type != tt.typ || ended != tt.ended || known != tt.known {
			t.Errorf("R%d at %s: type %q ended %v known %v", b.Branch, tt.at, b.Type, ended, known)
		}
	}
	for _, drv := range []string{"590.44.01", "400.1"} {
		if b, ok := Branch(MustVersion(drv)); ok {
			t.Errorf("Branch(%s) = R%d, want unknown", drv, b.Branch)
		}
	}
	var got []int
	for _, b := range SupportedBranches(day("2026-11-30")) {
		got = append(got, b.Branch)
	}
	if !slices.Equal(got, []int{580, 620, 595}) {
		t.Errorf("supported branches on 2026-11-30: %v", got)
	}
}

func TestCudnnRows(t *testing.T) {
	for i, a := range cudnnRows {
		if MustVersion(a.Max).Less(MustVersion(a.Min)) {
			t.Errorf("cudnn %s: empty range", a.Range())
		}
		if _, ok := Floor(a.CUDAMajor); !ok {
			t.Errorf("cudnn %s: no CUDA %d floor", a.Range(), a.CUDAMajor)
		}
		for j, b := range cudnnRows[:i] {
			if a.CUDAMajor == b.CUDAMajor && !MustVersion(a.Max).Less(MustVersion(b.Min)) && !MustVersion(b.Max).Less(MustVersion(a.Min)) {
				t.Errorf("cudnn rows %d and %d overlap (%s, %s)", j, i, b.Range(), a.Range())
			}
		}
	}
	for _, tt := range []struct {
		ver      string
		major    int
		driver   string
		verified bool
		ok       bool
	}{
		{"7.6.5", 11, "", false, false},
		{"8.0.0", 11, "450.80.02", false, true},
		{"8.9.0", 12, "525.60.13", false, true},
		{"8.9.1", 12, "525.60.13", true, true},
		{"8.9.6", 11, "450.80.02", true, true},
		{"8.9.7", 11, "450.80.02", false, true},
		{"8.9.2", 13, "", false, false},
		{"9.0.0", 11, "450.80.02", true, true},
		{"9.1.1", 12, "525.60.13", true, true},
		{"9.2.0", 12, "525.60.13", false, true},
		{"9.10.2", 11, "450.80.02", true, true},
		{"9.10.2", 12, "525.60.13", true, true},
		{"9.11.0", 11, "", false, false},
		{"9.11.0", 12, "525.60.13", false, true},
		{"9.17.0", 13, "580.65.06", true, true},
		{"9.17.1", 12, "525.60.13", true, true},
		{"9.18.0", 13, "580.65.06", false, true},
		{"9.19.0", 13, "580.65.06", false, true},
		{"10.0.0", 13, "", false, false},
	} {
		r, ok := CudnnBuild(MustVersion(tt.ver), tt.major)
		if ok != tt.ok || (ok && (r.Driver != tt.driver || r.Confirmed() != tt.verified)) {
			t.Errorf("CudnnBuild(%s, %d) = %s %s verified=%v ok=%v", tt.ver, tt.major, r.Range(), r.Driver, r.Confirmed(), ok)
		}
	}
	r, _ := CudnnBuild(MustVersion("9.10.2"), 12)
	for _, tt := range []struct {
		cc       int
		build    string
		want     bool
		unknownB bool
	}{
		{70, "", true, false}, {120, "12.8", true, false}, {120, "12.6", false, false}, {120, "", false, true}, {90, "", true, false},
	} {
		var b Version
		if tt.build != "" {
			b = MustVersion(tt.build)
		}
		ok, unk := r.Carries(tt.cc, b)
		if ok != tt.want || unk != tt.unknownB {
			t.Errorf("9.10.2 cu12 carries cc %d build %q = %v %v", tt.cc, tt.build, ok, unk)
		}
	}
	// 9.10 is the last line with Volta; 9.11 drops it.
	last, _ := CudnnBuild(MustVersion("9.10.99"), 12)
	next, _ := CudnnBuild(MustVersion("9.11.0"), 12)
	if ok, _ := last.Carries(70, Version{}); !ok {
		t.Error("9.10 should carry Volta")
	}
	if ok, _ := next.Carries(70, Version{}); ok {
		t.Error("9.11 should not carry Volta")
	}
	if got := CudnnMajors(MustVersion("9.10.2")); !slices.Equal(got, []int{11, 12}) {
		t.Errorf("CudnnMajors(9.10.2) = %v", got)
	}
}

func TestTorchWheels(t *testing.T) {
	seen := map[string]bool{}
	for _, w := range torchWheels {
		k := w.Torch + "+" + w.CUDATag
		if seen[k] {
			t.Errorf("%s twice", k)
		}
		seen[k] = true
		if _, ok := CUDAOfTag(w.CUDATag); !ok {
			t.Errorf("%s: bad tag", k)
		}
		if _, ok := WheelDriverFloor(w.CUDATag); !ok {
			t.Errorf("%s: no driver floor", k)
		}
		if !slices.IsSorted(w.Archs) || len(w.Archs) == 0 {
			t.Errorf("%s: archs %v", k, w.Archs)
		}
		// A wheel carries only what its CUDA can compile.
		for _, cc := range w.Archs {
			a, ok := ArchOfCC(cc)
			if !ok {
				t.Errorf("%s: unknown cc %d", k, cc)
				continue
			}
			if s := a.ToolkitSupports(w.CUDA()); !s.Supported {
				t.Errorf("%s: carries cc %s that CUDA %s cannot build (%s)", k, CCString(cc), w.CUDA(), s.Reason)
			}
		}
	}
	for _, tt := range []struct {
		torch, tag string
		cc         int
		runs, ptx  bool
		verified   bool
	}{
		// 2.0 .. 2.5: pytorch/builder release/2.X manywheel/build_cuda.sh.
		{"2.0.1", "cu117", 90, false, false, true},
		{"2.0.1", "cu117", 37, true, false, true},
		{"2.0.1", "cu117", 86, true, false, true},
		{"2.0.0", "cu118", 90, true, false, true},
		{"2.0.0", "cu118", 35, false, false, true},
		{"2.1.2", "cu118", 37, true, false, true},
		{"2.1.0", "cu121", 37, false, false, true}, // 12.1 builds start at Maxwell
		{"2.1.0", "cu121", 50, true, false, true},
		{"2.3.1", "cu121", 90, true, false, true},
		{"2.4.0", "cu124", 89, true, false, true}, // sm_86 cubin runs on 8.9
		{"2.4.0", "cu124", 100, false, false, true},
		{"2.5.1", "cu124", 50, true, false, true},
		{"2.5.1", "cu124", 120, false, false, true}, // no PTX: reverted before 2.5.0
		{"2.5.0", "cu118", 37, true, false, true},
		{"2.6.0", "cu124", 50, true, false, false},
		{"2.6.0", "cu126", 120, false, false, false},
		{"2.7.0", "cu128", 120, true, false, false},
		{"2.7.1", "cu128", 70, false, false, false},
		{"2.8.0", "cu128", 70, true, false, true}, // Volta re-added
		{"2.8.0", "cu128", 61, false, false, true},
		{"2.8.0", "cu126", 61, true, false, true},
		{"2.8.0", "cu129", 130, false, false, true}, // release wheels carry no PTX
		{"2.12.0", "cu132", 130, false, false, true},
		{"2.12.0", "cu130", 121, true, false, true}, // sm_120 cubin runs on 12.1
		{"2.9.1", "cu128", 70, true, false, true},
		{"2.10.0", "cu128", 70, true, false, true},
		{"2.9.0", "cu130", 70, false, false, true},
		{"2.12.0", "cu132", 120, true, false, true},
		{"2.12.0", "cu126", 50, true, false, true},
		{"2.11.0", "cu128", 70, false, false, true}, // and dropped again
		{"2.11.0", "cu126", 70, true, false, true},
		{"2.11.0", "cu130", 90, true, false, true},
		{"2.11.0", "cu130", 121, true, false, true},
		{"2.11.0", "cu130", 75, true, false, true},
		{"2.11.0", "cu130", 70, false, false, true},
	} {
		w, ok := TorchWheelFor(MustVersion(tt.torch), tt.tag)
		if !ok {
			t.Errorf("no wheel %s %s", tt.torch, tt.tag)
			continue
		}
		runs, ptx := w.Runs(tt.cc)
		if runs != tt.runs || ptx != tt.ptx || w.Confirmed() != tt.verified {
			t.Errorf("torch %s %s on cc %s: runs=%v ptx=%v verified=%v", tt.torch, tt.tag, CCString(tt.cc), runs, ptx, w.Confirmed())
		}
	}
	for _, tt := range []struct {
		torch, tag, cudnn string
		verified          bool
	}{
		{"2.0.1", "cu117", "8.5.0", true}, {"2.0.1", "cu118", "8.7.0", true},
		{"2.1.0", "cu121", "8.9.2", true}, {"2.2.2", "cu118", "8.7.0", true},
		{"2.3.0", "cu121", "8.9.2", true}, {"2.4.1", "cu118", "9.1.0", true},
		{"2.4.0", "cu124", "9.1.0", true}, {"2.5.1", "cu124", "9.1.0", false},
		{"2.5.0", "cu118", "9.1.0", true}, {"2.6.0", "cu118", "9.1.0", true}, {"2.7.0", "cu118", "9.1.0", false}, {"2.6.0", "cu124", "9.1.0", true},
		{"2.6.0", "cu126", "9.5.1", true}, {"2.7.0", "cu126", "9.5.1", false},
	} {
		w, _ := TorchWheelFor(MustVersion(tt.torch), tt.tag)
		if w.Cudnn != tt.cudnn || w.CudnnProv.Confirmed() != tt.verified {
			t.Errorf("torch %s %s cudnn %q verified=%v, want %q %v", tt.torch, tt.tag, w.Cudnn, w.CudnnProv.Confirmed(), tt.cudnn, tt.verified)
		}
	}
	for _, tt := range []struct{ torch, tag string }{{"1.13.1", "cu117"}, {"2.11.0", "cu118"}, {"2.13.0", "cu130"}, {"2.12.0", "cu128"}} {
		if _, ok := TorchWheelFor(MustVersion(tt.torch), tt.tag); ok {
			t.Errorf("wheel %s %s should be unknown", tt.torch, tt.tag)
		}
	}
	// PyTorch strips +PTX from release wheels: no row carries PTX, and the
	// PTX path of Runs still works for a wheel that does.
	for _, w := range torchWheels {
		if w.PTX != 0 {
			t.Errorf("torch %s %s: PTX %d in a release wheel", w.Torch, w.CUDATag, w.PTX)
		}
	}
	nightly := TorchWheel{Archs: a128, PTX: 120}
	if runs, ptx := nightly.Runs(130); !runs || !ptx {
		t.Errorf("a wheel with compute_120 PTX on cc 13.0: runs=%v ptx=%v", runs, ptx)
	}
	if runs, _ := nightly.Runs(110); runs {
		t.Error("compute_120 PTX must not run on cc 11.0")
	}
	if CUDATag(MustVersion("12.8")) != "cu128" || CUDATag(MustVersion("13.0.2")) != "cu130" {
		t.Error("CUDATag")
	}
	for _, bad := range []string{"cpu", "cu1280", "cu12", "rocm6.2", "12.8"} {
		if _, ok := CUDAOfTag(bad); ok {
			t.Errorf("CUDAOfTag(%q) accepted", bad)
		}
	}
	for tag, d := range map[string]string{"cu117": "450.80.02", "cu118": "450.80.02", "cu121": "525.60.13", "cu129": "525.60.13", "cu130": "580"} {
		if f, _ := WheelDriverFloor(tag); f.Driver != d {
			t.Errorf("floor of %s = %s, want %s", tag, f.Driver, d)
		}
	}
}

func TestBar1Exact(t *testing.T) {
	for _, tt := range []struct {
		name  string
		id    uint16
		want  string
		found bool
	}{
		{"NVIDIA H200", 0, "NVIDIA H200", true},
		{"  nvidia   h200 ", 0, "NVIDIA H200", true},
		{"NVIDIA H200 NVL", 0, "", false},
		{"something else", 0x2335, "NVIDIA H200", true},
		{"NVIDIA A100X", 0, "", false},
		{"NVIDIA A1000", 0, "", false},
		{"NVIDIA A100-SXM4-40GB", 0, "NVIDIA A100-SXM4-40GB", true},
		{"NVIDIA A100-SXM4-80GB", 0, "", false},
		{"NVIDIA L40", 0, "NVIDIA L40", true},
		{"NVIDIA L40S", 0, "NVIDIA L40S", true},
		{"NVIDIA A10", 0, "NVIDIA A10", true},
		{"NVIDIA A10G", 0, "", false},
		{"", 0, "", false},
	} {
		m, ok := Bar1Of(tt.name, tt.id)
		if ok != tt.found || m.Name != tt.want {
			t.Errorf("Bar1Of(%q, %04x) = %q %v", tt.name, tt.id, m.Name, ok)
		}
	}
	for _, tt := range []struct {
		name           string
		capable, known bool
	}{
		{"NVIDIA GeForce RTX 2080 Ti", false, true}, {"NVIDIA GeForce RTX 3060", true, true},
		{"NVIDIA GeForce RTX 4090 D", true, true}, {"NVIDIA GeForce RTX 5090", true, true},
		{"NVIDIA GeForce GTX 1080 Ti", false, true}, {"NVIDIA TITAN RTX", false, true},
		{"NVIDIA RTX A6000", false, false}, {"NVIDIA H100 80GB HBM3", false, false},
	} {
		c, k, _ := GeForceReBAR(tt.name)
		if c != tt.capable || k != tt.known {
			t.Errorf("GeForceReBAR(%q) = %v %v", tt.name, c, k)
		}
	}
}

func TestOpenModuleCards(t *testing.T) {
	if OpenModuleCards() < 250 {
		t.Fatalf("only %d ids", OpenModuleCards())
	}
	for i := 1; i < len(openModuleIDs); i++ {
		if openModuleIDs[i].id <= openModuleIDs[i-1].id {
			t.Fatalf("ids not ascending at %04x", openModuleIDs[i].id)
		}
	}
	for _, r := range openModuleIDs {
		for _, f := range strings.Fields(r.firsts) {
			MustVersion(f)
		}
		// Every listed card sits in a Turing-or-newer PCI range: NVIDIA's
		// list cross-checks the third-party ranges.
		if p, ok := ArchOfPCIID(r.id); !ok {
			t.Errorf("%04x %s is in no PCI range", r.id, r.name)
		} else if p.Module == ProprietaryOnly {
			t.Errorf("%04x %s listed by the open modules but in a pre-Turing range (%s)", r.id, r.name, p.Family)
		}
	}
	for _, tt := range []struct {
		id           uint16
		name         string
		drv          string
		listed, know bool
	}{
		{0x2b85, "NVIDIA GeForce RTX 5090", "570.86.16", true, true},
		{0x2b85, "NVIDIA GeForce RTX 5090", "570.86.15", false, true}, // one release too early
		{0x2b85, "NVIDIA GeForce RTX 5090", "565.57.01", false, true},
		{0x2b85, "NVIDIA GeForce RTX 5090", "580.65.06", true, true},
		{0x2335, "NVIDIA H200", "550.40.65", true, true},
		{0x2335, "NVIDIA H200", "550.40.63", false, true},
		{0x2335, "NVIDIA H200", "535.247.01", false, true}, // not in R535's list: proprietary only, if at all
		{0x2330, "NVIDIA H100 80GB HBM3", "580.159.04", true, true},
		{0x2330, "NVIDIA H100 80GB HBM3", "700.1", false, false}, // newer than every README read
		{0x3182, "NVIDIA B300 SXM6 AC", "580.95.05", true, true},
	} {
		c, ok := OpenModuleCardOf(tt.id)
		if !ok || c.Name != tt.name {
			t.Errorf("%04x = %q %v", tt.id, c.Name, ok)
			continue
		}
		l, k := c.ListedBy(MustVersion(tt.drv))
		if l != tt.listed || k != tt.know {
			t.Errorf("%s by %s: listed %v known %v", c.Name, tt.drv, l, k)
		}
	}
	if c, _ := OpenModuleCardOf(0x2b85); c.First().String() != "570.86.16" {
		t.Errorf("RTX 5090 first listed in %s", c.First())
	}
	for _, id := range []uint16{0x1db5, 0x0000, 0xffff} {
		if _, ok := OpenModuleCardOf(id); ok {
			t.Errorf("%04x should not be listed", id)
		}
	}
}

// TestTensorFlowBuilds pins the first and last release of every CUDA line of
// TensorFlow's tested build configurations (Linux GPU).
func TestTensorFlowBuilds(t *testing.T) {
	for _, tt := range []struct{ tf, cuda, cudnn string }{
		{"2.12.0", "11.8", "8.6"}, {"2.13.1", "11.8", "8.6"}, {"2.14.0", "11.8", "8.7"},
		{"2.15.1", "12.2", "8.9"}, {"2.16.1", "12.3", "8.9"}, {"2.17.0", "12.3", "8.9"},
		{"2.18.0", "12.5", "9.3"}, {"2.21.0", "12.5", "9.3"},
	} {
		b, ok := TensorFlowBuild(MustVersion(tt.tf))
		if !ok || b.CUDA != tt.cuda || b.Cudnn != tt.cudnn || !b.Confirmed() {
			t.Errorf("TensorFlowBuild(%s) = %+v %v, want CUDA %s cuDNN %s confirmed", tt.tf, b, ok, tt.cuda, tt.cudnn)
		}
	}
	for _, v := range []string{"2.11.0", "2.22.0", "1.15.0"} {
		if b, ok := TensorFlowBuild(MustVersion(v)); ok {
			t.Errorf("TensorFlowBuild(%s) = %+v, want no row", v, b)
		}
	}
}
