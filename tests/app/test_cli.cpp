// End-to-end tests of the vna executable: bad inputs give one clear message, exit code 2 on every
// rank and no output file; good runs write a self-describing HDF5 file.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "io/h5.hpp"
#include "support/run_vna.hpp"
#include "support/test_paths.hpp"

namespace vna {
namespace {

namespace fs = std::filesystem;
using test::runVna;
using test::shellQuote;

fs::path workDir(const std::string& name) { return test::freshDir("cli", name); }

struct BadInput {
  std::string name;
  std::string yaml;         // config text ("" = no config file written)
  std::string extra_args;   // after the config path
  std::vector<std::string> fragments;  // expected in the message
  std::string command = "exact";
  std::string env = "";     // NAME=value for the job
};

class BadInputTest : public ::testing::TestWithParam<std::tuple<BadInput, int>> {};

TEST_P(BadInputTest, ClearMessageNonZeroExitNoOutput) {
  const auto& [bad, ranks] = GetParam();
  const fs::path dir = workDir(bad.name + "_np" + std::to_string(ranks));
  test::writeFile(dir / "bad_couplings.txt", "# index_base: 1\n1 2 0.5\n2 3 oops\n");
  test::writeFile(dir / "ok.txt", "# index_base: 0\n0 1 0.5\n1 2 -1\n2 0 1\n");
  // One index typo among small indices (issue 15: it built a 67-million-spin model).
  test::writeFile(dir / "typo.txt", "# index_base: 1\n1 2 1.0\n2 3 -1.0\n3 67108864 0.5\n");
  // A 1-based file without a header, read with index_base 0: spin 0 would be free.
  test::writeFile(dir / "base1.txt", "1 2 1.0\n2 3 -1.0\n3 1 0.5\n");
  test::writeFile(dir / "free.txt", "# index_base: 0\n0 1 1\n1 2 1\n4 5 1\n");
  test::writeFile(dir / "huge.txt", "# index_base: 0\n0 1 1e35\n1 2 1\n");
  const fs::path cfg = dir / "in.yaml";
  if (!bad.yaml.empty()) test::writeFile(cfg, bad.yaml);
  // A case may name its own output (--output in extra_args); otherwise result.h5 in its folder.
  const fs::path out = dir / "result.h5";
  const bool own_output = bad.extra_args.find("--output") != std::string::npos;
  std::string extra = bad.extra_args;  // "{dir}" is the case's folder
  for (auto pos = extra.find("{dir}"); pos != std::string::npos; pos = extra.find("{dir}"))
    extra.replace(pos, 5, dir.string());
  const auto r = runVna(fmt::format("{} {} {} {}", bad.command, shellQuote(cfg.string()),
                                    own_output ? "" : "--output " + shellQuote(out.string()), extra),
                        ranks, true, bad.env);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  for (const auto& f : bad.fragments) EXPECT_NE(r.out.find(f), std::string::npos) << "missing '" << f << "' in:\n" << r.out;
  // Printed once, whatever the number of ranks.
  EXPECT_LE(test::countOccurrences(r.out, bad.fragments.front()), 1) << r.out;
  for (const char* suffix : {"", ".partial", ".tmp"}) EXPECT_FALSE(fs::exists(out.string() + suffix)) << suffix;
  // An input is never an output: the config (and the coupling file) are as they were.
  if (!bad.yaml.empty()) {
    std::ifstream in(cfg);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), bad.yaml);
  }
  std::ifstream ok(dir / "ok.txt");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(ok), {}), "# index_base: 0\n0 1 0.5\n1 2 -1\n2 0 1\n");
}

