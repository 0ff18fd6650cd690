# Every third-party dependency of vna, found once. Debian 12 packages are the reference
# (tools/setup.sh installs them); a user's own Kokkos 4 (OpenMP or CUDA) is accepted too.

find_package(MPI REQUIRED COMPONENTS C CXX)

set(HDF5_PREFER_PARALLEL ON)
find_package(HDF5 REQUIRED COMPONENTS C)
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR
    "vna needs a parallel (MPI) build of HDF5, but FindHDF5 found a serial one "
    "(${HDF5_C_INCLUDE_DIRS}). On Debian: apt-get install libhdf5-openmpi-dev, "
    "or point HDF5_ROOT at a parallel HDF5.")
endif()

find_package(yaml-cpp REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Eigen3 REQUIRED NO_MODULE)
find_package(fmt REQUIRED)
find_package(nlohmann_json REQUIRED)

# Counter-based random streams (Philox4x32-10); header-only, usable from CUDA device code.
find_path(RANDOM123_INCLUDE_DIR Random123/philox.h REQUIRED
          DOC "Random123 headers (Debian: librandom123-dev)")
add_library(vna::random123 INTERFACE IMPORTED)
set_target_properties(vna::random123 PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${RANDOM123_INCLUDE_DIR}")

find_package(Kokkos REQUIRED)
# Debian's Kokkos 3.4 target points at an include directory that does not exist (build-notes pitfall 2).
get_target_property(_vna_kokkos_inc Kokkos::kokkos INTERFACE_INCLUDE_DIRECTORIES)
set(_vna_kokkos_inc_ok TRUE)
foreach(_d IN LISTS _vna_kokkos_inc)
  if(NOT _d MATCHES "^\\$<" AND NOT EXISTS "${_d}")
    set(_vna_kokkos_inc_ok FALSE)
  endif()
endforeach()
if(NOT _vna_kokkos_inc_ok)
  find_path(VNA_KOKKOS_INCLUDE_DIR Kokkos_Core.hpp PATH_SUFFIXES trilinos REQUIRED)
  set_target_properties(Kokkos::kokkos PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${VNA_KOKKOS_INCLUDE_DIR}")
endif()
message(STATUS "vna: Kokkos ${Kokkos_VERSION}, devices: ${Kokkos_DEVICES}")

# Optional native CUDA backend (cuBLAS + cuRAND). Without nvcc the CPU build is complete.
set(VNA_HAVE_CUDA OFF)
set(VNA_CUDA_EMULATION OFF)
if(VNA_ENABLE_CUDA STREQUAL "EMULATE")
  # The CUDA backend's sources compiled as host C++ against tools/cuda_emu (the runtime, device builtins
  # and cuBLAS emulated on the CPU): its kernels' logic runs and is tested without a GPU, slowly.
  # Development only; no nvcc involved.
  set(VNA_HAVE_CUDA ON)
  set(VNA_CUDA_EMULATION ON)
  set(CUDAToolkit_VERSION "host emulation")
  add_library(vna_cuda_emu STATIC ${PROJECT_SOURCE_DIR}/tools/cuda_emu/runtime.cpp)
  target_include_directories(vna_cuda_emu SYSTEM PUBLIC ${PROJECT_SOURCE_DIR}/tools/cuda_emu/include)
  set_target_properties(vna_cuda_emu PROPERTIES POSITION_INDEPENDENT_CODE ON)
  add_library(CUDA::cudart ALIAS vna_cuda_emu)
  add_library(CUDA::cublas ALIAS vna_cuda_emu)
elseif(NOT VNA_ENABLE_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 90)  # Hopper (H100/H200)
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    # kernels/cuda uses cublasGetStatusName (CUDA 11.4.2) and C++17 in device code. With AUTO an unusable
    # toolkit only switches the backend off; with ON it is an error.
    set(vna_cuda_problem "")
    if(CUDAToolkit_VERSION VERSION_LESS 11.5)
      set(vna_cuda_problem "vna's CUDA backend needs CUDA 11.5 or newer (found ${CUDAToolkit_VERSION})")
    elseif(NOT TARGET CUDA::cublas)
      set(vna_cuda_problem "CUDA ${CUDAToolkit_VERSION} was found without cuBLAS, which the CUDA backend needs")
    endif()
    if(vna_cuda_problem STREQUAL "")
      set(VNA_HAVE_CUDA ON)
    elseif(VNA_ENABLE_CUDA STREQUAL "ON")
      message(FATAL_ERROR "${vna_cuda_problem}")
    else()
      message(WARNING "${vna_cuda_problem}: building without it (VNA_ENABLE_CUDA=AUTO)")
    endif()
  elseif(VNA_ENABLE_CUDA STREQUAL "ON")
    message(FATAL_ERROR "VNA_ENABLE_CUDA=ON but no CUDA compiler was found (set CMAKE_CUDA_COMPILER or put nvcc on PATH)")
  endif()
endif()
if(VNA_CUDA_EMULATION)
  message(STATUS "vna: native CUDA backend: host emulation (tools/cuda_emu; not a GPU build)")
elseif(VNA_HAVE_CUDA)
  message(STATUS "vna: native CUDA backend: ON (CUDA ${CUDAToolkit_VERSION}, architectures ${CMAKE_CUDA_ARCHITECTURES})")
else()
  message(STATUS "vna: native CUDA backend: OFF")
endif()

# GCC 12's AVX-512 intrinsics pass deliberately undefined operands (_mm512_undefined_*), and
# -Wmaybe-uninitialized flags them wherever Eigen's packet code inlines them (GCC PR 105593, fixed in
# GCC 13): hundreds of false warnings per build. vna_quiet_eigen(TARGET files...) turns that warning
# off for the sources of TARGET that include Eigen, on those compilers only.
function(vna_quiet_eigen target)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    set_source_files_properties(${ARGN} TARGET_DIRECTORY ${target} PROPERTIES COMPILE_OPTIONS "-Wno-maybe-uninitialized")
  endif()
endfunction()

# Common compile options for vna's own targets.
add_library(vna_options INTERFACE)
target_compile_options(vna_options INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter>)
include(CheckCXXCompilerFlag)
# GCC fuses a·b + c into one multiply-add (rounded once) wherever the target has FMA, except, when
# tuning for AMD Zen (-march=native on an EPYC), in loop-carried chains such as a running sum, which
# it leaves as two rounded operations (tuning "avoid_fma_chains"). The same source then gives results
# that differ in their last bits between an Intel and an AMD machine (the golden campaign record did,
# 2026-12-04). avoid-fma-max-bits=0 turns that tuning off, so the rounding follows the source alone.
check_cxx_compiler_flag(--param=avoid-fma-max-bits=0 VNA_HAS_AVOID_FMA_PARAM)
if(VNA_HAS_AVOID_FMA_PARAM)
  target_compile_options(vna_options INTERFACE $<$<COMPILE_LANGUAGE:CXX>:--param=avoid-fma-max-bits=0>)
endif()
if(VNA_NATIVE_ARCH)
  check_cxx_compiler_flag(-march=native VNA_HAS_MARCH_NATIVE)
  if(VNA_HAS_MARCH_NATIVE)
    target_compile_options(vna_options INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-march=native>)
  endif()
endif()
