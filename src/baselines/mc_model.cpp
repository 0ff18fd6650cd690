#include "baselines/mc_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.hpp"

namespace vna {

const char* mcKernelName(McKernel k) {
  switch (k) {
    case McKernel::kAuto:
      return "auto";
    case McKernel::kReference:
      return "reference";
    case McKernel::kSparse:
      return "sparse";
    case McKernel::kDense:
      return "dense";
    case McKernel::kPBody:
      return "pbody";
    case McKernel::kMultiSpin:
      return "multispin";
  }
  return "?";
}

McKernel parseMcKernel(const std::string& name) {
  for (McKernel k : {McKernel::kAuto, McKernel::kReference, McKernel::kSparse, McKernel::kDense, McKernel::kPBody,
                     McKernel::kMultiSpin})
    if (name == mcKernelName(k)) return k;
  throw Error(fmt::format("unknown Monte Carlo kernel '{}' (auto, reference, sparse, dense, pbody, multispin)", name));
}

McModel buildMcModel(const Hamiltonian& h) {
  McModel m;
  const int n = m.n = h.numSpins();
  m.max_order = h.maxOrder();
  m.field.assign(h.fields().begin(), h.fields().end());
  // Terms seen from each site.
  std::vector<std::vector<int>> terms_of(n);
  for (std::size_t t = 0; t < h.numTerms(); ++t)
    for (const int* s = h.termSitesBegin(t); s != h.termSitesEnd(t); ++s) terms_of[*s].push_back(static_cast<int>(t));
  m.te_offsets.assign(1, 0);
  m.te_other_offsets.assign(1, 0);
  for (int i = 0; i < n; ++i) {
    for (int t : terms_of[i]) {
      m.te_coeff.push_back(static_cast<float>(h.termCoeff(t)));
      for (const int* s = h.termSitesBegin(t); s != h.termSitesEnd(t); ++s)
        if (*s != i) m.te_other.push_back(*s);
      m.te_other_offsets.push_back(static_cast<int>(m.te_other.size()));
    }
    m.te_offsets.push_back(static_cast<int>(m.te_coeff.size()));
  }
  if (m.max_order > 2) return m;
  // Two-body: symmetric CSR, duplicate pairs summed (in double, then rounded once).
  std::vector<std::map<int, double>> rows(n);
  for (std::size_t t = 0; t < h.numTerms(); ++t) {
    const int a = h.termSitesBegin(t)[0], b = h.termSitesBegin(t)[1];
    rows[a][b] += h.termCoeff(t);
    rows[b][a] += h.termCoeff(t);
  }
  m.nb_offsets.assign(1, 0);
  double magnitude = -1.0;
  // Neighbours in the order of their last update in a sweep (j > i, then j < i, ascending): the one
  // flipped last is added last, so a kernel's chain from it to the test is one multiply-add.
  std::vector<std::pair<int, double>> row;
  bool pm = std::all_of(m.field.begin(), m.field.end(), [](float f) { return f == 0.0f; });
  for (int i = 0; i < n; ++i) {
    row.assign(rows[i].upper_bound(i), rows[i].end());
    row.insert(row.end(), rows[i].begin(), rows[i].lower_bound(i));
    for (const auto& [j, c] : row) {
      if (c == 0.0) continue;  // cancelled duplicates
      m.nb_site.push_back(j);
      m.nb_coupling.push_back(static_cast<float>(c));
      if (magnitude < 0) magnitude = std::abs(c);
      pm = pm && std::abs(c) == magnitude;
      if (j > i) ++m.num_pairs;
    }
    m.nb_offsets.push_back(static_cast<int>(m.nb_site.size()));
    m.max_degree = std::max(m.max_degree, m.nb_offsets[i + 1] - m.nb_offsets[i]);
  }
  m.plus_minus_j = pm && magnitude > 0;
  m.pm_j_magnitude = m.plus_minus_j ? magnitude : 0.0;
  return m;
}

std::vector<float> denseCouplings(const McModel& m) {
  if (m.max_order > 2) throw Error("denseCouplings: the model has terms of order > 2");
  std::vector<float> J(static_cast<std::size_t>(m.n) * m.n, 0.0f);
  for (int i = 0; i < m.n; ++i)
    for (int k = m.nb_offsets[i]; k < m.nb_offsets[i + 1]; ++k)
      J[static_cast<std::size_t>(i) * m.n + m.nb_site[k]] = m.nb_coupling[k];
  return J;
}

namespace {

// The multi-spin kernel counts unsatisfied bonds in 4 bit planes.
constexpr int kMultiSpinMaxDegree = 15;

bool multiSpinApplies(const McModel& m) {
  return m.max_order <= 2 && m.plus_minus_j && m.max_degree <= kMultiSpinMaxDegree;
}

}  // namespace

McKernel chooseMcKernel(const McModel& m, McKernel requested, bool multispin_allowed) {
  const bool two_body = m.max_order <= 2;
  switch (requested) {
    case McKernel::kReference:
    case McKernel::kPBody:
      return requested;
    case McKernel::kSparse:
    case McKernel::kDense:
      if (!two_body)
        throw Error(fmt::format("Monte Carlo kernel '{}' needs a two-body model (this one has {}-body terms)",
                                mcKernelName(requested), m.max_order));
      return requested;
    case McKernel::kMultiSpin:
      if (!multispin_allowed) throw Error("Monte Carlo kernel 'multispin' exists for simulated annealing only");
      if (!multiSpinApplies(m))
        throw Error(fmt::format("Monte Carlo kernel 'multispin' needs a ±J two-body model without fields and at "
                                "most {} neighbours per site",
                                kMultiSpinMaxDegree));
      return requested;
    case McKernel::kAuto:
      break;
  }
  if (!two_body) return McKernel::kPBody;
  if (multispin_allowed && multiSpinApplies(m)) return McKernel::kMultiSpin;
  const double all_pairs = 0.5 * m.n * (m.n - 1.0);
  return static_cast<double>(m.num_pairs) > all_pairs / 8 ? McKernel::kDense : McKernel::kSparse;
}

}  // namespace vna
