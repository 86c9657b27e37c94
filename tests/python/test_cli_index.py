"""`bloomlink index`: the person index on the command line. Three synthetic organisations'
extracts (synth --sources 3) are encoded and built into an index; its crosswalk is judged
against the truth; stats apply disclosure control; a refreshed council extract is added and the
ID churn measured; bad input, a held lock and an existing output are refused, leaving the index
as it was."""
import csv
import fcntl
import json
import os
import re
import shutil

import pytest

from conftest import SECRET

OTHER_SECRET = "another secret entirely, not the suite's"


def encode(cli, schema, csv_path, out, secret=SECRET):
    cli("encode", "--schema", schema, "--input", csv_path, "--output", out, "--quiet",
        secret=secret)
    return out


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def write_rows(path, rows):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def count(text, what):
    """The number before `what` in a summary line ("1,234 added" -> 1234)."""
    match = re.search(r"([\d,]+) " + re.escape(what), text)
    assert match, f"no '{what}' in:\n{text}"
    return int(match.group(1).replace(",", ""))


def listing(folder):
    return sorted(os.listdir(folder))


@pytest.fixture(scope="module")
def world(tmp_path_factory, cli):
    """Three encoded extracts, their truth, and an index built from them (read-only: tests
    that change the index work on a copy)."""
    d = tmp_path_factory.mktemp("index")
    schema = d / "schema.json"
    cli("schema", "init", "--output", schema)
    cli("synth", "--sources", 3, "--records", 300, "--seed", 17, "--output", d / "s")
    blooms = {name: encode(cli, schema, d / "s" / f"{name}.csv", d / f"{name}.bloom")
              for name in ("trust", "council", "community")}
    index = d / "people.index"
    build = cli("index", "build", "--output", index, blooms["trust"], blooms["council"],
                blooms["community"], "--unique-source", "trust", "--unique-source", "community",
                "--threads", 2)
    crosswalk = d / "crosswalk.csv"
    cli("index", "export", index, "--output", crosswalk)
    return {"dir": d, "schema": schema, "blooms": blooms, "index": index, "build": build.stdout,
            "build_warnings": build.stderr,
            "crosswalk": crosswalk, "truth": d / "s" / "truth.csv", "csv": d / "s"}


def copy_index(world, tmp_path):
    target = tmp_path / "people.index"
    shutil.copyfile(world["index"], target)
    return target


def test_build_export_and_evaluate_against_the_truth(world, cli):
    out = world["build"]
    assert "from 3 sources" in out and "persons" in out and "pairs linked" in out, out
    # The starter schema has no field-level filters: the index says what that costs it.
    assert "linked by CLK Dice" in world["build_warnings"], world["build_warnings"]
    assert "starter_index.json" in world["build_warnings"]
    for name in ("trust", "council", "community"):
        assert re.search(rf"^  {name}\s+[\d,]+ records", out, re.M), out
    rows = read_rows(world["crosswalk"])
    truth = read_rows(world["truth"])
    assert list(rows[0].keys()) == ["person_id", "source", "record_id", "confidence"]
    assert len(rows) == len(truth)
    assert {(r["source"], r["record_id"]) for r in rows} == \
        {(r["source"], r["record_id"]) for r in truth}
    for r in rows:
        assert re.fullmatch(r"P[0-9a-f]{24}", r["person_id"]), r
        assert re.fullmatch(r"[01]\.\d{4}", r["confidence"]), r
    # The unique sources hold each person at most once.
    for source in ("trust", "community"):
        ids = [r["person_id"] for r in rows if r["source"] == source]
        assert len(ids) == len(set(ids))
    out = cli("evaluate", "--crosswalk", world["crosswalk"], "--truth", world["truth"]).stdout
    line = next(l for l in out.splitlines() if l.strip().startswith("pairwise"))
    f1 = float(line.split()[line.split().index("F1") + 1])
    assert f1 > 0.95, out


def test_export_one_source_for_its_organisation(world, cli, tmp_path):
    own = tmp_path / "council.csv"
    cli("index", "export", world["index"], "--output", own, "--source", "council")
    rows = read_rows(own)
    everything = read_rows(world["crosswalk"])
    assert rows == [r for r in everything if r["source"] == "council"]
    bad = cli("index", "export", world["index"], "--output", tmp_path / "x.csv",
              "--source", "hospice", expect=2)
    assert "no source named hospice" in bad.stderr, bad.stderr
    assert not (tmp_path / "x.csv").exists()


