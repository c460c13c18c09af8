/*
 * A stand-in libnvidia-ml.so.1 for tests: the NVML symbols gputop calls
 * through go-nvml, answering from environment variables, so that the real
 * binary's live path (NVML open, static reads, fast and slow readings,
 * process lists resolved in /proc) runs end to end on a machine without a
 * GPU. It never touches a device.
 *
 * Build (what standin.Build does):
 *   gcc -shared -fPIC -O2 -o DIR/libnvidia-ml.so.1 nvml.c
 * Use:
 *   LD_LIBRARY_PATH=DIR gputop ...
 *
 * Environment:
 *   GPUTOP_STANDIN_GPUS   number of GPUs (default 1, at most 16)
 *   GPUTOP_STANDIN_NAME   the GPUs' product name (default "Stand-in GPU")
 *   GPUTOP_STANDIN_PIDS   comma-separated PIDs reported as compute
 *                         processes on GPU 0 (default none)
 *   GPUTOP_STANDIN_MIG    "1": GPU 0 is in MIG mode with two MIG devices,
 *                         GPU instances 1 and 2 (compute instance 0 each,
 *                         "3g.40gb"); the PIDs run in GPU instance 1; the
 *                         whole GPU's utilisation is NOT_SUPPORTED, as on a
 *                         real MIG GPU
 *   GPUTOP_STANDIN_LOG    a file that nvmlShutdown appends the count of
 *                         GPM samples never freed to ("gpm_samples_live N")
 *   GPUTOP_STANDIN_GPM    "1": GPU 0 supports GPM; GPU instance 1 reads 75%
 *                         graphics and 50% SM utilisation, instance 2 0%.
 *                         Otherwise nvmlGpmQueryDeviceSupport says "not a
 *                         GPM device", as on a pre-Hopper GPU
 *
 * Symbols gputop's backend checks for (see missingCalls in backend.go) and
 * this file does not define read as "not supported": their values stay
 * unavailable, as on an old driver. Symbols it calls unconditionally must
 * be here, or the process dies with "undefined symbol".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdint.h>

#define NVML_SUCCESS 0
#define NVML_ERROR_UNINITIALIZED 1
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_ERROR_TIMEOUT 10
#define NVML_ERROR_MEMORY 20
#define NVML_ERROR_NOT_FOUND 6
#define NVML_ERROR_ARGUMENT_VERSION_MISMATCH 25

typedef int nvmlReturn_t;
typedef struct nvmlDevice_st *nvmlDevice_t;
typedef struct nvmlEventSet_st *nvmlEventSet_t;

typedef struct {
	char busIdLegacy[16];
	unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
	char busId[32];
} nvmlPciInfo_t;

typedef struct { unsigned long long total, free, used; } nvmlMemory_t;
typedef struct { unsigned int version; unsigned long long total, reserved, free, used; } nvmlMemory_v2_t;
typedef struct { unsigned int gpu, memory; } nvmlUtilization_t;
typedef struct { unsigned long long bar1Total, bar1Free, bar1Used; } nvmlBAR1Memory_t;
typedef struct {
	unsigned int pid;
	unsigned long long usedGpuMemory;
	unsigned int gpuInstanceId, computeInstanceId;
} nvmlProcessInfo_t;
typedef struct {
	nvmlDevice_t device;
	unsigned long long eventType, eventData;
	unsigned int gpuInstanceId, computeInstanceId;
} nvmlEventData_t;

static int initialized;

static int gpus(void) {
	const char *s = getenv("GPUTOP_STANDIN_GPUS");
	int n = s ? atoi(s) : 1;
	return n < 0 ? 0 : n > 16 ? 16 : n;
}

/* A handle is the GPU's index + 1, so that no handle is NULL. */
static int idx(nvmlDevice_t d) {
	intptr_t i = (intptr_t)d - 1;
	return (i >= 0 && i < gpus()) ? (int)i : -1;
}

#define CHECK(d) do { if (!initialized) return NVML_ERROR_UNINITIALIZED; \
	if (idx(d) < 0) return NVML_ERROR_INVALID_ARGUMENT; } while (0)

