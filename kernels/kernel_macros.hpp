#pragma once
// Portable loop-unrolling hint for the small fixed-trip-count loops of the tile kernels.
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__) || defined(__clang__)
#define VNA_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define VNA_UNROLL _Pragma("GCC unroll 32")
#else
#define VNA_UNROLL
#endif
