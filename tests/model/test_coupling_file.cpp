// Coupling files: exact write→read round trips, the published EA and Wishart instances, and one
// precise InputError per kind of malformed input.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "model/coupling_file.hpp"
#include "model/edwards_anderson.hpp"
#include "model/ising_chain.hpp"
#include "model/model.hpp"
#include "model/sherrington_kirkpatrick.hpp"
#include "support/test_paths.hpp"

namespace vna {
namespace {

std::string tmpFile(const std::string& name) { return (test::tmpDir() / ("model_" + name)).string(); }

std::string writeText(const std::string& name, const std::string& text) {
  const std::string path = tmpFile(name);
  std::ofstream(path) << text;
  return path;
}

// Bit-exact equality of two Hamiltonians (same terms in the same order, same fields).
void expectIdentical(const Hamiltonian& a, const Hamiltonian& b) {
  ASSERT_EQ(a.numSpins(), b.numSpins());
  ASSERT_EQ(a.numTerms(), b.numTerms());
  for (std::size_t t = 0; t < a.numTerms(); ++t) {
    ASSERT_EQ(a.termOrder(t), b.termOrder(t));
    for (int k = 0; k < a.termOrder(t); ++k) EXPECT_EQ(a.termSitesBegin(t)[k], b.termSitesBegin(t)[k]);
    EXPECT_EQ(a.termCoeff(t), b.termCoeff(t)) << "term " << t;  // exact
  }
  EXPECT_EQ(a.fields(), b.fields());  // exact
}

TEST(CouplingFile, RoundTripIsExact) {
  std::vector<Model> models;
  models.push_back(edwardsAnderson(10, 10, false, CouplingDistribution::kUniform, 3));
  models.push_back(edwardsAnderson(6, 5, true, CouplingDistribution::kGaussian, 8));
  models.push_back(sherringtonKirkpatrick(30, 2, 1));
  models.push_back(isingChain(7, 0.7, true, 0.3));  // fields
  {
    // Awkward doubles: non-terminating binary fractions, a subnormal, the extremes.
    Model m;
    m.hamiltonian = Hamiltonian(5);
    m.hamiltonian.addTerm(0.1, {0, 1});
    m.hamiltonian.addTerm(-1.0 / 3.0, {1, 4});
    m.hamiltonian.addTerm(4.9406564584124654e-324, {2, 3});
    m.hamiltonian.addTerm(1.7976931348623157e308, {0, 4});
    m.hamiltonian.addTerm(-0.0, {3, 4});
    m.hamiltonian.addField(2, 2.0 / 3.0);
    m.hamiltonian.addField(4, -1e-300);
    models.push_back(std::move(m));
  }
  int k = 0;
  for (const Model& m : models)
    for (int base : {0, 1}) {
      const std::string path = tmpFile("roundtrip_" + std::to_string(k++) + ".txt");
      writeCouplingFile(path, m.hamiltonian, base);
      SCOPED_TRACE(path);
      // Origin: %.17g round-trips every double (IEEE 754: 17 significant digits suffice).
      expectIdentical(readCouplingFile(path).hamiltonian, m.hamiltonian);  // base from the header
      expectIdentical(readCouplingFile(path, base, CouplingFormat::kList).hamiltonian, m.hamiltonian);
      EXPECT_THROW(readCouplingFile(path, 1 - base), InputError);  // header and configuration disagree
    }
  // Lattice detection: an L×L nearest-neighbour file is a square lattice, SK is complete, a ring a chain.
  EXPECT_EQ(couplingFileLattice(models[0].hamiltonian).kind, "square");
  EXPECT_EQ(couplingFileLattice(models[1].hamiltonian).kind, "complete");  // 6x5 is not L×L
  EXPECT_EQ(couplingFileLattice(models[2].hamiltonian).kind, "complete");
  EXPECT_EQ(couplingFileLattice(models[3].hamiltonian).kind, "chain");
}

TEST(CouplingFile, WriterRejectsWhatTheFormatCannotHold) {
  Hamiltonian h(4);
  h.addTerm(1.0, {0, 1, 2});
  EXPECT_THROW(writeCouplingFile(tmpFile("three_body.txt"), h, 0), Error);
  Hamiltonian d(3);
  d.addTerm(1.0, {0, 1});
  d.addTerm(2.0, {1, 0});
  EXPECT_THROW(writeCouplingFile(tmpFile("duplicate.txt"), d, 0), Error);
  Hamiltonian g(3);
  g.addTerm(1.0, {0, 1});
  g.setTransverseField(0.5);
  EXPECT_THROW(writeCouplingFile(tmpFile("gamma.txt"), g, 0), Error);
  EXPECT_THROW(writeCouplingFile("/nonexistent-dir/x.txt", d, 0), Error);
}

TEST(CouplingFile, HandWrittenListWithCommentsAndFields) {
  const std::string path = writeText("hand.txt",
                                     "# a small test instance\n"
                                     "# index_base: 1\n"
                                     "\n"
                                     "1 2 1.5   # ferromagnetic bond\n"
                                     "\t2 3\t-0.5\r\n"
                                     "3 3 0.25\n"
                                     "# spins: 4\n");
  const Model m = readCouplingFile(path);
  ASSERT_EQ(m.hamiltonian.numSpins(), 4);  // from '# spins: 4', site 4 is free
  // Origin: hand calculation, H = −1.5 σ1σ2 + 0.5 σ2σ3 − 0.25 σ3 (1-based); σ = (+,+,−,−):
  // −1.5 + 0.5·(−1) − 0.25·(−1) = −1.75.
  EXPECT_EQ(m.hamiltonian.energy(std::vector<Bit>{1, 1, 0, 0}), -1.75);
  EXPECT_EQ(m.source, path);
  EXPECT_FALSE(m.ground_energy.has_value());
}

TEST(CouplingFile, HandWrittenMatrix) {
  // 1 ulp of asymmetry (round-off of a product written at full precision) is accepted.
  const double a = 0.3, a_ulp = std::nextafter(0.3, 1.0);
  char text[256];
  std::snprintf(text, sizeof text, "# J for 3 spins\n0 %.17g -1\n%.17g 0 2\n-1 2 0\n", a, a_ulp);
  const Model m = readCouplingFile(writeText("hand_matrix.txt", text), -1, CouplingFormat::kMatrix);
  ASSERT_EQ(m.hamiltonian.numSpins(), 3);
  ASSERT_EQ(m.hamiltonian.numTerms(), 3u);
  // Origin: hand calculation, H = −(1/2) sᵀ J s = −(J01 s0s1 + J02 s0s2 + J12 s1s2); s = (+,−,+):
  // −(0.3·(−1) + (−1)·1 + 2·(−1)) = 3.3. Tolerance: the 1-ulp averaging of J01 and double round-off.
  EXPECT_NEAR(m.hamiltonian.energy(std::vector<Bit>{1, 0, 1}), 3.3, 1e-15);
}

// ---------------------------------------------------------------- published instances

TEST(CouplingFile, PublishedEdwardsAndersonGroundStates) {
  if (!test::haveSharedData("ea_10x10")) GTEST_SKIP() << "published instances not found in " << test::sharedDataDir();
  const auto dir = test::sharedDataDir() / "ea_10x10";
  std::ifstream gs_in(dir / "GS_energies_per_spin_seeds1-25.txt");
  std::string header, rest, tok;
  std::getline(gs_in, header);
  std::vector<double> e_per_spin;
  while (std::getline(gs_in, rest)) {
    std::stringstream ss(rest);
    while (std::getline(ss, tok, ','))
      if (tok.find_first_not_of(" \t\r") != std::string::npos) e_per_spin.push_back(std::stod(tok));
  }
  ASSERT_EQ(e_per_spin.size(), 25u);
  for (int s = 1; s <= 25; ++s) {
    const std::string tag = std::to_string(s);
    const Model m = readCouplingFile((dir / ("10x10_uniform_seed" + tag + ".txt")).string(), 1);
    ASSERT_EQ(m.hamiltonian.numSpins(), 100);
    EXPECT_EQ(m.lattice.kind, "square");
    EXPECT_EQ(m.lattice.lx, 10);
    const std::vector<Bit> gs = readSpinUpList((dir / ("gs_seed" + tag + ".txt")).string(), 100, 1);
    // Origin: published ground-state energies; tolerance 1e-7 per spin (data/README.md: the gs files
    // reproduce the listed energies to about 4e-8 per spin).
    EXPECT_NEAR(m.hamiltonian.energy(gs) / 100.0, e_per_spin[s - 1], 1e-7) << "seed " << s;
  }
}

TEST(CouplingFile, PublishedWishartInstances) {
  if (!test::haveSharedData("wishart_n32"))
    GTEST_SKIP() << "published instances not found in " << test::sharedDataDir();
  const auto dir = test::sharedDataDir() / "wishart_n32";
  const Model first = readCouplingFile((dir / "wpe_size32_alpha0.5_realization1.txt").string());
  ASSERT_EQ(first.hamiltonian.numSpins(), 32);
  EXPECT_EQ(first.lattice.kind, "complete");
  // Origin: data/README.md, E0/N = −0.25126008 (given to 8 decimals, hence the 1e-8 tolerance).
  EXPECT_NEAR(first.hamiltonian.energy(std::vector<Bit>(32, 1)) / 32.0, -0.25126008, 1e-8);

  std::mt19937 g(99);
  std::vector<Bit> b(32);
  int files = 0;
  for (const char* alpha : {"0.25", "0.5"})
    for (int r = 1; r <= 25; ++r) {
      const auto path = dir / (std::string("wpe_size32_alpha") + alpha + "_realization" + std::to_string(r) + ".txt");
      if (!std::filesystem::exists(path)) continue;
      ++files;
      const Hamiltonian h = readCouplingFile(path.string(), -1, CouplingFormat::kMatrix).hamiltonian;
      const std::vector<Bit> up(32, 1), down(32, 0);
      const double e0 = h.energy(up);
      EXPECT_EQ(h.energy(down), e0) << path;  // Origin: Z2 symmetry of a pure 2-body Hamiltonian.
      // Origin: planted property (Hamze et al.), checked on the published matrices: no single flip
      // and none of 10^4 random states goes below the planted state.
      for (int i = 0; i < 32; ++i) EXPECT_GE(h.flipDelta(up.data(), i), 0.0) << path << " site " << i;
      double e_min = 1e300;
      for (int k = 0; k < 10000; ++k) {
        for (auto& x : b) x = static_cast<Bit>(g() & 1u);
        e_min = std::min(e_min, h.energy(b));
      }
      EXPECT_GE(e_min, e0) << path;
    }
  EXPECT_EQ(files, 50);
}

// ---------------------------------------------------------------- malformed input

// Reading `text` (as file `name`) with the given base/format throws an InputError whose message
// contains "name:line:" and every snippet.
void expectInputError(const std::string& name, const std::string& text, int line,
                      const std::vector<std::string>& snippets, int base = -1,
                      CouplingFormat format = CouplingFormat::kAuto) {
  const std::string path = writeText(name, text);
  SCOPED_TRACE(name);
  try {
    readCouplingFile(path, base, format);
    ADD_FAILURE() << "no InputError for " << name;
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path + ":" + std::to_string(line) + ": "), std::string::npos) << what;
    for (const auto& s : snippets) EXPECT_NE(what.find(s), std::string::npos) << "missing '" << s << "' in: " << what;
  }
}