static nvmlReturn_t copy(char *dst, unsigned int len, const char *src) {
	if (!dst || len == 0) return NVML_ERROR_INVALID_ARGUMENT;
	if (strlen(src) + 1 > len) return NVML_ERROR_INSUFFICIENT_SIZE;
	strcpy(dst, src);
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlInit_v2(void) { initialized = 1; return NVML_SUCCESS; }
nvmlReturn_t nvmlInit(void) { return nvmlInit_v2(); }
nvmlReturn_t nvmlInitWithFlags(unsigned int flags) { (void)flags; return nvmlInit_v2(); }
static void log_live_samples(void);
nvmlReturn_t nvmlShutdown(void) { initialized = 0; log_live_samples(); return NVML_SUCCESS; }

const char *nvmlErrorString(nvmlReturn_t r) {
	switch (r) {
	case NVML_SUCCESS: return "Success";
	case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
	case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
	case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
	case NVML_ERROR_INSUFFICIENT_SIZE: return "Insufficient Size";
	case NVML_ERROR_TIMEOUT: return "Timeout";
	}
	return "Unknown Error";
}

nvmlReturn_t nvmlSystemGetDriverVersion(char *v, unsigned int len) { return copy(v, len, "580.95.05"); }
nvmlReturn_t nvmlSystemGetNVMLVersion(char *v, unsigned int len) { return copy(v, len, "13.580.95.05"); }
nvmlReturn_t nvmlSystemGetCudaDriverVersion(int *v) { *v = 13000; return NVML_SUCCESS; }
nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *v) { *v = 13000; return NVML_SUCCESS; }

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *n) {
	if (!initialized) return NVML_ERROR_UNINITIALIZED;
	*n = (unsigned int)gpus();
	return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetCount(unsigned int *n) { return nvmlDeviceGetCount_v2(n); }

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t *d) {
	if (!initialized) return NVML_ERROR_UNINITIALIZED;
	if ((int)i >= gpus()) return NVML_ERROR_INVALID_ARGUMENT;
	*d = (nvmlDevice_t)(intptr_t)(i + 1);
	return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int i, nvmlDevice_t *d) { return nvmlDeviceGetHandleByIndex_v2(i, d); }

