// Label-free Dice decision: a two-component mixture fitted by EM to a histogram of the scores,
// the threshold that maximises the expected F1, and the expected error counts.
//
// Notation: the fitting window [lo, 1] is cut into kBins equal bins (scores of exactly 1 are
// counted apart, as the "atom"); x is a bin's centre, z = (x - (lo + 1) / 2) / ((1 - lo) / 2) in
// (-1, 1), and y = log(1 - x + w / 2) with w the bin width. Both components are exponential
// families over the bins, log p_b = t0 f0_b + t1 f1_b + base_b - log Z(t):
//   non-match: f = (z, z^2), base 0: a normal distribution of the score;
//   match:     f = (yc, yc^2), yc = (y - mean y) / sd y, base -y: a normal distribution of
//              log(1 - score) (the Jacobian of the change of variable is the base), plus the atom.
// Each M-step fits a component to its weighted counts by Newton's method on the convex
// log-partition function (moment matching), with backtracking.
#include "bloomlink/score/dice_decision.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "internal/strings.hpp"

namespace bloomlink::score {
namespace {

using internal::StrCat;
using internal::Thousands;

constexpr int kBins = 512;
// The window holds at most this many scores per record of A and B (the highest ones).
constexpr double kWindowScoresPerRecord = 4.0;
// Fine bins over [floor, 1] that place the window's start.
constexpr int kFineBins = 1 << 16;
constexpr int kMaxIterations = 200;
// Newton steps per M-step (a generalised EM: each step raises the likelihood).
constexpr int kNewtonStepsPerIteration = 1;
constexpr double kTolerance = 1e-8;
// EM starts: the share of the window (from its bottom) below which the first responsibilities
// are mostly non-match.
constexpr std::array<double, 4> kStarts = {0.2, 0.4, 0.6, 0.8};
// A match component is refused (one-to-one only) when the pairs at or above its claimed
// matches' lower quartile are fewer than this share of all pairs of the space scoring that much.
constexpr double kSupportShare = 0.25;
// Bins of the histogram of the random sample, for its quantiles.
constexpr int kRandomBins = 4096;

// Abramowitz & Stegun 26.2.23: z with Phi(z) = p, absolute error below 4.5e-4; p in (0, 1).
double NormalQuantile(double p) {
  const bool upper = p > 0.5;
  const double q = upper ? 1.0 - p : p;
  const double t = std::sqrt(-2.0 * std::log(q));
  const double z = t - (2.515517 + t * (0.802853 + t * 0.010328)) /
                           (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308)));
  return upper ? z : -z;
}

std::string Fixed(double v, int digits) {
  char buf[48];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, digits);
  return std::string(buf, static_cast<std::size_t>(r.ptr - buf));
}

std::string Count(double v) {
  return Thousands(static_cast<unsigned long long>(std::max(0.0, std::round(v))));
}

// An exponential family over the bins with one or two features.
struct Family {
  const double* f0 = nullptr;
  const double* f1 = nullptr;  // null: one parameter (t[1] unused)
  const double* base = nullptr;
};

struct Params {
  double t[2] = {0.0, 0.0};
};

// The bins and every feature array the families use, computed once per decision.
struct Grid {
  int bins = kBins;
  double lo = 0.0;
  double width = 0.0;
  std::vector<double> x, z, z2, yc, yc2, base_m, zero, z01;
  // (z - c)^2 for the centres of the constrained non-match fits: the window's two ends and the
  // one-to-one non-match centre limit.
  std::vector<double> dz_lo, dz_hi, dz_max;
  double y_mean = 0.0, y_sd = 1.0;
};

double Exponent(const Family& f, const Params& p, int b) {
  double e = p.t[0] * f.f0[b] + f.base[b];
  if (f.f1 != nullptr) e += p.t[1] * f.f1[b];
  return e;
}

// Exponents(f, p, bins, e): e[b] = the bin's log-density before normalisation; returns max e.
double Exponents(const Family& f, const Params& p, int bins, double* e) {
  double mx = -std::numeric_limits<double>::infinity();
  for (int b = 0; b < bins; ++b) {
    e[b] = Exponent(f, p, b);
    mx = std::max(mx, e[b]);
  }
  return mx;
}

// LogPartition(f, p, bins, e): log sum_b exp(e_b), with e (bins entries) as scratch.
double LogPartition(const Family& f, const Params& p, int bins, double* e) {
  const double mx = Exponents(f, p, bins, e);
  double sum = 0.0;
  for (int b = 0; b < bins; ++b) sum += std::exp(e[b] - mx);
  return mx + std::log(sum);
}

// Probabilities(f, p, bins, out): out[b] = p_b, summing to 1.
void Probabilities(const Family& f, const Params& p, int bins, double* out) {
  const double mx = Exponents(f, p, bins, out);
  double sum = 0.0;
  for (int b = 0; b < bins; ++b) {
    out[b] = std::exp(out[b] - mx);
    sum += out[b];
  }
  for (int b = 0; b < bins; ++b) out[b] /= sum;
}

// Weighted log-likelihood sum_b w_b log p_b, given the weights' total; e is scratch.
double WeightedLogLik(const Family& f, const Params& p, int bins, const double* w, double total,
                      double* e) {
  const double lz = LogPartition(f, p, bins, e);
  double s = 0.0;
  for (int b = 0; b < bins; ++b) s += w[b] * e[b];
  return s - total * lz;
}

