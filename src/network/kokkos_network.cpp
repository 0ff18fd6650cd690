// The network service on the Kokkos backend: RnnEngine's views in the default memory space (host
// memory with Debian's Serial Kokkos, device memory with a GPU Kokkos), staged from and to the host
// vectors of the front end. The samples stay in the views between sample(), the flip ratios and
// gradient(); planes are expanded and flip ratios reduced where the views live.
#include <Kokkos_Core.hpp>

#include <algorithm>
#include <utility>

#include "local_energy.hpp"
#include "network/network_impl.hpp"
#include "parameter_plane.hpp"
#include "rnn_engine.hpp"

namespace vna {

namespace {

template <class Scalar>
class KokkosNetwork final : public Network::Impl {
 public:
  using Engine = RnnEngine<Scalar>;
  using Space = typename Engine::execution_space;
  using MemSpace = typename Engine::memory_space;
  using Doubles2 = Kokkos::View<double**, Kokkos::LayoutRight, MemSpace>;
  template <class T>
  using HostRows = Kokkos::View<T**, Kokkos::LayoutRight, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;

  KokkosNetwork(const EngineConfig& config, const Hamiltonian& hamiltonian) : engine_(config) {
    engine_.setHamiltonian(hamiltonian);
  }

  void sample(const ParameterSets& sets, const std::vector<std::uint32_t>& stream_ids, const SampleCounters& counters,
              int M, const SampleNeeds& needs, std::vector<double>& logp, std::vector<double>& energies,
              std::vector<double>& flip_sums) override {
    const int P = static_cast<int>(sets.count()), N = engine_.numSites();
    // Kept activations serve both the gradient and the prefix-sharing flips.
    const bool keep = needs.gradient || needs.flip_ratios;
    const bool bits = keep || needs.configurations;
    resize(logp_, "vna::Network::logp", P, M);
    resize(energies_, "vna::Network::energies", P, M);
    if (bits) resize(bits_, "vna::Network::bits", P, M, N);
    if (sets.plane() && !needs.gradient) {
      samplePlane(sets, stream_ids, counters, M, needs.flip_ratios, bits);
    } else {
      stage(sets, stream_ids);
      engine_.sampleWithEnergies(space_, params_, ids_, counters, bits ? bits_ : typename Engine::BitsView(), logp_,
                                 energies_, keep ? Activations::kKeep : Activations::kDiscard);
      if (needs.flip_ratios) {
        resize(flipped_, "vna::Network::flipped_logp", P, M, N);
        resize(sums_, "vna::Network::flip_ratio_sums", P, M);
        flipRatioSums(params_, bits_, logp_, P, M, N, flipped_, sums_);
      }
    }
    space_.fence();
    download(logp, logp_, P, M);
    download(energies, energies_, P, M);
    if (needs.flip_ratios) download(flip_sums, sums_, P, M);
  }

  void configurations(std::vector<std::uint8_t>& bits) override {
    bits.resize(bits_.size());
    Kokkos::deep_copy(Kokkos::View<std::uint8_t***, Kokkos::LayoutRight, Kokkos::HostSpace,
                                   Kokkos::MemoryTraits<Kokkos::Unmanaged>>(bits.data(), bits_.extent(0),
                                                                            bits_.extent(1), bits_.extent(2)),
                      bits_);
    transfers_.to_host += bits.size();
  }

  void gradient(const std::vector<double>& weights, std::vector<double>& grad) override {
    const std::size_t P = logp_.extent(0), M = logp_.extent(1), n = engine_.numParams();
    resize(weights_, "vna::Network::weights", P, M);
    upload(weights_, weights.data(), P, M);
    if constexpr (Kokkos::SpaceAccessibility<Kokkos::HostSpace, MemSpace>::accessible) {
      // Host memory: the engine writes the caller's vector (millions of entries for per-site networks).
      engine_.gradient(space_, params_, bits_, weights_, typename Engine::GradView(grad.data(), P, n));
      space_.fence();
      transfers_.to_host += P * n * sizeof(double);
    } else {
      if (grad_.extent(0) != P) grad_ = typename Engine::GradView("vna::Network::grad", P, n);
      engine_.gradient(space_, params_, bits_, weights_, grad_);
      space_.fence();
      download(grad, grad_, P, n);
    }
  }

  Transfers transfers() const override { return transfers_; }

  std::size_t workspaceBytes() const override {
    return engine_.workspaceBytes() + params_.span() * sizeof(Scalar) + bits_.span() + flipped_.span() * sizeof(double) +
           sizeof(double) * (logp_.span() + energies_.span() + sums_.span() + weights_.span() + grad_.span() +
                             plane_.span() + coeffs_.span());
  }

