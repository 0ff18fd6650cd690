#include "app/cli.hpp"

#include <CLI/CLI.hpp>
#include <Kokkos_Core.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "app/command.hpp"
#include "app/command_keys.hpp"
#include "config/schema.hpp"
#include "core/error.hpp"
#include "core/provenance.hpp"
#include "core/signals.hpp"

namespace {

std::string joinArgs(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) s += (i ? " " : "") + std::string(argv[i]);
  return s;
}

// Rank 0 reads the config; every rank parses the same text, so every rank reaches the same verdict.
vna::Config loadConfig(const vna::Comm& comm, const vna::RunOptions& opt) {
  std::string text, problem;
  if (comm.isRoot()) {
    std::ifstream in(opt.config_path);
    if (!in) {
      problem = fmt::format("cannot open config file '{}': {}", opt.config_path, std::strerror(errno));
    } else {
      std::stringstream ss;
      ss << in.rdbuf();
      text = ss.str();
    }
  }
  comm.throwIfAnyInputError(problem);
  comm.broadcast(text);
  return vna::Config::parse(text, opt.config_path, opt.overrides);
}

int run(int argc, char** argv, const vna::Comm& comm, bool quiet) {
  vna::RunOptions opt;
  opt.command_line = joinArgs(argc, argv);
  opt.start_time = vna::isoTimeNow();

  CLI::App app{"vna: variational neural annealing and loss landscapes of autoregressive networks on spin models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(vna::libraryVersions().vna));
  struct Sub {
    const char* name;
    const char* help;
  };
  const Sub subs[] = {
      {"exact", "exact results: ground states, degeneracy, free energy, Lanczos E0(Γ)"},
      {"anneal", "variational classical/quantum annealing of an autoregressive RNN (VCA, VQA), then analysis"},
      {"analyze", "fresh samples from annealed networks: ground-state statistics, Hamming distances, PCA"},
      {"campaign", "VCA, VQA, SA and SQA over disorder realizations and annealing lengths: residual energies"},
      {"landscape", "loss landscapes L(θ* + αδ + βη) around annealing snapshots, with the trajectory"},
  };
  for (const auto& s : subs) {
    CLI::App* sub = app.add_subcommand(s.name, s.help);
    sub->add_option("config", opt.config_path, "YAML input file")->required()->check(CLI::ExistingFile);
    sub->add_option("--set", opt.overrides, "override a config key: --set model.L=6")->type_name("KEY=VALUE");
    sub->add_option("--output,-o", opt.output, "result file (default: output.path)");
    sub->add_flag("--force", opt.force, "overwrite an existing result");
    sub->add_flag("--json", opt.json, "print the main results as one JSON object on stdout");
    sub->add_flag("--resume", opt.resume, "continue an interrupted run from its partial result");
  }
  CLI::App* info = app.add_subcommand("info", "backends, devices, ranks, library versions, git commit");
  info->add_flag("--json", opt.json, "print as JSON");
  app.add_subcommand("schema", "print the input reference (every config key) as Markdown");

  // A clearer message than CLI11's for the most common slip.
  if (argc > 1 && argv[1][0] != '-') {
    std::string names;
    bool known = false;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      names += (names.empty() ? "" : ", ") + sub->get_name();
      known = known || sub->get_name() == argv[1];
    }
    if (!known) throw vna::InputError(fmt::format("unknown command '{}' (commands: {})", argv[1], names));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {  // --help, --version
      if (comm.isRoot() && !quiet) app.exit(e);
      return vna::kExitOk;
    }
    throw vna::InputError(fmt::format("{} (run with --help for the usage)", e.what()));
  }
  opt.command = app.get_subcommands().front()->get_name();
  const vna::Log log(comm.isRoot() && !quiet, opt.json);

  nlohmann::json result;
  if (opt.command == "info") {
    result = vna::runInfo(comm, log);
  } else if (opt.command == "schema") {
    if (comm.isRoot() && !quiet) std::fputs(vna::inputReferenceMarkdown().c_str(), stdout);
    return vna::kExitOk;
  } else {
    // From here every long phase polls for SIGTERM/SIGINT/SIGUSR1/SIGUSR2 (src/core/signals.hpp).
    vna::installSignalHandlers();
    const vna::Config config = loadConfig(comm, opt);
    vna::reportConfigForCommand(opt.command, config, log);
    const vna::CommandContext ctx{comm, config, opt, log};
    if (opt.command == "exact") result = vna::runExact(ctx);
    if (opt.command == "anneal") result = vna::runAnnealCommand(ctx);
    if (opt.command == "analyze") result = vna::runAnalyze(ctx);
    if (opt.command == "campaign") result = vna::runCampaignCommand(ctx);
    if (opt.command == "landscape") result = vna::runLandscapeCommand(ctx);
  }
  if (opt.json && comm.isRoot() && !quiet) std::puts(result.dump(2).c_str());
  return vna::kExitOk;
}

}  // namespace

namespace vna {

int runCli(int argc, char** argv, const Comm& comm, const CliOptions& options) {
  const bool say = comm.isRoot() && !options.quiet;
  auto keep = [&](const char* what) {
    if (options.message) *options.message = what;
  };
  try {
    return run(argc, argv, comm, options.quiet);
  } catch (const Interrupted& e) {
    keep(e.what());
    if (say) std::fprintf(stderr, "vna: %s\n", e.what());
    return kExitInterrupted;
  } catch (const InputError& e) {
    // Deterministic: every rank has the same message.
    keep(e.what());
    if (say) std::fprintf(stderr, "vna: error: %s\n", e.what());
    return kExitInputError;
  } catch (const std::exception& e) {
    keep(e.what());
    if (!options.quiet) {
      std::fprintf(stderr, "vna: error on rank %d of %d: %s\n", comm.rank(), comm.size(), e.what());
      std::fflush(stderr);
    }
    if (comm.size() > 1) MPI_Abort(comm.raw(), kExitRuntimeError);
    return kExitRuntimeError;
  }
}

}  // namespace vna
