/* Fixture: the version macros of a TensorRT 8.6 header, written for gputop's
 * tests (TensorRT 8 defines NV_TENSORRT_* as numbers). */
#ifndef NV_INFER_VERSION_H
#define NV_INFER_VERSION_H
#define NV_TENSORRT_MAJOR 8
#define NV_TENSORRT_MINOR 6
#define NV_TENSORRT_PATCH 1
#define NV_TENSORRT_BUILD 6
#endif
