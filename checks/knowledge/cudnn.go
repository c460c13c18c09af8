package knowledge

// CudnnRow is what one cuDNN release line built for one CUDA major needs,
// from the cuDNN support matrix of that release.
type CudnnRow struct {
	// Min and Max bound the cuDNN versions the row covers (inclusive).
	Min, Max  string `json:"-"`
	CUDAMajor int    `json:"cuda_major"`
	Driver    string `json:"driver"` // minimum Linux driver
	// CCs are the compute capabilities the build carries kernels for.
	CCs []int `json:"ccs"`
	// BlackwellFrom: builds compiled with this CUDA minor or newer
	// ("12.8") add Blackwell (BlackwellCCs) and need BlackwellDriver. ""
	// when the row's CCs already say everything.
	BlackwellFrom   string `json:"blackwell_from,omitempty"`
	BlackwellCCs    []int  `json:"blackwell_ccs,omitempty"`
	BlackwellDriver string `json:"blackwell_driver,omitempty"`
	Provenance
}

// Range renders the covered versions.
func (r CudnnRow) Range() string {
	if r.Min == r.Max {
		return r.Min
	}
	return r.Min + " .. " + r.Max
}

var (
	ccLegacy11 = []int{35, 37, 50, 52, 53, 60, 61, 62, 70, 72, 75, 80, 86, 87}
	ccLegacy   = []int{50, 60, 61, 70, 75, 80, 86, 89, 90}
	ccTuring   = []int{75, 80, 86, 89, 90}
	ccBW       = []int{100, 120}
)

func cat(a, b []int) []int { return append(append([]int(nil), a...), b...) }

const cudnnMatrix = "https://docs.nvidia.com/deeplearning/cudnn/"

func cudnnSrc(pages string) string {
	return "cuDNN support matrix, " + cudnnMatrix + " (" + pages + ")"
}