// FitFamily: the maximum-likelihood parameters for weights w, by up to `steps` Newton steps from
// p (moment matching: the log-partition function is convex); e is scratch of `bins` entries.
Params FitFamily(const Family& f, int bins, const double* w, Params p, int steps, double* e) {
  const int k = f.f1 != nullptr ? 2 : 1;
  double total = 0.0, target[2] = {0.0, 0.0};
  for (int b = 0; b < bins; ++b) {
    total += w[b];
    target[0] += w[b] * f.f0[b];
    if (k == 2) target[1] += w[b] * f.f1[b];
  }
  if (!(total > 0.0)) return p;
  target[0] /= total;
  target[1] /= total;
  // Objective per unit weight: t . target - log Z(t) (the base term is constant).
  const auto linear = [&](const Params& q) {
    return q.t[0] * target[0] + (k == 2 ? q.t[1] * target[1] : 0.0);
  };
  for (int step = 0; step < steps; ++step) {
    const double mx = Exponents(f, p, bins, e);
    double z = 0.0, mean[2] = {0.0, 0.0}, second[3] = {0.0, 0.0, 0.0};
    for (int b = 0; b < bins; ++b) {
      const double q = std::exp(e[b] - mx);
      z += q;
      mean[0] += q * f.f0[b];
      second[0] += q * f.f0[b] * f.f0[b];
      if (k == 2) {
        mean[1] += q * f.f1[b];
        second[1] += q * f.f0[b] * f.f1[b];
        second[2] += q * f.f1[b] * f.f1[b];
      }
    }
    for (double& v : mean) v /= z;
    for (double& v : second) v /= z;
    const double before = linear(p) - (mx + std::log(z));
    const double g0 = target[0] - mean[0];
    const double c00 = second[0] - mean[0] * mean[0] + 1e-12;
    double d0, d1 = 0.0;
    if (k == 2) {
      const double g1 = target[1] - mean[1];
      const double c01 = second[1] - mean[0] * mean[1];
      const double c11 = second[2] - mean[1] * mean[1] + 1e-12;
      const double det = c00 * c11 - c01 * c01;
      if (!(det > 0.0)) break;
      d0 = (c11 * g0 - c01 * g1) / det;
      d1 = (c00 * g1 - c01 * g0) / det;
    } else {
      d0 = g0 / c00;
    }
    double a = 1.0;
    Params next;
    for (;;) {
      next.t[0] = p.t[0] + a * d0;
      next.t[1] = p.t[1] + a * d1;
      if (linear(next) - LogPartition(f, next, bins, e) >= before) break;
      a *= 0.5;
      if (a <= 1e-6) return p;
    }
    p = next;
    if (std::max(std::abs(a * d0), std::abs(a * d1)) < 1e-12) break;
  }
  return p;
}

enum class NonMatchShape {
  kNonIncreasing,  // the upper tail of all pairs: density never rising across the window
  kBump,           // best look-alikes: concave, centre at most `centre_max`
};

struct NonMatchFitter {
  const Grid* grid;
  NonMatchShape shape;
  bool has_centre_max = false;
  double centre_max = 0.0;  // in z units
  double* e = nullptr;      // scratch, grid->bins entries

  Family Full() const { return {grid->z.data(), grid->z2.data(), grid->zero.data()}; }

  // A one-parameter fit a (z - c)^2, returned in (z, z^2) coordinates.
  Params Centred(const double* w, const std::vector<double>& dz, double c, double start) const {
    const Family f{dz.data(), nullptr, grid->zero.data()};
    Params p;
    p.t[0] = start;
    p = FitFamily(f, grid->bins, w, p, 30, e);
    Params out;
    out.t[0] = -2.0 * p.t[0] * c;
    out.t[1] = p.t[0];
    return out;
  }

  Params Fit(const double* w, Params p, int steps) const {
    const Family full = Full();
    p = FitFamily(full, grid->bins, w, p, steps, e);
    if (shape == NonMatchShape::kNonIncreasing) {
      // The slope t0 + 2 t1 z must be <= 0 at both ends of the window (z = -1 and z = 1).
      const auto ok = [](const Params& q) {
        return q.t[0] - 2.0 * q.t[1] <= 1e-12 && q.t[0] + 2.0 * q.t[1] <= 1e-12;
      };
      if (ok(p)) return p;
      double total = 0.0;
      for (int b = 0; b < grid->bins; ++b) total += w[b];
      bool found = false;
      Params best;
      double best_ll = 0.0;
      const Params candidates[2] = {Centred(w, grid->dz_lo, -1.0, -1e-2),
                                    Centred(w, grid->dz_hi, 1.0, 1e-2)};
      for (const Params& c : candidates) {
        if (!ok(c)) continue;
        const double ll = WeightedLogLik(full, c, grid->bins, w, total, e);
        if (!found || ll > best_ll) {
          found = true;
          best = c;
          best_ll = ll;
        }
      }
      if (found) return best;
      Params flat;
      flat.t[0] = -1e-3;
      return flat;
    }
    // kBump: concave, centre -t0 / (2 t1) at most centre_max.
    if (p.t[1] < 0.0 && (!has_centre_max || -p.t[0] / (2.0 * p.t[1]) <= centre_max)) return p;
    const double c = has_centre_max ? centre_max : -1.0;
    Params q = Centred(w, has_centre_max ? grid->dz_max : grid->dz_lo, c, -1e-2);
    if (!(q.t[1] < -1e-6)) {
      q.t[1] = -1e-6;
      q.t[0] = -2.0 * q.t[1] * c;
    }
    return q;
  }
};

enum class FitKind { kMixture, kMatchesOnly, kNonMatchesOnly };

struct FitResult {
  FitKind kind = FitKind::kMixture;
  int components = 1;  // non-match components
  double loglik = 0.0;
  double bic = 0.0;
  double pi_m = 0.0;
  double alpha = 0.0;  // share of the match component at exactly 1
  Params m;
  Params u[2];
  double pi_u[2] = {0.0, 0.0};
  std::vector<double> r;  // posterior match probability per bin
  double u_mean = 0.0, m_mean = 0.0;
  double m_continuous = 0.0;  // expected matches in the bins (not the atom)
  int iterations = 0;
};

struct Scratch {
  std::vector<double> w, pm, tot, e;
  std::array<std::vector<double>, 2> pu;
  explicit Scratch(int bins)
      : w(bins),
        pm(bins),
        tot(bins),
        e(bins),
        pu{std::vector<double>(bins), std::vector<double>(bins)} {}
};

