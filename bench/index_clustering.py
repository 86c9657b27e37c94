"""Clustering for the person index (issue 13): connected components against average linkage on
shared/data/multiparty5 (five organisations, each holding a person at most once). Each pair of
sources is linked with the label-free default (Fellegi-Sunter, greedy one-to-one); the accepted
pairs, with their match probabilities, are clustered both ways; the clusters are measured against
the truth (equal ids are one person): pairwise, B-cubed and cluster-exact over groups.

    build/venv/bin/python bench/index_clustering.py [path/to/multiparty5] [schema.json]

The default schema is bench/schemas/multiparty5_index.json (with phone number and income);
bench/quality_schemas/multiparty5.json leaves those two out (a harder case).
"""
import itertools, pathlib, sys, time
import numpy as np
import bloomlink
from bloomlink import _core

root = pathlib.Path(__file__).resolve().parents[1]
data = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root.parent / "shared" / "data" / "multiparty5"
schema = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else root / "bench" / "schemas" / "multiparty5_index.json"
secret = "index clustering bench secret, not for real data"
datasets = [bloomlink.encode(data / f"dataset-{k}.csv", schema, secret=secret) for k in range(1, 6)]
offsets = np.cumsum([0] + [len(d) for d in datasets])
n = int(offsets[-1])
source = np.concatenate([np.full(len(d), k, dtype=np.uint32) for k, d in enumerate(datasets)])
ids = [i for d in datasets for i in d.ids]
entity_of = {}
truth = np.array([entity_of.setdefault(i, len(entity_of)) for i in ids], dtype=np.uint64)
a, b, p = [], [], []
start = time.perf_counter()
for x, y in itertools.combinations(range(5), 2):
    l = bloomlink.link(datasets[x], datasets[y])
    a.append(l.left.astype(np.uint32) + offsets[x]); b.append(l.right.astype(np.uint32) + offsets[y])
    p.append(np.asarray(l.probability, dtype=np.float32))
a, b, p = np.concatenate(a).astype(np.uint32), np.concatenate(b).astype(np.uint32), np.concatenate(p)
print(f"{n} records, {len(a)} linked pairs over the 10 pairs of sources in {time.perf_counter() - start:.1f} s")
print("| clustering | threshold | pairwise P / R / F1 | B-cubed F1 | exact (groups) P / R / F1 |")
print("|---|---|---|---|---|")
for method, threshold in (("components", 0.5), ("average-link", 0.5), ("average-link", 0.3), ("average-link", 0.7)):
    labels = _core.cluster_records(n, source, [0, 1, 2, 3, 4], a, b, p, method, threshold)
    m = _core.compare_clusters(labels.astype(np.uint64), truth)
    pw, ex = m["pairwise"], m["exact_groups"]
    print(f"| {method} | {threshold} | {pw['precision']:.3f} / {pw['recall']:.3f} / {pw['f1']:.3f} | "
          f"{m['bcubed']['f1']:.3f} | {ex['precision']:.3f} / {ex['recall']:.3f} / {ex['f1']:.3f} |")