/* Static facts. */
static int mig_idx(nvmlDevice_t d);
nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char *name, unsigned int len) {
	if (initialized && mig_idx(d) >= 0) return copy(name, len, "Stand-in GPU MIG 3g.40gb");
	CHECK(d);
	const char *n = getenv("GPUTOP_STANDIN_NAME");
	return copy(name, len, n ? n : "Stand-in GPU");
}
nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t d, char *uuid, unsigned int len) {
	char b[64];
	if (initialized && mig_idx(d) >= 0) {
		snprintf(b, sizeof b, "MIG-00000000-0000-0000-0000-%012d", mig_idx(d));
		return copy(uuid, len, b);
	}
	CHECK(d);
	snprintf(b, sizeof b, "GPU-00000000-0000-0000-0000-%012d", idx(d));
	return copy(uuid, len, b);
}
nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t d, nvmlPciInfo_t *p) {
	CHECK(d);
	memset(p, 0, sizeof *p);
	p->bus = 0x18 + (unsigned)idx(d);
	p->pciDeviceId = 0x233010de;
	snprintf(p->busId, sizeof p->busId, "00000000:%02X:00.0", p->bus);
	snprintf(p->busIdLegacy, sizeof p->busIdLegacy, "0000:%02X:00.0", p->bus);
	return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetPciInfo_v2(nvmlDevice_t d, nvmlPciInfo_t *p) { return nvmlDeviceGetPciInfo_v3(d, p); }
nvmlReturn_t nvmlDeviceGetPciInfo(nvmlDevice_t d, nvmlPciInfo_t *p) { return nvmlDeviceGetPciInfo_v3(d, p); }
nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t d, int *major, int *minor) {
	CHECK(d); *major = 9; *minor = 0; return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetBAR1MemoryInfo(nvmlDevice_t d, nvmlBAR1Memory_t *b) {
	CHECK(d); b->bar1Total = 128ULL << 30; b->bar1Used = 1ULL << 30; b->bar1Free = b->bar1Total - b->bar1Used;
	return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetPowerManagementDefaultLimit(nvmlDevice_t d, unsigned int *mw) { CHECK(d); *mw = 700000; return NVML_SUCCESS; }
nvmlReturn_t nvmlDeviceGetPowerManagementLimitConstraints(nvmlDevice_t d, unsigned int *lo, unsigned int *hi) {
	CHECK(d); *lo = 200000; *hi = 700000; return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetTemperatureThreshold(nvmlDevice_t d, int type, unsigned int *t) {
	CHECK(d);
	switch (type) {
	case 0: *t = 92; return NVML_SUCCESS; /* shutdown */
	case 1: *t = 87; return NVML_SUCCESS; /* slowdown */
	}
	return NVML_ERROR_NOT_SUPPORTED;
}
nvmlReturn_t nvmlDeviceGetMaxClockInfo(nvmlDevice_t d, int type, unsigned int *mhz) {
	CHECK(d); *mhz = type == 2 ? 2619 : 1980; return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetMaxPcieLinkGeneration(nvmlDevice_t d, unsigned int *g) { CHECK(d); *g = 5; return NVML_SUCCESS; }
nvmlReturn_t nvmlDeviceGetMaxPcieLinkWidth(nvmlDevice_t d, unsigned int *w) { CHECK(d); *w = 16; return NVML_SUCCESS; }

/* Fast readings. */
nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t *m) {
	if (initialized && mig_idx(d) >= 0) {
		m->total = 40ULL << 30; m->used = mig_idx(d) == 0 ? 12ULL << 30 : 13ULL << 20; m->free = m->total - m->used;
		return NVML_SUCCESS;
	}
	CHECK(d); m->total = 80ULL << 30; m->used = 20ULL << 30; m->free = m->total - m->used; return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t d, nvmlMemory_v2_t *m) {
	CHECK(d); m->total = 80ULL << 30; m->reserved = 512ULL << 20; m->used = 20ULL << 30;
	m->free = m->total - m->used - m->reserved; return NVML_SUCCESS;
}
static int mig_on(nvmlDevice_t d);
nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t d, nvmlUtilization_t *u) {
	CHECK(d);
	if (mig_on(d)) return NVML_ERROR_NOT_SUPPORTED;
	u->gpu = 42; u->memory = 17; return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t d, int sensor, unsigned int *t) {
	CHECK(d); if (sensor != 0) return NVML_ERROR_NOT_SUPPORTED; *t = 55; return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int *mw) { CHECK(d); *mw = 350000; return NVML_SUCCESS; }
nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t d, unsigned int *mw) { CHECK(d); *mw = 700000; return NVML_SUCCESS; }
nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t d, int type, unsigned int *mhz) {
	CHECK(d); *mhz = type == 2 ? 2619 : 1755; return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetPerformanceState(nvmlDevice_t d, int *p) { CHECK(d); *p = 0; return NVML_SUCCESS; }

/* Processes: GPUTOP_STANDIN_PIDS on GPU 0, nothing elsewhere. */
static nvmlReturn_t procs(nvmlDevice_t d, unsigned int *count, nvmlProcessInfo_t *infos, int compute) {
	/* A MIG device lists the PIDs in GPU instance 1 (MIG device 0). */
	int mig = initialized ? mig_idx(d) : -1;
	if (mig < 0) CHECK(d);
	unsigned int pids[256], n = 0;
	const char *s = getenv("GPUTOP_STANDIN_PIDS");
	if (compute && (mig == 0 || (mig < 0 && idx(d) == 0)) && s) {
		char buf[4096];
		snprintf(buf, sizeof buf, "%s", s);
		for (char *tok = strtok(buf, ","); tok && n < 256; tok = strtok(NULL, ","))
			pids[n++] = (unsigned)strtoul(tok, NULL, 10);
	}
	if (*count < n) { *count = n; return NVML_ERROR_INSUFFICIENT_SIZE; }
	for (unsigned int i = 0; i < n; i++) {
		infos[i].pid = pids[i];
		infos[i].usedGpuMemory = (1ULL + i) << 30;
		infos[i].gpuInstanceId = infos[i].computeInstanceId = 0xFFFFFFFFu;
		if (mig >= 0 || mig_on(d)) {
			infos[i].gpuInstanceId = 1;
			infos[i].computeInstanceId = 0;
		}
	}
	*count = n;
	return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d, unsigned int *c, nvmlProcessInfo_t *p) { return procs(d, c, p, 1); }
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t d, unsigned int *c, nvmlProcessInfo_t *p) { return procs(d, c, p, 1); }
nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v3(nvmlDevice_t d, unsigned int *c, nvmlProcessInfo_t *p) { return procs(d, c, p, 0); }
nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses(nvmlDevice_t d, unsigned int *c, nvmlProcessInfo_t *p) { return procs(d, c, p, 0); }