def stats_counts(text):
    """The counts of the stats tables (after the header block); of the cluster sizes table, the
    persons column only (its first column is a number of records, not a count)."""
    counts = []
    for section in text.split("\n\n")[1:]:
        lines = section.splitlines()
        if lines[0].startswith("cluster sizes"):
            lines = [line.split()[-1] for line in lines[2:]]
        for line in lines:
            counts += [int(n.replace(",", "")) for n in re.findall(r"(?<![\w.])\d[\d,]*", line)]
    return counts


def json_counts(value):
    if isinstance(value, dict):
        for k, v in value.items():
            if k in ("disclosure_control", "generation"):
                continue
            if k == "cluster_sizes":
                for size in v:
                    yield size["persons"]
                continue
            yield from json_counts(v)
    elif isinstance(value, list):
        for v in value:
            yield from json_counts(v)
    elif isinstance(value, (int, str)) and not isinstance(value, bool):
        yield value


def test_stats_with_disclosure_control_and_exact(world, cli, tmp_path):
    out = cli("index", "stats", world["index"]).stdout
    assert "disclosure control: counts of 1 to 7 are shown as *" in out, out
    assert "rounded to the nearest 5" in out
    assert "trust + council + community" in out and "exactly" in out and "at least" in out
    assert "cluster sizes" in out
    counts = stats_counts(out)
    assert len(counts) > 20, out
    assert all(c == 0 or (c >= 8 and c % 5 == 0) for c in counts), (counts, out)
    # JSON, to stdout: the same control; suppressed counts are "*".
    doc = json.loads(cli("index", "stats", world["index"], "--json", "-").stdout)
    assert doc["disclosure_control"]["applied"] is True
    assert [s["name"] for s in doc["sources"]] == ["trust", "council", "community"]
    values = [v for v in json_counts({k: doc[k] for k in
                                      ("persons", "records", "sources", "overlap",
                                       "combinations", "cluster_sizes")})
              if not isinstance(v, str) or v == "*"]
    numbers = [v for v in values if v != "*"]
    assert numbers and all(v == 0 or (v >= 8 and v % 5 == 0) for v in numbers), values
    # Exact: said so, and the counts are the crosswalk's.
    rows = read_rows(world["crosswalk"])
    exact = cli("index", "stats", world["index"], "--exact", "--json", tmp_path / "s.json").stdout
    assert "these counts are exact; do not hand them on without checking" in exact, exact
    doc = json.loads((tmp_path / "s.json").read_text())
    assert doc["disclosure_control"]["applied"] is False
    assert doc["persons"] == len({r["person_id"] for r in rows})
    assert doc["records"] == len(rows)
    assert f"persons {len({r['person_id'] for r in rows}):,}, records {len(rows):,}" in exact
    # Other thresholds.
    out = cli("index", "stats", world["index"], "--suppress-below", 20, "--round-to", 10).stdout
    assert "counts of 1 to 19 are shown as *" in out
    assert all(c == 0 or (c >= 20 and c % 10 == 0) for c in stats_counts(out))


