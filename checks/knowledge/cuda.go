package knowledge

// ToolkitRelease is one CUDA toolkit release (GA or an update) and the Linux
// x86_64 driver it needs for every feature ("CUDA Toolkit and Corresponding
// Driver Versions" in the release notes).
type ToolkitRelease struct {
	Toolkit string `json:"toolkit"` // major.minor, "12.8"
	Update  int    `json:"update"`  // 0 = GA, 1 = Update 1, ...
	// Release is the full version the toolkit reports in version.json
	// ("12.8.1"). Before 13.4 the third digit was the update number; from
	// 13.4 on it is a build number (13.4 GA is 13.4.1, Update 1 is 13.4.2).
	Release string `json:"release"`
	// Driver is the minimum Linux driver for this release, "" when no source
	// at hand states it.
	Driver string `json:"driver,omitempty"`
	Provenance
}

// Label names the release the way NVIDIA's notes do ("12.8 Update 1").
func (r ToolkitRelease) Label() string {
	if r.Update == 0 {
		return r.Toolkit + " GA"
	}
	return r.Toolkit + " Update " + itoa(r.Update)
}

func tk(toolkit string, update int, release, driver string) ToolkitRelease {
	return ToolkitRelease{Toolkit: toolkit, Update: update, Release: release, Driver: driver,
		Provenance: unconfirmed(SrcProjectRef, "the driver column was transcribed from the release notes but not re-read from NVIDIA's page")}
}

func tkUnknown(toolkit string, update int, release, src, note string) ToolkitRelease {
	return ToolkitRelease{Toolkit: toolkit, Update: update, Release: release, Provenance: unconfirmed(src, note)}
}

// tk10: CUDA 10.x had no minor-version compatibility: each release needs
// the driver it shipped with (minor-version compatibility page, Table 2).
func tk10(toolkit, release, driver string) ToolkitRelease {
	return ToolkitRelease{Toolkit: toolkit, Release: release, Driver: driver,
		Provenance: verified(SrcMinorCompat + " (CUDA Toolkit 10.x Minimum Required Driver Versions)")}
}

// toolkitReleases: oldest first.
var toolkitReleases = []ToolkitRelease{
	tk10("10.0", "10.0.130", "410.48"), tk10("10.1", "10.1.105", "418.39"), tk10("10.2", "10.2.89", "440.33"),
	tk("11.0", 0, "11.0.2", "450.51.05"), tk("11.0", 1, "11.0.3", "450.51.06"),
	tk("11.1", 0, "11.1.0", "455.23"), tk("11.1", 1, "11.1.1", "455.32"),
	tk("11.2", 0, "11.2.0", "460.27.03"), tk("11.2", 1, "11.2.1", "460.32.03"), tk("11.2", 2, "11.2.2", "460.32.03"),
	tk("11.3", 0, "11.3.0", "465.19.01"), tk("11.3", 1, "11.3.1", "465.19.01"),
	tk("11.4", 0, "11.4.0", "470.42.01"), tk("11.4", 1, "11.4.1", "470.57.02"), tk("11.4", 2, "11.4.2", "470.57.02"),
	tk("11.4", 3, "11.4.3", "470.82.01"), tk("11.4", 4, "11.4.4", "470.82.01"),
	tk("11.5", 0, "11.5.0", "495.29.05"), tk("11.5", 1, "11.5.1", "495.29.05"), tk("11.5", 2, "11.5.2", "495.29.05"),
	tk("11.6", 0, "11.6.0", "510.39.01"), tk("11.6", 1, "11.6.1", "510.47.03"), tk("11.6", 2, "11.6.2", "510.47.03"),
	tk("11.7", 0, "11.7.0", "515.43.04"), tk("11.7", 1, "11.7.1", "515.48.07"),
	tk("11.8", 0, "11.8.0", "520.61.05"),
	tk("12.0", 0, "12.0.0", "525.60.13"), tk("12.0", 1, "12.0.1", "525.85.12"),
	tk("12.1", 0, "12.1.0", "530.30.02"), tk("12.1", 1, "12.1.1", "530.30.02"),
	tk("12.2", 0, "12.2.0", "535.54.03"), tk("12.2", 1, "12.2.1", "535.86.09"), tk("12.2", 2, "12.2.2", "535.104.05"),
	tk("12.3", 0, "12.3.0", "545.23.06"), tk("12.3", 1, "12.3.1", "545.23.08"), tk("12.3", 2, "12.3.2", "545.23.08"),
	tk("12.4", 0, "12.4.0", "550.54.14"), tk("12.4", 1, "12.4.1", "550.54.15"),
	tk("12.5", 0, "12.5.0", "555.42.02"), tk("12.5", 1, "12.5.1", "555.42.06"),
	tk("12.6", 0, "12.6.0", "560.28.03"), tk("12.6", 1, "12.6.1", "560.35.03"), tk("12.6", 2, "12.6.2", "560.35.03"), tk("12.6", 3, "12.6.3", "560.35.05"),
	tk("12.8", 0, "12.8.0", "570.26"), tk("12.8", 1, "12.8.1", "570.124.06"),
	tk("12.9", 0, "12.9.0", "575.51.03"), tk("12.9", 1, "12.9.1", "575.57.08"),
	tk("13.0", 0, "13.0.0", "580.65.06"), tk("13.0", 1, "13.0.1", "580.82.07"), tk("13.0", 2, "13.0.2", "580.95.05"),
	tk("13.1", 0, "13.1.0", "590.44.01"), tk("13.1", 1, "13.1.1", "590.48.01"),
	tk("13.2", 0, "13.2.0", "595.45.04"), tk("13.2", 1, "13.2.1", "595.58.03"), tk("13.2", 2, "13.2.2", "595.71.05"),
	tk("13.3", 0, "13.3.0", "610.43.02"),
	tkUnknown("13.3", 1, "13.3.1", SrcCUDANotes, "release listed in NVIDIA's notes; its driver could not be read from NVIDIA's page"),
	tkUnknown("13.4", 0, "13.4.1", SrcCUDA134Notes, "13.4 GA is versioned 13.4.1 (the third digit is a build number); its driver could not be read from NVIDIA's page"),
	tkUnknown("13.4", 1, "13.4.2", SrcCUDANotes, "13.4 Update 1 (archive 13.4.2); its driver could not be read from NVIDIA's page"),
	tkUnknown("13.5", 0, "", SrcCUDANotes, "13.5 GA is listed by NVIDIA; its full version and driver could not be read from NVIDIA's page"),
}

