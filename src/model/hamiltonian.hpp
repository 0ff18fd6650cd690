#pragma once
// One Hamiltonian type for every spin model in vna:
//   H(σ) = Σ_t c_t Π_{i∈t} σ_i  +  Σ_i h_i σ_i  −  Γ Σ_i σ^x_i ,    σ_i = ±1.
// Terms are p-body (p >= 1, stored CSR); fields are kept apart for speed. Configurations are stored
// as bits b_i ∈ {0,1} with σ_i = 2 b_i − 1 (bit 1 = spin up).
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace vna {

using Bit = std::uint8_t;

inline int spinOf(Bit b) { return 2 * static_cast<int>(b) - 1; }

class Hamiltonian {
 public:
  Hamiltonian() = default;
  explicit Hamiltonian(int num_spins);

  int numSpins() const { return n_; }
  std::size_t numTerms() const { return coeffs_.size(); }

  // Adds c · Π σ_i over `sites` (distinct indices; a repeated pair cancels and is rejected).
  void addTerm(double coeff, const std::vector<int>& sites);
  // Adds h · σ_i.
  void addField(int site, double h);
  void setTransverseField(double gamma) { gamma_ = gamma; }
  double transverseField() const { return gamma_; }

  // Term access (CSR).
  double termCoeff(std::size_t t) const { return coeffs_[t]; }
  const int* termSitesBegin(std::size_t t) const { return sites_.data() + offsets_[t]; }
  const int* termSitesEnd(std::size_t t) const { return sites_.data() + offsets_[t + 1]; }
  int termOrder(std::size_t t) const { return offsets_[t + 1] - offsets_[t]; }
  const std::vector<double>& fields() const { return fields_; }
  int maxOrder() const;

  // Classical (diagonal) energy of one configuration of n bits.
  double energy(const Bit* bits) const;
  double energy(const std::vector<Bit>& bits) const { return energy(bits.data()); }
  // Energies of `count` configurations stored contiguously (count × n bits).
  void energies(const Bit* bits, std::int64_t count, double* out) const;
  // E(σ with spin i flipped) − E(σ), from the site→term index (built by the first call, thread-safe:
  // threads may share a Hamiltonian and call flipDelta concurrently).
  double flipDelta(const Bit* bits, int site) const;

  // Site → terms containing it (CSR: terms of site i are terms[offsets[i] .. offsets[i+1]) ).
  struct SiteIndex {
    std::vector<int> offsets, terms;
  };
  const SiteIndex& siteIndex() const;

  // Σ_t |c_t| + Σ_i |h_i|: a scale for relative tolerances.
  double scale() const;

  std::string name;  // e.g. "newman_moore L=6"

 private:
  int n_ = 0;
  std::vector<double> coeffs_;
  std::vector<int> offsets_{0};
  std::vector<int> sites_;
  std::vector<double> fields_;
  double gamma_ = 0.0;

  // The site index, built once on first use under a mutex and published through an atomic pointer,
  // so concurrent const calls neither race nor pay more than one acquire load. Copies share the
  // (immutable) index; addTerm drops it.
  class LazySiteIndex {
   public:
    LazySiteIndex() = default;
    LazySiteIndex(const LazySiteIndex& o) : built_(o.snapshot()) { ptr_.store(built_.get()); }
    LazySiteIndex& operator=(const LazySiteIndex& o) {
      if (this != &o) {
        auto b = o.snapshot();
        std::lock_guard<std::mutex> lock(mutex_);
        built_ = std::move(b);
        ptr_.store(built_.get());
      }
      return *this;
    }
    void reset() {
      std::lock_guard<std::mutex> lock(mutex_);
      built_.reset();
      ptr_.store(nullptr);
    }
    template <class Build>
    const SiteIndex& get(Build&& build) const {
      if (const SiteIndex* p = ptr_.load(std::memory_order_acquire)) return *p;
      std::lock_guard<std::mutex> lock(mutex_);
      if (!built_) {
        built_ = std::make_shared<const SiteIndex>(build());
        ptr_.store(built_.get(), std::memory_order_release);
      }
      return *built_;
    }

   private:
    std::shared_ptr<const SiteIndex> snapshot() const {
      std::lock_guard<std::mutex> lock(mutex_);
      return built_;
    }
    mutable std::mutex mutex_;
    mutable std::shared_ptr<const SiteIndex> built_;
    mutable std::atomic<const SiteIndex*> ptr_{nullptr};
  };
  LazySiteIndex index_;
  SiteIndex buildSiteIndex() const;
};

}  // namespace vna
