"""The quality lab (issue 11): every labelled set the project has, linked without labels.

    bench/quality [--sets NAME ...] [--list]

(bench/quality runs this file with the package installed in build/venv.) For each set, the data
is encoded twice with a fixed benchmark secret: with its schema in bench/quality_schemas/ (CLKs
plus a field-level filter on every field, so Fellegi-Sunter can run) and with the same schema
without its field filters (CLKs only, the clkhash/anonlink case). FEBRL uses the documented
examples/schemas/febrl_fs.json. Each variant is then linked:

  label-free  bloomlink.link(a, b, **LABEL_FREE[variant]) (link(a, ...) to deduplicate): the
              method never sees a label; measured with bloomlink.evaluate against the truth.
              Two-file sets with the default one-to-one and with one_to_one="none";
              deduplications with their default (none).
  estimated   linkage.estimate.f1 (the linkage's own estimate of its F1, without labels) beside
              the true F1, when the installed bloomlink has it.
  hindsight   the best F1 any single CLK Dice threshold from 0.50 to 0.99 (steps of 0.005)
              reaches, chosen with the labels, with the same one-to-one. Linked once at 0.5 and
              cut at each threshold: greedy one-to-one takes pairs in descending score order, so
              greedy at t is greedy at a lower floor restricted to the pairs scoring >= t.

Sets: FEBRL 1, 2, 3 (deduplication; truth: the N of rec-N-...), FEBRL 4 (4a vs 4b),
multiparty5 (each of the 10 pairs of its 5 files linked on its own; truth: equal id; one row
sums the 10 links' counts), splink-fake1000 (deduplication; truth: equal cluster) and
bloomlink synth variants (truth: its truth file). The data is read from ../shared/data.

Prints a markdown table on stdout and progress on stderr. A link refused for memory (the
library's estimate against its limit) is reported in the table, not raised.
"""
from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import platform
import re
import sys
import time
import warnings
from typing import Optional

import numpy as np
import pandas as pd

import bloomlink

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.normpath(os.path.join(ROOT, "..", "shared", "data"))
SCHEMAS = os.path.join(ROOT, "bench", "quality_schemas")
SECRET = b"bloomlink quality lab benchmark secret, not for real data"

# The "label-free" call's keyword arguments, per encoding variant: what bloomlink.link gets
# besides the datasets (and one_to_one). Empty: link(a, b) with no method and no threshold, the
# label-free defaults of issue 11 (Fellegi-Sunter with an automatic candidate floor when both
# datasets carry field-level filters, else a label-free CLK Dice decision). A bloomlink without
# those defaults refuses the call (link() needs a threshold), which the table reports. The
# stand-in baseline in bench/RESULTS.md ("Quality lab (issue 11, first run)") was measured with
# today's documented recipes instead: {"fs": dict(threshold=0.6, method="fs"),
# "clk": dict(threshold=0.8)}.
LABEL_FREE: dict = {"fs": {}, "clk": {}}

HINDSIGHT_FLOOR = 0.5
HINDSIGHT_THRESHOLDS = np.round(np.arange(0.50, 0.9901, 0.005), 3)

VARIANT_LABEL = {"fs": "CLK + field filters", "clk": "CLK only"}


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -------------------------------------------------------------------------------------------------
# Data: a set is one or more links, each of one source (deduplication) or two.


@dataclasses.dataclass
class Source:
    """Records of one file: a DataFrame (or a CSV path) and each record's entity (the truth)."""

    name: str
    data: object  # DataFrame or CSV path
    id_column: str
    entity: dict  # record id -> entity label
    skip_initial_space: bool = False


@dataclasses.dataclass
class Link:
    a: Source
    b: Optional[Source]  # None: deduplicate a


@dataclasses.dataclass
class DataSet:
    name: str
    schema: dict  # the FS schema (as JSON); the CLK-only variant drops its field filters
    links: list
    note: str = ""


def load_schema(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def clk_only(schema: dict) -> dict:
    """The same schema without field-level filters (same CLK layout; other keys, as the
    fingerprint changes)."""
    out = json.loads(json.dumps(schema))
    for field in out["fields"]:
        field.pop("field_filter", None)
    out["description"] = "CLK-only variant of: " + schema.get("description", "")
    return out


def read_csv(path: str, skip_initial_space: bool = False) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False,
                        skipinitialspace=skip_initial_space)
    if skip_initial_space:
        frame.columns = [c.strip() for c in frame.columns]
        frame = frame.apply(lambda col: col.str.strip())
    return frame