// buildNumberFrom is the first toolkit whose third version digit is a build
// number rather than an update number.
var buildNumberFrom = MustVersion("13.4")

// ThirdDigitIsBuild reports whether a toolkit's third version digit is a
// build number (13.4 and newer) instead of an update number.
func ThirdDigitIsBuild(toolkit Version) bool { return toolkit.MajorMinor().AtLeast(buildNumberFrom) }

// ToolkitReleases returns every release, oldest first.
func ToolkitReleases() []ToolkitRelease { return append([]ToolkitRelease(nil), toolkitReleases...) }

// ToolkitUpdates returns the releases of one major.minor, GA first.
func ToolkitUpdates(toolkit Version) []ToolkitRelease {
	return sameMinor(toolkitReleases, toolkit, func(r ToolkitRelease) string { return r.Toolkit })
}

// sameMinor keeps the rows whose major.minor (given by key) is v's.
func sameMinor[T any](rows []T, v Version, key func(T) string) []T {
	mm := v.MajorMinor()
	var out []T
	for _, r := range rows {
		if MustVersion(key(r)).Compare(mm) == 0 {
			out = append(out, r)
		}
	}
	return out
}

// ToolkitDriver finds the release a toolkit version names. A full version
// ("12.8.1", as version.json gives it) matches that exact release; a
// major.minor ("12.8", as nvcc prints it) matches the GA release. exact is
// false when a full version was given but only its GA row could be matched
// (an unknown build or update number).
func ToolkitDriver(v Version) (row ToolkitRelease, exact bool, ok bool) {
	ups := ToolkitUpdates(v)
	if len(ups) == 0 {
		return ToolkitRelease{}, false, false
	}
	if v.Len() < 3 {
		return ups[0], true, true
	}
	for _, r := range ups {
		if r.Release != "" && MustVersion(r.Release).Compare(v) == 0 {
			return r, true, true
		}
	}
	return ups[0], false, true
}

// NewestToolkit is the newest release in the table.
func NewestToolkit() ToolkitRelease { return toolkitReleases[len(toolkitReleases)-1] }

// MinorFloor is the minimum driver of a CUDA major line under minor-version
// compatibility: at or above it most programs of that major run; below it
// none do.
type MinorFloor struct {
	Major  int    `json:"major"`
	Driver string `json:"driver"`
	// Ceiling is the first driver branch of the next major ("" for the
	// newest): 12.x lists "< 580" as its maximum required driver.
	Provenance
}

var minorFloors = []MinorFloor{
	{Major: 11, Driver: "450.80.02", Provenance: verified(SrcMinorCompat + "; cuDNN support matrices (CUDA 11.x builds: >= 450.80.02)")},
	{Major: 12, Driver: "525.60.13", Provenance: verified(SrcMinorCompat + "; cuDNN support matrices (CUDA 12.x builds: >= 525.60.13)")},
	{Major: 13, Driver: "580", Provenance: verified(SrcMinorCompat + " (CUDA 13.x: >= 580); https://docs.nvidia.com/cuda/cuda-features-archive/ (13.x is ABI-compatible with r580 and newer)")},
}

// Floor returns the minor-version-compatibility floor of a CUDA major.
func Floor(major int) (MinorFloor, bool) {
	for _, f := range minorFloors {
		if f.Major == major {
			return f, true
		}
	}
	return MinorFloor{}, false
}

// Floors returns every floor, oldest major first.
func Floors() []MinorFloor { return append([]MinorFloor(nil), minorFloors...) }

// NoMinorCompat reports whether a CUDA major predates minor-version
// compatibility (CUDA 10 and older): its programs need their own release's
// driver.
func NoMinorCompat(major int) bool { return major <= 10 }

// NewestToolkitForDriver is the newest toolkit major.minor whose GA driver
// (per the table) is at or below drv: what this driver runs with full
// support. ok is false when the table names no such release.
func NewestToolkitForDriver(drv Version) (ToolkitRelease, bool) {
	var best ToolkitRelease
	found := false
	for _, r := range toolkitReleases {
		if r.Update != 0 || r.Driver == "" {
			continue
		}
		if !drv.Less(MustVersion(r.Driver)) {
			best, found = r, true
		}
	}
	return best, found
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