const BadInput kBadInputs[] = {
    {"unknown_key", "model:\n  type: newman_moore\n  Lz: 3\n", "", {"model.Lz: unknown key", "line 3"}},
    {"key_of_other_model", "model:\n  L: 3\n  N: 9\n", "", {"model.N", "not used when model.type is newman_moore", "line 3"}},
    {"wrong_type", "model:\n  L: six\n", "", {"model.L", "expected an integer, got 'six'", "line 2"}},
    {"out_of_range", "model:\n  L: 1\n", "", {"model.L", "out of range", "line 2"}},
    {"negative_temperature", "exact:\n  temperatures: [1.0, -0.5]\n", "", {"exact.temperatures", "out of range"}},
    {"yaml_syntax", "model: {L: 3\n", "", {"YAML syntax error", "line"}},
    {"unknown_model", "model: {type: potts}\n", "", {"model.type", "'potts' is not one of"}},
    {"missing_required", "model: {type: sherrington_kirkpatrick}\n", "", {"model.N: missing required key"}},
    {"set_unknown_key", "model: {L: 3}\n", "--set model.Q=2", {"--set model.Q: unknown key"}},
    {"set_bad_value", "model: {L: 3}\n", "--set model.L=[1", {"--set model.L", "cannot parse"}},
    {"missing_coupling_file", "model: {type: coupling_file, path: nowhere.txt}\n", "", {"nowhere.txt"}},
    {"malformed_coupling_file", "model: {type: coupling_file, path: bad_couplings.txt}\n", "", {"bad_couplings.txt", ":3"}},
    {"lanczos_too_large", "model: {L: 6}\nexact: {gammas: [1.0]}\n", "", {"exact.gammas", "N = 36"}},
    {"enumeration_too_large", "model: {L: 6}\nexact: {enumerate: always}\n", "", {"exact.enumerate", "N = 36"}},
    {"missing_config", "", "", {"File does not exist"}},
    {"output_folder_missing", "model: {L: 2}\n", "--output /nonexistent/dir/x.h5", {"does not exist"}},
    // Strict YAML (issue 15: these ran, on the last duplicate or the first document).
    {"duplicate_key", "model: {L: 4, L: 5}\n", "", {"in.yaml: model.L: duplicate key", "twice on line 1"}},
    {"duplicate_key_block", "model:\n  L: 4\n  L: 5\n", "", {"model.L: duplicate key", "lines 2 and 3"}},
    {"duplicate_section", "model: {L: 4}\nmodel: {L: 5}\n", "", {"model: duplicate key", "lines 1 and 2"}},
    {"text_after_flow_map", "{model: {type: newman_moore, L: 4}}\nexact: {temperatures: [-5], bogus: 1}\n", "",
     {"in.yaml: text after the end of the first YAML document", "line 2"}},
    {"second_document", "model: {L: 4}\n---\nexact: {temperatures: [1]}\n", "", {"second document", "line 2"}},
    {"empty_config", "\n", "", {"in.yaml: the config is empty", "needs at least the model section"}},
    {"comments_only", "# just a comment\n", "", {"in.yaml: the config is empty"}},
    {"empty_config_anneal", "\n", "", {"in.yaml: the config is empty", "`vna anneal`"}, "anneal"},
    // Non-finite numbers and energies that overflow (issue 15: NaN losses, 1316 "ground states").
    {"field_inf", "model: {L: 3, field: .inf}\n", "", {"model.field", "finite number, got '.inf'", "line 1"}},
    {"J_inf", "model: {L: 3, J: .inf}\n", "", {"model.J", "finite number", "line 1"}},
    {"T0_inf", "model: {L: 3}\nanneal: {T0: .inf}\n", "", {"anneal.T0", "finite number", "line 2"}, "anneal"},
    {"set_nan", "model: {L: 3}\n", "--set model.J=.nan", {"(from --set model.J=.nan)", "model.J", "finite number"}},
    {"temperature_list_inf", "model: {L: 3}\nexact: {temperatures: [1, .inf]}\n", "",
     {"exact.temperatures", "finite number", "line 2"}},
    {"J_overflows_energies", "model: {L: 3, J: 1e308}\n", "", {"J = 1e+308", "too large", "1e+30"}},
    // Keys that would be ignored or bypass a bound.
    {"campaign_size_beyond_model_L", "model: {L: 4}\ncampaign: {sizes: [65], methods: [sa]}\n", "",
     {"campaign.sizes", "size 65", "model.L", "line 2"}, "campaign"},
    {"campaign_size_beyond_model_Lx",
     "model: {type: edwards_anderson, Lx: 4, Ly: 4}\ncampaign: {sizes: [5000], methods: [sa]}\n", "",
     {"campaign.sizes", "model.Lx", "line 2"}, "campaign"},
    {"cuda_for_exact", "model: {L: 3}\nbackend: {device: cuda}\n", "",
     {"backend.device", "`vna exact` runs on the host only", "line 2"}},
    // Coupling files: typos and wrong index bases (doc/input_reference.md, coupling files).
    {"coupling_index_typo", "model: {type: coupling_file, path: typo.txt}\n", "",
     {"typo.txt:4", "site index 67108864", "a typo"}},
    {"coupling_wrong_index_base", "model: {type: coupling_file, path: base1.txt, index_base: 0}\n", "",
     {"base1.txt", "spin 0 appears in no coupling", "use index_base 1"}},
    {"coupling_free_spin", "model: {type: coupling_file, path: free.txt}\n", "",
     {"free.txt", "1 of the 6 spins (index 3) appears in no coupling"}},
    {"coupling_energy_overflow", "model: {type: coupling_file, path: huge.txt}\n", "", {"huge.txt", "too large"}},
    // An input is never an output, with or without --force.
    {"output_is_the_config", "model: {L: 2}\n", "--force --output {dir}/in.yaml", {"is the config file"}},
    {"output_is_a_coupling_file", "model: {type: coupling_file, path: ok.txt}\n", "--force --output {dir}/ok.txt",
     {"is a coupling file (model.path)"}},
    // Sizes checked before anything is allocated or opened (issue 15: late allocation failures).
    {"anneal_memory", "model: {L: 64}\nanneal: {samples: 10000000}\n", "",
     {"needs about", "anneal.samples", "kept activations", "line 2"}, "anneal"},
    {"model_memory", "model: {type: sherrington_kirkpatrick, N: 100000}\n", "",
     {"needs about", "model.N", "the Hamiltonian", "line 1"}},
    {"lanczos_memory", "model: {L: 5}\nexact: {gammas: [1.0]}\n", "",
     {"needs about", "exact.gammas", "Lanczos vectors", "VNA_MEMORY_LIMIT", "line 2"}, "exact", "VNA_MEMORY_LIMIT=200M"},
    {"landscape_points_beyond_2_32", "landscape: {points: [65536, 65536]}\n", "",
     {"landscape.points", "2^32", "line 1"}, "landscape"},
};