def test_refresh_via_add_then_history_and_churn(world, cli, tmp_path):
    index = copy_index(world, tmp_path)
    rows = read_rows(world["csv"] / "council.csv")
    dropped = [rows[3]["id"], rows[10]["id"]]
    kept = [r for r in rows if r["id"] not in dropped]
    changed = next(r for r in kept if r["postcode"].replace(" ", "").upper() != "LS14AP")
    changed["postcode"] = "LS1 4AP"
    arrival = dict(read_rows(world["csv"] / "community.csv")[0])
    arrival["id"] = "NEW0001"
    write_rows(tmp_path / "council.csv", kept + [arrival])
    refreshed = encode(cli, world["schema"], tmp_path / "council.csv", tmp_path / "council.bloom")
    out = cli("index", "add", index, refreshed).stdout
    assert "refresh of the source held" in out, out
    assert count(out, "retired;") == 2 and count(out, "added,") == 1, out
    assert count(out, "updated,") >= 1, out
    assert "from generation 1 to 2" in out
    # A new source in the same command form, named by NAME=.
    history = cli("index", "history", index).stdout
    assert re.search(r"^generation 1, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: build of trust, "
                     r"council, community$", history, re.M), history
    assert re.search(r"^generation 2, .* UTC: add of council \(refresh\)$", history, re.M), history
    assert "2 retired" in history
    doc = json.loads(cli("index", "history", index, "--json", "-").stdout)
    assert [u["generation"] for u in doc["updates"]] == [1, 2]
    assert doc["updates"][1]["sources"] == [{"name": "council", "change": "refresh"}]
    assert doc["updates"][1]["records_retired"] == 2
    # The churn against the crosswalk before the refresh: small.
    after = tmp_path / "after.csv"
    cli("index", "export", index, "--output", after)
    out = cli("evaluate", "--crosswalk", after, "--previous-crosswalk", world["crosswalk"]).stdout
    previous = len(read_rows(world["crosswalk"]))
    assert f"{previous - 2:,} records in both (2 only in the previous one, 1 only in this one)" \
        in out, out
    churn = float(re.search(r"ID churn ([\d.]+)", out).group(1))
    assert churn < 0.02, out
    f1 = float(re.search(r"B-cubed precision [\d.]+\s+recall [\d.]+\s+F1 ([\d.]+)", out).group(1))
    assert f1 > 0.97, out
    # Both against the truth and the previous crosswalk: the new record is not in the truth.
    out = cli("evaluate", "--crosswalk", world["crosswalk"], "--previous-crosswalk",
              world["crosswalk"], "--truth", world["truth"]).stdout
    assert "pairwise" in out and "ID churn 0.0000" in out


def test_add_a_new_source_named_on_the_command_line(world, cli, tmp_path):
    index = copy_index(world, tmp_path)
    gp = encode(cli, world["schema"], world["csv"] / "community.csv", tmp_path / "x.bloom")
    out = cli("index", "add", index, f"gp={gp}", "--unique-source", "gp").stdout
    assert "gp (" in out and "new source" in out and "(unique" in out, out
    assert count(out, "added,") == len(read_rows(world["csv"] / "community.csv"))
    history = cli("index", "history", index).stdout
    assert "add of gp (new source)" in history


def test_history_lists_merges(world, cli, tmp_path):
    """Council records that were persons of their own are given the identifiers of trust
    records that were too: the refresh joins each pair, a merge of two existing persons."""
    index = copy_index(world, tmp_path)
    rows = read_rows(world["crosswalk"])
    size = {}
    for r in rows:
        size[r["person_id"]] = size.get(r["person_id"], 0) + 1
    alone = {(r["source"], r["record_id"]) for r in rows if size[r["person_id"]] == 1}
    trust = [r for r in read_rows(world["csv"] / "trust.csv") if ("trust", r["id"]) in alone]
    council = read_rows(world["csv"] / "council.csv")
    targets = [r for r in council if ("council", r["id"]) in alone][:2]
    assert len(trust) >= 2 and len(targets) == 2
    for t, c in zip(trust, targets):
        c.update({k: v for k, v in t.items() if k != "id"})
    write_rows(tmp_path / "council.csv", council)
    refreshed = encode(cli, world["schema"], tmp_path / "council.csv", tmp_path / "council.bloom")
    out = cli("index", "add", index, refreshed).stdout
    assert count(out, "merged,") == 2 and count(out, "updated,") == 2, out
    history = cli("index", "history", index).stdout
    merges = re.findall(r"^  merged: P[0-9a-f]{24} kept; superseded P[0-9a-f]{24}$", history,
                        re.M)
    assert len(merges) == 2, history
    doc = json.loads(cli("index", "history", index, "--json", "-").stdout)
    assert [e["kind"] for e in doc["updates"][1]["events"]] == ["merged", "merged"]


def expect_refusal(cli, *args, message, secret=None):
    proc = cli(*args, expect=None, secret=secret)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert message in proc.stderr, proc.stderr
    assert proc.stderr.startswith("bloomlink: error: "), proc.stderr
    return proc


