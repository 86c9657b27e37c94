"""Label-free Dice decision (score::DecideDiceThreshold, issue 11 part 3) on every labelled set,
CLK only, beside the best F1 any single Dice threshold reaches with hindsight.

    build/venv/bin/python bench/dice_decision_quality.py [--quick]

Each set is encoded without field-level filters (the clkhash/anonlink case): FEBRL with
bench/schemas/febrl_clk.json (examples/schemas/febrl_fs.json without its filters), multiparty5
with bench/schemas/multiparty5_clk.json, splink-fake1000 with bench/schemas/fake1000_clk.json,
`bloomlink synth` extracts with the starter schema (examples/schemas/starter.json). Data from
../shared/data (the workspace's shared folder).

For each set, without labels:
  random pairs: the Dice of 200,000 pairs drawn at random from the comparison space (numpy, fixed
           seed; two different records within one dataset);
  greedy:  two datasets only: candidates at Dice >= 0.5, greedy one-to-one; the decision sees the
           resolved scores (greedy at threshold t is greedy at 0.5 restricted to scores >= t);
  none:    every candidate at or above a floor chosen from the random pairs: the Dice that about
           20 x max(|A|, |B|) random pairs of the space reach (their 1 - 20 max(|A|,|B|) / N
           quantile), at least 0.5.
The labels are used only to score: F1 at the chosen threshold against every true pair (those
below the floor, or lost to a better-scoring wrong pair by greedy, count as missed), the best F1
over every cut of the same scores (hindsight), and F1 at the threshold where the fitted posterior
is 0.5 and at the fixed Dice 0.8 (for comparison). "est. F1" is the decision's own estimate. Truth: FEBRL, the number in
rec-<N>-; multiparty5, equal id; fake1000, the same cluster; synth, its truth file. The last rows
are controls without labels' help: sets with no true pair (F1 undefined; what matters is how much
is accepted) and one where every record has its partner.

--quick runs only FEBRL4, multiparty5 1-2, fake1000 and the synth sets (for a check after a
change). --floors instead shows how the decision depends on the floor: FEBRL3, FEBRL4,
multiparty5 1-2, fake1000 and the realistic synth set, linked once at Dice >= 0.5 and decided on
the scores at or above 0.5, 0.6 and 0.7 (greedy at a higher floor is greedy at 0.5 cut there).
"""
import csv
import os
import re
import sys
import time
import warnings

import numpy as np

import bloomlink
from bloomlink import _core

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared", "data")
SCHEMAS = os.path.join(ROOT, "bench", "schemas")
STARTER = os.path.join(ROOT, "examples", "schemas", "starter.json")
SECRET = b"dice decision quality benchmark secret, not for real data"
RANDOM_PAIRS = 200_000
GREEDY_FLOOR = 0.5
RANDOM_CANDIDATES_PER_RECORD = 20
POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint16)


def encode(data, schema, id_column, **kw):
    return bloomlink.encode(data, schema, secret=SECRET, id_column=id_column, **kw)


def random_dice(a, b, n, seed):
    """Dice of n random pairs of a x b (b None: two different records of a)."""
    rng = np.random.default_rng(seed)
    dedup = b is None
    bits_a, pop_a = a.bits, a.popcounts.astype(np.float64)
    bits_b, pop_b = (bits_a, pop_a) if dedup else (b.bits, b.popcounts.astype(np.float64))
    i = rng.integers(0, len(pop_a), n)
    j = rng.integers(0, len(pop_b), n)
    if dedup:
        j = np.where(j == i, (j + 1 + rng.integers(0, len(pop_a) - 1, n)) % len(pop_a), j)
    out = np.empty(n, dtype=np.float64)
    for s in range(0, n, 50_000):
        e = min(s + 50_000, n)
        common = POPCOUNT[bits_a[i[s:e]] & bits_b[j[s:e]]].sum(axis=1).astype(np.float64)
        total = pop_a[i[s:e]] + pop_b[j[s:e]]
        out[s:e] = np.where(total > 0, 2.0 * common / np.maximum(total, 1.0), 0.0)
    return out.astype(np.float32)


