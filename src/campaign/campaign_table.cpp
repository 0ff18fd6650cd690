#include "campaign/campaign_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "io/h5.hpp"

namespace vna {

double quantileSorted(const std::vector<double>& x, double p) {
  if (x.empty()) return NAN;
  const double h = (static_cast<double>(x.size()) - 1.0) * p;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  if (lo + 1 >= x.size()) return x.back();
  return x[lo] + (h - static_cast<double>(lo)) * (x[lo + 1] - x[lo]);
}

std::vector<CampaignSummaryRow> summarizeCampaign(const CampaignTable& t) {
  std::vector<CampaignSummaryRow> out;
  for (std::size_t m = 0; m < t.methods.size(); ++m)
    for (std::int64_t A : t.steps) {
      CampaignSummaryRow s;
      s.method = t.methods[m];
      s.annealing_steps = A;
      std::vector<double> res;
      std::int64_t reached = 0, considered = 0, fractions = 0;
      double fraction_sum = 0;
      for (std::size_t k = 0; k < t.numRows(); ++k) {
        if (t.method[k] != static_cast<std::int64_t>(m) || t.annealing_steps[k] != A || !t.done[k]) continue;
        if (k < t.residual.size() && std::isfinite(t.residual[k])) {
          res.push_back(t.residual[k]);
          ++considered;
          reached += t.reached[k];
        }
        if (std::isfinite(t.ground_state_fraction[k])) {
          fraction_sum += t.ground_state_fraction[k];
          ++fractions;
        }
      }
      std::sort(res.begin(), res.end());
      s.instances = considered;
      double sum = 0;
      for (double r : res) sum += r;
      s.mean = res.empty() ? NAN : sum / static_cast<double>(res.size());
      s.median = quantileSorted(res, 0.5);
      s.q10 = quantileSorted(res, 0.10);
      s.q25 = quantileSorted(res, 0.25);
      s.q75 = quantileSorted(res, 0.75);
      s.q90 = quantileSorted(res, 0.90);
      s.min = res.empty() ? NAN : res.front();
      s.max = res.empty() ? NAN : res.back();
      s.ground_state_probability = considered ? static_cast<double>(reached) / static_cast<double>(considered) : NAN;
      s.mean_ground_state_fraction = fractions ? fraction_sum / static_cast<double>(fractions) : NAN;
      out.push_back(s);
    }
  return out;
}

std::string summaryText(const std::vector<CampaignSummaryRow>& rows) {
  std::string s = fmt::format("{:<7} {:>8} {:>9} {:>11} {:>11} {:>11} {:>11} {:>9} {:>9}\n", "method", "steps",
                              "instances", "res/N mean", "median", "q25", "q75", "P(GS)", "GS frac");
  for (const auto& r : rows)
    s += fmt::format("{:<7} {:>8} {:>9} {:>11.4e} {:>11.4e} {:>11.4e} {:>11.4e} {:>9.3f} {:>9.3f}\n", r.method,
                     r.annealing_steps, r.instances, r.mean, r.median, r.q25, r.q75, r.ground_state_probability,
                     r.mean_ground_state_fraction);
  return s;
}

namespace {
nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }
}  // namespace

nlohmann::json summaryJson(const std::vector<CampaignSummaryRow>& rows) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& r : rows)
    j.push_back({{"method", r.method},
                 {"annealing_steps", r.annealing_steps},
                 {"instances", r.instances},
                 {"residual_energy_per_spin",
                  {{"mean", number(r.mean)},
                   {"median", number(r.median)},
                   {"q10", number(r.q10)},
                   {"q25", number(r.q25)},
                   {"q75", number(r.q75)},
                   {"q90", number(r.q90)},
                   {"min", number(r.min)},
                   {"max", number(r.max)}}},
                 {"ground_state_probability", number(r.ground_state_probability)},
                 {"mean_ground_state_fraction", number(r.mean_ground_state_fraction)}});
  return j;
}

void writeSummary(hid_t loc, const std::string& group, const std::vector<CampaignSummaryRow>& rows, const Comm& comm) {
  if (h5::exists(loc, group)) VNA_H5(H5Ldelete(loc, group.c_str(), H5P_DEFAULT));
  h5::Handle g = h5::createGroup(loc, group);
  h5::writeAttribute(g, "definition",
                     "per (method, annealing_steps), over instances: residual = (mean energy - E0)/N of each "
                     "instance's row; quantiles interpolate linearly between order statistics (numpy default); "
                     "ground_state_probability = fraction of instances whose lowest energy reached E0 (within the "
                     "instance's ground_tolerance); mean_ground_state_fraction = mean over instances of the "
                     "fraction of samples (VCA/VQA) or replicas (SA/SQA) at E0");
  std::vector<std::string> names;
  std::vector<std::int64_t> steps, inst;
  std::vector<std::vector<double>> cols(10);
  for (const auto& r : rows) {
    names.push_back(r.method);
    steps.push_back(r.annealing_steps);
    inst.push_back(r.instances);
    const double v[10] = {r.mean,
                          r.median,
                          r.q10,
                          r.q25,
                          r.q75,
                          r.q90,
                          r.min,
                          r.max,
                          r.ground_state_probability,
                          r.mean_ground_state_fraction};
    for (int c = 0; c < 10; ++c) cols[c].push_back(v[c]);
  }
  writeStringDataset(g, "method", names, comm);
  h5::writeDataset(g, "annealing_steps", steps, comm.rank());
  h5::writeDataset(g, "instances", inst, comm.rank());
  const char* col_names[10] = {"residual_mean",
                               "residual_median",
                               "residual_q10",
                               "residual_q25",
                               "residual_q75",
                               "residual_q90",
                               "residual_min",
                               "residual_max",
                               "ground_state_probability",
                               "mean_ground_state_fraction"};
  for (int c = 0; c < 10; ++c) h5::writeDataset(g, col_names[c], cols[c], comm.rank());
}

