package checks

import "github.com/gputop/gputop/model"

// demoEnvironment is the demo host's environment facts: bare metal, an
// LD_LIBRARY_PATH that puts a system cuDNN ahead of the torch wheel's (the
// classic mismatch), the IOMMU in passthrough, and AER counters readable.
func demoEnvironment(drv string) model.EnvironmentFacts {
	return model.EnvironmentFacts{
		Probed: true,
		Libraries: []model.LibraryChoice{
			{Soname: "libcuda.so.1", Candidates: []model.LibraryHit{
				{Path: "/usr/lib/x86_64-linux-gnu/libcuda.so.1", Version: drv, Via: "ld.so.conf (/etc/ld.so.conf.d/x86_64-linux-gnu.conf)"}}},
			{Soname: "libnvidia-ml.so.1", Candidates: []model.LibraryHit{
				{Path: "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1", Version: drv, Via: "ld.so.conf (/etc/ld.so.conf.d/x86_64-linux-gnu.conf)"}}},
			{Soname: "libcudnn.so.9", Candidates: []model.LibraryHit{
				{Path: "/opt/cudnn-9.8/lib/libcudnn.so.9", Version: "9.8.0", Via: "LD_LIBRARY_PATH"},
				{Path: "/usr/lib/x86_64-linux-gnu/libcudnn.so.9", Version: "9.8.0", Via: "ld.so.conf (/etc/ld.so.conf.d/x86_64-linux-gnu.conf)"},
				{Path: "/usr/local/lib/python3.12/dist-packages/nvidia/cudnn/lib/libcudnn.so.9", Version: "9.1.0", Via: "wheel"}}},
		},
		IOMMU: model.IOMMUFacts{Groups: model.Some(64), Passthrough: true, Cmdline: "intel_iommu=on iommu=pt", ACSReadable: false},
		AER: []model.AERCounters{
			{BDF: "0000:18:00.0", Correctable: model.Some(uint64(2)), NonFatal: model.Some(uint64(0)), Fatal: model.Some(uint64(0))},
		},
	}
}
