"""Fellegi-Sunter quality on FEBRL4 (two files) and FEBRL3 (deduplication), without labels,
beside the best F1 any single CLK Dice threshold reaches with hindsight.

    build/venv/bin/python bench/fs_quality.py

Encodes ../shared/data/febrl with examples/schemas/febrl_fs.json (CLKs plus field-level
filters), then, for each candidate threshold in CANDIDATE_THRESHOLDS:
  fs:        bloomlink.link(method="fs") with its defaults (decision: match probability >= 0.5,
             u by EM, no labels), once with u from a random sample of pairs; FEBRL4 both resolved
             one-to-one (greedy) and not; FEBRL3 keeps every pair (deduplication).
  hindsight: every CLK Dice threshold from 0.50 to 0.99 in steps of 0.005, scored against the
             truth, the best F1 kept; for FEBRL4 both with and without greedy one-to-one.

The hindsight sweep links once at the loosest threshold and cuts the result at each threshold:
greedy one-to-one takes pairs in descending score order, so its result at threshold t is its
result at a lower threshold restricted to the pairs scoring at least t.
"""
import os
import re
import sys
import time

import numpy as np

import bloomlink

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data", "febrl")
SCHEMA = os.path.join(ROOT, "examples", "schemas", "febrl_fs.json")
SECRET = b"fs quality benchmark secret, not for real data"
REGEX = r"^rec-(\d+)-"
CANDIDATE_THRESHOLDS = (0.6, 0.5)
U_LABEL = {False: "u by EM", True: "u from a random sample"}


def encode(name):
    return bloomlink.encode(os.path.join(DATA, name), SCHEMA, secret=SECRET, id_column="rec_id",
                            skip_initial_space=True)


def entity_keys(dataset):
    pattern = re.compile(REGEX)
    return np.array([int(pattern.search(i).group(1)) for i in dataset.ids], dtype=np.int64)


def hindsight(a, b, one_to_one, true_pairs):
    """(best F1, threshold, precision, recall) over CLK Dice thresholds."""
    linkage = bloomlink.link(a, b, threshold=0.5, one_to_one=one_to_one)
    keys_a = entity_keys(a)
    keys_b = keys_a if b is None else entity_keys(b)
    is_true = keys_a[linkage.left] == keys_b[linkage.right]
    score = linkage.score
    best = (0.0, None, 0.0, 0.0)
    for t in np.arange(0.50, 0.9901, 0.005):
        t = round(float(t), 3)
        kept = score >= np.float32(t)
        predicted = int(kept.sum())
        tp = int((kept & is_true).sum())
        precision = tp / predicted if predicted else 1.0
        recall = tp / true_pairs
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        if f1 > best[0]:
            best = (f1, t, precision, recall)
    return best


def row(label, precision, recall, f1, notes):
    print(f"| {label} | {precision:.4f} | {recall:.4f} | {f1:.4f} | {notes} |", flush=True)


def fs_rows(label, a, b, threshold, one_to_one=None):
    for u_from_sample in (False, True):
        start = time.perf_counter()
        linkage = bloomlink.link(a, b, threshold=threshold, method="fs", one_to_one=one_to_one,
                                 u_from_sample=u_from_sample)
        seconds = time.perf_counter() - start
        m = bloomlink.evaluate(linkage, truth_regex=REGEX)
        row(f"{label}, Fellegi-Sunter, {U_LABEL[u_from_sample]}", m.precision, m.recall, m.f1,
            f"candidates Dice >= {threshold}: {linkage.stats['candidates']:,}; "
            f"lambda {linkage.model.lambda_:.4f}; {linkage.model.training['iterations']} EM "
            f"iterations; {m.false_positives} FP, {m.false_negatives} FN; {seconds:.1f} s")
    return m.true_pairs


def main():
    if not os.path.isdir(DATA):
        sys.exit(f"FEBRL data not found at {DATA}")
    a, b, dedup = encode("dataset4a.csv"), encode("dataset4b.csv"), encode("dataset3.csv")
    print(f"kernel {bloomlink.kernel()}")
    print("| data, method | precision | recall | F1 | notes |")
    print("|---|---|---|---|---|")
    for threshold in CANDIDATE_THRESHOLDS:
        true4 = fs_rows("FEBRL4 (greedy)", a, b, threshold, "greedy")
        fs_rows("FEBRL4 (no one-to-one)", a, b, threshold, "none")
        true3 = fs_rows("FEBRL3 dedup", dedup, None, threshold)
    for label, x, y, one_to_one, true_pairs in (
            ("FEBRL4, CLK threshold + greedy", a, b, "greedy", true4),
            ("FEBRL4, CLK threshold alone", a, b, "none", true4),
            ("FEBRL3 dedup, CLK threshold", dedup, None, "none", true3)):
        f1, t, precision, recall = hindsight(x, y, one_to_one, true_pairs)
        row(f"{label} (best with hindsight)", precision, recall, f1, f"threshold {t}")


if __name__ == "__main__":
    main()