def febrl_source(name: str) -> Source:
    path = os.path.join(DATA, "febrl", name)
    frame = read_csv(path, skip_initial_space=True)
    pattern = re.compile(r"^rec-(\d+)-")
    entity = {i: int(pattern.search(i).group(1)) for i in frame["rec_id"]}
    # Encoded from the file (as bench/fs_quality.py does): the reader's skip_initial_space.
    return Source(name, path, "rec_id", entity, skip_initial_space=True)


def febrl_sets() -> list:
    schema = load_schema(os.path.join(ROOT, "examples", "schemas", "febrl_fs.json"))
    sets = []
    for n in (1, 2, 3):
        sets.append(DataSet(f"FEBRL{n} (dedup)", schema, [Link(febrl_source(f"dataset{n}.csv"),
                                                                None)]))
    sets.append(DataSet("FEBRL4", schema, [Link(febrl_source("dataset4a.csv"),
                                                febrl_source("dataset4b.csv"))]))
    return sets


def multiparty5_set() -> DataSet:
    sources = []
    for i in range(1, 6):
        frame = read_csv(os.path.join(DATA, "multiparty5", f"dataset-{i}.csv"))
        sources.append(Source(f"dataset-{i}", frame, "id", {r: r for r in frame["id"]}))
    links = [Link(x, y) for x, y in itertools.combinations(sources, 2)]
    return DataSet("multiparty5 (10 pairs)", load_schema(os.path.join(SCHEMAS,
                                                                      "multiparty5.json")),
                   links, note="sums of the 10 pairwise links")


def splink_set() -> DataSet:
    frame = read_csv(os.path.join(DATA, "splink-fake1000", "fake_1000.csv"))
    entity = dict(zip(frame["unique_id"], frame["cluster"]))
    source = Source("fake_1000", frame.drop(columns=["cluster"]), "unique_id", entity)
    return DataSet("splink-fake1000 (dedup)",
                   load_schema(os.path.join(SCHEMAS, "splink_fake1000.json")),
                   [Link(source, None)])


# The bloomlink synth variants: name, schema file, bloomlink.synth keywords, a description.
SYNTH_VARIANTS = [
    ("synth realistic", "synth.json", dict(records=5000, seed=101), "defaults"),
    ("synth voter-style", "synth_voter.json",
     dict(records=4000, seed=102, overlap=0.3, exact_share=2 / 3, corruption=0, missing=0,
          field_corruption={"given_name": 0.25, "family_name": 0.25, "postcode": 0.25}),
     "overlap 0.3, 2/3 exact, 1-2 of 3 fields corrupted, no NHS number or date of birth"),
    ("synth heavy corruption", "synth.json",
     dict(records=5000, seed=103, exact_share=0.1, missing=0.1,
          field_corruption={"nhs_number": 0.3, "given_name": 0.4, "family_name": 0.4,
                            "date_of_birth": 0.3, "sex": 0.05, "postcode": 0.5}),
     "10% exact; names 0.4, dob 0.3, postcode 0.5, NHS 0.3; 10% missing"),
    ("synth high missingness", "synth.json", dict(records=5000, seed=104, missing=0.35),
     "35% of every field empty"),
    ("synth dominant field", "synth_no_nhs.json",
     dict(records=5000, seed=105, exact_share=0.4, field_corruption={"date_of_birth": 1.0}),
     "60% of true pairs: date of birth wrong (other fields at the built-in rates); no NHS "
     "number"),
    ("synth no overlap", "synth.json", dict(records=5000, seed=106, overlap=0),
     "no true pairs: claims should be 0"),
]


def synth_sets() -> list:
    sets = []
    for name, schema_file, keywords, note in SYNTH_VARIANTS:
        data = bloomlink.synth(**keywords)
        partner = dict(zip(data.truth["id_b"], data.truth["id_a"]))
        trust = Source("trust", data.trust, "id", {i: i for i in data.trust["id"]})
        council = Source("council", data.council, "id",
                         {i: partner.get(i, i) for i in data.council["id"]})
        sets.append(DataSet(name, load_schema(os.path.join(SCHEMAS, schema_file)),
                            [Link(trust, council)], note=note))
    return sets


