#pragma once
// Function qualifiers and loop hints for code shared by the Kokkos engine and the native CUDA
// backend. kernels/cuda is compiled by nvcc without Kokkos (VNA_NATIVE_CUDA): there the few Kokkos
// qualifiers the shared headers use (fast_math.hpp, sampling_rule.hpp) mean host + device functions.
#if defined(VNA_NATIVE_CUDA)
#if !defined(__CUDACC__) && !defined(VNA_CUDA_EMULATION)
#error "VNA_NATIVE_CUDA code must be compiled by a CUDA compiler (or for the host emulation, tools/cuda_emu)"
#endif
#define KOKKOS_INLINE_FUNCTION __host__ __device__ inline
#define KOKKOS_FORCEINLINE_FUNCTION __host__ __device__ __forceinline__
#define KOKKOS_RESTRICT __restrict__
#else
#include <Kokkos_Core.hpp>
#endif

// Portable loop-unrolling hint for the small fixed-trip-count loops of the tile kernels.
#if defined(__CUDACC__) || defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__) || defined(__clang__)
#define VNA_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define VNA_UNROLL _Pragma("GCC unroll 32")
#else
#define VNA_UNROLL
#endif
