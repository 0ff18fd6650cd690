// cuda::Engine's host-memory calls: each stages its inputs into the engine's device buffers, runs
// the device-resident call and returns when its outputs are back in host memory.
#include <cuda_runtime.h>

#include <algorithm>

#include "cuda/engine_state.cuh"

namespace vna {
namespace cuda {

template <class Scalar>
void Engine<Scalar>::sample(const Scalar* params, int P, const std::uint32_t* stream_ids, const Counters& counters,
                            int M, std::uint8_t* bits, double* logp, double* energies, bool keep) {
  State& s = *s_;
  const std::size_t n = s.spec.n_params, N = s.spec.n_sites, PM = static_cast<std::size_t>(P) * M;
  s.record(0);
  Scalar* d_params = s.params.reserve(std::max<std::size_t>(1, P * n));
  std::uint32_t* d_ids = s.stream_ids.reserve(std::max(1, P));
  if (P > 0) {
    s.toDevice(d_params, params, P * n * sizeof(Scalar));
    s.toDevice(d_ids, stream_ids, P * sizeof(std::uint32_t));
  }
  std::uint8_t* d_bits = bits != nullptr ? s.bits.reserve(std::max<std::size_t>(1, PM * N)) : nullptr;
  double* d_logp = s.logp.reserve(std::max<std::size_t>(1, PM));
  double* d_energies = energies != nullptr ? s.energies.reserve(std::max<std::size_t>(1, PM)) : nullptr;
  s.record(1);
  sampleOnDevice(d_params, P, d_ids, counters, M, d_bits, d_logp, d_energies, keep);
  s.record(2);
  if (PM > 0) {
    if (bits != nullptr)
      s.toHost(bits, d_bits, PM * N);
    s.toHost(logp, d_logp, PM * sizeof(double));
    if (energies != nullptr)
      s.toHost(energies, d_energies, PM * sizeof(double));
  }
  s.record(3);
  VNA_CUDA(cudaStreamSynchronize(s.stream));
  s.profileForwardCall();
}

template <class Scalar>
void Engine<Scalar>::logProb(const Scalar* params, int P, const std::uint8_t* bits, int M, double* logp, bool keep) {
  State& s = *s_;
  const std::size_t n = s.spec.n_params, N = s.spec.n_sites, PM = static_cast<std::size_t>(P) * M;
  s.record(0);
  Scalar* d_params = s.params.reserve(std::max<std::size_t>(1, P * n));
  std::uint8_t* d_bits = s.bits.reserve(std::max<std::size_t>(1, PM * N));
  if (PM > 0) {
    s.toDevice(d_params, params, P * n * sizeof(Scalar));
    s.toDevice(d_bits, bits, PM * N);
  }
  double* d_logp = s.logp.reserve(std::max<std::size_t>(1, PM));
  s.record(1);
  logProbOnDevice(d_params, P, d_bits, M, d_logp, keep);
  s.record(2);
  if (PM > 0) s.toHost(logp, d_logp, PM * sizeof(double));
  s.record(3);
  VNA_CUDA(cudaStreamSynchronize(s.stream));
  s.profileForwardCall();
}

template <class Scalar>
void Engine<Scalar>::gradient(const Scalar* params, int P, const std::uint8_t* bits, int M, const double* weights,
                              double* grad) {
  State& s = *s_;
  const std::size_t n = s.spec.n_params, N = s.spec.n_sites, PM = static_cast<std::size_t>(P) * M;
  s.record(0);
  Scalar* d_params = s.params.reserve(std::max<std::size_t>(1, P * n));
  std::uint8_t* d_bits = s.bits.reserve(std::max<std::size_t>(1, PM * N));
  double* d_weights = s.weights.reserve(std::max<std::size_t>(1, PM));
  double* d_grad = s.grad.reserve(std::max<std::size_t>(1, P * n));
  if (P > 0) s.toDevice(d_params, params, P * n * sizeof(Scalar));
  if (PM > 0) {
    s.toDevice(d_bits, bits, PM * N);
    s.toDevice(d_weights, weights, PM * sizeof(double));
  }
  s.record(1);
  gradientOnDevice(d_params, P, d_bits, M, d_weights, d_grad);  // records 2, 3, 4 and synchronizes
  if (P > 0) s.toHost(grad, d_grad, P * n * sizeof(double));
  s.record(5);
  VNA_CUDA(cudaStreamSynchronize(s.stream));
  if (s.profiling && PM > 0) {
    s.profile.upload_ms = s.elapsed(0, 1);
    s.profile.forward_ms = 0;
    s.profile.backward_ms = s.elapsed(2, 3);
    s.profile.gemm_ms = s.elapsed(3, 4);
    s.profile.download_ms = s.elapsed(4, 5);
  }
}

#define VNA_STAGING_INSTANTIATE(Scalar)                                                                     \
  template void Engine<Scalar>::sample(const Scalar*, int, const std::uint32_t*, const Counters&, int, std::uint8_t*, \
                                       double*, double*, bool);                                                     \
  template void Engine<Scalar>::logProb(const Scalar*, int, const std::uint8_t*, int, double*, bool);              \
  template void Engine<Scalar>::gradient(const Scalar*, int, const std::uint8_t*, int, const double*, double*);
VNA_STAGING_INSTANTIATE(float)
VNA_STAGING_INSTANTIATE(double)
#undef VNA_STAGING_INSTANTIATE

}  // namespace cuda
}  // namespace vna
