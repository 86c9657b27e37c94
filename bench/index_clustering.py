"""Clustering for the person index (issue 13): connected components against average linkage on
every labelled set with groups: shared/data/multiparty5 (five organisations, each holding a
person at most once; with and without phone number and income), FEBRL3 and splink-fake1000 (one
source each, deduplicated) and `bloomlink synth --sources 4` (a trust holding each person once
and three others, two of them with duplicates). Every pair of sources is linked, and every source
that may hold a person twice is deduplicated, with the label-free default (Fellegi-Sunter); the
accepted pairs, with their match probabilities, are clustered each way with the unique sources
held once, and measured against the truth: pairwise, B-cubed and cluster-exact over groups
(clusters and persons of two records or more).

    build/venv/bin/python bench/index_clustering.py [shared data folder]
"""
import itertools, os, pathlib, re, subprocess, sys, tempfile, time
import numpy as np
import pandas as pd
import bloomlink
from bloomlink import _core

ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
SECRET = "index clustering bench secret, not for real data"
CLI = os.environ.get("BLOOMLINK_CLI", str(ROOT / "build" / "src" / "cli" / "bloomlink"))


def read(path, skip_initial_space=False):
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=skip_initial_space)
    if skip_initial_space:
        frame.columns = [c.strip() for c in frame.columns]
        frame = frame.apply(lambda col: col.str.strip())
    return frame


def run(name, schema, sources):
    """sources: (frame, id column, entity of each row, unique?) per source."""
    encoded = [bloomlink.encode(frame, schema, secret=SECRET, id_column=idc)
               for frame, idc, _, _ in sources]
    offsets = np.cumsum([0] + [len(e) for e in encoded])
    n = int(offsets[-1])
    source = np.concatenate([np.full(len(e), k, dtype=np.uint32) for k, e in enumerate(encoded)])
    unique = [k for k, s in enumerate(sources) if s[3]]
    labels = {}
    truth = []
    for (frame, idc, entity, _), e in zip(sources, encoded):
        by_id = dict(zip(frame[idc], entity))
        truth.extend(labels.setdefault(by_id[i], len(labels)) for i in e.ids)
    truth = np.array(truth, dtype=np.uint64)
    a, b, p = [], [], []
    start = time.perf_counter()
    jobs = [(x, y) for x, y in itertools.combinations(range(len(encoded)), 2)]
    jobs += [(x, None) for x in range(len(encoded)) if not sources[x][3]]
    for x, y in jobs:
        l = bloomlink.link(encoded[x]) if y is None else bloomlink.link(encoded[x], encoded[y])
        a.append(l.left.astype(np.int64) + offsets[x])
        b.append(l.right.astype(np.int64) + offsets[x if y is None else y])
        p.append(np.asarray(l.probability, dtype=np.float32))
    a = np.concatenate(a).astype(np.uint32)
    b = np.concatenate(b).astype(np.uint32)
    p = np.concatenate(p)
    seconds = time.perf_counter() - start
    rows = []
    for method, threshold in (("components", 0.5), ("average-link", 0.5), ("average-link", 0.3)):
        lab = _core.cluster_records(n, source, unique, a, b, p, method, threshold)
        m = _core.compare_clusters(lab.astype(np.uint64), truth)
        pw, ex = m["pairwise"], m["exact_groups"]
        rows.append(f"| {name} | {n:,} | {len(jobs)} links, {len(a):,} pairs, {seconds:.1f} s | "
                    f"{method} {threshold} | {pw['precision']:.3f} / {pw['recall']:.3f} / "
                    f"**{pw['f1']:.3f}** | {m['bcubed']['f1']:.3f} | {ex['precision']:.3f} / "
                    f"{ex['recall']:.3f} / **{ex['f1']:.3f}** |")
    for row in rows:
        print(row, flush=True)
    index_rows.append(run_index(name, sources, encoded))