INSTANTIATE_TEST_SUITE_P(Cli, BadInputTest, ::testing::Combine(::testing::ValuesIn(kBadInputs), ::testing::Values(0, 2)),
                         [](const auto& info) {
                           return std::get<0>(info.param).name + "_np" + std::to_string(std::get<1>(info.param));
                         });

TEST(Cli, UnknownCommandIsAnError) {
  const auto r = runVna("frobnicate x.yaml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("frobnicate"), std::string::npos) << r.out;
}

TEST(Cli, ExactWritesASelfDescribingFile) {
  const fs::path dir = workDir("exact_ok");
  const fs::path cfg = test::writeFile(dir / "nm.yaml", "model: {type: newman_moore, L: 3}\nexact: {temperatures: [0.5, 1.0], gammas: [0.5]}\n");
  const fs::path out = dir / "nm.h5";
  const auto r = runVna(fmt::format("exact {} --output {} --json", shellQuote(cfg.string()), shellQuote(out.string())), 2,
                        /*merge_stderr=*/false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  // Origin: closed form, E0 = -N/2 for Newman-Moore; degeneracy 4 for L = 3 (GF(2) rank, doc/physics.md).
  EXPECT_EQ(j.at("N"), 9);
  EXPECT_DOUBLE_EQ(j.at("ground_energy").template get<double>(), -4.5);
  EXPECT_EQ(j.at("degeneracy"), 4);
  ASSERT_EQ(j.at("temperatures").size(), 2u);
  EXPECT_TRUE(j.at("temperatures")[0].contains("free_energy_per_spin"));
  EXPECT_TRUE(j.at("temperatures")[0].contains("energy_per_spin"));
  EXPECT_TRUE(j.at("temperatures")[0].contains("entropy_per_spin"));
  ASSERT_EQ(j.at("gammas").size(), 1u);
  EXPECT_TRUE(j.at("gammas")[0].contains("e0_per_spin"));

  ASSERT_TRUE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out.string() + ".partial"));
  h5::Handle f = h5::openFile(out.string(), MPI_COMM_SELF, false);
  for (const char* attr : {"git_commit", "vna_version", "command_line", "config", "backend", "start_time", "end_time",
                           "hdf5_version", "mpi_library", "kokkos_version", "hostname"})
    EXPECT_TRUE(h5::hasAttribute(f, attr)) << attr;
  EXPECT_EQ(h5::readIntAttribute(f, "mpi_ranks"), 2);
  EXPECT_NE(h5::readStringAttribute(f, "config").find("L: 3"), std::string::npos);
  EXPECT_TRUE(h5::exists(f, "exact"));

  // A second run refuses to overwrite, and leaves the result intact; --force overwrites.
  const auto again = runVna(fmt::format("exact {} --output {}", shellQuote(cfg.string()), shellQuote(out.string())));
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.out.find("already exists"), std::string::npos) << again.out;
  EXPECT_TRUE(fs::exists(out));
  const auto forced = runVna(fmt::format("exact {} --output {} --force", shellQuote(cfg.string()), shellQuote(out.string())));
  EXPECT_EQ(forced.exit_code, 0) << forced.out;
}

