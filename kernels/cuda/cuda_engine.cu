// cuda::Engine: construction (network tables and the launch planner on the device current at
// construction) and the device-resident calls, on the engine's stream (see cuda_engine.hpp). The
// kernels are in forward_kernels.cu and backward_kernels.cu, their launch planning in launch_plan.cu,
// the host-memory calls in staging.cu.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <vector>

#include "core/error.hpp"
#include "core/random.hpp"
#include "cuda/engine_state.cuh"
#include "engine_checks.hpp"

namespace vna {
namespace cuda {

template <class Scalar>
std::string Engine<Scalar>::unsupportedReason(const NetworkSpec& spec) {
  if (spec.inputs != 1 && spec.inputs != 2) return "the CUDA kernels take one or two predecessors per position";
  if (spec.hidden <= 0 || spec.n_sites <= 0) return "empty network";
  if (spec.layers > detail::kMaxLayers || static_cast<int>(spec.layer_weight.size()) != spec.layers)
    return "the CUDA kernels take 1 to " + std::to_string(detail::kMaxLayers) + " dilated layers";
  if (static_cast<int>(spec.order.size()) != spec.n_sites ||
      static_cast<int>(spec.predecessor.size()) != 2 * spec.n_sites)
    return "inconsistent predecessor tables";
  const detail::SlotTables t = detail::slotTables(spec);
  if (!t.problem.empty()) return t.problem;
  int device = 0;
  VNA_CUDA(cudaGetDevice(&device));
  cudaDeviceProp prop{};
  VNA_CUDA(cudaGetDeviceProperties(&prop, device));
  return detail::sharedMemoryProblem<Scalar>(detail::networkShape(spec, t), prop);
}

template <class Scalar>
Engine<Scalar>::Engine(const NetworkSpec& spec) : s_(std::make_unique<State>()) {
  const std::string why = unsupportedReason(spec);
  if (!why.empty()) throw Error("cuda::Engine: cannot run this network: " + why);
  State& s = *s_;
  s.spec = spec;
  VNA_CUDA(cudaGetDevice(&s.device));
  VNA_CUDA(cudaGetDeviceProperties(&s.prop, s.device));
  VNA_CUDA(cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking));
  VNA_CUBLAS(cublasCreate(&s.cublas));
  VNA_CUBLAS(cublasSetStream(s.cublas, s.stream));
  // Plain IEEE arithmetic in the GEMMs (no TF32): the gradients are compared with the Kokkos backend.
  VNA_CUBLAS(cublasSetMathMode(s.cublas, CUBLAS_PEDANTIC_MATH));
  for (cudaEvent_t& e : s.events) VNA_CUDA(cudaEventCreate(&e));

  const detail::SlotTables t = detail::slotTables(spec);
  const int N = spec.n_sites;
  std::vector<int> host;
  host.insert(host.end(), spec.order.begin(), spec.order.end());
  host.insert(host.end(), spec.predecessor.begin(), spec.predecessor.end());
  host.insert(host.end(), t.reader.begin(), t.reader.end());
  host.insert(host.end(), t.forward_slot.begin(), t.forward_slot.end());
  host.insert(host.end(), t.backward_slot.begin(), t.backward_slot.end());
  std::vector<int> position(N);
  for (int k = 0; k < N; ++k) position[spec.order[k]] = k;
  host.insert(host.end(), position.begin(), position.end());
  s.tables.reserve(host.size());
  s.toDevice(s.tables.data(), host.data(), host.size() * sizeof(int));
  s.net = detail::networkShape(spec, t);
  detail::NetworkArgs& net = s.net;
  net.order = s.tables.data();
  net.predecessor = net.order + N;
  net.reader = net.predecessor + 2 * N;
  net.forward_slot = net.reader + 2 * N;
  net.backward_slot = net.forward_slot + N;
  net.position = net.backward_slot + N;
  s.planner = detail::Planner<Scalar>(net, s.prop);

