package sim

// card is what a GPU model is: identity, limits and how it behaves at idle
// and under full load. The figures are typical values of public
// `nvidia-smi -q` dumps (and, for the H100, of the project's own
// measurements); they only need to be plausible, not exact.
type card struct {
	name     string
	arch     string
	deviceID uint16
	ccMajor  int
	ccMinor  int

	memMiB      uint64
	reservedMiB uint64 // NVML v2 "reserved": driver and firmware carve-out
	bar1MiB     uint64

	powerDefaultW uint32
	powerMinW     uint32
	powerMaxW     uint32
	idleW         float64 // typical draw at idle
	fullW         float64 // typical draw at 100% utilisation, below the cap

	slowdownC int32
	shutdownC int32
	memMaxC   int32   // 0: no memory temperature sensor (GDDR cards report none)
	ambientC  float64 // GPU temperature at idle
	loadC     float64 // GPU temperature settled at full load

	maxSM, maxMem   uint32 // MHz
	idleSM, idleMem uint32 // MHz, in P8

	pcieGen    int // what the slot and card negotiate at best
	gpuPCIeGen int // what the GPU itself supports
	fans       int // 0: passive, fan speed NOT_SUPPORTED

	datacenter   bool // ECC on, serial number, MIG-capable where mig is set
	mig          bool
	rowRemap     bool // Ampere and newer
	retiredPages bool // Turing and older
	fabric       bool // NVSwitch systems, Hopper and newer
	geforce      bool // CUDA work runs in P2 on GeForce cards
	vbios        string
}

const (
	h100Name = "NVIDIA H100 80GB HBM3"
	a100Name = "NVIDIA A100-SXM4-40GB"
)

var (
	cardH100 = &card{
		name: h100Name, arch: "Hopper", deviceID: 0x2330, ccMajor: 9, ccMinor: 0,
		memMiB: 81559, reservedMiB: 599, bar1MiB: 131072,
		powerDefaultW: 700, powerMinW: 200, powerMaxW: 700, idleW: 72, fullW: 640,
		slowdownC: 89, shutdownC: 92, memMaxC: 95, ambientC: 31, loadC: 66,
		maxSM: 1980, maxMem: 2619, idleSM: 345, idleMem: 2619,
		pcieGen: 5, gpuPCIeGen: 5,
		datacenter: true, mig: true, rowRemap: true, fabric: true, vbios: "96.00.99.00.01",
	}
	cardA100 = &card{
		name: a100Name, arch: "Ampere", deviceID: 0x20B0, ccMajor: 8, ccMinor: 0,
		memMiB: 40960, reservedMiB: 424, bar1MiB: 65536,
		powerDefaultW: 400, powerMinW: 100, powerMaxW: 400, idleW: 54, fullW: 370,
		slowdownC: 89, shutdownC: 92, memMaxC: 95, ambientC: 30, loadC: 70,
		maxSM: 1410, maxMem: 1215, idleSM: 210, idleMem: 1215,
		pcieGen: 4, gpuPCIeGen: 4,
		datacenter: true, mig: true, rowRemap: true, vbios: "92.00.45.00.03",
	}
	cardRTX4090 = &card{
		name: "NVIDIA GeForce RTX 4090", arch: "Ada Lovelace", deviceID: 0x2684, ccMajor: 8, ccMinor: 9,
		memMiB: 24564, reservedMiB: 316, bar1MiB: 256,
		powerDefaultW: 450, powerMinW: 150, powerMaxW: 600, idleW: 22, fullW: 430,
		slowdownC: 87, shutdownC: 90, ambientC: 38, loadC: 70,
		maxSM: 3120, maxMem: 10501, idleSM: 210, idleMem: 405,
		pcieGen: 4, gpuPCIeGen: 4, fans: 2,
		geforce: true, vbios: "95.02.18.80.87",
	}
	cardRTX5090 = &card{
		name: "NVIDIA GeForce RTX 5090", arch: "Blackwell", deviceID: 0x2B85, ccMajor: 12, ccMinor: 0,
		memMiB: 32607, reservedMiB: 482, bar1MiB: 32768,
		powerDefaultW: 575, powerMinW: 400, powerMaxW: 600, idleW: 30, fullW: 560,
		slowdownC: 87, shutdownC: 90, ambientC: 36, loadC: 74,
		maxSM: 3090, maxMem: 14001, idleSM: 180, idleMem: 405,
		pcieGen: 5, gpuPCIeGen: 5, fans: 2,
		geforce: true, vbios: "98.02.2E.00.AF",
	}
	cardT4 = &card{
		name: "Tesla T4", arch: "Turing", deviceID: 0x1EB8, ccMajor: 7, ccMinor: 5,
		memMiB: 15360, reservedMiB: 256, bar1MiB: 256,
		powerDefaultW: 70, powerMinW: 60, powerMaxW: 70, idleW: 10, fullW: 68,
		slowdownC: 93, shutdownC: 96, ambientC: 33, loadC: 74,
		maxSM: 1590, maxMem: 5001, idleSM: 300, idleMem: 405,
		pcieGen: 3, gpuPCIeGen: 3,
		datacenter: true, retiredPages: true, vbios: "90.04.96.00.02",
	}
)

