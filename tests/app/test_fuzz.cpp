// A seeded fuzzer of configs and coupling files (issue 15): a few hundred mutations of small valid
// inputs, run through vna's command line in this process (src/app/cli.hpp; a few of them through the
// executable, also on 2 ranks). Every case must end with 0 or with an input error (2) that carries a
// message; any other exit code, a crash or a signal fails. Tiny models and step counts keep it to a few
// seconds; VNA_MEMORY_LIMIT keeps mutated sizes from allocating much, a watchdog stops a mutated run
// that would take long (its exit 3 is the watchdog's doing and accepted).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <random>
#include <thread>

#include "app/cli.hpp"
#include "config/schema.hpp"
#include "core/signals.hpp"
#include "support/run_vna.hpp"
#include "support/test_paths.hpp"

namespace vna {
namespace {

namespace fs = std::filesystem;

const char* kCouplings = "# index_base: 0\n0 1 0.5\n1 2 -1.0\n2 3 0.25\n3 0 1.5\n0 2 -0.75\n1 1 0.1\n";

struct Base {
  std::string command, yaml;
};
const Base kBases[] = {
    {"exact", "model: {type: newman_moore, L: 3}\nexact: {temperatures: [0.5, 1.0], gammas: [0.5]}\n"},
    {"exact", "model: {type: sherrington_kirkpatrick, N: 8, seed: 2}\nexact: {temperatures: [1.0]}\n"},
    {"exact", "model: {type: edwards_anderson, Lx: 3, Ly: 3, couplings: pm_j, periodic: true}\n"},
    {"exact", "model: {type: ising_chain, N: 6, J: 1.0, periodic: false, field: 0.1}\n"},
    {"exact", "model: {type: wishart_planted, N: 6, alpha: 0.5, seed: 1}\n"},
    {"exact", "model: {type: coupling_file, path: couplings.txt, format: auto}\nexact: {temperatures: [1]}\n"},
    {"anneal",
     "model: {type: newman_moore, L: 2}\nansatz: {cell: vanilla2d, hidden: 2, seed: 1}\n"
     "anneal: {mode: classical, T0: 1.0, warmup_steps: 1, annealing_steps: 2, train_steps: 1, samples: 4,\n"
     "         snapshots: [initial, final]}\nreplicas: {count: 2}\nanalysis: {samples: 10, stored_samples: 2}\n"},
    {"anneal",
     "model: {type: coupling_file, path: couplings.txt}\nansatz: {cell: vanilla1d, hidden: 2}\n"
     "anneal: {mode: quantum, gamma0: 1.0, warmup_steps: 1, annealing_steps: 1, train_steps: 1, samples: 4}\n"
     "analysis: {samples: 8, stored_samples: 0}\n"},
};

const char* kValues[] = {".inf", "-.inf", ".nan", "nan", "1e400", "-1", "0", "1", "2", "3", "64", "65", "4096",
                         "1e9", "2147483648", "-2147483649", "abc", "''", "~", "[]", "{}", "[1, 2]", "[.inf]",
                         "{a: 1}", "true", "yes", "0.5", "1e-300", "1e308", "\"3\"", "0x10", "1_0", "!!str 3"};
const char kChars[] = ":{}[],-#.\n \t'\"&*!|>?%@`0123456789abcdeLN";

// One mutation of YAML text.
std::string mutateYaml(std::string t, std::mt19937& rng) {
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  const auto& keys = configKeys();
  switch (pick(10)) {
    case 0:
      if (!t.empty()) t.erase(pick(t.size()), 1);
      break;
    case 1: t.insert(pick(t.size() + 1), 1, kChars[pick(sizeof kChars - 1)]); break;
    case 2: {  // duplicate a line
      const std::size_t a = t.rfind('\n', pick(t.size()));
      const std::size_t s = a == std::string::npos ? 0 : a + 1;
      const std::size_t e = t.find('\n', s);
      t.insert(s, t.substr(s, e == std::string::npos ? std::string::npos : e - s + 1));
      break;
    }
    case 3: {  // a value replaced
      const std::size_t colon = t.find(": ", pick(t.size()));
      if (colon != std::string::npos) {
        const std::size_t end = t.find_first_of(",}\n", colon + 2);
        t.replace(colon + 2, (end == std::string::npos ? t.size() : end) - colon - 2, kValues[pick(std::size(kValues))]);
      }
      break;
    }
    case 4: {  // a key of the schema with a random value, as a new section line
      const KeySpec& k = keys[pick(keys.size())];
      const auto dot = k.path.find('.');
      t += fmt::format("{}: {{{}: {}}}\n", k.path.substr(0, dot), k.path.substr(dot + 1), kValues[pick(std::size(kValues))]);
      break;
    }
    case 5: t = t.substr(0, pick(t.size() + 1)); break;
    case 6: t += pick(2) ? "---\nmodel: {L: 3}\n" : "...\n"; break;
    case 7: {  // indentation
      const std::size_t nl = t.find('\n', pick(t.size()));
      if (nl != std::string::npos) t.insert(nl + 1, pick(2) ? "  " : "\t");
      break;
    }
    case 8: {  // a key renamed
      const std::size_t colon = t.find(':', pick(t.size()));
      if (colon != std::string::npos && colon > 0) t.insert(colon, pick(2) ? "x" : "");
      break;
    }
    default: t = "# only a comment\n" + std::string(pick(2) ? "" : t); break;
  }
  return t;
}

std::string mutateCouplings(std::string t, std::mt19937& rng) {
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  const char* lines[] = {"0 67108864 1\n", "5 5 1\n", "-1 2 1\n", "0 1\n", "0 1 2 3\n", "a b c\n", "0 1 .inf\n",
                         "0 1 nan\n", "0 1 1e35\n", "0 1 0.5\n", "# index_base: 1\n", "# index_base: 2\n",
                         "# spins: 0\n", "# spins: 100000000\n", "# spins: 4\n", "9 10 1\n", "1 0 1\n", ""};
  switch (pick(5)) {
    case 0: t.insert(t.rfind('\n', pick(t.size())) + 1, lines[pick(std::size(lines))]); break;
    case 1:
      if (!t.empty()) t.erase(pick(t.size()), 1);
      break;
    case 2: t.insert(pick(t.size() + 1), 1, kChars[pick(sizeof kChars - 1)]); break;
    case 3: t = "0 1 2 3\n1 0 4 5\n2 4 0 6\n3 5 6 0\n"; break;  // a matrix
    default: t = t.substr(0, pick(t.size() + 1)); break;
  }
  return t;
}

struct Case {
  std::string command, yaml, couplings, set;
};

Case makeCase(std::mt19937& rng) {
  const Base& b = kBases[std::uniform_int_distribution<std::size_t>(0, std::size(kBases) - 1)(rng)];
  Case c{b.command, b.yaml, kCouplings, ""};
  const int n = std::uniform_int_distribution<int>(1, 3)(rng);
  for (int i = 0; i < n; ++i) {
    const int what = std::uniform_int_distribution<int>(0, 9)(rng);
    if (what < 6)
      c.yaml = mutateYaml(c.yaml, rng);
    else if (what < 9)
      c.couplings = mutateCouplings(c.couplings, rng);
    else {
      const auto& keys = configKeys();
      c.set = fmt::format("{}={}", keys[std::uniform_int_distribution<std::size_t>(0, keys.size() - 1)(rng)].path,
                          kValues[std::uniform_int_distribution<std::size_t>(0, std::size(kValues) - 1)(rng)]);
    }
  }
  return c;
}

// Stops (SIGTERM to itself) a case that runs longer than `seconds`.
class Watchdog {
 public:
  explicit Watchdog(double seconds) : thread_([this, seconds] {
      std::unique_lock<std::mutex> lock(m_);
      if (!cv_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return done_; })) {
        fired_ = true;
        std::raise(SIGTERM);
      }
    }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(m_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  bool fired() const { return fired_; }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool done_ = false;
  std::atomic<bool> fired_{false};
  std::thread thread_;
};

std::string describe(const Case& c) {
  return fmt::format("vna {} (--set '{}')\n--- config:\n{}\n--- couplings.txt:\n{}", c.command, c.set, c.yaml,
                     c.couplings);
}

TEST(Fuzz, MutatedInputsEndWithAResultOrAClearInputError) {
  const fs::path dir = test::tmpDir() / "fuzz";
  fs::remove_all(dir);
  fs::create_directories(dir);
  setenv("VNA_MEMORY_LIMIT", "300M", 1);
  // VNA_FUZZ_SEED and VNA_FUZZ_CASES fuzz longer by hand (the test's own: 400 cases of seed 20151).
  const char* seed = std::getenv("VNA_FUZZ_SEED");
  const char* cases = std::getenv("VNA_FUZZ_CASES");
  std::mt19937 rng(seed ? std::strtoul(seed, nullptr, 10) : 20151);
  const int num_cases = cases ? std::atoi(cases) : 400;
  int ok = 0, input_errors = 0, stopped = 0;
  for (int i = 0; i < num_cases; ++i) {
    const Case c = makeCase(rng);
    test::writeFile(dir / "in.yaml", c.yaml);
    test::writeFile(dir / "couplings.txt", c.couplings);
    std::vector<std::string> args = {"vna", c.command, (dir / "in.yaml").string(), "--output",
                                     (dir / "out.h5").string(), "--force"};
    if (!c.set.empty()) args.insert(args.end(), {"--set", c.set});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (std::getenv("VNA_FUZZ_VERBOSE")) std::fprintf(stderr, "case %d: %s\n", i, describe(c).c_str());
    std::string message;
    CliOptions options;
    options.quiet = true;
    options.message = &message;
    int code = -1;
    bool fired = false;
    {
      Watchdog dog(5.0);
      code = runCli(static_cast<int>(args.size()), argv.data(), Comm(), options);
      fired = dog.fired();
    }
    clearSignalRequests();
    if (code == 0) ++ok;
    if (code == 2) ++input_errors;
    if (fired && code == 3) {  // it stopped at a checkpoint: the next case starts afresh
      ++stopped;
      fs::remove(dir / "out.h5.partial");
      continue;
    }
    ASSERT_TRUE(code == 0 || code == 2) << "case " << i << ": exit " << code << ": " << message << "\n" << describe(c);
    if (code == 2) {
      EXPECT_TRUE(message.find(": ") != std::string::npos && message.size() > 10)
          << "case " << i << ": exit 2 without a clear message: '" << message << "'\n" << describe(c);
    }
    for (const char* s : {".partial", ".tmp"}) EXPECT_FALSE(fs::exists(dir / (std::string("out.h5") + s))) << i;
  }
  // The mutations must exercise both outcomes.
  EXPECT_GT(ok, num_cases / 10);
  EXPECT_GT(input_errors, num_cases / 3);
  RecordProperty("ok", ok);
  RecordProperty("input_errors", input_errors);
  RecordProperty("stopped_by_watchdog", stopped);
  std::printf("fuzz: %d results, %d input errors, %d stopped by the watchdog\n", ok, input_errors, stopped);
}

// A sample of the same cases through the executable, also on 2 ranks: the exit code is the process's,
// no signal, and an input error is printed once.
TEST(Fuzz, TheExecutableAgreesOnASample) {
  const fs::path dir = test::tmpDir() / "fuzz_exe";
  fs::remove_all(dir);
  std::mt19937 rng(77);
  for (int i = 0; i < 12; ++i) {
    const Case c = makeCase(rng);
    const fs::path d = dir / std::to_string(i);
    test::writeFile(d / "in.yaml", c.yaml);
    test::writeFile(d / "couplings.txt", c.couplings);
    const int ranks = i % 3 == 0 ? 2 : 0;
    const auto r = test::runVna(fmt::format("{} {} --output {} {}", c.command, (d / "in.yaml").string(),
                                            (d / "out.h5").string(), c.set.empty() ? "" : "--set " + test::shellQuote(c.set)),
                                ranks, true, "VNA_MEMORY_LIMIT=300M");
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 2) << "exit " << r.exit_code << ":\n" << r.out << describe(c);
    if (r.exit_code == 2) {
      EXPECT_EQ(test::countOccurrences(r.out, "vna: error: "), 1) << r.out << describe(c);
    }
  }
}

}  // namespace
}  // namespace vna
