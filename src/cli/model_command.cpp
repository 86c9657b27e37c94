// bloomlink model show: a Fellegi-Sunter model's parameters as a table.
#include <cmath>
#include <cstdio>

#include "bloomlink/score/fellegi_sunter.hpp"
#include "cli/common.hpp"
#include "internal/strings.hpp"

namespace bloomlink::cli {
namespace {

int RunShow(const std::string& path) {
  auto model = score::LoadModel(path);
  if (!model.ok()) return Fail(model.status());
  const score::FsModel& m = *model;
  std::printf("%s: Fellegi-Sunter model over %zu fields\n", path.c_str(), m.fields.size());
  const bool all_pairs = m.space_pairs != m.training_pairs;  // a sample stood for the rest
  std::printf("  lambda (share of matches among %s) %.6f, prior weight %+.2f\n",
              all_pairs ? internal::StrCat("all ", Thousands(m.space_pairs), " pairs").c_str()
                        : "the candidates",
              m.lambda, std::log2(m.lambda / (1 - m.lambda)));
  if (m.training_pairs == 0) {
    // Written by hand or by another tool: no training record (or one that says nothing).
    std::printf("  training not recorded (not estimated by bloomlink)\n");
  } else {
    std::printf("  trained on %s pairs%s (%s patterns), %d EM iterations%s, u by %s\n",
                Thousands(m.training_pairs).c_str(),
                all_pairs ? " (the candidates and a random sample of the rest)" : "",
                Thousands(m.distinct_patterns).c_str(), m.iterations,
                m.converged ? ", converged" : ", not converged",
                std::string(score::UMethodName(m.u_method)).c_str());
  }
  if (m.estimate) {
    // What the linkage that estimated the model expected of itself (no labels).
    const score::FsModel::Estimate& e = *m.estimate;
    std::printf(
        "  its linkage's own estimate: %s true, %s false and %s missed matches; "
        "precision=%.4f recall=%.4f F1=%.4f\n",
        Thousands(static_cast<std::uint64_t>(std::llround(e.true_matches))).c_str(),
        Thousands(static_cast<std::uint64_t>(std::llround(e.false_matches))).c_str(),
        Thousands(static_cast<std::uint64_t>(std::llround(e.missed_matches))).c_str(), e.precision,
        e.recall, e.f1);
  }
  if (!m.schema_fingerprint.empty()) {
    std::printf("  schema fingerprint %s\n", m.schema_fingerprint.c_str());
  }
  std::printf("\n  %-20s %-22s %10s %10s %9s\n", "field", "level", "m", "u", "weight");
  for (const score::FsModel::Field& f : m.fields) {
    for (std::size_t l = 0; l < f.m.size(); ++l) {
      std::printf("  %-20s %-22s %10.6f %10.6f %+9.2f\n", l == 0 ? f.levels.field.c_str() : "",
                  score::LevelLabel(f.levels, l).c_str(), f.m[l], f.u[l],
                  std::log2(f.m[l] / f.u[l]));
    }
  }
  std::printf(
      "\n  weight = log2(m / u): what a pair at that level adds to its match weight; a "
      "missing value adds 0\n");
  return kExitOk;
}

}  // namespace

void AddModelCommand(CLI::App& app, int& exit_code) {
  CLI::App* model = app.add_subcommand("model", "Inspect Fellegi-Sunter models");
  model->require_subcommand(1);
  auto path = std::make_shared<std::string>();
  CLI::App* show = model->add_subcommand("show", "Print a model's m, u and weights per level");
  show->add_option("model", *path, "model JSON (bloomlink link --method fs --save-model)")
      ->required();
  show->callback([path, &exit_code] { exit_code = RunShow(*path); });
}

}  // namespace bloomlink::cli
