package checks

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gputop/gputop/model"
)

// The scenario corpus: realistic machines under testdata/corpus, each a
// JSON file with the facts (a base file deep-merged with the scenario's
// changes, plus GPUs written in short form and expanded here from public
// model data) and the verdicts a correct checker must give. The
// expectations were written by reasoning from the primary sources each file
// names, not by copying gputop's output.

// corpusModel is one GPU model's public identity: NVML name, compute
// capability, PCI device id, memory and BAR1 as nvidia-smi -q reports them.
type corpusModel struct {
	name     string
	cc       [2]int
	pciID    uint16
	memMiB   uint64
	bar1MiB  uint64 // with Resizable BAR on where the card has it
	consumer bool   // GeForce: no ECC counters
	maxGen   int
}

var corpusModels = map[string]corpusModel{
	"h100-sxm":    {"NVIDIA H100 80GB HBM3", [2]int{9, 0}, 0x2330, 81559, 131072, false, 5},
	"h200":        {"NVIDIA H200", [2]int{9, 0}, 0x2335, 143771, 262144, false, 5},
	"b200":        {"NVIDIA B200", [2]int{10, 0}, 0x2901, 183359, 262144, false, 5},
	"a100-40":     {"NVIDIA A100-SXM4-40GB", [2]int{8, 0}, 0x20b0, 40960, 65536, false, 4},
	"l40s":        {"NVIDIA L40S", [2]int{8, 9}, 0x26b9, 46068, 65536, false, 4},
	"t4":          {"Tesla T4", [2]int{7, 5}, 0x1eb8, 15360, 256, false, 3},
	"v100":        {"Tesla V100-SXM2-32GB", [2]int{7, 0}, 0x1db5, 32768, 32768, false, 3},
	"rtx4090d":    {"NVIDIA GeForce RTX 4090 D", [2]int{8, 9}, 0x2685, 24564, 32768, true, 4},
	"rtx4090":     {"NVIDIA GeForce RTX 4090", [2]int{8, 9}, 0x2684, 24564, 32768, true, 4},
	"rtx5090":     {"NVIDIA GeForce RTX 5090", [2]int{12, 0}, 0x2b85, 32607, 32768, true, 5},
	"rtx3090":     {"NVIDIA GeForce RTX 3090", [2]int{8, 6}, 0x2204, 24576, 32768, true, 4},
	"gtx1080ti":   {"NVIDIA GeForce GTX 1080 Ti", [2]int{6, 1}, 0x1b06, 11264, 256, true, 3},
	"rtx-a6000":   {"NVIDIA RTX A6000", [2]int{8, 6}, 0x2230, 49140, 256, false, 4},
	"nvswitch-h1": {"NVSwitch", [2]int{0, 0}, 0x22a3, 0, 0, false, 0},
}

// corpusGPU is a GPU in short form.
type corpusGPU struct {
	Model string `json:"model"`
	Count int    `json:"count"` // default 1
	// Health: "" healthy, "lost", "error", "stale"; Reason is NVML's text.
	Health string `json:"health"`
	Reason string `json:"reason"`
	// NotInNVML: on the PCI bus but NVML does not list it; OffBus: neither
	// (a GPU that fell off the bus and vanished).
	NotInNVML bool `json:"not_in_nvml"`
	// PCIDriver: the driver bound in sysfs ("nvidia" by default, "none").
	PCIDriver string `json:"pci_driver"`
	// BAR1MiB overrides the model's BAR1 (256 with Resizable BAR off).
	BAR1MiB       uint64 `json:"bar1_mib"`
	BARUnassigned bool   `json:"bar_unassigned"`
	// Readings.
	Persistence *bool   `json:"persistence"`
	Util        *uint32 `json:"util"`
	Throttle    *uint64 `json:"throttle_reasons"`
	PCIeGen     *int    `json:"pcie_gen"`
	PCIeWidth   *int    `json:"pcie_width"`
	PowerLimitW *uint32 `json:"power_limit_w"`
	MIGPending  *int    `json:"mig_pending"`
	FabricState *int    `json:"fabric_state"`
	ECCVolUnc   *uint64 `json:"ecc_volatile_uncorrected"`
	NoSlow      bool    `json:"no_slow"`
}