// role is what a simulated GPU is doing.
type role int

const (
	roleIdle     role = iota
	roleLoading       // a training job loading its model, in a loop
	rolePowerCap      // an inference server pinned at the power limit
	roleThermal       // a burn test on a card that cannot shed its heat
	roleDesktop       // a workstation's display: Xorg, a browser
	roleBursty        // an image-generation server: bursts of work
	roleLight         // a small inference service, mostly waiting
)

// slot is one GPU of the fleet: which card, doing what, in which slot.
type slot struct {
	card        *card
	role        role
	busID       string
	linkWidth   int // negotiated lanes; the slot offers 16
	persistence bool
	describe    string
}

// MaxGPUs and DefaultGPUs bound --gpus.
const (
	MaxGPUs     = 16
	DefaultGPUs = 8
)

// fleet is the composition every demo shows; --gpus N takes the first N.
// The checks package builds its demo host facts around exactly these cards,
// so the first eight must not change without telling it.
var fleet = [MaxGPUs]slot{
	{cardH100, roleLoading, "00000000:18:00.0", 16, true, "loading a model (memory climbs to ~90%, then trains; repeats every 90 s)"},
	{cardH100, rolePowerCap, "00000000:2A:00.0", 16, true, "inference server pinned at its 700 W power cap"},
	{cardA100, roleThermal, "00000000:3A:00.0", 16, true, "burn test, thermal throttling"},
	{cardA100, roleIdle, "00000000:5D:00.0", 16, true, "MIG: two 3g.20gb instances, one busy (no per-instance utilisation on an A100)"},
	{cardRTX4090, roleDesktop, "00000000:9A:00.0", 16, true, "desktop display (Xorg, firefox); Resizable BAR off"},
	{cardRTX5090, roleBursty, "00000000:AB:00.0", 16, true, "image generation, bursty; an Xid 31 now and then"},
	{cardT4, roleIdle, "00000000:BA:00.0", 16, false, "idle, passive cooling; persistence mode off"},
	{cardH100, roleIdle, "00000000:DB:00.0", 8, true, "MIG: two 3g.40gb instances, one busy; PCIe link degraded to x8 of x16"},
	{cardH100, roleLight, "00000000:1B:00.0", 16, true, "small inference service"},
	{cardH100, roleIdle, "00000000:2D:00.0", 16, true, "idle"},
	{cardH100, roleLight, "00000000:3D:00.0", 16, true, "small inference service"},
	{cardH100, roleIdle, "00000000:60:00.0", 16, true, "idle"},
	{cardH100, roleLight, "00000000:9D:00.0", 16, true, "small inference service"},
	{cardH100, roleIdle, "00000000:AE:00.0", 16, true, "idle"},
	{cardH100, roleLight, "00000000:BD:00.0", 16, true, "small inference service"},
	{cardH100, roleIdle, "00000000:DE:00.0", 16, true, "idle"},
}
