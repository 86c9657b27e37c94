"""End-to-end tests of `bloomlink link` and `bloomlink evaluate`: the linkage unit's side."""
import csv
import json

import pytest

from conftest import SECRET, clkhash_vector, data_file


def encode(cli, schema, secret, data, out, *extra):
    cli("encode", "--schema", schema, "--secret-file", secret, "--input", data, "--output", out,
        "--quiet", *extra)


@pytest.fixture()
def encoded(cli, starter):
    d = starter["dir"]
    encode(cli, starter["schema"], starter["secret"], starter["trust"], d / "trust.bloom")
    encode(cli, starter["schema"], starter["secret"], starter["council"], d / "council.bloom")
    return {**starter, "a": d / "trust.bloom", "b": d / "council.bloom",
            "truth": d / "data" / "truth.csv"}


def read_pairs(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_link_synthetic_extracts_and_evaluate(cli, encoded):
    out = encoded["dir"] / "pairs.csv"
    proc = cli("link", encoded["a"], encoded["b"], "--threshold", 0.8, "--output", out,
               "--truth", encoded["truth"])
    assert "matches after greedy one-to-one" in proc.stdout
    assert "precision" in proc.stdout
    rows = read_pairs(out)
    assert rows[0] == ["id_a", "id_b", "score"]
    scores = [float(r[2]) for r in rows[1:]]
    assert scores == sorted(scores, reverse=True)
    assert len({r[0] for r in rows[1:]}) == len(rows) - 1  # one-to-one
    assert len({r[1] for r in rows[1:]}) == len(rows) - 1
    ev = cli("evaluate", "--pairs", out, "--truth", encoded["truth"]).stdout
    f1 = float(ev.split("F1 ")[1].split()[0])
    assert f1 > 0.9, ev


def test_link_is_identical_for_any_thread_count_and_kernel(cli, encoded):
    outputs = []
    for threads in (1, 2):
        for kernel in ("scalar", "avx2", "avx512", None):
            out = encoded["dir"] / f"p{threads}{kernel}.csv"
            env = {"BLOOMLINK_KERNEL": kernel} if kernel else None
            proc = cli("link", encoded["a"], encoded["b"], "--threshold", 0.6, "--one-to-one",
                       "none", "--output", out, "--threads", threads, env=env, expect=None)
            if proc.returncode != 0:  # a kernel this CPU lacks must be refused, not faked
                assert "BLOOMLINK_KERNEL" in proc.stderr
                continue
            outputs.append(out.read_bytes())
    assert len(outputs) >= 4
    assert all(o == outputs[0] for o in outputs)


def test_unknown_kernel_is_an_error(cli, encoded):
    proc = cli("link", encoded["a"], encoded["b"], "--threshold", 0.8, "--output",
               encoded["dir"] / "p.csv", env={"BLOOMLINK_KERNEL": "sse9"}, expect=None)
    assert proc.returncode != 0
    assert "BLOOMLINK_KERNEL" in proc.stderr and "sse9" in proc.stderr
    assert not (encoded["dir"] / "p.csv").exists()


@pytest.mark.parametrize("method", ["greedy", "optimal", "mutual", "none"])
def test_every_one_to_one_method(cli, encoded, method):
    out = encoded["dir"] / f"{method}.csv"
    cli("link", encoded["a"], encoded["b"], "--threshold", 0.75, "--one-to-one", method,
        "--output", out)
    rows = read_pairs(out)[1:]
    if method != "none":
        assert len({r[0] for r in rows}) == len(rows)
        assert len({r[1] for r in rows}) == len(rows)


def test_top_k_keeps_at_most_k_per_record(cli, encoded):
    out = encoded["dir"] / "top.csv"
    cli("link", encoded["a"], encoded["b"], "--threshold", 0.3, "--top-k", 2, "--one-to-one",
        "none", "--output", out)
    rows = read_pairs(out)[1:]
    per_a = {}
    for r in rows:
        per_a[r[0]] = per_a.get(r[0], 0) + 1
    assert max(per_a.values()) == 2


def test_refuses_different_secrets_and_schemas(cli, encoded):
    d = encoded["dir"]
    other = d / "other.key"
    other.write_text("a completely different secret\n")
    other.chmod(0o600)
    encode(cli, encoded["schema"], other, encoded["council"], d / "council2.bloom")
    out = d / "p.csv"
    proc = cli("link", encoded["a"], d / "council2.bloom", "--threshold", 0.8, "--output", out,
               expect=2)
    assert "different secrets" in proc.stderr
    schema = json.loads(encoded["schema"].read_text())
    schema["fields"][1]["tokens"]["q"] = 3
    s2 = d / "schema2.json"
    s2.write_text(json.dumps(schema))
    encode(cli, s2, encoded["secret"], encoded["council"], d / "council3.bloom")
    proc = cli("link", encoded["a"], d / "council3.bloom", "--threshold", 0.8, "--output", out,
               expect=2)
    assert "different schemas" in proc.stderr
    assert not out.exists()


def test_corrupt_input_and_bad_threshold(cli, encoded):
    d = encoded["dir"]
    data = bytearray(encoded["b"].read_bytes())
    data[200] ^= 0xFF
    bad = d / "bad.bloom"
    bad.write_bytes(bytes(data))
    out = d / "p.csv"
    proc = cli("link", encoded["a"], bad, "--threshold", 0.8, "--output", out, expect=2)
    assert "bad.bloom" in proc.stderr
    cli("link", encoded["a"], encoded["b"], "--threshold", 1.5, "--output", out, expect=2)
    assert not out.exists()


def test_evaluate_needs_a_truth(cli, encoded):
    out = encoded["dir"] / "pairs.csv"
    cli("link", encoded["a"], encoded["b"], "--threshold", 0.8, "--output", out)
    proc = cli("evaluate", "--pairs", out, expect=2)
    assert "--truth" in proc.stderr
    proc = cli("evaluate", "--pairs", out, "--truth-regex", "^(T)", expect=2)
    assert "--a and --b" in proc.stderr


def test_febrl4_quality_matches_anonlink(cli, tmp_path):
    """FEBRL4 encoded with the clkhash tutorial schema: greedy at 0.8 should reach anonlink's
    quality (precision 1.000, recall 0.992)."""
    secret = tmp_path / "tutorial.key"
    secret.write_text("secret")
    secret.chmod(0o600)
    for part in ("a", "b"):
        encode(cli, clkhash_vector("febrl4_tutorial_schema_v3.json"), secret,
               data_file("febrl", f"dataset4{part}.csv"), tmp_path / f"4{part}.bloom",
               "--id-column", "rec_id", "--skip-initial-space", "--allow-weak-secret")
    out = tmp_path / "pairs.csv"
    proc = cli("link", tmp_path / "4a.bloom", tmp_path / "4b.bloom", "--threshold", 0.8,
               "--output", out, "--truth-regex", r"^rec-(\d+)-")
    precision = float(proc.stdout.split("precision ")[1].split()[0])
    recall = float(proc.stdout.split("recall ")[1].split()[0])
    assert precision >= 0.999 and recall >= 0.99, proc.stdout
    # The same linkage from clkhash's own encodings (no ids: records are numbered).
    json_out = tmp_path / "json_pairs.csv"
    proc = cli("link", clkhash_vector("febrl4a_clks.json"), clkhash_vector("febrl4b_clks.json"),
               "--threshold", 0.8, "--output", json_out)
    assert "does not record its schema fingerprint" in proc.stderr
    assert len(read_pairs(json_out)) == len(read_pairs(out))


def test_max_memory_refuses_a_job_too_big_before_it_starts(cli, encoded):
    out = encoded["dir"] / "pairs.csv"
    out.write_text("previous\n")
    proc = cli("link", encoded["a"], encoded["b"], "--threshold", 0.3, "--max-memory", "64K",
               "--output", out, expect=3)
    assert "linking would need about" in proc.stderr
    assert "more than the memory limit of 64 KiB" in proc.stderr
    assert "raise the limit, raise the threshold" in proc.stderr
    assert out.read_text() == "previous\n"
    assert not [p for p in encoded["dir"].iterdir() if ".tmp-" in p.name]
    # No limit, a size, a share of memory: all fit.
    for limit in ("0", "2G", "50%"):
        cli("link", encoded["a"], encoded["b"], "--threshold", 0.3, "--max-memory", limit,
            "--output", out, "--quiet")
    proc = cli("link", encoded["a"], encoded["b"], "--threshold", 0.8, "--max-memory", "lots",
               "--output", out, expect=2)
    assert 'memory limit "lots": expected a size such as 4G' in proc.stderr


def test_link_checks_its_output_folder_before_matching(cli, encoded):
    proc = cli("link", encoded["a"], encoded["b"], "--threshold", 0.8, "--output",
               encoded["dir"] / "missing" / "pairs.csv", expect=2)
    assert "does not exist" in proc.stderr and "compared" not in proc.stdout


def test_lsh_blocking_finds_nearly_every_candidate_with_fewer_comparisons(cli, starter):
    """--blocking lsh: a subset of the exhaustive candidates, each with its score, at least the
    planned 99% of them, the same for any thread count; the summary says how it was planned.
    Near random pairs' similarity it falls back to the exhaustive search and says so. (6,000
    records a side at Dice 0.9: on fewer records, or at lower thresholds, keying the tables
    costs more than comparing every pair and LSH is not used.)"""
    d = starter["dir"]
    cli("synth", "--records", 6000, "--seed", 6, "--output", d / "big")
    encoded = {"dir": d, "a": d / "big_trust.bloom", "b": d / "big_council.bloom"}
    encode(cli, starter["schema"], starter["secret"], d / "big" / "trust.csv", encoded["a"])
    encode(cli, starter["schema"], starter["secret"], d / "big" / "council.csv", encoded["b"])
    exhaustive = encoded["dir"] / "exhaustive.csv"
    cli("link", encoded["a"], encoded["b"], "--threshold", 0.9, "--one-to-one", "none",
        "--output", exhaustive)
    truth = {tuple(r) for r in read_pairs(exhaustive)[1:]}
    outputs = []
    for threads in (1, 2):
        out = encoded["dir"] / f"lsh{threads}.csv"
        proc = cli("link", encoded["a"], encoded["b"], "--threshold", 0.9, "--one-to-one", "none",
                   "--blocking", "lsh", "--threads", threads, "--output", out)
        assert "blocking: LSH: " in proc.stdout and "predicted completeness" in proc.stdout
        compared = proc.stdout.split("compared ")[1]
        share = float(compared.split("(")[1].split("%")[0])
        assert share < 10, proc.stdout
        outputs.append(out.read_bytes())
        found = {tuple(r) for r in read_pairs(out)[1:]}
        assert found <= truth
        assert len(found) >= 0.99 * len(truth), (len(found), len(truth))
    assert outputs[0] == outputs[1]
    proc = cli("link", encoded["a"], encoded["b"], "--threshold", 0.6, "--blocking", "lsh",
               "--output", encoded["dir"] / "low.csv")
    assert "not worth it at this threshold: compared exhaustively instead" in proc.stdout
    proc = cli("link", encoded["a"], encoded["b"], "--blocking", "buckets",
               "--output", encoded["dir"] / "x.csv", expect=None)
    assert proc.returncode != 0 and "unknown blocking \"buckets\"" in proc.stderr
    proc = cli("link", encoded["a"], encoded["b"], "--blocking", "lsh", "--top-k", 3,
               "--threshold", 0.8, "--output", encoded["dir"] / "x.csv", expect=None)
    assert proc.returncode != 0 and "top-k must be 0" in proc.stderr


def test_blocking_report_measures_lsh_against_the_exhaustive_search(cli, starter):
    """bloomlink blocking report: the pairs, the exhaustive candidates of a sample, LSH's plan,
    the comparisons it would make (counted, not estimated), its largest blocks, and its pair
    completeness measured against the exhaustive candidates of the sample."""
    d = starter["dir"]
    cli("synth", "--records", 6000, "--seed", 6, "--output", d / "big")
    a, b = d / "a.bloom", d / "b.bloom"
    encode(cli, starter["schema"], starter["secret"], d / "big" / "trust.csv", a)
    encode(cli, starter["schema"], starter["secret"], d / "big" / "council.csv", b)
    out = cli("blocking", "report", a, b, "--threshold", 0.9, "--sample", 1000).stdout
    assert "6,000 records) x " in out and "36,000,000 pairs" in out
    assert "candidate threshold Dice >= 0.9 (given)" in out
    assert "among the 1,000 sampled records of A" in out
    assert "lsh: LSH: " in out and "reduction ratio 0.9" in out
    assert out.count("a large block: table ") == 5
    completeness = float(out.split("pair completeness against the exhaustive candidates of the "
                                   "sample: ")[1].split()[0])
    assert completeness >= 0.99, out
    auto = cli("blocking", "report", a, b).stdout
    assert "chosen as `bloomlink link` would" in auto
    assert "at 10% or more --blocking lsh compares exhaustively instead" in auto
    dedupe = cli("blocking", "report", a, "--dedupe", "--threshold", 0.9).stdout
    assert "deduplication): 17,997,000 pairs" in dedupe
    proc = cli("blocking", "report", a, b, "--threshold", 1.5, expect=None)
    assert proc.returncode != 0 and "--threshold: expected a Dice threshold in (0, 1]" in proc.stderr