def count_true_pairs(keys_a, keys_b):
    """True pairs of the comparison space (keys_b None: within a)."""
    if keys_b is None:
        _, c = np.unique(keys_a, return_counts=True)
        return int((c * (c - 1) // 2).sum())
    ua, ca = np.unique(keys_a, return_counts=True)
    ub, cb = np.unique(keys_b, return_counts=True)
    _, ia, ib = np.intersect1d(ua, ub, return_indices=True)
    return int((ca[ia] * cb[ib]).sum())


def f1_at(score, is_true, true_pairs, threshold):
    kept = score >= threshold
    tp = int((kept & is_true).sum())
    return 2.0 * tp / (int(kept.sum()) + true_pairs) if tp else 0.0


def hindsight(score, is_true, true_pairs):
    """(best F1 over every cut of the scores, the cut)."""
    if len(score) == 0 or true_pairs == 0:
        return 0.0, 1.0
    order = np.argsort(-score, kind="stable")
    s, t = score[order], is_true[order]
    f1 = 2.0 * np.cumsum(t) / (np.arange(1, len(s) + 1) + true_pairs)
    f1[:-1][s[1:] == s[:-1]] = -1.0  # only cut between different scores
    k = int(np.argmax(f1))
    return float(f1[k]), float(s[k])


def evaluate(name, a, b, keys_a, keys_b, rows):
    dedup = b is None
    na = len(a)
    nb = na if dedup else len(b)
    space = na * (na - 1) // 2 if dedup else na * nb
    true_pairs = count_true_pairs(keys_a, keys_b)
    sample = random_dice(a, b, RANDOM_PAIRS, seed=11)
    quantile = 1.0 - RANDOM_CANDIDATES_PER_RECORD * max(na, nb) / space
    none_floor = max(0.5, round(float(np.quantile(sample, quantile)), 4)) if quantile > 0 else 0.5
    resolutions = [("none", none_floor)] if dedup else [("greedy", GREEDY_FLOOR),
                                                         ("none", none_floor)]
    for resolution, floor in resolutions:
        linkage = bloomlink.link(a, b, threshold=floor, one_to_one=resolution)
        score = np.asarray(linkage.score, dtype=np.float32)
        kb = keys_a if dedup else keys_b
        is_true = keys_a[linkage.left] == kb[linkage.right]
        start = time.perf_counter()
        d = _core.decide_dice_threshold(score, floor, sample, space, na, nb,
                                        resolution != "none")
        seconds = time.perf_counter() - start
        s64 = score.astype(np.float64)
        row = dict(set=name, resolution=resolution, floor=floor, scores=len(score),
                   true_pairs=true_pairs, threshold=d["threshold"], model=d["model"],
                   accepted=d["accepted"], est_matches=d["expected_matches"], est_f1=d["f1"],
                   seconds=seconds, reason=d["reason"])
        if true_pairs:
            row["f1"] = f1_at(s64, is_true, true_pairs, d["threshold"])
            row["best_f1"], row["best_at"] = hindsight(s64, is_true, true_pairs)
            row["f1_equal_odds"] = f1_at(s64, is_true, true_pairs, d["equal_odds_threshold"])
            row["f1_at_08"] = f1_at(s64, is_true, true_pairs, 0.8)
        print_row(row)
        rows.append(row)


def print_row(r):
    if r["true_pairs"]:
        print(f"| {r['set']} | {r['resolution']} | {r['floor']:.3f} | {r['scores']:,} | "
              f"{r['threshold']:.4f} | **{r['f1']:.4f}** | {r['best_f1']:.4f} "
              f"({r['best_at']:.3f}) | {r['f1'] - r['best_f1']:+.4f} | {r['est_f1']:.4f} | "
              f"{r['est_f1'] - r['f1']:+.4f} | {r['f1_equal_odds']:.4f} | {r['f1_at_08']:.4f} | "
              f"{r['model']} |", flush=True)
    else:
        print(f"| {r['set']} | {r['resolution']} | {r['floor']:.3f} | {r['scores']:,} | "
              f"{r['threshold']:.4f} | {r['accepted']:,} accepted, no true pair | | | "
              f"{r['est_matches']:.0f} matches est. | | | | {r['model']} |", flush=True)


def febrl(quick):
    folder = os.path.join(SHARED, "febrl")
    schema = os.path.join(SCHEMAS, "febrl_clk.json")
    pattern = re.compile(r"^rec-(\d+)-")

    def load(file):
        d = encode(os.path.join(folder, file), schema, "rec_id", skip_initial_space=True)
        return d, np.array([int(pattern.search(i).group(1)) for i in d.ids])

    if not quick:
        for k in (1, 2, 3):
            d, keys = load(f"dataset{k}.csv")
            yield f"FEBRL{k} (dedup)", d, None, keys, None
    a, ka = load("dataset4a.csv")
    b, kb = load("dataset4b.csv")
    yield "FEBRL4", a, b, ka, kb


def multiparty5(quick):
    folder = os.path.join(SHARED, "multiparty5")
    schema = os.path.join(SCHEMAS, "multiparty5_clk.json")
    data = {}
    pairs = [(1, 2)] if quick else [(x, y) for x in range(1, 6) for y in range(x + 1, 6)]
    for x, y in pairs:
        for k in (x, y):
            if k not in data:
                d = encode(os.path.join(folder, f"dataset-{k}.csv"), schema, "id")
                data[k] = (d, np.array([int(i) for i in d.ids]))
        yield f"multiparty5 {x}-{y}", data[x][0], data[y][0], data[x][1], data[y][1]


def fake1000(quick):
    path = os.path.join(SHARED, "splink-fake1000", "fake_1000.csv")
    with open(path, newline="", encoding="utf-8") as f:
        cluster = {r["unique_id"]: int(r["cluster"]) for r in csv.DictReader(f)}
    d = encode(path, os.path.join(SCHEMAS, "fake1000_clk.json"), "unique_id")
    yield "splink fake1000 (dedup)", d, None, np.array([cluster[i] for i in d.ids]), None


def synth_sets(quick):
    variants = [("synth realistic", 0.6, 1.0), ("synth low overlap 0.2", 0.2, 1.0),
                ("synth high corruption 3.0", 0.6, 3.0)]
    for name, overlap, corruption in variants:
        yield synth_pair(name, overlap, corruption)


def synth_pair(name, overlap, corruption):
    s = bloomlink.synth(5000, seed=1, overlap=overlap, corruption=corruption)
    a, b = encode(s.trust, STARTER, "id"), encode(s.council, STARTER, "id")
    person = {x: k for k, x in enumerate(s.truth["id_a"])}
    council_to_trust = dict(zip(s.truth["id_b"], s.truth["id_a"]))
    ka = np.array([person.get(x, -1 - k) for k, x in enumerate(a.ids)])
    kb = np.array([person[council_to_trust[x]] if x in council_to_trust else -10**9 - k
                   for k, x in enumerate(b.ids)])
    return name, a, b, ka, kb


def controls(quick):
    # FEBRL4 with no true pair: originals 0-2499 of 4a against duplicates 2500-4999 of 4b.
    folder = os.path.join(SHARED, "febrl")
    schema = os.path.join(SCHEMAS, "febrl_clk.json")
    pattern = re.compile(r"^rec-(\d+)-")
    halves = []
    for file, keep in (("dataset4a.csv", lambda n: n < 2500), ("dataset4b.csv", lambda n: n >= 2500)):
        d = encode(os.path.join(folder, file), schema, "rec_id", skip_initial_space=True)
        keys = np.array([int(pattern.search(i).group(1)) for i in d.ids])
        rows = np.where([keep(k) for k in keys])[0]
        sub = bloomlink.EncodedDataset.from_bits([d.ids[i] for i in rows],
                                                 np.ascontiguousarray(d.bits[rows]))
        halves.append((sub, keys[rows]))
    yield "control: FEBRL4 halves, no overlap", halves[0][0], halves[1][0], halves[0][1], \
        halves[1][1]
    yield synth_pair("control: synth, no overlap", 0.0, 1.0)
    yield synth_pair("control: synth, every record matched", 1.0, 1.0)


def floor_sweep():
    print("| set | resolution | floor | scores | threshold | F1 | best F1 | est. F1 | est. - F1 | "
          "decision time |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    wanted = {"FEBRL3 (dedup)", "FEBRL4", "multiparty5 1-2", "splink fake1000 (dedup)",
              "synth realistic"}
    sources = (febrl(False), multiparty5(True), fake1000(False), synth_sets(False))
    for name, a, b, ka, kb in (x for source in sources for x in source):
        if name not in wanted:
            continue
        dedup = b is None
        na = len(a)
        nb = na if dedup else len(b)
        space = na * (na - 1) // 2 if dedup else na * nb
        true_pairs = count_true_pairs(ka, kb)
        sample = random_dice(a, b, RANDOM_PAIRS, seed=11)
        for resolution in (("none",) if dedup else ("greedy", "none")):
            linkage = bloomlink.link(a, b, threshold=0.5, one_to_one=resolution)
            all_scores = np.asarray(linkage.score, dtype=np.float32)
            all_true = ka[linkage.left] == (ka if dedup else kb)[linkage.right]
            del linkage
            for floor in (0.5, 0.6, 0.7):
                kept = all_scores >= np.float32(floor)
                score, is_true = all_scores[kept], all_true[kept]
                start = time.perf_counter()
                d = _core.decide_dice_threshold(score, floor, sample, space, na, nb,
                                                resolution != "none")
                seconds = time.perf_counter() - start
                s64 = score.astype(np.float64)
                f1 = f1_at(s64, is_true, true_pairs, d["threshold"])
                best, _ = hindsight(s64, is_true, true_pairs)
                print(f"| {name} | {resolution} | {floor:.1f} | {len(score):,} | "
                      f"{d['threshold']:.4f} | {f1:.4f} | {best:.4f} | {d['f1']:.4f} | "
                      f"{d['f1'] - f1:+.4f} | {seconds * 1000:.0f} ms |", flush=True)


def main():
    quick = "--quick" in sys.argv
    # The no-overlap control is made with EncodedDataset.from_bits, which records no schema
    # fingerprint: link() warns that it cannot check the schemas. Expected here.
    warnings.simplefilter("ignore", UserWarning)
    if not os.path.isdir(SHARED):
        sys.exit(f"shared data not found at {SHARED}")
    print(f"kernel {bloomlink.kernel()}; {RANDOM_PAIRS:,} random pairs per set")
    if "--floors" in sys.argv:
        floor_sweep()
        return
    print("| set | resolution | floor | scores | threshold | F1 | best F1 (at) | F1 - best | "
          "est. F1 | est. - F1 | F1 at posterior 0.5 | F1 at 0.8 | model |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for source in (febrl, multiparty5, fake1000, synth_sets, controls):
        for name, a, b, ka, kb in source(quick):
            evaluate(name, a, b, ka, kb, rows)
    scored = [r for r in rows if r["true_pairs"]]
    gap = np.array([r["f1"] - r["best_f1"] for r in scored])
    err = np.array([r["est_f1"] - r["f1"] for r in scored])
    print()
    print(f"{len(scored)} labelled rows: F1 - best F1 mean {gap.mean():+.4f}, worst {gap.min():+.4f}; "
          f"|est. F1 - F1| mean {np.abs(err).mean():.4f}, worst {np.abs(err).max():.4f}, "
          f"within 0.02 in {(np.abs(err) <= 0.02).sum()} of {len(err)}; "
          f"slowest decision {max(r['seconds'] for r in rows) * 1000:.0f} ms")
    if "-v" in sys.argv:
        for r in rows:
            print(f"{r['set']} ({r['resolution']}): {r['reason']}")


if __name__ == "__main__":
    main()