// RunEm: one EM fit of the given kind from one start.
FitResult RunEm(const Grid& g, const std::vector<double>& counts, double atom,
                const NonMatchFitter& nm, FitKind kind, int components, double start, Scratch& s) {
  const int bins = g.bins;
  const Family mfam{g.yc.data(), g.yc2.data(), g.base_m.data()};
  const bool u_only = kind == FitKind::kNonMatchesOnly;
  const bool m_only = kind == FitKind::kMatchesOnly;
  double n = atom;
  for (double c : counts) n += c;

  FitResult f;
  f.kind = kind;
  f.components = m_only ? 0 : components;
  f.r.assign(bins, 0.0);
  for (int b = 0; b < bins; ++b) {
    f.r[b] = m_only ? 1.0 : u_only ? 0.0 : 1.0 / (1.0 + std::exp(-(g.z01[b] - start) * 20.0));
  }
  double m_weight = 0.0;
  if (!m_only) {
    for (int k = 0; k < components; ++k) {
      for (int b = 0; b < bins; ++b) {
        const double steep = (k == 0 && components > 1) ? std::exp(-g.z01[b] * 30.0) : 1.0;
        s.w[b] = counts[b] * (1.0 - f.r[b]) * steep + 1e-12;
      }
      f.u[k] = nm.Fit(s.w.data(), Params{}, 20);
    }
  }
  for (int b = 0; b < bins; ++b) {
    s.w[b] = counts[b] * f.r[b] + 1e-12;
    m_weight += counts[b] * f.r[b];
  }
  f.m = FitFamily(mfam, bins, s.w.data(), Params{}, 20, s.e.data());
  f.pi_m = (m_weight + atom) / n;
  for (int k = 0; k < f.components; ++k) f.pi_u[k] = (1.0 - f.pi_m) / f.components;
  f.alpha = atom > 0.0 ? atom / std::max(m_weight + atom, 1e-300) : 0.0;

  double previous = -std::numeric_limits<double>::infinity();
  int it = 0;
  for (; it < kMaxIterations; ++it) {
    for (int k = 0; k < f.components; ++k) Probabilities(nm.Full(), f.u[k], bins, s.pu[k].data());
    if (!u_only) Probabilities(mfam, f.m, bins, s.pm.data());
    double ll = 0.0;
    for (int b = 0; b < bins; ++b) {
      const double pm = u_only ? 0.0 : f.pi_m * (1.0 - f.alpha) * s.pm[b];
      double t = pm;
      for (int k = 0; k < f.components; ++k) t += f.pi_u[k] * s.pu[k][b];
      t = std::max(t, 1e-300);
      s.tot[b] = t;
      f.r[b] = pm / t;
      ll += counts[b] * std::log(t);
    }
    if (atom > 0.0) ll += atom * std::log(std::max(f.pi_m * f.alpha, 1e-300));
    f.loglik = ll;
    if (it > 2 && ll - previous <= kTolerance * std::max(1.0, std::abs(ll))) break;
    previous = ll;
    if (!u_only) {
      m_weight = 0.0;
      for (int b = 0; b < bins; ++b) {
        s.w[b] = counts[b] * f.r[b];
        m_weight += s.w[b];
      }
      if (!m_only) f.pi_m = (m_weight + atom) / n;
      f.alpha = atom > 0.0 ? atom / std::max(m_weight + atom, 1e-300) : 0.0;
      f.m = FitFamily(mfam, bins, s.w.data(), f.m, kNewtonStepsPerIteration, s.e.data());
    }
    for (int k = 0; k < f.components; ++k) {
      double total = 0.0;
      for (int b = 0; b < bins; ++b) {
        s.w[b] = counts[b] * f.pi_u[k] * s.pu[k][b] / s.tot[b];
        total += s.w[b];
      }
      f.pi_u[k] = total / n;
      f.u[k] = nm.Fit(s.w.data(), f.u[k], kNewtonStepsPerIteration);
    }
  }
  f.iterations = it;
  const int params = (u_only ? 0 : 2 + (m_only ? 0 : 1) + (atom > 0.0 ? 1 : 0)) +
                     (m_only ? 0 : 3 * components - 1);
  f.bic = -2.0 * f.loglik + params * std::log(std::max(n, 1.0));
  // Component means (for the sanity check that matches lie above non-matches) and the expected
  // matches in the bins, from the last E-step's probabilities.
  double pi_u_total = 0.0;
  for (int k = 0; k < f.components; ++k) pi_u_total += f.pi_u[k];
  for (int b = 0; b < bins; ++b) {
    double pu = 0.0;
    for (int k = 0; k < f.components; ++k) pu += f.pi_u[k] * s.pu[k][b];
    if (pi_u_total > 0.0) f.u_mean += pu / pi_u_total * g.x[b];
    if (!u_only) f.m_mean += s.pm[b] * g.x[b];
    f.m_continuous += counts[b] * f.r[b];
  }
  return f;
}

// The decision taken from one fit: per bin k, accept the bins >= k and the atom.
struct Choice {
  int bin = -1;  // -1: nothing below Dice 1 accepted
  double tp = 0.0, fp = 0.0, fn = 0.0, matches = 0.0, f1 = 0.0;
};

Choice ChooseThreshold(const std::vector<double>& counts, const std::vector<double>& r, double atom,
                       double matches_below) {
  const int bins = static_cast<int>(counts.size());
  double matches = atom + matches_below;
  for (int b = 0; b < bins; ++b) matches += counts[b] * r[b];
  Choice best;
  best.matches = matches;
  best.tp = atom;
  best.fn = std::max(matches - atom, 0.0);
  best.f1 = atom > 0.0 ? 2.0 * atom / (2.0 * atom + best.fn) : 0.0;
  double tp = atom, fp = 0.0;
  // From the top down; a strictly better F1 moves the threshold down.
  for (int b = bins - 1; b >= 0; --b) {
    tp += counts[b] * r[b];
    fp += counts[b] * (1.0 - r[b]);
    const double fn = std::max(matches - tp, 0.0);
    const double f1 = tp > 0.0 ? 2.0 * tp / (2.0 * tp + fp + fn) : 0.0;
    if (f1 > best.f1) {
      best.bin = b;
      best.tp = tp;
      best.fp = fp;
      best.fn = fn;
      best.f1 = f1;
    }
  }
  // Empty bins just below the chosen one give the same decision: take the middle of that gap, so
  // that the threshold keeps its distance from the scores on both sides.
  if (best.bin > 0) {
    int low = best.bin;
    while (low > 0 && counts[low - 1] == 0.0) --low;
    best.bin = (low + best.bin + 1) / 2;
  }
  return best;
}