  if (const char* env = std::getenv("VNA_CUDA_TILE")) {
    Tile forced;
    if (std::sscanf(env, "%d,%d,%d", &forced.rows, &forced.samples, &forced.warps_per_block) < 2)
      throw Error(std::string("VNA_CUDA_TILE='") + env + "': expected R,C or R,C,W (e.g. 5,4)");
    setTile(forced);
  }
  if (const char* env = std::getenv("VNA_CUDA_SCRATCH_MIB")) {
    char* end = nullptr;
    const long mib = std::strtol(env, &end, 10);
    if (end == env || *end != '\0' || mib < 0)
      throw Error(std::string("VNA_CUDA_SCRATCH_MIB='") + env + "': expected a number of MiB (e.g. 256)");
    s.planner.setScratchBudget(static_cast<std::size_t>(mib) << 20);
  }
}

template <class Scalar>
Engine<Scalar>::~Engine() = default;

template <class Scalar>
std::vector<Tile> Engine<Scalar>::compiledTiles() {
  return detail::compiledTiles();
}

template <class Scalar>
void Engine<Scalar>::setTile(const Tile& tile) {
  s_->planner.force(tile);
}

template <class Scalar>
void Engine<Scalar>::setProfiling(bool on) {
  s_->profiling = on;
}

template <class Scalar>
const Profile& Engine<Scalar>::lastProfile() const {
  return s_->profile;
}

template <class Scalar>
int Engine<Scalar>::device() const {
  return s_->device;
}

template <class Scalar>
std::string Engine<Scalar>::deviceName() const {
  return s_->prop.name;
}

template <class Scalar>
std::size_t Engine<Scalar>::workspaceBytes() const {
  const State& s = *s_;
  return s.params.bytes() + s.stream_ids.bytes() + s.bits.bytes() + s.logp.bytes() + s.energies.bytes() +
         s.weights.bytes() + s.grad.bytes() + s.acts.bytes() + s.probs.bytes() + s.dpre.bytes() +
         s.weight_grad.bytes() + s.partials.bytes() + s.flip_bits.bytes() + s.flip_logp.bytes() + s.site_rows.bytes() +
         s.scratch.bytes();
}

template <class Scalar>
void Engine<Scalar>::synchronize() {
  VNA_CUDA(cudaStreamSynchronize(s_->stream));
}

template <class Scalar>
void Engine<Scalar>::setHamiltonian(const HamiltonianRows& h) {
  State& s = *s_;
  if (h.num_spins != s.spec.n_sites)
    throw Error("cuda::Engine::setHamiltonian: " + std::to_string(h.num_spins) + " spins for " +
                std::to_string(s.spec.n_sites) + " sites");
  auto upload = [&](auto& buffer, const auto& host) {
    buffer.reserve(std::max<std::size_t>(1, host.size()));
    if (!host.empty())
      s.toDevice(buffer.data(), host.data(), host.size() * sizeof(host[0]));
  };
  upload(s.term_offsets, h.term_offsets);
  upload(s.term_sites, h.term_sites);
  upload(s.term_coeffs, h.term_coeffs);
  upload(s.field_sites, h.field_sites);
  upload(s.field_values, h.field_values);
  HamiltonianPointers& p = s.hamiltonian;
  p.n_terms = static_cast<int>(h.term_coeffs.size());
  p.n_fields = static_cast<int>(h.field_values.size());
  p.term_offsets = s.term_offsets.data();
  p.term_sites = s.term_sites.data();
  p.term_coeffs = s.term_coeffs.data();
  p.field_sites = s.field_sites.data();
  p.field_values = s.field_values.data();
  s.have_hamiltonian = true;
}

template <class Scalar>
void Engine<Scalar>::sampleOnDevice(const Scalar* params, int P, const std::uint32_t* stream_ids,
                                    const Counters& counters, int M, std::uint8_t* bits, double* logp,
                                    double* energies, bool keep) {
  State& s = *s_;
  if (energies != nullptr && !s.have_hamiltonian)
    throw Error("cuda::Engine: energies requested before setHamiltonian");
  detail::ForwardArgs<Scalar> a;
  a.params = params;
  a.P = P;
  a.M = M;
  a.sampling = true;
  a.key = makeRngKey(counters.seed, RngPurpose::kSampling);
  a.step = counters.step;
  a.first_sample = counters.first_sample;
  a.stream_ids = stream_ids;
  a.bits_out = bits;
  a.logp = logp;
  a.energies = energies;
  if (energies != nullptr) {
    a.packed_words = (s.spec.n_sites + 31) / 32;
    a.hamiltonian = s.hamiltonian;
  }
  s.runForward(a, keep);
}

template <class Scalar>
void Engine<Scalar>::logProbOnDevice(const Scalar* params, int P, const std::uint8_t* bits, int M, double* logp,
                                     bool keep) {
  detail::ForwardArgs<Scalar> a;
  a.params = params;
  a.P = P;
  a.M = M;
  a.sampling = false;
  a.bits_in = bits;
  a.logp = logp;
  s_->runForward(a, keep);
}

namespace {

// C_b = A_b · D_b^T for b < batch (column-major; A m × k, D n × k): the weight-gradient products.
template <class Scalar>
void productsBatched(cublasHandle_t h, int m, int n, long long k, const Scalar* A, int lda, long long stride_a,
                     const Scalar* D, int ldd, long long stride_d, Scalar* C, int ldc, long long stride_c, int batch) {
  const Scalar one = 1, zero = 0;
  if constexpr (std::is_same<Scalar, float>::value) {
    VNA_CUBLAS(cublasSgemmStridedBatched(h, CUBLAS_OP_N, CUBLAS_OP_T, m, n, static_cast<int>(k), &one, A, lda,
                                         stride_a, D, ldd, stride_d, &zero, C, ldc, stride_c, batch));
  } else {
    VNA_CUBLAS(cublasDgemmStridedBatched(h, CUBLAS_OP_N, CUBLAS_OP_T, m, n, static_cast<int>(k), &one, A, lda,
                                         stride_a, D, ldd, stride_d, &zero, C, ldc, stride_c, batch));
  }
}

}  // namespace

template <class Scalar>
void Engine<Scalar>::gradientOnDevice(const Scalar* params, int P, const std::uint8_t* bits, int M,
                                      const double* weights, double* grad) {
  State& s = *s_;
  engine_checks::kept("cuda::Engine::gradient",
                      engine_checks::KeptBatch{s.kept_valid, static_cast<std::size_t>(s.kept_P),
                                               static_cast<std::size_t>(s.kept_M)},
                      static_cast<std::size_t>(P), static_cast<std::size_t>(M));
  const int n = s.net.n_params;
  if (P == 0) return;
  if (M == 0) {
    VNA_CUDA(cudaMemsetAsync(grad, 0, static_cast<std::size_t>(P) * n * sizeof(double), s.stream));
    return;
  }
  const int N = s.spec.n_sites;
  const detail::Plan plan = s.planner.choose(detail::Kernel::kBackward, P, M, false);
  detail::BackwardArgs<Scalar> a;
  a.net = s.net;
  a.params = params;
  a.P = P;
  a.M = M;
  detail::applyPlan(plan, a);
  a.acts = s.acts.data();
  a.probs = s.probs.data();
  a.lda = s.lda();
  a.bits = bits;
  a.weights = weights;
  const std::size_t cells = static_cast<std::size_t>(P) * N * M;
  const int operands = s.net.gradientOperands();
  Scalar* dpre = s.dpre.reserve(cells * s.ldd() * operands);
  for (int o = 0; o < operands; ++o) a.dpre[o] = dpre + o * cells * s.ldd();
  a.ldd = s.ldd();
  // Tensorized and dilated: the kernel writes only the cells a ∂pre belongs to.
  if (s.net.tensorized || s.net.dilated())
    VNA_CUDA(cudaMemsetAsync(dpre, 0, cells * s.ldd() * operands * sizeof(Scalar), s.stream));
  a.partials =
      s.partials.reserve(static_cast<std::size_t>(P) * a.warps_per_set * a.partial_sites * a.partial_stride);
  a.mismatches = s.mismatches.reserve(1);
  VNA_CUDA(cudaMemsetAsync(a.mismatches, 0, sizeof(int), s.stream));
  s.profile.backward_plan = plan.describe();
  if (s.net.dilated())
    dilatedGradient(plan, a, grad);
  else
    layerGradient(plan, a, grad);
  s.record(4);
  int mismatches = 0;
  // The misuse check's status word: control, not data, so not counted in transfers().
  VNA_CUDA(cudaMemcpyAsync(&mismatches, a.mismatches, sizeof(int), cudaMemcpyDeviceToHost, s.stream));
  VNA_CUDA(cudaStreamSynchronize(s.stream));
  if (mismatches > 0) engine_checks::throwBitsDiffer("cuda::Engine::gradient", mismatches);
}

// The vanilla and tensorized cells: the backward kernel, the weight products, the assembly.
template <class Scalar>
void Engine<Scalar>::layerGradient(const detail::Plan& plan, detail::BackwardArgs<Scalar>& a, double* grad) {
  State& s = *s_;
  const int N = s.spec.n_sites, hidden = s.spec.hidden, P = a.P, M = a.M, n = s.net.n_params;
  if (s.net.per_site) {
    a.site_rows = s.site_rows.reserve(static_cast<std::size_t>(P) * N * plan.set_stride);
    detail::launchStageBackwardSites(plan, s.net, a.params, P, s.site_rows.data(), s.stream);
  }
  s.record(2);
  detail::launchBackward(plan, a, s.stream);
  s.record(3);

  // ∂W_j[i][t] = Σ_{q, s} A[q][s][t] D_j[q][s][i]: C = A · D_j^T, (d_h + 2) × d_h, column-major with
  // ldc = d_h + 2, which is W_j's row-major [d_h][d_h + 2] block of the parameter vector. Tensorized,
  // per operand (j, u, b): ∂T_{2j+b}[i][u·d_h + t] = Σ A[q][s][t] D_{j,u,b}[q][s][i] over the hidden
  // columns of A, d_h × d_h with ldc = inputs·d_h at T_{2j+b}'s column u·d_h. Shared weights: one
  // product per set over all (q, s), written into the set's block. Per-site weights: one product per
  // (set, q) over the samples, [operands][P][N][d_h · columns], placed at the reader's site by the
  // assembly.
  const bool per_site = s.net.per_site, tensorized = s.net.tensorized;
  const int operands = s.net.gradientOperands();
  const int rows_a = tensorized ? hidden : hidden + 2;  // rows of each product (columns of A used)
  const std::size_t block = static_cast<std::size_t>(hidden) * rows_a;
  Scalar* weight_grad = s.weight_grad.reserve(per_site ? operands * static_cast<std::size_t>(P) * N * block
                                                       : static_cast<std::size_t>(P) * n);
  const long long k_cols = per_site ? M : static_cast<long long>(N) * M;
  const int batch = per_site ? P * N : P;
  const int K = s.spec.inputs * hidden;
  for (int o = 0; o < operands; ++o) {
    std::size_t offset = 0;  // of the product in the set's parameter vector (shared weights)
    int ldc = per_site ? rows_a : hidden + 2;
    if (tensorized) {
      const int b = o % 2, u = (o / 2) % s.spec.inputs, j = o / 2 / s.spec.inputs;
      offset = s.net.weight_offset[0] + static_cast<std::size_t>(2 * j + b) * hidden * K + u * hidden;
      if (!per_site) ldc = K;
    } else {
      offset = s.net.weight_offset[o];
    }
    Scalar* c = per_site ? weight_grad + o * static_cast<std::size_t>(P) * N * block : weight_grad + offset;
    const long long c_stride = per_site ? static_cast<long long>(block) : static_cast<long long>(n);
    productsBatched<Scalar>(s.cublas, rows_a, hidden, k_cols, a.acts, a.lda, k_cols * a.lda, a.dpre[o], a.ldd,
                            k_cols * a.ldd, c, ldc, c_stride, batch);
  }
  detail::launchAssembleGradient(a, weight_grad, grad, s.stream);
}

// The dilated cell: staged rows, the backward kernel, 2L − 1 weight products, the assembly.
template <class Scalar>
void Engine<Scalar>::dilatedGradient(const detail::Plan& plan, detail::BackwardArgs<Scalar>& a, double* grad) {
  State& s = *s_;
  const detail::NetworkArgs& net = s.net;
  const int N = s.spec.n_sites, hidden = s.spec.hidden, P = a.P, M = a.M, n = net.n_params;
  a.site_rows = s.site_rows.reserve(static_cast<std::size_t>(P) * s.stagedSites() * plan.set_stride);
  detail::launchStageDilated(plan, detail::Kernel::kBackward, net, a.params, P, s.site_rows.data(), s.stream);
  a.scratch =
      s.scratch.reserve(static_cast<std::size_t>(plan.blocks) * plan.warps_per_block * plan.scratch_per_warp);
  s.record(2);
  detail::launchDilatedBackward(plan, a, s.stream);
  s.record(3);

  // Operand o belongs to layer l = 1 (o = 0) or (o + 3) / 2; odd o ≥ 1 (and o = 0) pair ∂pre^l_k, kept
  // at the cell of k − 2^(l−1), with h^l there (layer 1: [h^1; 1 − b; b]), the look-back columns of
  // W_l; even o ≥ 2 pair it, kept at k, with h^(l−1)_k, the lower-layer columns. C = A · D_o^T as for
  // the vanilla cell: shared, one product per set into W_l's block (ldc = width_l); per site, one per
  // (set, position), [operands][P][N][d_h (d_h + 2)] with ldc = the operand's rows.
  const bool per_site = net.per_site;
  const int operands = net.gradientOperands();
  const std::size_t block = static_cast<std::size_t>(hidden) * (hidden + 2);
  Scalar* weight_grad = s.weight_grad.reserve(per_site ? operands * static_cast<std::size_t>(P) * N * block
                                                       : static_cast<std::size_t>(P) * n);
  const long long k_cols = per_site ? M : static_cast<long long>(N) * M;
  const int batch = per_site ? P * N : P;
  for (int o = 0; o < operands; ++o) {
    const int l = o == 0 ? 1 : (o + 3) / 2;
    const bool lower = o > 0 && o % 2 == 0;
    const int rows_a = l == 1 ? hidden + 2 : hidden;
    const Scalar* A = a.acts + (lower ? net.layerRow(l - 1) : net.layerRow(l));
    Scalar* c = per_site ? weight_grad + o * static_cast<std::size_t>(P) * N * block
                         : weight_grad + net.layer_weight[l - 1] + (lower ? hidden : 0);
    productsBatched<Scalar>(s.cublas, rows_a, hidden, k_cols, A, a.lda, k_cols * a.lda, a.dpre[o], a.ldd,
                            k_cols * a.ldd, c, per_site ? rows_a : net.layerWidth(l),
                            per_site ? static_cast<long long>(block) : static_cast<long long>(n), batch);
  }
  detail::launchAssembleDilatedGradient(a, weight_grad, grad, s.stream);
}

template class Engine<float>;
template class Engine<double>;

}  // namespace cuda
}  // namespace vna
