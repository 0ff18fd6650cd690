// The network service on the native CUDA backend: cuda::Engine's device-resident calls on device
// buffers. Per call only the parameters (explicit sets in Scalar; for a plane, the plane once and
// the coefficients), the stream ids when they change and the per-sample weights travel to the GPU,
// and only per-sample scalars and gradients come back; configurations stay on the GPU unless the
// analysis asks for them. Built with VNA_HAVE_CUDA only.
#include <algorithm>

#include "backend_registry.hpp"
#include "cuda/cuda_backend.hpp"
#include "cuda/cuda_engine.hpp"
#include "cuda/device_buffer.hpp"
#include "network/network_impl.hpp"
#include "network_tables.hpp"

namespace vna {

namespace {

template <class Scalar>
class CudaNetwork final : public Network::Impl {
 public:
  CudaNetwork(const cuda::NetworkSpec& spec, const Hamiltonian& hamiltonian) : engine_(spec), n_(spec.n_params) {
    engine_.setHamiltonian(hamiltonianRows(hamiltonian));
    N_ = spec.n_sites;
  }

  std::string description() const { return "cuda (" + engine_.deviceName() + ", device " + std::to_string(engine_.device()) + ")"; }

  void sample(const ParameterSets& sets, const std::vector<std::uint32_t>& stream_ids, const SampleCounters& counters,
              int M, const SampleNeeds& needs, std::vector<double>& logp, std::vector<double>& energies,
              std::vector<double>& flip_sums) override {
    P_ = static_cast<int>(sets.count());
    M_ = M;
    const std::size_t PM = static_cast<std::size_t>(P_) * M;
    // Configurations are written only where something reads them afterwards.
    const bool keep_bits = needs.gradient || needs.flip_ratios || needs.configurations;
    std::uint8_t* bits = keep_bits ? bits_.reserve(std::max<std::size_t>(1, PM * N_)) : nullptr;
    double* d_logp = logp_.reserve(std::max<std::size_t>(1, PM));
    double* d_energies = energies_.reserve(std::max<std::size_t>(1, PM));
    double* sums = needs.flip_ratios ? sums_.reserve(std::max<std::size_t>(1, PM)) : nullptr;
    const cuda::Counters c{counters.seed, counters.step, counters.first_sample};
    stageIds(stream_ids);
    // Plane points are expanded on the device in waves of at most kPlaneWaveBytes of parameters (a
    // per-site network at 40×40 has 83 MB of them per point), each sampled on its own: a sample does
    // not depend on the batch it is drawn in. The gradient needs every set at once (explicit sets).
    const int wave = sets.isExplicit() || needs.gradient
                         ? std::max(1, P_)
                         : static_cast<int>(std::clamp<std::size_t>(kPlaneWaveBytes / (n_ * sizeof(Scalar)), 1,
                                                                    std::max<std::size_t>(1, P_)));
    for (int first = 0; first < P_; first += wave) {
      const int count = std::min(wave, P_ - first);
      stageParams(sets, first, count);
      const std::size_t at = static_cast<std::size_t>(first) * M;
      std::uint8_t* wave_bits = bits != nullptr ? bits + at * N_ : nullptr;
      engine_.sampleOnDevice(params_.data(), count, ids_.data() + first, c, M, wave_bits, d_logp + at,
                             d_energies + at, needs.gradient);
      if (needs.flip_ratios)
        engine_.flipRatioSumsOnDevice(params_.data(), count, wave_bits, M, d_logp + at, sums + at);
    }
    download(logp, d_logp, PM);
    download(energies, d_energies, PM);
    if (needs.flip_ratios) download(flip_sums, sums, PM);
  }

  void configurations(std::vector<std::uint8_t>& bits) override {
    bits.resize(static_cast<std::size_t>(P_) * M_ * N_);
    engine_.copyToHost(bits.data(), bits_.data(), bits.size());
  }