def test_refusals(world, cli, tmp_path):
    index = copy_index(world, tmp_path)
    other = encode(cli, world["schema"], world["csv"] / "community.csv", tmp_path / "gp.bloom",
                   secret=OTHER_SECRET)
    proc = expect_refusal(cli, "index", "add", index, other, message="gp.bloom")
    assert "secret" in proc.stderr and OTHER_SECRET not in proc.stderr
    proc = expect_refusal(cli, "index", "build", "--output", tmp_path / "new.index",
                          world["blooms"]["trust"], other, message="gp.bloom")
    assert "secret" in proc.stderr
    assert not (tmp_path / "new.index").exists()
    # A duplicate source name on one command line (by stem, or by NAME=).
    expect_refusal(cli, "index", "add", index, world["blooms"]["council"],
                   f"council={world['blooms']['trust']}", message="source council is given twice")
    expect_refusal(cli, "index", "build", "--output", tmp_path / "new.index",
                   world["blooms"]["trust"], world["blooms"]["trust"],
                   message="source trust is given twice")
    expect_refusal(cli, "index", "build", "--output", tmp_path / "new.index",
                   world["blooms"]["trust"], "--unique-source", "gp",
                   message="--unique-source gp: no source of that name is given")
    # A truncated index, and files that are not an index.
    cut = tmp_path / "cut.index"
    data = world["index"].read_bytes()
    cut.write_bytes(data[:len(data) - 40])
    for command in (("stats", cut), ("history", cut), ("export", cut, "--output", tmp_path / "x.csv"),
                    ("add", cut, world["blooms"]["trust"])):
        proc = expect_refusal(cli, "index", *command, message="cut.index")
        assert "truncated" in proc.stderr or "damaged" in proc.stderr, proc.stderr
    assert not (tmp_path / "x.csv").exists()
    expect_refusal(cli, "index", "stats", world["truth"],
                   message="not a bloomlink person index")
    expect_refusal(cli, "index", "add", world["blooms"]["trust"], world["blooms"]["council"],
                   message="not a bloomlink person index")
    expect_refusal(cli, "index", "stats", tmp_path / "missing.index", message="missing.index")
    # A source that is not a .bloom file.
    expect_refusal(cli, "index", "add", index, world["csv"] / "trust.csv",
                   message="trust.csv")


def test_failed_add_leaves_the_index_as_it_was(world, cli, tmp_path):
    index = copy_index(world, tmp_path)
    before = index.read_bytes()
    other = encode(cli, world["schema"], world["csv"] / "community.csv", tmp_path / "gp.bloom",
                   secret=OTHER_SECRET)
    files = listing(tmp_path)
    # The good refresh first, then a file of another secret: nothing is written.
    proc = cli("index", "add", index, world["blooms"]["council"], other, expect=None)
    assert proc.returncode == 2 and "gp.bloom" in proc.stderr, proc.stderr
    assert index.read_bytes() == before
    assert listing(tmp_path) == sorted(set(files) | {"people.index.lock"}), listing(tmp_path)
    # A damaged second file.
    damaged = tmp_path / "damaged.bloom"
    damaged.write_bytes(world["blooms"]["trust"].read_bytes()[:-30])
    proc = cli("index", "add", index, world["blooms"]["council"], damaged, expect=None)
    assert proc.returncode == 2 and "damaged.bloom" in proc.stderr, proc.stderr
    assert index.read_bytes() == before
    assert not [f for f in listing(tmp_path) if f.startswith(".") or "tmp" in f], listing(tmp_path)


def test_a_second_writer_is_refused_while_the_lock_is_held(world, cli, tmp_path):
    index = copy_index(world, tmp_path)
    before = index.read_bytes()
    with open(f"{index}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        proc = cli("index", "add", index, world["blooms"]["council"], expect=None)
        assert proc.returncode != 0 and "another process is updating" in proc.stderr, proc.stderr
        proc = cli("index", "build", "--force", "--output", index, world["blooms"]["trust"],
                   expect=None)
        assert proc.returncode != 0 and "another process is updating" in proc.stderr, proc.stderr
        # Readers do not need the lock.
        cli("index", "stats", index)
    assert index.read_bytes() == before
    cli("index", "add", index, world["blooms"]["council"], "--quiet")
    assert index.read_bytes() != before


def test_build_refuses_an_existing_output_without_force(world, cli, tmp_path):
    index = copy_index(world, tmp_path)
    before = index.read_bytes()
    expect_refusal(cli, "index", "build", "--output", index, world["blooms"]["trust"],
                   world["blooms"]["council"], message="already exists")
    assert index.read_bytes() == before
    out = cli("index", "build", "--force", "--output", index, f"t={world['blooms']['trust']}",
              world["blooms"]["council"], "--quiet").stdout
    assert out == ""
    history = cli("index", "history", index).stdout
    assert "generation 1, " in history and "build of t, council" in history, history
    assert "generation 2" not in history