type corpusScenario struct {
	About   string         `json:"about"`
	Sources []string       `json:"sources"`
	Base    string         `json:"base"`
	Set     map[string]any `json:"set"`
	Driver  string         `json:"driver"`      // sets the module, libraries and NVML to one version
	CUDADrv int            `json:"cuda_driver"` // NVML's CUDA driver version (13000)
	GPUs    []corpusGPU    `json:"gpus"`
	Events  []model.Event  `json:"events"`

	// Expect: id -> "pass", "warn", "fail", "skip", or "follows:<root id>".
	Expect map[string]string `json:"expect"`
	// Fails and Warns: the exact sets of counted fails and warns.
	Fails []string `json:"fails"`
	Warns []string `json:"warns"`
	Exit  int      `json:"exit"`
	// First: the id listed first (the root cause, or the worst finding).
	First string `json:"first"`
	// Text: id -> substrings of its evidence, fix or commands.
	Text map[string][]string `json:"text"`
	// Never: substrings no counted fail or warn may contain in its fix or
	// commands (impossible advice for this machine).
	Never []string `json:"never"`
}

func mergeJSON(dst, src map[string]any) {
	for k, v := range src {
		if sv, ok := v.(map[string]any); ok {
			if dv, ok := dst[k].(map[string]any); ok {
				mergeJSON(dv, sv)
				continue
			}
		}
		dst[k] = v
	}
}

func loadScenario(t *testing.T, file string) (corpusScenario, model.Facts) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var sc corpusScenario
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	facts := map[string]any{}
	if sc.Base != "" {
		b, err := os.ReadFile(filepath.Join("testdata", "corpus", "bases", sc.Base+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &facts); err != nil {
			t.Fatalf("base %s: %v", sc.Base, err)
		}
	}
	mergeJSON(facts, sc.Set)
	b, _ := json.Marshal(facts)
	var f model.Facts
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: facts: %v", file, err)
	}
	if sc.Driver != "" {
		kind := "NVIDIA UNIX x86_64 Kernel Module"
		if f.KernelModule.Open.OK && f.KernelModule.Open.V {
			kind = "NVIDIA UNIX Open Kernel Module for x86_64"
		}
		if f.KernelModule.Loaded { // a module that is not loaded has no version to read
			f.KernelModule.Version = sc.Driver
			f.KernelModule.VersionText = "NVRM version: " + kind + "  " + sc.Driver + "  Release Build  (dvs-builder@U22-I3-AE18-23-3)"
		}
		for _, l := range []*model.LibraryFacts{&f.NVMLLibrary, &f.CUDALibrary} {
			if l.Found {
				base := "libnvidia-ml.so."
				if l == &f.CUDALibrary {
					base = "libcuda.so."
				}
				l.RealPath = filepath.Dir(l.Path) + "/" + base + sc.Driver
				l.Version = sc.Driver
			}
		}
		if f.NVML.Opened {
			f.NVML.DriverVersion = sc.Driver
			f.NVML.NVMLVersion = fmt.Sprint(sc.CUDADrv/1000) + "." + sc.Driver
		}
	}
	if sc.CUDADrv != 0 && f.NVML.Opened {
		f.NVML.CUDADriverVersion = model.Some(sc.CUDADrv)
	}
	expandGPUs(t, &f, sc.GPUs)
	if sc.Events != nil {
		f.Events = sc.Events
	}
	return sc, f
}