  void gradient(const std::vector<double>& weights, std::vector<double>& grad) override {
    double* d_weights = weights_.reserve(std::max<std::size_t>(1, weights.size()));
    engine_.copyToDevice(d_weights, weights.data(), weights.size() * sizeof(double));
    double* d_grad = grad_.reserve(std::max<std::size_t>(1, grad.size()));
    engine_.gradientOnDevice(params_.data(), P_, bits_.data(), M_, d_weights, d_grad);
    download(grad, d_grad, grad.size());
  }

  Transfers transfers() const override {
    const cuda::Transfers t = engine_.transfers();
    return Transfers{t.to_device, t.to_host};
  }

  std::size_t workspaceBytes() const override {
    return engine_.workspaceBytes() + params_.bytes() + ids_.bytes() + bits_.bytes() + logp_.bytes() +
           energies_.bytes() + sums_.bytes() + weights_.bytes() + grad_.bytes() + plane_.bytes() + coeffs_.bytes();
  }

 private:
  void download(std::vector<double>& host, const double* device, std::size_t count) {
    host.resize(count);
    engine_.copyToHost(host.data(), device, count * sizeof(double));
  }

  static constexpr std::size_t kPlaneWaveBytes = std::size_t(256) << 20;

  // Sets first .. first + count − 1 into params_ (explicit sets: all of them, first = 0).
  void stageParams(const ParameterSets& sets, int first, int count) {
    Scalar* params = params_.reserve(std::max<std::size_t>(1, static_cast<std::size_t>(count) * n_));
    if (sets.isExplicit()) {
      host_params_.resize(sets.count() * n_);
      roundSets(sets, host_params_.data());
      engine_.copyToDevice(params, host_params_.data(), host_params_.size() * sizeof(Scalar));
      return;
    }
    if (cache_.planeChanged(*sets.plane()))
      engine_.copyToDevice(plane_.reserve(3 * n_), cache_.planeRows().data(), 3 * n_ * sizeof(double));
    const std::vector<double> coeffs = StagingCache::coefficients(sets, first, count);  // [2][count]
    double* d_coeffs = coeffs_.reserve(std::max<std::size_t>(1, coeffs.size()));
    engine_.copyToDevice(d_coeffs, coeffs.data(), coeffs.size() * sizeof(double));
    engine_.expandPlaneOnDevice(plane_.data(), d_coeffs, count, params);
  }

  void stageIds(const std::vector<std::uint32_t>& stream_ids) {
    if (cache_.idsChanged(stream_ids)) {
      std::uint32_t* ids = ids_.reserve(std::max<std::size_t>(1, stream_ids.size()));
      engine_.copyToDevice(ids, stream_ids.data(), stream_ids.size() * sizeof(std::uint32_t));
    }
  }

  cuda::Engine<Scalar> engine_;
  std::size_t n_;
  int N_ = 0, P_ = 0, M_ = 0;
  StagingCache cache_;
  std::vector<Scalar> host_params_;
  cuda::DeviceBuffer<Scalar> params_;
  cuda::DeviceBuffer<std::uint32_t> ids_;
  cuda::DeviceBuffer<std::uint8_t> bits_;
  cuda::DeviceBuffer<double> logp_, energies_, sums_, weights_, grad_, plane_, coeffs_;
};

template <class Scalar>
std::unique_ptr<Network::Impl> makeCuda(const cuda::NetworkSpec& spec, const Hamiltonian& hamiltonian,
                                        std::string& description, std::string& why_not) {
  why_not = cuda::Engine<Scalar>::unsupportedReason(spec);
  if (!why_not.empty()) return nullptr;
  auto network = std::make_unique<CudaNetwork<Scalar>>(spec, hamiltonian);
  description = network->description();
  return network;
}

}  // namespace

std::unique_ptr<Network::Impl> makeCudaNetwork(const AnsatzSpec& ansatz, const Lattice& lattice,
                                               const Hamiltonian& hamiltonian, std::string& description,
                                               std::string& why_not) {
  const cuda::NetworkSpec spec = cuda::networkSpecOf(lattice, ansatzLayout(ansatz, lattice.numSites()));
  if (ansatz.precision == Precision::kDouble) return makeCuda<double>(spec, hamiltonian, description, why_not);
  return makeCuda<float>(spec, hamiltonian, description, why_not);
}

}  // namespace vna