var cudnnRows = []CudnnRow{
	{Min: "8.0.0", Max: "8.5.99", CUDAMajor: 11, Driver: "450.80.02", CCs: ccLegacy11,
		Provenance: unconfirmed(cudnnSrc("archives cudnn-822, cudnn-850"), "the pages read say \"SM 3.5 and later\" without an upper bound; the CC list is inferred")},
	{Min: "8.6.0", Max: "8.8.99", CUDAMajor: 11, Driver: "450.80.02", CCs: cat(ccLegacy11, []int{89, 90}),
		Provenance: unconfirmed(cudnnSrc("8.6-8.8 matrices not read"), "Hopper/Ada support from 8.6 per secondary sources")},
	{Min: "8.9.0", Max: "8.9.0", CUDAMajor: 11, Driver: "450.80.02", CCs: ccLegacy, Provenance: unconfirmed(cudnnSrc("8.9.0 not read"), "same as 8.9.1 assumed")},
	{Min: "8.9.1", Max: "8.9.6", CUDAMajor: 11, Driver: "450.80.02", CCs: ccLegacy, Provenance: verified(cudnnSrc("archives cudnn-891, cudnn-895, cudnn-896"))},
	{Min: "8.9.7", Max: "8.9.99", CUDAMajor: 11, Driver: "450.80.02", CCs: ccLegacy, Provenance: unconfirmed(cudnnSrc("8.9.7 not read"), "same as 8.9.6 assumed")},
	{Min: "8.9.0", Max: "8.9.0", CUDAMajor: 12, Driver: "525.60.13", CCs: ccLegacy, Provenance: unconfirmed(cudnnSrc("8.9.0 not read"), "same as 8.9.1 assumed")},
	{Min: "8.9.1", Max: "8.9.6", CUDAMajor: 12, Driver: "525.60.13", CCs: ccLegacy, Provenance: verified(cudnnSrc("archives cudnn-891, cudnn-895, cudnn-896"))},
	{Min: "8.9.7", Max: "8.9.99", CUDAMajor: 12, Driver: "525.60.13", CCs: ccLegacy, Provenance: unconfirmed(cudnnSrc("8.9.7 not read"), "same as 8.9.6 assumed")},

	{Min: "9.0.0", Max: "9.1.99", CUDAMajor: 11, Driver: "450.80.02", CCs: ccLegacy, Provenance: verified(cudnnSrc("backend v9.0.0 and v9.1.0 support matrices"))},
	{Min: "9.0.0", Max: "9.1.99", CUDAMajor: 12, Driver: "525.60.13", CCs: ccLegacy, Provenance: verified(cudnnSrc("backend v9.0.0 and v9.1.0 support matrices"))},
	{Min: "9.2.0", Max: "9.4.99", CUDAMajor: 11, Driver: "450.80.02", CCs: ccLegacy, Provenance: unconfirmed(cudnnSrc("9.2-9.4 not read"), "same as 9.1 and 9.5 assumed")},
	{Min: "9.2.0", Max: "9.4.99", CUDAMajor: 12, Driver: "525.60.13", CCs: ccLegacy, Provenance: unconfirmed(cudnnSrc("9.2-9.4 not read"), "same as 9.1 and 9.5 assumed")},
	{Min: "9.5.0", Max: "9.5.99", CUDAMajor: 11, Driver: "450.80.02", CCs: ccLegacy, Provenance: verified(cudnnSrc("v9.5.0 and v9.5.1 support matrices"))},
	{Min: "9.5.0", Max: "9.5.99", CUDAMajor: 12, Driver: "525.60.13", CCs: ccLegacy, Provenance: verified(cudnnSrc("v9.5.0 and v9.5.1 support matrices"))},
	{Min: "9.6.0", Max: "9.6.99", CUDAMajor: 11, Driver: "450.80.02", CCs: ccLegacy, Provenance: unconfirmed(cudnnSrc("9.6 not read"), "same as 9.5 assumed")},
	{Min: "9.6.0", Max: "9.6.99", CUDAMajor: 12, Driver: "525.60.13", CCs: ccLegacy, Provenance: unconfirmed(cudnnSrc("9.6 not read"), "same as 9.5 assumed")},
	{Min: "9.7.0", Max: "9.9.99", CUDAMajor: 11, Driver: "450.80.02", CCs: ccLegacy, Provenance: unconfirmed(cudnnSrc("9.7-9.9 not read"), "same as 9.10 assumed")},
	{Min: "9.7.0", Max: "9.9.99", CUDAMajor: 12, Driver: "525.60.13", CCs: ccLegacy, BlackwellFrom: "12.8", BlackwellCCs: ccBW, BlackwellDriver: "570.26",
		Provenance: unconfirmed(cudnnSrc("9.7-9.9 not read"), "Blackwell in the CUDA 12.8 builds from 9.7 with cudnn-frontend 1.10 (PyTorch 2.7 cu128 ships 9.7.1); this matrix not read")},
	{Min: "9.10.0", Max: "9.10.99", CUDAMajor: 11, Driver: "450.80.02", CCs: ccLegacy, Provenance: verified(cudnnSrc("9.10.2 support matrix"))},
	{Min: "9.10.0", Max: "9.10.99", CUDAMajor: 12, Driver: "525.60.13", CCs: ccLegacy, BlackwellFrom: "12.8", BlackwellCCs: ccBW, BlackwellDriver: "570.26",
		Provenance: verified(cudnnSrc("9.10.2 support matrix: CUDA 12.0-12.9 builds >= 525.60.13 up to 9.0; CUDA 12.8/12.9 builds >= 570.26 add 10.0 and 12.0"))},
	{Min: "9.11.0", Max: "9.16.99", CUDAMajor: 12, Driver: "525.60.13", CCs: ccTuring, BlackwellFrom: "12.8", BlackwellCCs: ccBW, BlackwellDriver: "570.26",
		Provenance: unconfirmed(cudnnSrc("9.11-9.16 not read"), "like 9.17 assumed (Maxwell/Pascal/Volta dropped after 9.10)")},
	{Min: "9.11.0", Max: "9.16.99", CUDAMajor: 13, Driver: "580.65.06", CCs: cat(ccTuring, ccBW),
		Provenance: unconfirmed(cudnnSrc("9.11-9.16 not read"), "CUDA 13 builds like 9.17 assumed")},
	{Min: "9.17.0", Max: "9.17.99", CUDAMajor: 12, Driver: "525.60.13", CCs: ccTuring, BlackwellFrom: "12.8", BlackwellCCs: ccBW, BlackwellDriver: "570.26",
		Provenance: verified(cudnnSrc("9.17.0 support matrix: CUDA 12.x >= 525.60.13, cc 7.5-12.0 with Blackwell footnoted"))},
	{Min: "9.17.0", Max: "9.17.99", CUDAMajor: 13, Driver: "580.65.06", CCs: cat(ccTuring, ccBW),
		Provenance: verified(cudnnSrc("9.17.0 support matrix: CUDA 13.0/13.1 >= 580.65.06, cc 7.5-12.0"))},
	{Min: "9.18.0", Max: "9.99.99", CUDAMajor: 12, Driver: "525.60.13", CCs: ccTuring, BlackwellFrom: "12.8", BlackwellCCs: ccBW, BlackwellDriver: "570.26",
		Provenance: unconfirmed(cudnnSrc("9.18 and newer not read"), "like 9.17 assumed")},
	{Min: "9.18.0", Max: "9.99.99", CUDAMajor: 13, Driver: "580.65.06", CCs: cat(ccTuring, ccBW),
		Provenance: unconfirmed(cudnnSrc("9.18 and newer not read"), "like 9.17 assumed")},
}

// CudnnRows returns every row.
func CudnnRows() []CudnnRow { return append([]CudnnRow(nil), cudnnRows...) }

// CudnnBuild finds the row of a cuDNN version built for a CUDA major.
func CudnnBuild(ver Version, cudaMajor int) (CudnnRow, bool) {
	for _, r := range cudnnRows {
		if r.CUDAMajor == cudaMajor && ver.AtLeast(MustVersion(r.Min)) && !MustVersion(r.Max).Less(ver) {
			return r, true
		}
	}
	return CudnnRow{}, false
}

// CudnnMajors lists the CUDA majors a cuDNN version has builds for.
func CudnnMajors(ver Version) []int {
	var out []int
	for _, r := range cudnnRows {
		if ver.AtLeast(MustVersion(r.Min)) && !MustVersion(r.Max).Less(ver) {
			out = append(out, r.CUDAMajor)
		}
	}
	return out
}

// Carries reports whether the build carries kernels that run on a GPU of
// compute capability cc (cubin compatibility within a major). buildCUDA is
// the CUDA the build was compiled with when known (zero Version when not);
// blackwellUnknown is true when the answer depends on it and it is unknown.
func (r CudnnRow) Carries(cc int, buildCUDA Version) (ok bool, blackwellUnknown bool) {
	for _, c := range r.CCs {
		if CubinRuns(c, cc) {
			return true, false
		}
	}
	for _, c := range r.BlackwellCCs {
		if CubinRuns(c, cc) {
			if buildCUDA.IsZero() {
				return false, true
			}
			return buildCUDA.MajorMinor().AtLeast(MustVersion(r.BlackwellFrom)), false
		}
	}
	return false, false
}