func expandGPUs(t *testing.T, f *model.Facts, gpus []corpusGPU) {
	idx, bus := 0, 0x18
	for _, cg := range gpus {
		m, ok := corpusModels[cg.Model]
		if !ok {
			t.Fatalf("unknown model %q", cg.Model)
		}
		n := cg.Count
		if n == 0 {
			n = 1
		}
		for i := 0; i < n; i++ {
			bdf := fmt.Sprintf("0000:%02x:00.0", bus)
			bus += 0x10
			if cg.Model == "nvswitch-h1" {
				f.PCI.Devices = append(f.PCI.Devices, model.PCIDevice{BDF: bdf, Vendor: 0x10de, Device: m.pciID, Class: 0x068000, Driver: "", BARs: []model.PCIBAR{}})
				continue
			}
			bar1 := m.bar1MiB * mib
			if cg.BAR1MiB != 0 {
				bar1 = cg.BAR1MiB * mib
			}
			drv := "nvidia"
			switch cg.PCIDriver {
			case "none":
				drv = ""
			case "":
			default:
				drv = cg.PCIDriver
			}
			bar1Start := uint64(0x38000000000) + uint64(bus)<<36
			if cg.BARUnassigned {
				bar1Start = 0
			}
			f.PCI.Devices = append(f.PCI.Devices, model.PCIDevice{BDF: bdf, Vendor: 0x10de, Device: m.pciID, Class: 0x030000 | boolClass(!m.consumer), Driver: drv,
				BARs: []model.PCIBAR{{Index: 0, Start: 0xfa000000, Size: 16 * mib, Flags: 0x40200},
					{Index: 1, Start: bar1Start, Size: bar1, Flags: 0x14220c, Unassigned: cg.BARUnassigned}}})
			if cg.NotInNVML || !f.NVML.Opened {
				continue
			}
			info := model.GPUInfo{Index: idx, Name: m.name, UUID: fmt.Sprintf("GPU-%08x-0000-0000-0000-%012x", m.pciID, idx), BusID: "0000" + bdf,
				PCIDeviceID: model.Some(m.pciID), CCMajor: model.Some(m.cc[0]), CCMinor: model.Some(m.cc[1]),
				MemoryTotal: model.Some(m.memMiB * mib), BAR1Total: model.Some(bar1),
				PowerLimitDefault: model.Some(uint32(450000)), MaxPCIeGen: model.Some(m.maxGen), MaxPCIeWidth: model.Some(16), GPUMaxPCIeGen: model.Some(m.maxGen)}
			util := uint32(0)
			if cg.Util != nil {
				util = *cg.Util
			}
			thr := model.ThrottleIdle
			if cg.Throttle != nil {
				thr = *cg.Throttle
			}
			limit := uint32(450000)
			if cg.PowerLimitW != nil {
				limit = *cg.PowerLimitW * 1000
			}
			s := model.Sample{Time: f.Collected, UtilGPU: model.Some(util), PowerLimit: model.Some(limit), PowerDraw: model.Some(uint32(60000)),
				TempGPU: model.Some(int32(34)), ThrottleReasons: model.Some(thr)}
			gen, width := m.maxGen, 16
			if cg.PCIeGen != nil {
				gen = *cg.PCIeGen
			}
			if cg.PCIeWidth != nil {
				width = *cg.PCIeWidth
			}
			pers := true
			if cg.Persistence != nil {
				pers = *cg.Persistence
			}
			slow := model.SlowSample{Time: f.Collected, PCIeGen: model.Some(gen), PCIeWidth: model.Some(width), PCIeReplays: model.Some(uint64(0)),
				Persistence: model.Some(pers), ComputeMode: model.Some(0)}
			if !m.consumer {
				slow.ECCEnabled = model.Some(true)
				slow.ECCVolatileUncorrected = model.Some(uint64(0))
				slow.ECCVolatileCorrected = model.Some(uint64(0))
				slow.ECCAggregateUncorrected = model.Some(uint64(0))
				slow.MIGCurrent, slow.MIGPending = model.Some(0), model.Some(0)
				if cg.ECCVolUnc != nil {
					slow.ECCVolatileUncorrected = model.Some(*cg.ECCVolUnc)
				}
				if cg.MIGPending != nil {
					slow.MIGPending = model.Some(*cg.MIGPending)
				}
			}
			if cg.FabricState != nil {
				slow.FabricState, slow.FabricStatus = model.Some(*cg.FabricState), model.Some(uint32(0))
			}
			g := model.GPUFacts{Info: info, Sample: model.Some(s), Slow: model.Some(slow)}
			if cg.NoSlow {
				g.Slow = model.None[model.SlowSample]()
			}
			switch cg.Health {
			case "lost":
				g.Health = model.Health{State: model.Lost, Reason: cg.Reason, Since: f.Collected}
			case "error":
				g.Health = model.Health{State: model.Failed, Reason: cg.Reason, Since: f.Collected}
			case "stale":
				g.Health = model.Health{State: model.Stale, Reason: cg.Reason, Since: f.Collected}
			}
			f.NVML.GPUs = append(f.NVML.GPUs, g)
			if !f.Container.Detected || f.Env["NVIDIA_VISIBLE_DEVICES"] != "" {
				f.DevNodes.Nodes = append(f.DevNodes.Nodes, model.DevNode{Path: fmt.Sprintf("/dev/nvidia%d", idx), Accessible: true})
			}
			idx++
		}
	}
}

func boolClass(threeD bool) uint32 {
	if threeD {
		return 0x0200 // 3D controller (data-center cards)
	}
	return 0 // VGA controller
}

func TestCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 40 {
		t.Fatalf("the corpus has %d machines, want at least 40", len(files))
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			sc, f := loadScenario(t, file)
			if sc.About == "" || len(sc.Sources) == 0 {
				t.Errorf("%s: every machine says what it is and which sources its expectations come from", name)
			}
			rs := Evaluate(f)
			checkCommands(t, rs)
			byID := map[string]model.CheckResult{}
			for _, r := range rs {
				if _, dup := byID[r.ID]; dup {
					t.Errorf("duplicate id %s", r.ID)
				}
				byID[r.ID] = r
			}
			for id, want := range sc.Expect {
				r, ok := byID[id]
				if !ok {
					t.Errorf("%s: no result (have %s)", id, idList(rs))
					continue
				}
				got := string(r.Status)
				if r.FollowsFrom != "" {
					got = "follows:" + r.FollowsFrom
					if !strings.HasPrefix(want, "follows:") {
						got = string(r.Status) + " (" + got + ")"
					}
				}
				if got != want {
					t.Errorf("%s = %s, want %s\n    evidence: %s\n    fix: %s", id, got, want, r.Evidence, r.Fix)
				}
			}
			var fails, warns []string
			for _, r := range rs {
				if !r.Counted() {
					continue
				}
				switch r.Status {
				case model.Fail:
					fails = append(fails, r.ID)
				case model.Warn:
					warns = append(warns, r.ID)
				}
			}
			if !sameSet(fails, sc.Fails) {
				t.Errorf("counted fails %v, want %v%s", fails, sc.Fails, detail(rs, fails, sc.Fails))
			}
			if sc.Warns != nil && !sameSet(warns, sc.Warns) {
				t.Errorf("counted warns %v, want %v%s", warns, sc.Warns, detail(rs, warns, sc.Warns))
			}
			if got := ExitCode(rs); got != sc.Exit {
				t.Errorf("exit %d, want %d", got, sc.Exit)
			}
			if sc.First != "" {
				if first := Sorted(rs)[0]; first.ID != sc.First {
					t.Errorf("first %s (%s), want %s", first.ID, first.Status, sc.First)
				}
			}
			for id, subs := range sc.Text {
				r := byID[id]
				all := r.Title + " " + r.Evidence + " " + r.Fix + " " + strings.Join(r.Commands, " ")
				for _, s := range subs {
					if !strings.Contains(all, s) {
						t.Errorf("%s lacks %q: %s", id, s, all)
					}
				}
			}
			for _, r := range rs {
				if !r.Counted() || (r.Status != model.Fail && r.Status != model.Warn) {
					continue
				}
				for _, never := range sc.Never {
					if strings.Contains(r.Fix+" "+strings.Join(r.Commands, " "), never) {
						t.Errorf("%s advises %q on this machine", r.ID, never)
					}
				}
			}
			for _, r := range rs {
				if strings.Contains(r.Evidence+r.Fix+r.Title, "compat.md") || strings.Contains(r.Evidence+r.Fix+r.Title, "UNVERIFIED") {
					t.Errorf("%s cites an internal document: %s", r.ID, r.Evidence)
				}
			}
		})
	}
}

func sameSet(a, b []string) bool {
	x := append([]string(nil), a...)
	y := append([]string(nil), b...)
	sort.Strings(x)
	sort.Strings(y)
	return strings.Join(x, ",") == strings.Join(y, ",")
}

func detail(rs []model.CheckResult, got, want []string) string {
	in := map[string]bool{}
	for _, w := range want {
		in[w] = true
	}
	var b strings.Builder
	for _, r := range rs {
		for _, g := range got {
			if g == r.ID && !in[g] {
				fmt.Fprintf(&b, "\n    unexpected %s %s: %s", r.ID, r.Status, r.Evidence)
			}
		}
	}
	return b.String()
}

func idList(rs []model.CheckResult) string {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return strings.Join(ids, " ")
}

var sourceRE = regexp.MustCompile(`(?:https?://)?(?:docs|developer|www|forums\.developer)\.nvidia\.com/[^\s;),]+|https?://github\.com/[^\s;),]+`)

// TestUserTextCitesSourcesOnce: over the demo, the healthy machine and
// every corpus machine, no result mentions an internal document or an
// UNVERIFIED label, and no source is cited twice in one result.
func TestUserTextCitesSourcesOnce(t *testing.T) {
	sets := map[string]model.Facts{"demo": DemoFacts(demoFleet(8)), "healthy": healthyFacts()}
	files, _ := filepath.Glob(filepath.Join("testdata", "corpus", "*.json"))
	for _, file := range files {
		_, f := loadScenario(t, file)
		sets[filepath.Base(file)] = f
	}
	for name, f := range sets {
		for _, r := range Evaluate(f) {
			text := r.Title + "\n" + r.Evidence + "\n" + r.Why + "\n" + r.Fix + "\n" + strings.Join(r.Commands, "\n")
			for _, bad := range []string{"compat.md", "UNVERIFIED", "/work/shared"} {
				if strings.Contains(text, bad) {
					t.Errorf("%s %s mentions %q: %s", name, r.ID, bad, text)
				}
			}
			seen := map[string]int{}
			for _, src := range sourceRE.FindAllString(text, -1) {
				src = strings.TrimPrefix(strings.TrimPrefix(src, "https://"), "http://")
				seen[src]++
			}
			for src, n := range seen {
				if n > 1 {
					t.Errorf("%s %s cites %s %d times:\n%s", name, r.ID, src, n, text)
				}
			}
		}
	}
}