SET_BUILDERS: list = [febrl_sets, lambda: [multiparty5_set()], lambda: [splink_set()],
                      synth_sets]


# -------------------------------------------------------------------------------------------------
# Truth


def truth_pairs(link: Link) -> pd.DataFrame:
    """The true pairs (id_a, id_b) among all records of the sources (skipped ones included)."""
    a = pd.DataFrame({"id_a": list(link.a.entity), "e": list(link.a.entity.values())})
    if link.b is None:
        pairs = a.merge(a.rename(columns={"id_a": "id_b"}), on="e")
        # Each unordered pair once: the library's evaluate treats (x, y) and (y, x) alike.
        pairs = pairs[pairs["id_a"] < pairs["id_b"]]
    else:
        b = pd.DataFrame({"id_b": list(link.b.entity), "e": list(link.b.entity.values())})
        pairs = a.merge(b, on="e")
    return pairs[["id_a", "id_b"]].reset_index(drop=True)


def entity_codes(datasets, sources) -> list:
    """For each encoded dataset, an int array: its records' entities, coded alike across both."""
    labels = [[s.entity[i] for i in d.ids] for d, s in zip(datasets, sources)]
    codes, _ = pd.factorize(pd.Series([str(x) for x in itertools.chain(*labels)]))
    out, start = [], 0
    for lab in labels:
        out.append(codes[start:start + len(lab)])
        start += len(lab)
    return out


# -------------------------------------------------------------------------------------------------
# Measuring


@dataclasses.dataclass
class Counts:
    """Summed over a set's links."""

    claimed: int = 0
    tp: int = 0
    true_pairs: int = 0
    est_false: float = 0.0
    est_missed: float = 0.0
    est_f1: Optional[float] = None  # a single link's own estimate.f1
    has_estimate: bool = True
    seconds: float = 0.0
    failure: str = ""
    notes: list = dataclasses.field(default_factory=list)

    def add_metrics(self, m) -> None:
        self.claimed += m.predicted
        self.tp += m.true_positives
        self.true_pairs += m.true_pairs

    @property
    def precision(self) -> float:
        return self.tp / self.claimed if self.claimed else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.true_pairs if self.true_pairs else float("nan")

    @property
    def f1(self) -> float:
        if not self.true_pairs:
            return float("nan")
        return 2 * self.tp / (self.claimed + self.true_pairs)

    def estimated_f1(self, links: int) -> Optional[float]:
        if not self.has_estimate:
            return None
        if links == 1 and self.est_f1 is not None:
            return self.est_f1
        tp = self.claimed - self.est_false
        denominator = self.claimed + tp + self.est_missed
        return 2 * tp / denominator if denominator > 0 else 1.0


def link_call(a, b, **kwargs):
    return bloomlink.link(a, **kwargs) if b is None else bloomlink.link(a, b, **kwargs)


def failure_text(error: BaseException) -> str:
    text = str(error).split("\n")[0]
    return f"{type(error).__name__}: {text[:160]}"


def label_free(encoded, truths, variant: str, one_to_one: Optional[str], links: int) -> Counts:
    counts = Counts()
    runs, warned = [], []
    for (a, b), truth in zip(encoded, truths):
        kwargs = dict(LABEL_FREE[variant])
        if one_to_one is not None:
            kwargs["one_to_one"] = one_to_one
        start = time.perf_counter()
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                linkage = link_call(a, b, **kwargs)
        except (MemoryError, bloomlink.Error, TypeError) as e:
            # TypeError: this bloomlink's link() does not take LABEL_FREE's arguments (before
            # the label-free defaults, link() needs a threshold).
            counts.failure = failure_text(e)
            return counts
        counts.seconds += time.perf_counter() - start
        for w in caught:
            text = str(w.message)
            if not any(re.sub(r"[\d.]+", "#", text) == re.sub(r"[\d.]+", "#", seen)
                       for seen in warned):
                warned.append(text)
        counts.add_metrics(bloomlink.evaluate(linkage, truth))
        estimate = getattr(linkage, "estimate", None)
        if estimate is None:
            counts.has_estimate = False
        else:
            counts.est_false += float(estimate.false_matches)
            counts.est_missed += float(estimate.missed_matches)
            counts.est_f1 = float(estimate.f1) if links == 1 else None
        runs.append(linkage)
    counts.notes.append(describe(runs))
    counts.notes += [f"warning: {w[:120]}{'...' if len(w) > 120 else ''}" for w in warned]
    if counts.has_estimate:
        counts.notes.append(f"estimated false / missed matches {counts.est_false:,.0f} / "
                            f"{counts.est_missed:,.0f} (true {counts.claimed - counts.tp:,} / "
                            f"{counts.true_pairs - counts.tp:,})")
    return counts