def run_index(name, sources, encoded):
    """The shipping path, bloomlink.PersonIndex: a one-shot build against the truth, and (with
    several sources) the same sources added one at a time, against the one-shot build."""
    names = [f"s{k}" for k in range(len(encoded))]
    unique = [names[k] for k, s in enumerate(sources) if s[3]]
    truth = pd.DataFrame({
        "source": np.concatenate([[names[k]] * len(e) for k, e in enumerate(encoded)]),
        "record_id": np.concatenate([e.ids for e in encoded]),
        "entity": np.concatenate([[dict(zip(f[idc], ent))[i] for i in e.ids]
                                  for (f, idc, ent, _), e in zip(sources, encoded)])})
    start = time.perf_counter()
    batch = bloomlink.PersonIndex.build(dict(zip(names, encoded)), unique=unique)
    seconds = time.perf_counter() - start
    m = batch.evaluate(truth)
    agreement = "n/a (one source)"
    if len(encoded) > 1:
        steps = bloomlink.PersonIndex.build({names[0]: encoded[0]},
                                            unique=[n for n in unique if n == names[0]])
        for k in range(1, len(encoded)):
            steps.add(names[k], encoded[k], unique=names[k] in unique)
        c = bloomlink.compare_crosswalks(batch.crosswalk(), steps.crosswalk())
        agreement = f"{c.bcubed_f1:.4f}"
    pw, ex = m.pairwise, m.exact_groups
    return (f"| {name} | {batch.records:,} | {batch.persons:,} | {seconds:.1f} s | "
            f"{pw.precision:.3f} / {pw.recall:.3f} / **{pw.f1:.3f}** | {m.bcubed.f1:.3f} | "
            f"{m.exact.f1:.3f} | {ex.precision:.3f} / {ex.recall:.3f} / **{ex.f1:.3f}** | "
            f"{agreement} |")


index_rows = []


print("| set | records | pairs | clustering | pairwise P / R / F1 | B-cubed F1 | exact (groups) P / R / F1 |")
print("|---|---|---|---|---|---|---|")
mp = [read(DATA / "multiparty5" / f"dataset-{k}.csv") for k in range(1, 6)]
for label, schema in (("multiparty5, phone and income", ROOT / "bench" / "schemas" / "multiparty5_index.json"),
                      ("multiparty5, five fields", ROOT / "bench" / "quality_schemas" / "multiparty5.json")):
    run(label, schema, [(f, "id", list(f["id"]), True) for f in mp])
febrl = read(DATA / "febrl" / "dataset3.csv", skip_initial_space=True)
run("FEBRL3 (one source)", ROOT / "examples" / "schemas" / "febrl_fs.json",
    [(febrl, "rec_id", [re.search(r"^rec-(\d+)-", i).group(1) for i in febrl["rec_id"]], False)])
fake = read(DATA / "splink-fake1000" / "fake_1000.csv")
run("splink-fake1000 (one source)", ROOT / "bench" / "quality_schemas" / "splink_fake1000.json",
    [(fake.drop(columns=["cluster"]), "unique_id", list(fake["cluster"]), False)])
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([CLI, "synth", "--sources", "4", "--records", "4000", "--seed", "13",
                    "--output", tmp], check=True, capture_output=True)
    truth = read(pathlib.Path(tmp) / "truth.csv")
    entity = {(s, r): e for s, r, e in zip(truth["source"], truth["record_id"], truth["entity"])}
    sources = []
    for k, name in enumerate(["trust", "council", "community", "gp"]):
        frame = read(pathlib.Path(tmp) / f"{name}.csv")
        sources.append((frame, "id", [entity[(name, i)] for i in frame["id"]], k % 2 == 0))
    run("synth --sources 4", ROOT / "bench" / "quality_schemas" / "synth.json", sources)

print()
print("The person index (bloomlink.PersonIndex.build, average link 0.3, label-free links):")
print()
print("| set | records | persons | build | pairwise P / R / F1 | B-cubed F1 | exact F1 | exact (groups) P / R / F1 | one at a time vs one-shot, B-cubed F1 |")
print("|---|---|---|---|---|---|---|---|---|")
for row in index_rows:
    print(row)