// MonotonePosterior(r, counts): the weighted isotonic (non-decreasing) regression of the
// posterior r over the bins, weights the bins' counts (pool adjacent violators). It keeps the
// expected number of matches, sum counts x r, and removes what a parametric tail can do at the
// window's ends: a match component whose tail falls off more slowly than the non-matches' makes
// the posterior rise again below the non-match bump, which would make accepting that low end look
// worthwhile. Empty bins take the value of their block (or of the nearest non-empty bin).
std::vector<double> MonotonePosterior(const std::vector<double>& r,
                                      const std::vector<double>& counts) {
  const int bins = static_cast<int>(r.size());
  struct Block {
    double value, weight;
    int first, last;
  };
  std::vector<Block> blocks;
  blocks.reserve(bins);
  for (int b = 0; b < bins; ++b) {
    if (counts[b] <= 0.0) continue;
    blocks.push_back({r[b], counts[b], b, b});
    while (blocks.size() > 1 && blocks[blocks.size() - 2].value > blocks.back().value) {
      Block top = blocks.back();
      blocks.pop_back();
      Block& prev = blocks.back();
      const double w = prev.weight + top.weight;
      prev.value = (prev.value * prev.weight + top.value * top.weight) / w;
      prev.weight = w;
      prev.last = top.last;
    }
  }
  std::vector<double> out(r);
  if (blocks.empty()) return out;
  // Each block covers its bins and the empty bins up to the next block.
  for (std::size_t k = 0; k < blocks.size(); ++k) {
    const int from = k == 0 ? 0 : blocks[k].first;
    const int to = k + 1 < blocks.size() ? blocks[k + 1].first - 1 : bins - 1;
    for (int b = from; b <= to; ++b) out[b] = blocks[k].value;
  }
  return out;
}

// CheckScore(scores, i, floor): InvalidArgument naming scores[i] when it is not in [floor, 1].
// Scores are single precision: a candidate whose Dice reaches the floor has a float score at
// least the floor rounded to float (rounding is monotonic), so the check is in float.
absl::Status CheckScore(std::span<const float> scores, std::size_t i, double floor) {
  const float v = scores[i];
  if (v >= static_cast<float>(floor) && v <= 1.0f) return absl::OkStatus();
  if (std::isnan(v)) {
    return absl::InvalidArgumentError(StrCat("dice decision: scores[", i, "] is not a number"));
  }
  if (v > 1.0f) {
    return absl::InvalidArgumentError(StrCat("dice decision: scores[", i, "] is above 1"));
  }
  return absl::InvalidArgumentError(
      StrCat("dice decision: scores[", i, "] is below the floor ", floor));
}

absl::Status Validate(const DiceScores& in) {
  if (!(in.floor >= 0.0 && in.floor < 1.0)) {
    return absl::InvalidArgumentError(
        StrCat("dice decision: the floor must be in [0, 1), got ", in.floor));
  }
  if (in.records_a == 0 || in.records_b == 0) {
    return absl::InvalidArgumentError(
        "dice decision: records_a and records_b must be at least 1 (the datasets' sizes)");
  }
  if (in.comparison_pairs == 0) {
    return absl::InvalidArgumentError(
        "dice decision: comparison_pairs must be at least 1 (|A| x |B|, or n (n - 1) / 2 within "
        "one dataset)");
  }
  const long double product =
      static_cast<long double>(in.records_a) * static_cast<long double>(in.records_b);
  if (static_cast<long double>(in.comparison_pairs) > product) {
    return absl::InvalidArgumentError(
        StrCat("dice decision: comparison_pairs (", in.comparison_pairs,
               ") exceeds records_a x records_b (", in.records_a, " x ", in.records_b, ")"));
  }
  if (in.scores.size() > in.comparison_pairs) {
    return absl::InvalidArgumentError(StrCat("dice decision: ", in.scores.size(),
                                             " scores but only ", in.comparison_pairs,
                                             " pairs in the comparison space"));
  }
  if (in.one_to_one && in.scores.size() > std::min(in.records_a, in.records_b)) {
    return absl::InvalidArgumentError(
        StrCat("dice decision: ", in.scores.size(),
               " scores resolved one-to-one, more than the smaller dataset's ",
               std::min(in.records_a, in.records_b), " records"));
  }
  for (std::size_t i = 0; i < in.random_scores.size(); ++i) {
    const float v = in.random_scores[i];
    if (!(v >= 0.0f && v <= 1.0f)) {
      return absl::InvalidArgumentError(StrCat("dice decision: random_scores[", i, "] is ",
                                               std::isnan(v) ? "not a number" : "outside [0, 1]"));
    }
  }
  const auto float_floor = static_cast<float>(in.floor);
  for (std::size_t i = 0; i < in.look_alikes.size(); ++i) {
    const float v = in.look_alikes[i];
    if (!(v >= float_floor && v <= 1.0f)) {
      return absl::InvalidArgumentError(
          StrCat("dice decision: look_alikes[", i, "] is ",
                 std::isnan(v) ? "not a number" : "outside [floor, 1]"));
    }
  }
  if (std::isnan(in.matches)) {
    return absl::InvalidArgumentError("dice decision: matches is not a number");
  }
  if (!in.look_alikes.empty() && in.look_alike_records == 0) {
    return absl::InvalidArgumentError(
        "dice decision: look_alikes given but look_alike_records is 0 (the records sampled)");
  }
  if (in.one_to_one && in.look_alikes.size() > in.look_alike_records) {
    return absl::InvalidArgumentError(StrCat("dice decision: ", in.look_alikes.size(),
                                             " best look-alikes from ", in.look_alike_records,
                                             " sampled records: at most one each"));
  }
  if (in.one_to_one && !in.look_alike_weights.empty()) {
    return absl::InvalidArgumentError(
        "dice decision: look_alike_weights are for links without one-to-one; with one-to-one "
        "each look-alike is one record's best");
  }
  if (!in.one_to_one && in.look_alike_weights.size() != in.look_alikes.size()) {
    return absl::InvalidArgumentError(StrCat(
        "dice decision: ", in.look_alike_weights.size(), " look_alike_weights for ",
        in.look_alikes.size(), " look_alikes: one weight per look-alike without one-to-one"));
  }
  for (std::size_t i = 0; i < in.look_alike_weights.size(); ++i) {
    if (!(in.look_alike_weights[i] > 0.0 && std::isfinite(in.look_alike_weights[i]))) {
      return absl::InvalidArgumentError(
          StrCat("dice decision: look_alike_weights[", i, "] must be a positive number"));
    }
  }
  return absl::OkStatus();
}

