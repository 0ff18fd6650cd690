#include "exact/enumeration.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "core/error.hpp"
#include "core/signals.hpp"
#include "exact/gray_walk.hpp"

namespace vna {

namespace {

constexpr int kMaxBlockBits = 12;  // 4096 blocks: enough for 4096 ranks, small to gather
constexpr double kInf = std::numeric_limits<double>::infinity();

double degeneracyTolerance(double e0) { return 1e-9 * std::max(1.0, std::fabs(e0)); }

// Ground-state bookkeeping with exact energies. Levels are kept by exact energy value within
// E_best + 2 tol(E_best): any state of the final window [E0, E0 + tol(E0)] satisfies
// E − E_best <= tol(E0) <= 2 tol(E_best) for every E_best >= E0 seen on the way, so it is never
// evicted, and merging trackers in any grouping gives the same final window.
class GroundTracker {
 public:
  explicit GroundTracker(std::size_t cap) : cap_(cap) {}

  double best() const { return levels_.empty() ? kInf : levels_.begin()->first; }
  double keepThreshold() const { return keep_; }

  void add(double e, std::int64_t count, const std::uint64_t* indices, std::size_t num_indices) {
    if (e > keepThreshold()) return;
    const bool new_best = e < best();
    Level& level = levels_[e];
    level.count += count;
    for (std::size_t k = 0; k < num_indices; ++k) push(level.smallest, indices[k]);
    if (new_best) {
      keep_ = e + 2.0 * degeneracyTolerance(e);
      levels_.erase(levels_.upper_bound(keep_), levels_.end());
    }
  }

  // [num_levels, (energy, count, num_indices, indices...)...] as doubles (all integers < 2^53).
  void serialize(std::vector<double>& out) const {
    out.push_back(static_cast<double>(levels_.size()));
    for (const auto& [e, level] : levels_) {
      out.push_back(e);
      out.push_back(static_cast<double>(level.count));
      out.push_back(static_cast<double>(level.smallest.size()));
      for (std::uint64_t i : level.smallest) out.push_back(static_cast<double>(i));
    }
  }
  // Reads one serialized tracker starting at `pos`, merging it in; returns the position after it.
  std::size_t merge(const std::vector<double>& in, std::size_t pos) {
    const auto num_levels = static_cast<std::size_t>(in.at(pos++));
    std::vector<std::uint64_t> indices;
    for (std::size_t l = 0; l < num_levels; ++l) {
      const double e = in.at(pos++);
      const auto count = static_cast<std::int64_t>(in.at(pos++));
      const auto num = static_cast<std::size_t>(in.at(pos++));
      indices.resize(num);
      for (std::size_t k = 0; k < num; ++k) indices[k] = static_cast<std::uint64_t>(in.at(pos++));
      add(e, count, indices.data(), num);
    }
    return pos;
  }

  // Final window [E0, E0 + tol(E0)]: total count and the `cap` smallest state indices.
  void finish(double& e0, std::int64_t& count, std::vector<std::uint64_t>& indices) const {
    e0 = best();
    count = 0;
    indices.clear();
    const double limit = e0 + degeneracyTolerance(e0);
    for (const auto& [e, level] : levels_) {
      if (e > limit) break;
      count += level.count;
      indices.insert(indices.end(), level.smallest.begin(), level.smallest.end());
    }
    std::sort(indices.begin(), indices.end());
    if (indices.size() > cap_) indices.resize(cap_);
  }