TEST(Cli, ResultsDoNotDependOnTheRankCount) {
  const fs::path dir = workDir("ranks");
  const fs::path cfg = test::writeFile(dir / "sk.yaml",
                                       "model: {type: sherrington_kirkpatrick, N: 14, seed: 3}\nexact: {temperatures: [0.3, 1.0]}\n");
  const auto one = runVna(fmt::format("exact {} --output {} --json", shellQuote(cfg.string()), shellQuote((dir / "a.h5").string())), 1, false);
  const auto two = runVna(fmt::format("exact {} --output {} --json", shellQuote(cfg.string()), shellQuote((dir / "b.h5").string())), 2, false);
  ASSERT_EQ(one.exit_code, 0);
  ASSERT_EQ(two.exit_code, 0);
  const auto a = nlohmann::json::parse(one.out);
  const auto b = nlohmann::json::parse(two.out);
  EXPECT_EQ(a.at("ground_energy"), b.at("ground_energy"));
  EXPECT_EQ(a.at("degeneracy"), b.at("degeneracy"));
  for (std::size_t k = 0; k < a.at("temperatures").size(); ++k)
    // Origin: the partial sums over ranks are combined in a different order: 1e-12 relative.
    EXPECT_NEAR(a["temperatures"][k]["free_energy_per_spin"].get<double>(),
                b["temperatures"][k]["free_energy_per_spin"].get<double>(), 1e-12);
}

TEST(Cli, InfoReportsBackendsAndVersions) {
  const auto r = runVna("info --json", 0, false);
  ASSERT_EQ(r.exit_code, 0);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j.contains("git_commit"));
  EXPECT_TRUE(j.contains("backends"));
  EXPECT_EQ(j.at("mpi_ranks"), 1);
}

}  // namespace
}  // namespace vna
