// The network service on the Kokkos backend: RnnEngine's views in the default memory space (host
// memory with Debian's Serial Kokkos, device memory with a GPU Kokkos), staged from and to the host
// vectors of the front end. The samples stay in the views between sample(), the flip ratios and
// gradient(); planes are expanded and flip ratios reduced where the views live.
#include <Kokkos_Core.hpp>

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
    stage(sets, stream_ids);
    // Kept activations serve both the gradient and the prefix-sharing flips.
    const bool keep = needs.gradient || needs.flip_ratios;
    const bool bits = keep || needs.configurations;
    resize(logp_, "vna::Network::logp", P, M);
    resize(energies_, "vna::Network::energies", P, M);
    if (bits) resize(bits_, "vna::Network::bits", P, M, N);
    engine_.sampleWithEnergies(space_, params_, ids_, counters, bits ? bits_ : typename Engine::BitsView(), logp_,
                               energies_, keep ? Activations::kKeep : Activations::kDiscard);
    if (needs.flip_ratios) flipRatioSums(P, M, N);
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
    if (grad_.extent(0) != P) grad_ = typename Engine::GradView("vna::Network::grad", P, n);
    engine_.gradient(space_, params_, bits_, weights_, grad_);
    space_.fence();
    download(grad, grad_, P, n);
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
  // engine's memory from the plane (uploaded when it changes) and the coefficients.
  void stage(const ParameterSets& sets, const std::vector<std::uint32_t>& stream_ids) {
    const std::size_t P = sets.count(), n = engine_.numParams();
    resize(params_, "vna::Network::params", P, n);
    if (sets.flat()) {
      auto host = Kokkos::create_mirror_view(params_);
      roundSets(*sets.flat(), host.data());
      Kokkos::deep_copy(params_, host);
      transfers_.to_device += P * n * sizeof(Scalar);
    } else {
      if (cache_.planeChanged(*sets.plane())) {
        resize(plane_, "vna::Network::plane", 3, n);
        upload(plane_, cache_.planeRows().data(), 3, n);
      }
      resize(coeffs_, "vna::Network::coefficients", 2, P);
      upload(coeffs_, StagingCache::coefficients(sets).data(), 2, P);
      const auto plane = plane_;
      const auto coeffs = coeffs_;
      const auto params = params_;
      // One set per work item, its entries in a (vectorizable) inner loop.
      const int entries = static_cast<int>(n);
      Kokkos::parallel_for(
          "vna::Network::expandPlane", Kokkos::RangePolicy<Space>(space_, 0, static_cast<int>(P)),
          KOKKOS_LAMBDA(const int k) {
            const double a = coeffs(0, k), b = coeffs(1, k);
            Scalar* out = &params(k, 0);
            const double *t = &plane(0, 0), *d = &plane(1, 0), *e = &plane(2, 0);
            for (int i = 0; i < entries; ++i) out[i] = static_cast<Scalar>(planeEntry(t[i], a, d[i], b, e[i]));
          });
    }
    if (cache_.idsChanged(stream_ids)) {
      if (ids_.extent(0) != P) ids_ = Kokkos::View<std::uint32_t*, MemSpace>("vna::Network::stream_ids", P);
      Kokkos::deep_copy(ids_, Kokkos::View<const std::uint32_t*, Kokkos::HostSpace,
                                           Kokkos::MemoryTraits<Kokkos::Unmanaged>>(stream_ids.data(), P));
      transfers_.to_device += P * sizeof(std::uint32_t);
    }
  }

  // sums[p][s] = Σ_i exp((log p(σ^i) − log p(σ)) / 2) from the prefix-sharing logProbFlips.
  void flipRatioSums(int P, int M, int N) {
    resize(flipped_, "vna::Network::flipped_logp", P, M, N);
    resize(sums_, "vna::Network::flip_ratio_sums", P, M);
    engine_.logProbFlips(space_, params_, bits_, flipped_);
    const auto flipped = flipped_;
    const auto logp = logp_;
    const auto sums = sums_;
    Kokkos::parallel_for(
        "vna::Network::flipRatioSums", Kokkos::MDRangePolicy<Space, Kokkos::Rank<2>>(space_, {0, 0}, {P, M}),
        KOKKOS_LAMBDA(const int p, const int s) { sums(p, s) = flipRatioSum(&flipped(p, s, 0), logp(p, s), N); });
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
  if (ansatz.precision == Precision::kDouble) return std::make_unique<KokkosNetwork<double>>(config, hamiltonian);
  return std::make_unique<KokkosNetwork<float>>(config, hamiltonian);
}

}  // namespace vna