/* Events: a set exists, no GPU supports registering, a wait times out. */
static int the_set;
nvmlReturn_t nvmlEventSetCreate(nvmlEventSet_t *set) { *set = (nvmlEventSet_t)&the_set; return NVML_SUCCESS; }
nvmlReturn_t nvmlEventSetFree(nvmlEventSet_t set) { (void)set; return NVML_SUCCESS; }
nvmlReturn_t nvmlDeviceRegisterEvents(nvmlDevice_t d, unsigned long long types, nvmlEventSet_t set) {
	(void)types; (void)set; CHECK(d); return NVML_ERROR_NOT_SUPPORTED;
}
nvmlReturn_t nvmlEventSetWait_v2(nvmlEventSet_t set, nvmlEventData_t *data, unsigned int ms) {
	(void)set; (void)data;
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	return NVML_ERROR_TIMEOUT;
}
nvmlReturn_t nvmlEventSetWait(nvmlEventSet_t set, nvmlEventData_t *data, unsigned int ms) { return nvmlEventSetWait_v2(set, data, ms); }

/*
 * MIG (GPUTOP_STANDIN_MIG=1): GPU 0 holds two MIG devices. A MIG device
 * handle is 0x1000 + its index, apart from the GPUs' handles (index + 1).
 */
#define MIG_BASE 0x1000
#define MIG_DEVICES 2

static int mig_on(nvmlDevice_t d) {
	const char *s = getenv("GPUTOP_STANDIN_MIG");
	return idx(d) == 0 && s && strcmp(s, "1") == 0;
}
static int mig_idx(nvmlDevice_t d) {
	intptr_t i = (intptr_t)d - MIG_BASE;
	const char *s = getenv("GPUTOP_STANDIN_MIG");
	return (s && strcmp(s, "1") == 0 && i >= 0 && i < MIG_DEVICES) ? (int)i : -1;
}

nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t d, unsigned int *current, unsigned int *pending) {
	CHECK(d);
	*current = *pending = mig_on(d) ? 1 : 0;
	return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t d, unsigned int *n) {
	CHECK(d);
	*n = mig_on(d) ? 7 : 0;
	return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetMigDeviceHandleByIndex(nvmlDevice_t d, unsigned int i, nvmlDevice_t *mig) {
	CHECK(d);
	if (!mig_on(d)) return NVML_ERROR_INVALID_ARGUMENT;
	if (i >= MIG_DEVICES) return NVML_ERROR_NOT_FOUND;
	*mig = (nvmlDevice_t)(intptr_t)(MIG_BASE + i);
	return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetGpuInstanceId(nvmlDevice_t d, unsigned int *id) {
	if (!initialized) return NVML_ERROR_UNINITIALIZED;
	if (mig_idx(d) < 0) return NVML_ERROR_INVALID_ARGUMENT;
	*id = (unsigned)mig_idx(d) + 1;
	return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetComputeInstanceId(nvmlDevice_t d, unsigned int *id) {
	if (!initialized) return NVML_ERROR_UNINITIALIZED;
	if (mig_idx(d) < 0) return NVML_ERROR_INVALID_ARGUMENT;
	*id = 0;
	return NVML_SUCCESS;
}

/*
 * GPM (GPUTOP_STANDIN_GPM=1). A sample remembers the GPU instance it was
 * read for; the metrics of two samples of the same instance are fixed
 * values, and the call counts live samples so a test can see leaks.
 */
typedef struct { unsigned int version, isSupportedDevice; } nvmlGpmSupport_t;
typedef struct nvmlGpmSample_st { int gi; int read; } *nvmlGpmSample_t;
typedef struct {
	unsigned int metricId;
	nvmlReturn_t nvmlReturn;
	double value;
	struct { char *shortName, *longName, *unit; } metricInfo;
} nvmlGpmMetric_t;
typedef struct {
	unsigned int version, numMetrics;
	nvmlGpmSample_t sample1, sample2;
	nvmlGpmMetric_t metrics[];
} nvmlGpmMetricsGet_t;

static int gpm_on(void) {
	const char *s = getenv("GPUTOP_STANDIN_GPM");
	return s && strcmp(s, "1") == 0;
}
static int live_samples;

/* At shutdown, GPUTOP_STANDIN_LOG (a file) gets the count of GPM samples
 * allocated and never freed. */
static void log_live_samples(void) {
	const char *path = getenv("GPUTOP_STANDIN_LOG");
	FILE *f = path ? fopen(path, "a") : NULL;
	if (f) { fprintf(f, "gpm_samples_live %d\n", live_samples); fclose(f); }
}

nvmlReturn_t nvmlGpmQueryDeviceSupport(nvmlDevice_t d, nvmlGpmSupport_t *s) {
	CHECK(d);
	if (s->version != 1) return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
	s->isSupportedDevice = gpm_on() && idx(d) == 0;
	return NVML_SUCCESS;
}
nvmlReturn_t nvmlGpmSampleAlloc(nvmlGpmSample_t *s) {
	if (!initialized) return NVML_ERROR_UNINITIALIZED;
	*s = calloc(1, sizeof **s);
	if (!*s) return NVML_ERROR_MEMORY;
	live_samples++;
	return NVML_SUCCESS;
}
nvmlReturn_t nvmlGpmSampleFree(nvmlGpmSample_t s) {
	if (!s) return NVML_ERROR_INVALID_ARGUMENT;
	free(s);
	live_samples--;
	return NVML_SUCCESS;
}
nvmlReturn_t nvmlGpmMigSampleGet(nvmlDevice_t d, unsigned int gi, nvmlGpmSample_t s) {
	CHECK(d);
	if (!gpm_on() || idx(d) != 0) return NVML_ERROR_NOT_SUPPORTED;
	if (!mig_on(d) || gi < 1 || gi > MIG_DEVICES) return NVML_ERROR_NOT_FOUND;
	s->gi = (int)gi;
	s->read = 1;
	return NVML_SUCCESS;
}
nvmlReturn_t nvmlGpmMetricsGet(nvmlGpmMetricsGet_t *m) {
	if (!initialized) return NVML_ERROR_UNINITIALIZED;
	if (m->version != 1) return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
	if (!m->sample1 || !m->sample2 || !m->sample1->read || !m->sample2->read || m->sample1->gi != m->sample2->gi)
		return NVML_ERROR_INVALID_ARGUMENT;
	int busy = m->sample2->gi == 1;
	for (unsigned int i = 0; i < m->numMetrics; i++) {
		nvmlGpmMetric_t *x = &m->metrics[i];
		x->nvmlReturn = NVML_SUCCESS;
		switch (x->metricId) {
		case 1: x->value = busy ? 75.0 : 0.0; break; /* NVML_GPM_METRIC_GRAPHICS_UTIL */
		case 2: x->value = busy ? 50.0 : 0.0; break; /* NVML_GPM_METRIC_SM_UTIL */
		default: x->nvmlReturn = NVML_ERROR_NOT_SUPPORTED;
		}
	}
	return NVML_SUCCESS;
}