 private:
  template <class View>
  static void resize(View& v, const char* label, std::size_t a, std::size_t b) {
    if (v.extent(0) != a || v.extent(1) != b) {
      v = View();
      v = View(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(label)), a, b);
    }
  }
  template <class View>
  static void resize(View& v, const char* label, std::size_t a, std::size_t b, std::size_t c) {
    if (v.extent(0) != a || v.extent(1) != b || v.extent(2) != c) {
      v = View();
      v = View(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(label)), a, b, c);
    }
  }

  template <class View, class T>
  void upload(const View& device, const T* host, std::size_t a, std::size_t b) {
    Kokkos::deep_copy(device, HostRows<const T>(host, a, b));
    transfers_.to_device += a * b * sizeof(T);
  }
  template <class View>
  void download(std::vector<double>& host, const View& device, std::size_t a, std::size_t b) {
    host.resize(a * b);
    Kokkos::deep_copy(HostRows<double>(host.data(), a, b), device);
    transfers_.to_host += a * b * sizeof(double);
  }

  // θ of the P sets in Scalar: explicit sets rounded on the host, or plane points expanded in the
  // engine's memory from the plane (uploaded when it changes) and the coefficients (for a gradient,
  // which needs the sets afterwards).
  void stage(const ParameterSets& sets, const std::vector<std::uint32_t>& stream_ids) {
    const std::size_t P = sets.count(), n = engine_.numParams();
    resize(params_, "vna::Network::params", P, n);
    if (sets.isExplicit()) {
      auto host = Kokkos::create_mirror_view(params_);
      roundSets(sets, host.data());
      Kokkos::deep_copy(params_, host);
      transfers_.to_device += P * n * sizeof(Scalar);
    } else {
      stagePlane(sets);
      expandPlane(params_, 0);
    }
    stageIds(stream_ids);
  }

  void stagePlane(const ParameterSets& sets) {
    const std::size_t P = sets.count(), n = engine_.numParams();
    if (cache_.planeChanged(*sets.plane())) {
      if constexpr (Kokkos::SpaceAccessibility<Kokkos::HostSpace, MemSpace>::accessible) {
        // Host memory: the engine reads the cache's rows in place (at 40×40 per site a copy is 0.5 GB).
        plane_ = Doubles2(const_cast<double*>(cache_.planeRows().data()), 3, n);
        transfers_.to_device += 3 * n * sizeof(double);  // what the plane costs to stage, as on a device
      } else {
        resize(plane_, "vna::Network::plane", 3, n);
        upload(plane_, cache_.planeRows().data(), 3, n);
      }
    }
    resize(coeffs_, "vna::Network::coefficients", 2, P);
    upload(coeffs_, StagingCache::coefficients(sets).data(), 2, P);
  }

  void stageIds(const std::vector<std::uint32_t>& stream_ids) {
    const std::size_t P = stream_ids.size();
    if (!cache_.idsChanged(stream_ids)) return;
    if (ids_.extent(0) != P) ids_ = Kokkos::View<std::uint32_t*, MemSpace>("vna::Network::stream_ids", P);
    Kokkos::deep_copy(ids_, Kokkos::View<const std::uint32_t*, Kokkos::HostSpace,
                                         Kokkos::MemoryTraits<Kokkos::Unmanaged>>(stream_ids.data(), P));
    transfers_.to_device += P * sizeof(std::uint32_t);
  }

  // params(k, i) = the plane point first + k (parameter_plane.hpp, rounded to Scalar).
  void expandPlane(const Kokkos::View<Scalar**, Kokkos::LayoutRight, MemSpace>& params, int first) {
    const auto plane = plane_;
    const auto coeffs = coeffs_;
    // One set per work item, its entries in a (vectorizable) inner loop.
    const int entries = static_cast<int>(params.extent(1));
    Kokkos::parallel_for(
        "vna::Network::expandPlane", Kokkos::RangePolicy<Space>(space_, 0, static_cast<int>(params.extent(0))),
        KOKKOS_LAMBDA(const int k) {
          const double a = coeffs(0, first + k), b = coeffs(1, first + k);
          Scalar* out = &params(k, 0);
          const double *t = &plane(0, 0), *d = &plane(1, 0), *e = &plane(2, 0);
          for (int i = 0; i < entries; ++i) out[i] = static_cast<Scalar>(planeEntry(t[i], a, d[i], b, e[i]));
        });
  }

