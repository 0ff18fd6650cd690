#pragma once
// Local fields f_i = ∂H/∂σ_i of simd::kWidth replicas at once, from spins stored site-major as
// floats ±1 (s[j·W + l] = σ_j of lane l), so ΔE of flipping σ_i is −2 σ_i f_i.
#include "baselines/mc_model.hpp"
#include "baselines/simd.hpp"

namespace vna {

// Two-body: f_i = h_i + Σ_j c_ij σ_j over the CSR neighbours of i. All but the last neighbour go
// into four interleaved partial sums (neighbours 4q + r into sum r, a remainder into sum 0, then
// (s0 + s1) + (s2 + s3) + h), and the last is added by one multiply-add at the end: a single chain
// of dependent multiply-adds would make a site with many neighbours latency-bound, and the neighbour
// flipped last (last in the CSR, mc_model.hpp) is then one multiply-add away from the test.
struct SparseField {
  const McModel* m;
  simd::VF operator()(int i, const float* s) const {
    using simd::VF;
    const int first = m->nb_offsets[i], last = m->nb_offsets[i + 1];
    if (first == last) return simd::splat(m->field[i]);
    const int* nb = m->nb_site.data();
    const float* c = m->nb_coupling.data();
    auto term = [&](int k) { return c[k] * simd::load<VF>(s + static_cast<std::size_t>(nb[k]) * simd::kWidth); };
    VF a0 = simd::splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
    int k = first;
    for (; k + 4 <= last - 1; k += 4) {
      a0 += term(k);
      a1 += term(k + 1);
      a2 += term(k + 2);
      a3 += term(k + 3);
    }
    for (; k < last - 1; ++k) a0 += term(k);
    return (((a0 + a1) + (a2 + a3)) + m->field[i]) + term(last - 1);
  }
};

// Any order: f_i = h_i + Σ_{terms t ∋ i} c_t Π_{j ∈ t, j ≠ i} σ_j.
struct PBodyField {
  const McModel* m;
  simd::VF operator()(int i, const float* s) const {
    constexpr int W = simd::kWidth;
    simd::VF f = simd::splat(m->field[i]);
    for (int e = m->te_offsets[i]; e < m->te_offsets[i + 1]; ++e) {
      simd::VF p = simd::splat(m->te_coeff[e]);
      for (int o = m->te_other_offsets[e]; o < m->te_other_offsets[e + 1]; ++o)
        p *= simd::load<simd::VF>(s + static_cast<std::size_t>(m->te_other[o]) * W);
      f += p;
    }
    return f;
  }
};

// Cached fields from scratch for one group of lanes (spins and fields lane-major, one vector per site):
// f_i = Σ_j J_ij σ_j (j in index order) + h_i, J the dense float matrix of denseCouplings.
inline void denseFields(const McModel& m, const float* J, const simd::VF* s, simd::VF* f) {
  for (int i = 0; i < m.n; ++i) {
    const float* Ji = J + static_cast<std::size_t>(i) * m.n;
    simd::VF acc = simd::splat(0.0f);
    for (int j = 0; j < m.n; ++j) acc += Ji[j] * s[j];
    f[i] = acc + m.field[i];
  }
}

}  // namespace vna