// The decision from look-alikes (DecideDiceThreshold, two datasets): the number of non-matches at
// or above each score is estimated from pairs known not to be matches, drawn the way the link's
// non-matches are, instead of a mixture fitted to the scores' shape. On the quality lab's hard
// sets the mixture could not tell a corrupted match from a best look-alike (heavy corruption,
// 35% missing fields) and claimed pairs where the datasets shared nobody; counting look-alikes
// needs no shape at all.

// Sweep(descending, matches, tp_at, surely_tp): the threshold with the best expected F1 among those
// whose accepted pairs are expected to be at least half matches. descending: the scores from the
// highest; tp_at(i): the expected matches among descending[0..i]; matches: among all. Returns the
// index of the last accepted score, or -1 for none. surely_tp(i): a lower bound of tp_at(i) for the
// check that the accepted pairs are at least half matches (the look-alikes are a sample: where they
// are few, a handful of high scores must not pass for matches).
template <typename TruePositives, typename SurelyTruePositives>
std::ptrdiff_t Sweep(const std::vector<float>& descending, double matches, TruePositives tp_at,
                     SurelyTruePositives surely_tp) {
  std::ptrdiff_t best = -1;
  double best_f1 = -1.0;
  for (std::size_t i = 0; i < descending.size(); ++i) {
    if (i + 1 < descending.size() && descending[i + 1] == descending[i]) continue;  // a tie
    const double accepted = static_cast<double>(i + 1);
    const double tp = tp_at(i);
    if (surely_tp(i) < 0.5 * accepted) continue;
    const double f1 = 2.0 * tp / (accepted + matches);
    if (f1 > best_f1) {
      best_f1 = f1;
      best = static_cast<std::ptrdiff_t>(i);
    }
  }
  return best;
}

DiceDecision DecideByLookAlikes(const DiceScores& in) {
  DiceDecision out;
  out.model = DiceModel::kLookAlikes;
  out.window_start = in.floor;
  out.window_scores = in.scores.size();
  std::vector<float> v(in.scores.begin(), in.scores.end());
  std::sort(v.begin(), v.end(), std::greater<>());
  const std::size_t n = v.size();
  const std::string resolved = in.one_to_one ? "one-to-one resolved" : "candidate";
  if (n == 0) {
    out.model = DiceModel::kNoScores;
    out.reason = "no scores: nothing to accept";
    return out;
  }
  // The look-alikes from the highest, and how many non-matches of the scores each stands for.
  std::vector<std::size_t> order(in.look_alikes.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    return in.look_alikes[x] > in.look_alikes[y] ||
           (in.look_alikes[x] == in.look_alikes[y] && x < y);
  });
  std::vector<float> v0(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) v0[i] = in.look_alikes[order[i]];
  std::vector<double> weight(order.size());
  std::string how;
  if (in.one_to_one) {
    // The non-matches among the resolved pairs, N0, read below the look-alikes' median m where
    // non-matches dominate: N0 = #(scores < m) / (share of look-alikes < m), at most every score.
    double non_matches = 0.0;
    std::string scaled = "none reaches the floor: no non-matches expected";
    if (!v0.empty()) {
      const float median = v0[v0.size() / 2];
      const auto below_v0 = static_cast<double>(
          v0.end() - std::lower_bound(v0.begin(), v0.end(), median, std::greater<>()));
      const auto below_v = static_cast<double>(
          v.end() - std::lower_bound(v.begin(), v.end(), median, std::greater<>()));
      // With no look-alike below the median (all equal), every score below it is a non-match.
      non_matches = below_v0 > 0.0 ? std::min(static_cast<double>(n),
                                              below_v * static_cast<double>(v0.size()) / below_v0)
                                   : below_v;
      std::fill(weight.begin(), weight.end(), non_matches / static_cast<double>(v0.size()));
      scaled = StrCat("scaled to the ", Count(below_v), " resolved pairs below their median Dice ",
                      Fixed(median, 4), ", count the non-matches among the ", Thousands(n), " ",
                      resolved, " pairs");
    }
    how = StrCat("the best look-alikes of ", Thousands(in.look_alike_records),
                 " records sampled within their own dataset (", Thousands(v0.size()),
                 " at or above the floor), ", scaled);
  } else {
    double total = 0.0;
    for (std::size_t i = 0; i < order.size(); ++i) {
      weight[i] = in.look_alike_weights[order[i]];
      total += weight[i];
    }
    how = StrCat(Thousands(v0.size()), " look-alike pairs of ", Thousands(in.look_alike_records),
                 " sampled records within their own dataset stand for ", Count(total),
                 " non-matches among the ", Thousands(n), " ", resolved, " pairs");
  }
  double total_weight = 0.0;
  for (double w : weight) total_weight += w;
  const double mean_weight = v0.empty() ? 0.0 : total_weight / static_cast<double>(v0.size());
  // tp[i]: the expected matches among v[0..i]: the scores less the look-alikes' estimate of the
  // non-matches among them, never fewer than at a higher score (adding pairs cannot remove a
  // match), never more than the pairs. surely_tp[i]: the same with the estimate's Poisson
  // uncertainty, two standard deviations and one more look-alike where none was seen.
  std::vector<double> tp(n), surely_tp(n);
  const bool known_matches = !in.one_to_one && in.matches >= 0.0;
  std::size_t j = 0;
  double null_weight = 0.0, best = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    while (j < v0.size() && v0[j] >= v[i]) null_weight += weight[j++];
    const auto accepted = static_cast<double>(i + 1);
    best = std::min(std::max(best, accepted - null_weight), accepted);
    if (known_matches) best = std::min(best, in.matches);
    tp[i] = best;
    const double k = static_cast<double>(j) + 1.0;
    surely_tp[i] = accepted - null_weight - mean_weight * (1.0 + 2.0 * std::sqrt(k));
  }
  const double matches = known_matches ? in.matches : best;
  const std::ptrdiff_t last = Sweep(
      v, matches, [&](std::size_t i) { return tp[i]; },
      [&](std::size_t i) { return surely_tp[i]; });
  const double accepted_tp = last >= 0 ? tp[static_cast<std::size_t>(last)] : 0.0;
  const double accepted = last >= 0 ? static_cast<double>(last + 1) : 0.0;
  out.threshold = last >= 0 ? static_cast<double>(v[static_cast<std::size_t>(last)]) : 1.0;
  std::uint64_t count = 0;
  for (const float s : v) count += static_cast<double>(s) >= out.threshold ? 1 : 0;
  out.accepted = count;
  out.expected_matches = matches;
  if (last < 0) {
    // Only exact copies: count them as matches.
    out.expected_false_matches = 0.0;
    out.expected_missed_matches = std::max(0.0, matches - static_cast<double>(count));
  } else {
    out.expected_false_matches = accepted - accepted_tp;
    out.expected_missed_matches = std::max(0.0, matches - accepted_tp);
  }
  const double tp_final = static_cast<double>(out.accepted) - out.expected_false_matches;
  out.precision = out.accepted > 0 ? tp_final / static_cast<double>(out.accepted) : 1.0;
  out.recall = matches > 0.0 ? std::min(1.0, tp_final / matches) : 1.0;
  const double denom = 2.0 * tp_final + out.expected_false_matches + out.expected_missed_matches;
  out.f1 = denom > 0.0 ? 2.0 * tp_final / denom : 1.0;
  out.equal_odds_threshold = out.threshold;  // no per-pair posterior: the counts are cumulative
  out.reason =
      last >= 0 ? StrCat(how, "; ", Count(matches), " matches expected; threshold ",
                         Fixed(out.threshold, 4), " maximises the expected F1 (", Fixed(out.f1, 4),
                         ": ", Count(out.expected_false_matches), " false and ",
                         Count(out.expected_missed_matches), " missed matches expected)")
                : StrCat(how,
                         "; no threshold's pairs are expected to be half matches: only scores of "
                         "exactly 1 accepted");
  return out;
}

}  // namespace