TEST(CouplingFile, MalformedInputsNameFileLineAndProblem) {
  const std::string h1 = "# index_base: 1\n";
  expectInputError("arity.txt", h1 + "1 2 0.5\n2 3\n", 3, {"expected 'i j J'", "got 2 fields: '2 3'"});
  expectInputError("self_arity.txt", h1 + "1 2 0.5\n3 3\n", 3, {"expected 'i j J' (or 'i i h')", "'3 3'"});
  expectInputError("arity_list.txt", "1 2 0.5\n2 3 0.1 0.2\n", 2, {"got 4 fields"}, 1, CouplingFormat::kList);
  expectInputError("nonnumeric.txt", h1 + "1 2 abc\n", 2, {"coupling 'abc' is not a finite number"});
  expectInputError("nonfinite.txt", h1 + "\n1 2 0.1\n2 2 inf\n", 4, {"field 'inf' is not a finite number"});
  expectInputError("nonint.txt", h1 + "1.5 2 0.3\n", 2, {"site index '1.5' is not an integer"});
  expectInputError("range_header.txt", h1 + "# spins: 4\n1 2 0.1\n1 5 0.1\n", 4,
                   {"site index 5 out of range [1, 4]", "'# spins' header"});
  expectInputError("range_base.txt", h1 + "1 2 0.1\n0 2 0.1\n", 3, {"site index 0 out of range [1, 2]"});
  expectInputError("duplicate.txt", h1 + "1 2 0.5\n2 3 0.1\n2 1 0.1\n", 4,
                   {"duplicate bond (2, 1): already given on line 2"});
  expectInputError("duplicate_field.txt", h1 + "1 1 0.5\n1 2 0.1\n1 1 0.1\n", 4,
                   {"duplicate field on site 1: already given on line 2"});
  expectInputError("no_base.txt", "1 2 0.5\n", 1, {"index base unknown", "# index_base: 0"});
  expectInputError("base_conflict.txt", "# comment\n# index_base: 0\n0 1 0.5\n", 2,
                   {"declares index_base 0 but the configuration sets index_base 1"}, 1);
  expectInputError("bad_base.txt", "# index_base: 2\n1 2 0.5\n", 1, {"index_base must be 0 or 1, got '2'"});
  expectInputError("empty.txt", "# nothing\n\n", 2, {"no couplings found"});
  expectInputError("asymmetric.txt", "0 1 2\n1 0 3\n2.5 3 0\n", 3,
                   {"not symmetric", "(row 3, column 1) = 2.5", "(row 1, column 3) = 2", "on line 1"}, -1,
                   CouplingFormat::kMatrix);
  expectInputError("diagonal.txt", "0 1 2 3\n1 0.5 3 4\n2 3 0 5\n3 4 5 0\n", 2,
                   {"diagonal entry (row 2, column 2) = 0.5 must be zero"});
  expectInputError("row_length.txt", "0 1 2 3\n1 0 3\n", 2,
                   {"expected 4 numbers per row (as on line 1), got 3", "set model.format: list"});
  expectInputError("rows.txt", "0 1 2 3\n1 0 3 4\n2 3 0 5\n", 3, {"expected 4 rows", "got 3"});
  expectInputError("matrix_nonnumeric.txt", "0 1 2 3\n1 0 x 4\n2 3 0 5\n3 4 5 0\n", 2,
                   {"column 3: 'x' is not a finite number"});
  try {
    readCouplingFile(tmpFile("does_not_exist.txt"), 0);
    ADD_FAILURE() << "no InputError for a missing file";
  } catch (const InputError& e) {
    // Origin: strerror(ENOENT).
    EXPECT_EQ(std::string(e.what()),
              "cannot open coupling file '" + tmpFile("does_not_exist.txt") + "': No such file or directory");
  }
}

}  // namespace
}  // namespace vna
