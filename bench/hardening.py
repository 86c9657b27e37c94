"""Hardening options against linkage quality, the self-attack and encoding speed (issue 14).

    bench/hardening [--only NAME ...] [--records N] [--skip-audit] [--skip-quality]

(bench/hardening runs this file with the package installed in build/venv, as bench/quality does.)
For each hardening option (HARDENINGS below, written once in terms of field types so that it
applies to every set's schema), it prints one markdown row:

  quality   label-free F1 (bloomlink.link's defaults, no labels) on FEBRL4, the synthetic
            extracts (the quality lab's "synth realistic" and "synth heavy corruption") and the
            ten multiparty5 pairs, each set's schema (the quality lab's, CLK + field filters)
            with the option as its hardening; the loss against the unhardened row.
  audit     `bloomlink audit` (the data holder's self-attack) of --records synthetic trust
            records (bloomlink synth, seed 14) encoded with examples/schemas/starter_index.json,
            its own hardening replaced by the option: pattern-mining re-identification (given or family name, one-to-one),
            the q-gram position precision, frequency-attack re-identification (worst field),
            the graph proxy's R², and the audit's wall time.
  speed     `bloomlink encode` of the same records (records per second, 2 threads).

Reads ../shared/data (FEBRL4, multiparty5) like the quality lab; writes its synthetic data under
a temporary folder, deleted at the end. Progress goes to stderr.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import quality_lab as lab  # noqa: E402

ROOT = lab.ROOT
CLI = os.environ.get("BLOOMLINK_CLI",
                     os.path.join(os.environ.get("BLOOMLINK_BUILD_DIR",
                                                 os.path.join(ROOT, "build")),
                                  "src", "cli", "bloomlink"))
SECRET = "bench-hardening-secret-0123456789"


def salt_names(schema: dict) -> list:
    """Salt every name-type field with the year of the first date field."""
    names = [f["name"] for f in schema["fields"] if f.get("type") == "name"]
    dates = [f["name"] for f in schema["fields"] if f.get("type") == "date"]
    if not names or not dates:
        return []
    return [{"fields": names, "with": [f"year({dates[0]})"]}]


def both(**options) -> dict:
    return {"clk": dict(options), "field_filters": dict(options)}


# name -> function(schema dict) -> hardening section (None: none)
HARDENINGS = {
    "none": lambda s: None,
    "salt names with year of birth": lambda s: {"salt": salt_names(s)},
    "XOR-fold (1)": lambda s: both(xor_folds=1),
    "balance": lambda s: both(balance=True),
    "BLIP 0.02": lambda s: both(blip=0.02),
    "Rule 90": lambda s: both(rule90=True),
    "diffusion (3 taps)": lambda s: both(diffusion_taps=3),
    "salt + BLIP 0.02 on field filters":
        lambda s: {"salt": salt_names(s), "field_filters": {"blip": 0.02}},
    "diffusion (3 taps) + BLIP 0.02 on field filters":
        lambda s: {"clk": {"diffusion_taps": 3},
                   "field_filters": {"diffusion_taps": 3, "blip": 0.02}},
    # The default of the starter schemas (schema init, schema init --fs).
    "diffusion (2 taps) + BLIP 0.02 on field filters (default)":
        lambda s: {"clk": {"diffusion_taps": 2},
                   "field_filters": {"diffusion_taps": 2, "blip": 0.02}},
}

QUALITY_SETS = ["FEBRL4", "synth realistic", "synth heavy corruption", "multiparty5"]


def hardened(schema: dict, name: str) -> dict:
    out = copy.deepcopy(schema)
    out.pop("hardening", None)
    section = HARDENINGS[name](schema)
    if section:
        section = {k: v for k, v in section.items() if v}
        out["hardening"] = section
    return out


def quality(sets, name: str) -> dict:
    """F1 of the label-free link of each set, encoded with its schema plus the hardening."""
    f1 = {}
    for data_set in sets:
        schema = lab.bloomlink.Schema.from_dict(hardened(data_set.schema, name))
        cache: dict = {}
        encoded, truths = [], []
        for link in data_set.links:
            for source in (link.a, link.b):
                if source is not None and source.name not in cache:
                    cache[source.name] = lab.bloomlink.encode(
                        source.data, schema, secret=lab.SECRET, id_column=source.id_column,
                        skip_initial_space=source.skip_initial_space)
            encoded.append((cache[link.a.name], None if link.b is None else cache[link.b.name]))
            truths.append(lab.truth_pairs(link))
        counts = lab.label_free(encoded, truths, "fs", None, len(data_set.links))
        f1[data_set.name] = float("nan") if counts.failure else counts.f1
        lab.progress(f"    {data_set.name}: F1 {f1[data_set.name]:.4f}")
    return f1


def run(command, env=None, **kwargs):
    return subprocess.run(command, check=True, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, **kwargs)


def audit(work: str, name: str) -> dict:
    """bloomlink audit and bloomlink encode of the synthetic trust extract."""
    base = lab.load_schema(os.path.join(ROOT, "examples", "schemas", "starter_index.json"))
    base.pop("hardening", None)  # the option's hardening replaces the example's default
    schema_path = os.path.join(work, "schema.json")
    with open(schema_path, "w", encoding="utf-8") as f:
        json.dump(hardened(base, name), f)
    env = {"BLOOMLINK_SECRET": SECRET}
    extract = os.path.join(work, "synth", "trust.csv")
    start = time.perf_counter()
    run([CLI, "encode", "--schema", schema_path, "--input", extract, "--output",
         os.path.join(work, "trust.bloom"), "--threads", "2", "--quiet"], env)
    encode_seconds = time.perf_counter() - start
    report_path = os.path.join(work, "audit.json")
    start = time.perf_counter()
    run([CLI, "audit", "--schema", schema_path, "--input", extract, "--json", report_path,
         "--threads", "2", "--quiet"], env)
    audit_seconds = time.perf_counter() - start
    with open(report_path, encoding="utf-8") as f:
        report = json.load(f)
    return {"report": report, "encode_seconds": encode_seconds, "audit_seconds": audit_seconds}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", help="only these hardening options (names)")
    parser.add_argument("--records", type=int, default=1_000_000,
                        help="synthetic records the audit and the speed figure use")
    parser.add_argument("--skip-audit", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args(argv)
    names = args.only or list(HARDENINGS)
    for n in names:
        if n not in HARDENINGS:
            parser.error(f"unknown hardening {n!r}; known: {', '.join(HARDENINGS)}")

    sets = []
    if not args.skip_quality:
        lab.progress("loading the labelled sets")
        sets = [s for build in lab.SET_BUILDERS for s in build()
                if any(s.name.startswith(w) for w in QUALITY_SETS)]
    work = tempfile.mkdtemp(prefix="bloomlink-hardening-")
    try:
        if not args.skip_audit:
            lab.progress(f"writing {args.records:,} synthetic records")
            run([CLI, "synth", "--records", str(args.records), "--seed", "14", "--output",
                 os.path.join(work, "synth")])
        print(f"Hardening bench: {lab.machine()}; audit and speed on {args.records:,} "
              f"synthetic records")
        print()
        header = ["hardening"] + [s.name for s in sets] + \
            (["pattern mining: re-identified 1-1 (≤10)", "q-gram position precision: verdict",
              "frequency attack: re-identified", "graph proxy R²", "encode (records/s)",
              "audit time"] if not args.skip_audit else [])
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        baseline = {}
        for name in names:
            lab.progress(f"[{name}]")
            cells = [name]
            if sets:
                f1 = quality(sets, name)
                if name == "none":
                    baseline = f1
                for s in sets:
                    loss = "" if not baseline or name == "none" else \
                        f" ({f1[s.name] - baseline[s.name]:+.4f})"
                    cells.append(f"{f1[s.name]:.4f}{loss}")
            if not args.skip_audit:
                a = audit(work, name)
                cells += audit_cells(a["report"])
                cells.append(f"{args.records / a['encode_seconds']:,.0f}")
                cells.append(f"{a['audit_seconds']:.1f} s")
            print("| " + " | ".join(cells) + " |", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def audit_cells(report: dict) -> list:
    """The table's audit cells from the audit's JSON (docs/security.md, The self-attack): the worst
    target (CLK or field filter) of pattern mining, the largest position precision of any field
    and target attacked, the worst scored field of the frequency attack, the CLK's R²."""
    pm = report["pattern_mining"]
    one = max((n["one_to_one_share"] for n in pm["names"]), default=0.0)
    ten = max((n["within_guesses_share"] for n in pm["names"]), default=0.0)
    precision = max((r["position_precision"] for r in pm["results"] if r["positions"] > 0),
                    default=0.0)
    freq = max((f["share"] for f in report["frequency"] if f["scored"]), default=0.0)
    verdicts = report["verdicts"]
    return [f"{100 * one:.3f}% ({100 * ten:.2f}%)",
            f"{100 * precision:.0f}% {verdicts['pattern_mining']}",
            f"{100 * freq:.3f}% {verdicts['frequency']}",
            f"{report['graph_proxy']['r2']:.3f}"]


if __name__ == "__main__":
    sys.exit(main())