 private:
  struct Level {
    std::int64_t count = 0;
    std::vector<std::uint64_t> smallest;  // max-heap of the `cap` smallest indices
  };
  void push(std::vector<std::uint64_t>& heap, std::uint64_t index) const {
    if (cap_ == 0) return;
    if (heap.size() < cap_) {
      heap.push_back(index);
      std::push_heap(heap.begin(), heap.end());
    } else if (index < heap.front()) {
      std::pop_heap(heap.begin(), heap.end());
      heap.back() = index;
      std::push_heap(heap.begin(), heap.end());
    }
  }
  std::size_t cap_;
  std::map<double, Level> levels_;
  double keep_ = kInf;  // best() + 2 tol(best())
};

}  // namespace

EnumerationResult enumerateExhaustively(const Hamiltonian& h, const std::vector<double>& temperatures,
                                        const Comm& comm, std::int64_t max_stored_ground_states) {
  const int n = h.numSpins();
  if (n < 1 || n > kMaxEnumerationSpins)
    throw InputError(fmt::format("exhaustive enumeration: N = {} is outside [1, {}]", n, kMaxEnumerationSpins));
  if (max_stored_ground_states < 0)
    throw InputError(fmt::format("exhaustive enumeration: negative ground-state cap {}", max_stored_ground_states));
  std::vector<long double> betas;   // for the positive temperatures
  std::vector<std::size_t> thermal;  // their positions in `temperatures`
  for (std::size_t k = 0; k < temperatures.size(); ++k) {
    const double t = temperatures[k];
    if (!(t >= 0.0) || !std::isfinite(t))
      throw InputError(fmt::format("exhaustive enumeration: temperature must be finite and >= 0, got {}", t));
    if (t > 0.0) {
      betas.push_back(1.0L / t);
      thermal.push_back(k);
    }
  }
  const std::size_t nt = betas.size();
  const std::vector<double> betas_d(betas.begin(), betas.end());

  const int block_bits = std::min(n, kMaxBlockBits);
  const int low_bits = n - block_bits;
  const std::int64_t num_blocks = std::int64_t(1) << block_bits;
  const Range mine = blockRange(num_blocks, comm.rank(), comm.size());
  // Bound on the Gray-walk rounding drift (2^10 updates between exact resyncs), so that no state
  // within the ground window is missed by the cheap pre-check on the running energy.
  const double drift_margin = 1e-11 * std::max(1.0, h.scale());

  GroundTracker ground(static_cast<std::size_t>(max_stored_ground_states));
  const std::size_t block_record = 1 + 2 * nt;  // E_ref, Σ w (nt), Σ Δ w (nt)
  std::vector<double> local_thermal;
  local_thermal.reserve(static_cast<std::size_t>(mine.end - mine.begin) * block_record);
  std::vector<long double> s0(nt), s1(nt);
  // Energies are buffered and weighted in batches: the batch minimum moves the reference (and
  // rescales the sums) at most once per batch, and the exp loop runs without branches.
  constexpr std::size_t kBatch = 1024;
  std::vector<double> batch;
  batch.reserve(kBatch);
  double e_ref = kInf;
  auto flush = [&] {
    if (batch.empty()) return;
    const double batch_min = *std::min_element(batch.begin(), batch.end());
    if (batch_min < e_ref) {
      if (std::isfinite(e_ref)) {
        const long double shift = static_cast<long double>(e_ref) - batch_min;
        for (std::size_t k = 0; k < nt; ++k) {
          const long double f = std::exp(-betas[k] * shift);
          s1[k] = (s1[k] + shift * s0[k]) * f;
          s0[k] *= f;
        }
      }
      e_ref = batch_min;
    }
    for (std::size_t k = 0; k < nt; ++k) {
      const double beta = betas_d[k];
      double b0 = 0.0, b1 = 0.0;  // batch partial sums: 1024 terms in [0, 1], relative error ~1e-14
      for (double e : batch) {
        const double delta = e - e_ref;
        const double w = std::exp(-beta * delta);
        b0 += w;
        b1 += delta * w;
      }
      s0[k] += b0;
      s1[k] += b1;
    }
    batch.clear();
  };
  std::vector<Bit> bits;
  bool stopped = false;
  for (std::int64_t block = mine.begin; block < mine.end; ++block) {
    if (stopRequested()) {  // a signal: abandon the walk (the ranks agree below)
      stopped = true;
      break;
    }
    e_ref = kInf;
    std::fill(s0.begin(), s0.end(), 0.0L);
    std::fill(s1.begin(), s1.end(), 0.0L);
    grayWalkBlock(h, static_cast<std::uint64_t>(block), low_bits, bits,
                  [&](std::uint64_t index, double e, const Bit* b) {
                    if (e <= ground.keepThreshold() + drift_margin) {
                      const double exact = h.energy(b);
                      ground.add(exact, 1, &index, 1);
                    }
                    if (nt == 0) return;
                    batch.push_back(e);
                    if (batch.size() == kBatch) flush();
                  });
    flush();
    local_thermal.push_back(e_ref);
    for (std::size_t k = 0; k < nt; ++k) local_thermal.push_back(static_cast<double>(s0[k]));
    for (std::size_t k = 0; k < nt; ++k) local_thermal.push_back(static_cast<double>(s1[k]));
  }

  if (comm.max(stopped ? 1.0 : 0.0) > 0)
    throw Interrupted(fmt::format("stopped by a signal in the enumeration of 2^{} states", n));

  // Ground states: merge every rank's tracker in rank order (any order gives the same window).
  std::vector<double> local_ground;
  ground.serialize(local_ground);
  const std::vector<double> all_ground = comm.allGatherV(local_ground);
  GroundTracker merged(static_cast<std::size_t>(max_stored_ground_states));
  for (std::size_t pos = 0; pos < all_ground.size();) pos = merged.merge(all_ground, pos);

  EnumerationResult result;
  result.num_spins = n;
  result.num_states = std::int64_t(1) << n;
  std::vector<std::uint64_t> indices;
  merged.finish(result.ground_energy, result.num_ground_states, indices);
  result.degeneracy_tolerance = degeneracyTolerance(result.ground_energy);
  for (std::uint64_t index : indices) {
    std::vector<Bit> state(n);
    for (int i = 0; i < n; ++i) state[i] = static_cast<Bit>((index >> i) & 1u);
    result.ground_states.push_back(std::move(state));
  }

  // Thermodynamics: all block sums, in block order, rescaled to the global reference.
  result.thermodynamics.resize(temperatures.size());
  for (std::size_t k = 0; k < temperatures.size(); ++k) {
    Thermodynamics& t = result.thermodynamics[k];
    t.temperature = temperatures[k];
    t.log_z = std::numeric_limits<double>::quiet_NaN();
    t.free_energy = t.energy = result.ground_energy / n;
    t.entropy = std::log(static_cast<double>(result.num_ground_states)) / n;
  }
  if (nt > 0) {
    const std::vector<double> all = comm.allGatherV(local_thermal);
    if (all.size() != static_cast<std::size_t>(num_blocks) * block_record)
      throw Error(fmt::format("exhaustive enumeration: gathered {} values, expected {}", all.size(),
                              static_cast<std::size_t>(num_blocks) * block_record));
    double e_global = kInf;
    for (std::int64_t b = 0; b < num_blocks; ++b) e_global = std::min(e_global, all[b * block_record]);
    for (std::size_t k = 0; k < nt; ++k) {
      long double z = 0, zd = 0;  // Σ e^{−β(E−E_ref)}, Σ (E−E_ref) e^{−β(E−E_ref)}
      for (std::int64_t b = 0; b < num_blocks; ++b) {
        const double* rec = &all[b * block_record];
        const long double shift = static_cast<long double>(rec[0]) - e_global;
        const long double f = std::exp(-betas[k] * shift);
        z += rec[1 + k] * f;
        zd += (rec[1 + nt + k] + shift * rec[1 + k]) * f;
      }
      const long double beta = betas[k], log_z0 = std::log(z), mean_delta = zd / z;
      Thermodynamics& t = result.thermodynamics[thermal[k]];
      t.log_z = static_cast<double>(-beta * e_global + log_z0);
      t.energy = static_cast<double>((e_global + mean_delta) / n);
      t.free_energy = static_cast<double>((e_global - log_z0 / beta) / n);
      t.entropy = static_cast<double>((log_z0 + beta * mean_delta) / n);
    }
  }
  return result;
}

}  // namespace vna