def span(values, form) -> str:
    low, high = min(values), max(values)
    return form(low) if form(low) == form(high) else f"{form(low)}–{form(high)}"


def describe(runs) -> str:
    """What the label-free links did, in a few words: candidates, the floor, the FS model's
    lambda and whether EM converged (ranges over a set's links)."""
    parts = [span([r.stats.get("candidates", 0) for r in runs], lambda x: f"{x:,}")
             + " candidates" + (" per link" if len(runs) > 1 else "")]
    thresholds = [r.threshold for r in runs if isinstance(r.threshold, (int, float))]
    if thresholds:
        parts.append("floor " + span(thresholds, lambda x: f"{x:g}"))
    models = [r.model for r in runs if r.model is not None]
    if models:
        parts.append("λ " + span([m.lambda_ for m in models], lambda x: f"{x:.3g}"))
        failed = sum(1 for m in models if m.training.get("converged") is False)
        if failed:
            parts.append("EM not converged" + (f" in {failed} of {len(models)}"
                                               if len(models) > 1 else ""))
    return "; ".join(parts)


def hindsight(encoded, codes, one_to_one: str):
    """(best F1, its threshold, precision, recall) of a single CLK Dice threshold over all the
    set's links, or a failure text."""
    scores, hits = [], []
    true_pairs = 0
    for (a, b), (keys_a, keys_b, n_true) in zip(encoded, codes):
        try:
            linkage = link_call(a, b, threshold=HINDSIGHT_FLOOR, method="dice",
                                one_to_one=one_to_one)
        except (MemoryError, bloomlink.Error) as e:
            return failure_text(e)
        scores.append(np.asarray(linkage.score))
        hits.append(keys_a[linkage.left] == keys_b[linkage.right])
        true_pairs += n_true
    score = np.concatenate(scores) if scores else np.zeros(0, np.float32)
    hit = np.concatenate(hits) if hits else np.zeros(0, bool)
    order = np.argsort(-score, kind="stable")
    score, hit = score[order], hit[order]
    tp_cumulative = np.concatenate([[0], np.cumsum(hit)])
    ascending = score[::-1]
    best = (0.0, None, 1.0, 0.0)
    if not true_pairs:
        return best
    for t in HINDSIGHT_THRESHOLDS:
        claimed = len(ascending) - int(np.searchsorted(ascending, np.float32(t), side="left"))
        tp = int(tp_cumulative[claimed])
        f1 = 2 * tp / (claimed + true_pairs)
        if f1 > best[0]:
            best = (f1, float(t), tp / claimed if claimed else 1.0, tp / true_pairs)
    return best


# -------------------------------------------------------------------------------------------------
# The table