  // Plane sets without a gradient: the engine forms the parameters where it reads them (memory O(n)
  // per call). VQA's flips need kept activations of explicit sets: the points are then materialized
  // in waves of at most kPlaneWaveBytes of parameters, each sampled and flipped on its own (a sample
  // does not depend on the batch it is drawn in), so the memory stays bounded for huge networks.
  static constexpr std::size_t kPlaneWaveBytes = std::size_t(256) << 20;
  void samplePlane(const ParameterSets& sets, const std::vector<std::uint32_t>& stream_ids,
                   const SampleCounters& counters, int M, bool flip_ratios, bool bits) {
    const int P = static_cast<int>(sets.count()), N = engine_.numSites();
    const std::size_t n = engine_.numParams();
    stagePlane(sets);
    stageIds(stream_ids);
    if (!flip_ratios) {
      engine_.sampleWithEnergies(space_, plane_, coeffs_, ids_, counters,
                                 bits ? bits_ : typename Engine::BitsView(), logp_, energies_);
      return;
    }
    resize(flipped_, "vna::Network::flipped_logp", P, M, N);
    resize(sums_, "vna::Network::flip_ratio_sums", P, M);
    const int wave = static_cast<int>(std::clamp<std::size_t>(kPlaneWaveBytes / (n * sizeof(Scalar)), 1, P));
    resize(params_, "vna::Network::params", wave, n);
    for (int p0 = 0; p0 < P; p0 += wave) {
      const int count = std::min(wave, P - p0);
      const auto rows = std::make_pair(p0, p0 + count);
      const Kokkos::View<Scalar**, Kokkos::LayoutRight, MemSpace> params =
          Kokkos::subview(params_, std::make_pair(0, count), Kokkos::ALL);
      expandPlane(params, p0);
      const typename Engine::BitsView wave_bits = Kokkos::subview(bits_, rows, Kokkos::ALL, Kokkos::ALL);
      const Doubles2 wave_logp = Kokkos::subview(logp_, rows, Kokkos::ALL);
      const Doubles2 wave_energies = Kokkos::subview(energies_, rows, Kokkos::ALL);
      const Kokkos::View<std::uint32_t*, MemSpace> wave_ids = Kokkos::subview(ids_, rows);
      engine_.sampleWithEnergies(space_, params, wave_ids, counters, wave_bits, wave_logp, wave_energies,
                                 Activations::kKeep);
      const typename Engine::FlipLogProbView wave_flipped = Kokkos::subview(flipped_, rows, Kokkos::ALL, Kokkos::ALL);
      const Doubles2 wave_sums = Kokkos::subview(sums_, rows, Kokkos::ALL);
      flipRatioSums(params, wave_bits, wave_logp, count, M, N, wave_flipped, wave_sums);
    }
  }

  // sums[p][s] = Σ_i exp((log p(σ^i) − log p(σ)) / 2) from the prefix-sharing logProbFlips.
  void flipRatioSums(const Kokkos::View<Scalar**, Kokkos::LayoutRight, MemSpace>& params,
                     const typename Engine::BitsView& bits, const Doubles2& logp, int P, int M, int N,
                     const typename Engine::FlipLogProbView& flipped, const Doubles2& sums) {
    engine_.logProbFlips(space_, params, bits, flipped);
    const auto f = flipped;
    const auto lp = logp;
    const auto out = sums;
    Kokkos::parallel_for(
        "vna::Network::flipRatioSums", Kokkos::MDRangePolicy<Space, Kokkos::Rank<2>>(space_, {0, 0}, {P, M}),
        KOKKOS_LAMBDA(const int p, const int s) { out(p, s) = flipRatioSum(&f(p, s, 0), lp(p, s), N); });
  }

  Engine engine_;
  Space space_;
  StagingCache cache_;
  Transfers transfers_;
  Kokkos::View<Scalar**, Kokkos::LayoutRight, MemSpace> params_;
  Kokkos::View<std::uint32_t*, MemSpace> ids_;
  typename Engine::BitsView bits_;
  typename Engine::FlipLogProbView flipped_;
  Doubles2 logp_, energies_, sums_, weights_, plane_, coeffs_;
  typename Engine::GradView grad_;
};

}  // namespace

std::unique_ptr<Network::Impl> makeKokkosNetwork(const AnsatzSpec& ansatz, const Lattice& lattice,
                                                 const Hamiltonian& hamiltonian) {
  EngineConfig config;
  config.cell = ansatz.cell;
  config.hidden = ansatz.hidden;
  config.lattice = lattice;
  config.backend = Backend::kKokkos;
  config.sharing = ansatz.sharing;
  if (ansatz.precision == Precision::kDouble) return std::make_unique<KokkosNetwork<double>>(config, hamiltonian);
  return std::make_unique<KokkosNetwork<float>>(config, hamiltonian);
}

}  // namespace vna