std::string_view DiceModelName(DiceModel model) {
  switch (model) {
    case DiceModel::kNoScores:
      return "no scores";
    case DiceModel::kMixture:
      return "mixture";
    case DiceModel::kMatchesOnly:
      return "matches only";
    case DiceModel::kNoMatches:
      return "no matches";
    case DiceModel::kLookAlikes:
      return "look-alikes";
  }
  return "unknown";
}

absl::StatusOr<DiceDecision> DecideDiceThreshold(const DiceScores& in) {
  if (absl::Status st = Validate(in); !st.ok()) return st;
  if (in.look_alike_records > 0) {
    for (std::size_t i = 0; i < in.scores.size(); ++i) {
      if (absl::Status st = CheckScore(in.scores, i, in.floor); !st.ok()) return st;
    }
    return DecideByLookAlikes(in);
  }
  const double floor = in.floor;
  const std::span<const float> scores = in.scores;
  const std::string resolved = in.one_to_one ? "one-to-one resolved" : "candidate";

  // Pass 1: check every score, count the atom, and a fine histogram to place the window.
  std::vector<std::uint64_t> fine(kFineBins, 0);
  std::uint64_t atom_count = 0;
  const double fine_scale = kFineBins / (1.0 - floor);
  // Scores are single precision: a candidate whose Dice reaches the floor has a float score at
  // least the floor rounded to float (rounding is monotonic), so the check is in float.
  const auto float_floor = static_cast<float>(floor);
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const float v = scores[i];
    if (!(v >= float_floor && v <= 1.0f)) return CheckScore(scores, i, floor);
    if (v == 1.0f) {
      ++atom_count;
      continue;
    }
    const auto k = static_cast<int>((static_cast<double>(v) - floor) * fine_scale);
    ++fine[std::min(std::max(k, 0), kFineBins - 1)];
  }

  DiceDecision out;
  out.window_start = floor;
  if (scores.empty()) {
    out.reason = "no scores: nothing to accept";
    return out;
  }
  const double atom = static_cast<double>(atom_count);
  const auto limit = static_cast<std::uint64_t>(kWindowScoresPerRecord *
                                                static_cast<double>(in.records_a + in.records_b));
  double lo = floor;
  std::uint64_t in_window = atom_count;
  for (int k = kFineBins - 1; k >= 0; --k) {
    if (in_window + fine[k] > limit && in_window > 0) {
      lo = floor + (k + 1) / fine_scale;
      break;
    }
    in_window += fine[k];
  }
  lo = std::min(lo, 1.0 - 1e-3);
  // The band below the window over which the match component's tail is extrapolated: down to
  // where a window twice as large would start (never below the floor).
  double extrapolate_to = floor;
  {
    const std::uint64_t wide_limit = 2 * limit;
    std::uint64_t wide = atom_count;
    for (int k = kFineBins - 1; k >= 0; --k) {
      if (wide + fine[k] > wide_limit && wide > 0) {
        extrapolate_to = std::max(floor, floor + (k + 1) / fine_scale);
        break;
      }
      wide += fine[k];
    }
    extrapolate_to = std::min(extrapolate_to, lo);
  }
  const std::uint64_t below_window = scores.size() - in_window;

  // The grid.
  Grid g;
  g.lo = lo;
  g.width = (1.0 - lo) / kBins;
  const int bins = kBins;
  g.x.resize(bins);
  g.z.resize(bins);
  g.z2.resize(bins);
  g.yc.resize(bins);
  g.yc2.resize(bins);
  g.base_m.resize(bins);
  g.zero.assign(bins, 0.0);
  g.z01.resize(bins);
  g.dz_lo.resize(bins);
  g.dz_hi.resize(bins);
  g.dz_max.resize(bins);
  std::vector<double> y(bins);
  double ysum = 0.0;
  for (int b = 0; b < bins; ++b) {
    g.x[b] = lo + (b + 0.5) * g.width;
    g.z[b] = (g.x[b] - 0.5 * (lo + 1.0)) / (0.5 * (1.0 - lo));
    g.z2[b] = g.z[b] * g.z[b];
    g.z01[b] = (b + 0.5) / bins;
    y[b] = std::log(1.0 - g.x[b] + 0.5 * g.width);
    ysum += y[b];
    g.base_m[b] = -y[b];
    g.dz_lo[b] = (g.z[b] + 1.0) * (g.z[b] + 1.0);
    g.dz_hi[b] = (g.z[b] - 1.0) * (g.z[b] - 1.0);
  }
  g.y_mean = ysum / bins;
  double yvar = 0.0;
  for (int b = 0; b < bins; ++b) yvar += (y[b] - g.y_mean) * (y[b] - g.y_mean);
  g.y_sd = std::sqrt(yvar / bins);
  for (int b = 0; b < bins; ++b) {
    g.yc[b] = (y[b] - g.y_mean) / g.y_sd;
    g.yc2[b] = g.yc[b] * g.yc[b];
  }

  // Pass 2: the window's histogram.
  std::vector<double> counts(bins, 0.0);
  const double inv_width = 1.0 / g.width;
  // With the window at the floor every score is in it (a float score may sit a rounding error
  // below the floor in double precision: it goes to the first bin).
  const bool whole = lo == floor;
  for (const float v : scores) {
    const double d = v;
    if (v == 1.0f || (!whole && d < lo)) continue;
    const auto k = static_cast<int>((d - lo) * inv_width);
    counts[std::min(std::max(k, 0), bins - 1)] += 1.0;
  }
  double continuous = 0.0;
  for (double c : counts) continuous += c;
  out.window_start = lo;
  out.window_scores = static_cast<std::uint64_t>(continuous) + atom_count;

  // The random sample: quantiles of its body for the one-to-one non-match centre, and its counts
  // at or above each bin's lower edge for the support check.
  const bool dedup = static_cast<long double>(in.comparison_pairs) <
                     static_cast<long double>(in.records_a) * in.records_b;
  const double competitors = dedup ? static_cast<double>(in.records_a) - 1.0
                                   : static_cast<double>(std::max(in.records_a, in.records_b));
  const std::size_t m = in.random_scores.size();
  std::vector<double> random_at_or_above(bins + 1, 0.0);
  bool have_body = false;
  double body_mean = 0.0, body_sd = 0.0;
  if (m > 0) {
    std::vector<std::uint64_t> rh(kRandomBins, 0);
    for (const float v : in.random_scores) {
      const auto k = static_cast<int>(static_cast<double>(v) * kRandomBins);
      ++rh[std::min(k, kRandomBins - 1)];
      const double d = v;
      if (d >= lo) {
        const int b =
            v == 1.0f ? bins - 1 : std::min(static_cast<int>((d - lo) * inv_width), bins - 1);
        random_at_or_above[b] += 1.0;
      }
    }
    for (int b = bins - 1; b >= 0; --b) random_at_or_above[b] += random_at_or_above[b + 1];
    if (m >= 100) {
      // Least squares of the quantiles at p = 0.50, 0.51, ..., 0.99 on the normal quantiles.
      std::vector<double> cum(kRandomBins + 1, 0.0);
      for (int k = 0; k < kRandomBins; ++k) cum[k + 1] = cum[k] + static_cast<double>(rh[k]);
      double sz = 0.0, sq = 0.0, szz = 0.0, szq = 0.0;
      int count = 0;
      int k = 0;
      for (int i = 0; i < 50; ++i) {
        const double p = 0.5 + 0.01 * i;
        const double target = p * static_cast<double>(m);
        while (k < kRandomBins - 1 && cum[k + 1] < target) ++k;
        const double inside = rh[k] > 0 ? (target - cum[k]) / static_cast<double>(rh[k]) : 0.5;
        const double q = (k + std::clamp(inside, 0.0, 1.0)) / kRandomBins;
        const double zq = NormalQuantile(p);
        sz += zq;
        sq += q;
        szz += zq * zq;
        szq += zq * q;
        ++count;
      }
      const double denom = count * szz - sz * sz;
      if (denom > 0.0) {
        body_sd = std::max((count * szq - sz * sq) / denom, 1e-6);
        body_mean = (sq - body_sd * sz) / count;
        have_body = true;
      }
    }
  }

  Scratch scratch(bins);
  NonMatchFitter nm{&g, in.one_to_one ? NonMatchShape::kBump : NonMatchShape::kNonIncreasing};
  std::vector<double> fitter_scratch(bins);
  nm.e = fitter_scratch.data();
  if (in.one_to_one && have_body) {
    const double expected_best =
        body_mean + body_sd * NormalQuantile(1.0 - std::log(2.0) / std::max(competitors, 2.0));
    nm.has_centre_max = true;
    nm.centre_max = (expected_best + 2.0 * body_sd - 0.5 * (lo + 1.0)) / (0.5 * (1.0 - lo));
    for (int b = 0; b < bins; ++b)
      g.dz_max[b] = (g.z[b] - nm.centre_max) * (g.z[b] - nm.centre_max);
  }

  // Candidate models. A mixture's match component must lie at least 1.5 standard deviations of
  // the random pairs above its non-match component.
  const double min_separation = have_body ? 1.5 * body_sd : 0.0;
  std::vector<FitResult> fits;
  if (continuous > 0.0) {
    const int max_components = in.one_to_one ? 1 : 2;
    for (int c = 1; c <= max_components; ++c) {
      for (double start : kStarts) {
        FitResult f = RunEm(g, counts, atom, nm, FitKind::kMixture, c, start, scratch);
        // "Matches" that are not clearly above the non-matches are one population split in two.
        if (f.m_mean - f.u_mean < min_separation) continue;
        fits.push_back(std::move(f));
      }
    }
    if (in.one_to_one) {
      fits.push_back(RunEm(g, counts, atom, nm, FitKind::kMatchesOnly, 1, 0.5, scratch));
    }
    if (atom_count == 0) {
      for (int c = 1; c <= max_components; ++c) {
        fits.push_back(RunEm(g, counts, atom, nm, FitKind::kNonMatchesOnly, c, 0.5, scratch));
      }
    }
  }
  std::stable_sort(fits.begin(), fits.end(),
                   [](const FitResult& a, const FitResult& b) { return a.bic < b.bic; });

  // The support check (one-to-one with a random sample): real matches are nearly all of the
  // pairs that score as high as they do; a best look-alike is one of many such pairs.
  const FitResult* chosen = nullptr;
  std::string refusal;
  for (const FitResult& f : fits) {
    if (f.kind == FitKind::kNonMatchesOnly || !in.one_to_one || m == 0) {
      chosen = &f;
      break;
    }
    double claimed = atom;
    for (int b = 0; b < bins; ++b) claimed += counts[b] * f.r[b];
    if (!(claimed > 0.0)) {
      chosen = &f;
      break;
    }
    int quartile = bins - 1;
    double run = 0.0;
    for (int b = 0; b < bins; ++b) {
      run += counts[b] * f.r[b];
      if (run >= 0.25 * claimed) {
        quartile = b;
        break;
      }
    }
    double pairs_here = atom;
    for (int b = quartile; b < bins; ++b) pairs_here += counts[b];
    const double k = random_at_or_above[quartile];
    const double all_pairs_low = static_cast<double>(in.comparison_pairs) *
                                 std::max(k - 2.0 * std::sqrt(k), 0.0) / static_cast<double>(m);
    if (pairs_here >= kSupportShare * all_pairs_low) {
      chosen = &f;
      break;
    }
    if (refusal.empty()) {
      refusal = StrCat("the ", Count(pairs_here), " ", resolved,
                       " pairs scoring >= ", Fixed(lo + quartile * g.width, 4),
                       " are few beside the ", Count(all_pairs_low),
                       "+ pairs of the comparison space that score as much (random sample): best "
                       "look-alikes, not matches");
    }
  }

  // The decision.
  std::vector<double> r(bins, 0.0);
  double matches_below = 0.0;
  if (chosen != nullptr && chosen->kind != FitKind::kNonMatchesOnly) {
    r = MonotonePosterior(chosen->r, counts);
    if (lo > floor && below_window > 0) {
      const Family mfam{g.yc.data(), g.yc2.data(), g.base_m.data()};
      double mx = -std::numeric_limits<double>::infinity();
      for (int b = 0; b < bins; ++b) mx = std::max(mx, Exponent(mfam, chosen->m, b));
      const auto extension = static_cast<int>(std::ceil((lo - extrapolate_to) / g.width));
      std::vector<double> e_out(extension);
      for (int j = 0; j < extension; ++j) {
        const double xe = lo - (j + 0.5) * g.width;
        const double ye = std::log(1.0 - xe + 0.5 * g.width);
        const double yc = (ye - g.y_mean) / g.y_sd;
        e_out[j] = chosen->m.t[0] * yc + chosen->m.t[1] * yc * yc - ye;
        mx = std::max(mx, e_out[j]);
      }
      double inside = 0.0, outside = 0.0;
      for (int b = 0; b < bins; ++b) inside += std::exp(Exponent(mfam, chosen->m, b) - mx);
      for (double e : e_out) outside += std::exp(e - mx);
      matches_below =
          std::min(outside / inside * chosen->m_continuous, static_cast<double>(below_window));
    }
  }
  const Choice c = ChooseThreshold(counts, r, atom, matches_below);
  out.threshold = c.bin >= 0 ? lo + c.bin * g.width : 1.0;
  if (c.bin == 0 && lo == floor) out.threshold = floor;
  out.expected_matches = c.matches;
  out.expected_false_matches = c.fp;
  out.expected_missed_matches = c.fn;
  out.precision = c.tp + c.fp > 0.0 ? c.tp / (c.tp + c.fp) : 1.0;
  out.recall = c.matches > 0.0 ? c.tp / c.matches : 1.0;
  const double denom = 2.0 * c.tp + c.fp + c.fn;
  out.f1 = denom > 0.0 ? 2.0 * c.tp / denom : 1.0;

  // Pass 3: the exact number accepted.
  std::uint64_t accepted = 0;
  for (const float v : scores) accepted += static_cast<double>(v) >= out.threshold ? 1 : 0;
  out.accepted = accepted;

  // Equal odds, for comparison.
  if (chosen != nullptr && chosen->kind != FitKind::kNonMatchesOnly) {
    int k = c.bin >= 0 ? c.bin : bins - 1;
    if (r[k] >= 0.5) {
      while (k > 0 && r[k - 1] >= 0.5) --k;
      out.equal_odds_threshold = lo + k * g.width;
    } else {
      while (k < bins - 1 && r[k] < 0.5) ++k;
      out.equal_odds_threshold = r[k] >= 0.5 ? lo + k * g.width : 1.0;
    }
  }

  // The model and the reason.
  const std::string window =
      StrCat(Thousands(out.window_scores), " highest of ", Thousands(scores.size()), " ", resolved,
             " scores (Dice >= ", Fixed(lo, 4), ")");
  const std::string decision = StrCat(
      "threshold ", Fixed(out.threshold, 4), " maximises the expected F1 (", Fixed(out.f1, 4), ": ",
      Count(c.fp), " false and ", Count(c.fn), " missed matches expected)");
  if (chosen == nullptr && fits.empty()) {
    out.model = DiceModel::kNoMatches;
    out.reason = StrCat("all ", Thousands(scores.size()), " ", resolved,
                        " scores are exactly 1 or below the window: only Dice 1 accepted");
    if (atom_count > 0 && continuous == 0.0) {
      out.model = DiceModel::kMatchesOnly;
      out.reason = StrCat("all ", Thousands(atom_count),
                          " scores in the window are exactly 1 (identical CLKs): accepted");
    }
  } else if (chosen == nullptr) {
    out.model = DiceModel::kNoMatches;
    out.reason =
        StrCat("match component refused: ", refusal, "; only scores of exactly 1 accepted");
  } else if (chosen->kind == FitKind::kNonMatchesOnly) {
    out.model = DiceModel::kNoMatches;
    out.reason = StrCat("no match component: non-matches alone explain the ", window,
                        " best (BIC); only scores of exactly 1 accepted");
  } else if (chosen->kind == FitKind::kMatchesOnly) {
    out.model = DiceModel::kMatchesOnly;
    out.reason = StrCat("matches alone explain the ", window,
                        " best (BIC): every record has its partner; ", decision);
  } else {
    out.model = DiceModel::kMixture;
    out.reason = StrCat(
        "two-component mixture fitted to the ", window, ": ", Count(c.matches),
        " matches (normal in log(1 - Dice)",
        atom_count > 0 ? StrCat(", ", Thousands(atom_count), " at exactly 1") : std::string(),
        ") and ", Count(static_cast<double>(out.window_scores) - c.matches + matches_below),
        " non-matches (", chosen->components,
        chosen->components == 1 ? " normal component" : " normal components", "); ", decision);
  }
  return out;
}

}  // namespace bloomlink::score