def fmt(x: Optional[float], digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "—"
    return f"{x:.{digits}f}"


HEADER = ("| set | encodings | 1:1 | true pairs | claimed | precision | recall | **F1** | "
          "est. F1 | est. − true | hindsight F1 (t) | F1 − hindsight | time | notes |")


def row_for(data_set: DataSet, variant: str, mode_label: str, counts: Counts, best) -> str:
    cells = [data_set.name, VARIANT_LABEL[variant], mode_label]
    if counts.failure:
        cells += [f"{counts.true_pairs:,}", "", "", "", "**" + counts.failure + "**", "", ""]
    else:
        est = counts.estimated_f1(len(data_set.links))
        f1 = counts.f1
        cells += [f"{counts.true_pairs:,}", f"{counts.claimed:,}", fmt(counts.precision),
                  fmt(counts.recall), f"**{fmt(f1)}**",
                  "n/a" if est is None else fmt(est),
                  "n/a" if est is None or np.isnan(f1) else f"{est - f1:+.3f}"]
    if isinstance(best, str):
        cells += [best, ""]
    elif best[1] is None:
        cells += ["—", ""]
    else:
        cells.append(f"{fmt(best[0])} ({best[1]:.3f})")
        cells.append("" if counts.failure or np.isnan(counts.f1)
                     else f"{counts.f1 - best[0]:+.3f}")
    cells.append("" if counts.failure else f"{counts.seconds:.2f} s")
    notes = list(counts.notes)
    if data_set.note:
        notes.insert(0, data_set.note)
    cells.append("; ".join(notes))
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def run_set(data_set: DataSet, out) -> None:
    truths = [truth_pairs(link) for link in data_set.links]
    dedup = data_set.links[0].b is None
    for variant in ("fs", "clk"):
        schema = bloomlink.Schema.from_dict(data_set.schema if variant == "fs"
                                            else clk_only(data_set.schema))
        progress(f"  {data_set.name}, {VARIANT_LABEL[variant]}: encoding")
        cache: dict = {}
        encoded, codes = [], []

        def encode(source: Source):
            if source.name not in cache:
                cache[source.name] = bloomlink.encode(
                    source.data, schema, secret=SECRET, id_column=source.id_column,
                    skip_initial_space=source.skip_initial_space)
            return cache[source.name]

        for link, truth in zip(data_set.links, truths):
            a = encode(link.a)
            b = None if link.b is None else encode(link.b)
            encoded.append((a, b))
            keys = entity_codes([a] if b is None else [a, b],
                                [link.a] if b is None else [link.a, link.b])
            codes.append((keys[0], keys[0] if b is None else keys[1], len(truth)))
        # (label, one_to_one for the label-free call, one_to_one for hindsight)
        modes = [("none (default)", None, "none")] if dedup else \
            [("greedy (default)", None, "greedy"), ("none", "none", "none")]
        for label, one_to_one, hindsight_mode in modes:
            progress(f"  {data_set.name}, {VARIANT_LABEL[variant]}, {label}: label-free link")
            counts = label_free(encoded, truths, variant, one_to_one, len(data_set.links))
            if counts.failure:
                counts.true_pairs = sum(len(t) for t in truths)
            progress(f"  {data_set.name}, {VARIANT_LABEL[variant]}, {label}: hindsight sweep")
            best = hindsight(encoded, codes, hindsight_mode)
            print(row_for(data_set, variant, label, counts, best), file=out, flush=True)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, kernel {bloomlink.kernel()}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", nargs="*", default=None,
                        help="only the sets whose name contains one of these (case-insensitive)")
    parser.add_argument("--list", action="store_true", help="list the sets and exit")
    args = parser.parse_args(argv)
    if not os.path.isdir(DATA):
        progress(f"quality lab: data folder {DATA} not found (the lab reads ../shared/data)")
        return 2
    start = time.perf_counter()
    progress("quality lab: loading the sets")
    sets = [s for build in SET_BUILDERS for s in build()]
    if args.list:
        for s in sets:
            print(s.name)
        return 0
    if args.sets:
        wanted = [w.lower() for w in args.sets]
        sets = [s for s in sets if any(w in s.name.lower() for w in wanted)]
    stand_in = any(LABEL_FREE[v] for v in LABEL_FREE)
    print(f"Quality lab: {len(sets)} sets; {machine()}; bloomlink {bloomlink.__version__}")
    def call(kwargs):
        return "link(a, b" + "".join(f", {k}={v!r}" for k, v in kwargs.items()) + ")"

    print(f"label-free call: `{call(LABEL_FREE['fs'])}` for CLK + field filters, "
          f"`{call(LABEL_FREE['clk'])}` for CLK only"
          + (" (STAND-IN: documented recipes, not label-free)" if stand_in else ""))
    print()
    print(HEADER)
    print("|" + "---|" * HEADER.count(" | ") + "---|")
    for i, data_set in enumerate(sets, 1):
        progress(f"[{i}/{len(sets)}] {data_set.name}")
        set_start = time.perf_counter()
        run_set(data_set, sys.stdout)
        progress(f"[{i}/{len(sets)}] {data_set.name}: {time.perf_counter() - set_start:.0f} s")
    progress(f"quality lab: done in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