bool isCampaignResult(hid_t file) { return h5::exists(file, "campaign") && h5::exists(file, "campaign/results"); }

CampaignTable readCampaignTable(hid_t file) {
  CampaignTable t;
  h5::Handle c = h5::openGroup(file, "campaign");
  t.methods = h5::readStringListAttribute(c, "methods");
  t.steps = h5::readDataset<std::int64_t>(c, "annealing_steps");
  h5::Handle in = h5::openGroup(c, "instances");
  t.realization = h5::readDataset<std::int64_t>(in, "realization");
  t.size = h5::readDataset<std::int64_t>(in, "size");
  t.num_spins = h5::readDataset<std::int64_t>(in, "num_spins");
  t.ground_energy = h5::readDataset<double>(in, "ground_energy");
  t.ground_tolerance = h5::readDataset<double>(in, "ground_tolerance");
  t.ground_truth_origin = readStringDataset(in, "ground_truth_origin");
  t.description = readStringDataset(in, "description");
  h5::Handle r = h5::openGroup(c, "results");
  t.instance = h5::readDataset<std::int64_t>(r, "instance");
  t.method = h5::readDataset<std::int64_t>(r, "method");
  t.annealing_steps = h5::readDataset<std::int64_t>(r, "annealing_steps");
  t.done = h5::readDataset<std::int64_t>(r, "done");
  t.samples = h5::readDataset<std::int64_t>(r, "samples");
  t.attempts = h5::readDataset<std::int64_t>(r, "attempts");
  t.min_energy = h5::readDataset<double>(r, "min_energy");
  t.mean_energy = h5::readDataset<double>(r, "mean_energy");
  t.energy_std = h5::readDataset<double>(r, "energy_std");
  t.ground_state_fraction = h5::readDataset<double>(r, "ground_state_fraction");
  t.best_energy = h5::readDataset<double>(r, "best_energy");
  if (h5::exists(r, "residual_energy_per_spin")) {
    t.residual = h5::readDataset<double>(r, "residual_energy_per_spin");
    t.min_residual = h5::readDataset<double>(r, "min_residual_energy_per_spin");
    t.reached = h5::readDataset<std::int64_t>(r, "reached_ground_state");
  }
  return t;
}

void writeStringDataset(hid_t loc, const std::string& name, const std::vector<std::string>& values, const Comm& comm) {
  std::size_t width = 1;
  for (const auto& v : values) width = std::max(width, v.size() + 1);
  h5::Handle type(VNA_H5_ID(H5Tcopy(H5T_C_S1)));
  VNA_H5(H5Tset_size(type, width));
  VNA_H5(H5Tset_strpad(type, H5T_STR_NULLTERM));
  VNA_H5(H5Tset_cset(type, H5T_CSET_UTF8));
  const hsize_t n = values.size();
  h5::Handle space(VNA_H5_ID(H5Screate_simple(1, &n, nullptr)));
  h5::Handle dcpl(VNA_H5_ID(H5Pcreate(H5P_DATASET_CREATE)));
  VNA_H5(H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY));
  h5::Handle d(VNA_H5_ID(H5Dcreate2(loc, name.c_str(), type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT)));
  if (n == 0) return;
  std::vector<char> buf(n * width, '\0');
  for (std::size_t i = 0; i < n; ++i) std::copy(values[i].begin(), values[i].end(), buf.begin() + i * width);
  h5::Handle xfer(VNA_H5_ID(H5Pcreate(H5P_DATASET_XFER)));
  VNA_H5(H5Pset_dxpl_mpio(xfer, H5FD_MPIO_COLLECTIVE));
  if (comm.isRoot()) {
    VNA_H5(H5Dwrite(d, type, H5S_ALL, H5S_ALL, xfer, buf.data()));
  } else {
    // An empty selection in the collective write (as h5::writeBlock does).
    h5::Handle fs(VNA_H5_ID(H5Dget_space(d)));
    VNA_H5(H5Sselect_none(fs));
    const hsize_t one = 1;
    h5::Handle mem(VNA_H5_ID(H5Screate_simple(1, &one, nullptr)));
    VNA_H5(H5Sselect_none(mem));
    VNA_H5(H5Dwrite(d, type, mem, fs, xfer, buf.data()));
  }
}

std::vector<std::string> readStringDataset(hid_t loc, const std::string& name) {
  h5::Handle d = h5::openDataset(loc, name);
  h5::Handle type(VNA_H5_ID(H5Dget_type(d)));
  if (H5Tis_variable_str(type) > 0) throw Error(fmt::format("{}: expected fixed-length strings", name));
  const std::size_t width = H5Tget_size(type);
  const auto dims = h5::datasetShape(d);
  const std::size_t n = dims.empty() ? 0 : dims[0];
  std::vector<char> buf(n * width + 1, '\0');
  if (n > 0) VNA_H5(H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()));
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    const char* p = buf.data() + i * width;
    out.emplace_back(p, strnlen(p, width));
  }
  return out;
}

}  // namespace vna
