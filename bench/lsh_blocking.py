"""LSH blocking against the exhaustive search (issue 12): bloomlink synth extracts of N records a
side (default 100,000), starter schema (CLKs only), linked at several Dice thresholds both ways;
prints the candidates LSH finds as a share of the exhaustive set (which it must be a subset of),
the pairs it compares, the times, and the recall of a greedy resolution against the truth.

    build/venv/bin/python bench/lsh_blocking.py [N]
"""
import time, numpy as np, bloomlink, sys
from bloomlink import Schema
n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
ex = bloomlink.synth(n, seed=5)
s = Schema.starter().to_dict()
a = bloomlink.encode(ex.trust, s, secret="lsh timing secret, not for real data")
b = bloomlink.encode(ex.council, s, secret="lsh timing secret, not for real data")
print(len(a.ids), len(b.ids), flush=True)
for t in (0.8, 0.75, 0.85):
    t0 = time.perf_counter(); e = bloomlink.link(a, b, threshold=t, method="dice", one_to_one="none"); te = time.perf_counter() - t0
    t0 = time.perf_counter(); l = bloomlink.link(a, b, threshold=t, method="dice", one_to_one="none", blocking="lsh"); tl = time.perf_counter() - t0
    ek = set(zip(e.left.tolist(), e.right.tolist())); lk = set(zip(l.left.tolist(), l.right.tolist()))
    assert lk <= ek
    print(f"t={t}: exhaustive {len(ek)} candidates {te:.2f}s; lsh {len(lk)} ({len(lk)/len(ek):.4f} of exhaustive) {tl:.2f}s, comparisons {l.stats['comparisons']:,} ({l.stats['comparisons']/l.stats['pairs']:.4f} of pairs); {l.stats['blocking']}", flush=True)
    ge = bloomlink.evaluate(bloomlink.link(a, b, threshold=t, method="dice"), ex.truth); gl = bloomlink.evaluate(bloomlink.link(a, b, threshold=t, method="dice", blocking="lsh"), ex.truth)
    print(f"   greedy recall exhaustive {ge.recall:.4f} lsh {gl.recall:.4f}", flush=True)
