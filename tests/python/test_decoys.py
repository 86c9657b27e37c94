"""Decoy records and pseudonymous ids: `bloomlink encode --decoys`, a link of two holders' files,
`bloomlink reveal` of the pairs and of a person index's crosswalk, and the same from Python.
Decoys never appear in what a holder gets back, real ids do, the counts are reported, the secret
is never printed, a bad fraction is refused and the wrong secret is said to be wrong."""
import csv
import re
import warnings

import pytest

import bloomlink
from conftest import SECRET

OTHER_SECRET = "another secret entirely, not the suite's"


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def ids_of(path, column="id"):
    return {row[column] for row in read_rows(path)}


def count(text, what):
    """The number before `what` in a summary line ("1,234 added" -> 1234)."""
    match = re.search(r"([\d,]+) " + re.escape(what), text)
    assert match, f"no '{what}' in:\n{text}"
    return int(match.group(1).replace(",", ""))


PSEUDONYM = re.compile(r"^[a-z2-7]{26}$")


@pytest.fixture(scope="module")
def world(tmp_path_factory, cli):
    """Two synthetic extracts encoded with 25% decoys each (and without), and their truth."""
    d = tmp_path_factory.mktemp("decoys")
    schema = d / "schema.json"
    cli("schema", "init", "--output", schema)
    cli("synth", "--records", 1500, "--seed", 5, "--output", d / "s")
    secret = d / "project.key"
    secret.write_text(SECRET)
    secret.chmod(0o600)
    outputs = {}
    decoys = {}
    for name in ("trust", "council"):
        run = cli("encode", "--schema", schema, "--secret-file", secret, "--input",
                  d / "s" / f"{name}.csv", "--output", d / f"{name}.bloom", "--decoys", "0.25")
        outputs[name] = run
        decoys[name] = count(run.stdout, "decoy records")
        cli("encode", "--schema", schema, "--secret-file", secret, "--input",
            d / "s" / f"{name}.csv", "--output", d / f"{name}-plain.bloom", "--quiet")
    return {"dir": d, "schema": schema, "secret": secret, "encode": outputs, "decoys": decoys,
            "trust_csv": d / "s" / "trust.csv", "council_csv": d / "s" / "council.csv",
            "truth": d / "s" / "truth.csv"}


def reveal(cli, world, table_option, table, output, *inputs, secret=None, expect=0):
    args = ["reveal", "--schema", world["schema"], "--secret-file", secret or world["secret"],
            table_option, table, "--output", output]
    for path in inputs or (world["trust_csv"], world["council_csv"]):
        args += ["--input", path]
    return cli(*args, expect=expect)


def test_encode_adds_the_fraction_of_decoys_with_pseudonymous_ids(world, cli):
    trust_records = len(read_rows(world["trust_csv"]))
    assert world["decoys"]["trust"] == round(0.25 * trust_records)
    out = world["encode"]["trust"].stdout
    assert "ids are keyed pseudonyms" in out
    inspect = cli("inspect", world["dir"] / "trust.bloom").stdout
    assert re.search(r"records\s+" + f"{trust_records + world['decoys']['trust']:,}", inspect)
    assert "keyed pseudonyms" in inspect
    plain = cli("inspect", world["dir"] / "trust-plain.bloom").stdout
    assert "pseudonyms" not in plain
    # The decoy count is written nowhere the linkage unit looks: the file says only that ids
    # are pseudonymous.
    data = bloomlink.EncodedDataset.load(world["dir"] / "trust.bloom")
    assert data.pseudonymous_ids
    assert all(PSEUDONYM.match(i) for i in data.ids)
    assert data.ids == sorted(data.ids)
    assert data.records_skipped == 0


def test_decoys_never_appear_in_revealed_pairs_and_real_ids_come_back(world, cli, tmp_path):
    d = world["dir"]
    # A low threshold without one-to-one: many pairs, some of them with decoys.
    cli("link", d / "trust.bloom", d / "council.bloom", "--threshold", "0.6", "--one-to-one",
        "none", "--output", tmp_path / "loose.csv", "--quiet")
    run = reveal(cli, world, "--pairs", tmp_path / "loose.csv", tmp_path / "loose-revealed.csv")
    dropped = count(run.stdout, "left out as they name a decoy")
    assert dropped > 0
    assert count(run.stdout, "rows read") == len(read_rows(tmp_path / "loose.csv"))
    rows = read_rows(tmp_path / "loose-revealed.csv")
    assert len(rows) == count(run.stdout, "rows read") - dropped
    trust_ids, council_ids = ids_of(world["trust_csv"]), ids_of(world["council_csv"])
    assert {r["id_a"] for r in rows} <= trust_ids  # every one revealed: none is a decoy
    assert {r["id_b"] for r in rows} <= council_ids
    assert count(run.stdout, "revealed") == 2 * len(rows)

    # The default link, revealed, is as good as without decoys.
    cli("link", d / "trust.bloom", d / "council.bloom", "--output", tmp_path / "pairs.csv",
        "--quiet")
    reveal(cli, world, "--pairs", tmp_path / "pairs.csv", tmp_path / "revealed.csv")
    with_decoys = cli("evaluate", "--pairs", tmp_path / "revealed.csv", "--truth",
                      world["truth"]).stdout
    cli("link", d / "trust-plain.bloom", d / "council-plain.bloom", "--output",
        tmp_path / "plain.csv", "--quiet")
    without = cli("evaluate", "--pairs", tmp_path / "plain.csv", "--truth", world["truth"]).stdout
    f1 = lambda text: float(re.search(r"F1 ([\d.]+)", text).group(1))  # noqa: E731
    assert f1(with_decoys) >= f1(without) - 0.01
    assert f1(with_decoys) > 0.95

    # One holder alone: its own ids revealed, the other's left as pseudonyms, decoys of both
    # left out (the tag key is every holder's).
    run = reveal(cli, world, "--pairs", tmp_path / "loose.csv", tmp_path / "trust-view.csv",
                 world["trust_csv"])
    assert count(run.stdout, "left out as they name a decoy") == dropped
    rows = read_rows(tmp_path / "trust-view.csv")
    assert {r["id_a"] for r in rows} <= trust_ids
    assert all(PSEUDONYM.match(r["id_b"]) for r in rows)
    assert count(run.stdout, "left as they were") == len(rows)


def test_decoys_never_appear_in_a_revealed_crosswalk(world, cli, tmp_path):
    d = world["dir"]
    index = tmp_path / "people.index"
    cli("index", "build", "--output", index, d / "trust.bloom", d / "council.bloom",
        "--unique-source", "trust", "--quiet")
    cli("index", "export", index, "--output", tmp_path / "crosswalk.csv", "--quiet")
    run = reveal(cli, world, "--crosswalk", tmp_path / "crosswalk.csv",
                 tmp_path / "crosswalk-revealed.csv")
    # Every record is in the crosswalk once: exactly the decoys are left out.
    assert count(run.stdout, "left out as they name a decoy") == sum(world["decoys"].values())
    rows = read_rows(tmp_path / "crosswalk-revealed.csv")
    by_source = {"trust": ids_of(world["trust_csv"]), "council": ids_of(world["council_csv"])}
    assert len(rows) == sum(len(v) for v in by_source.values())
    for row in rows:
        assert row["record_id"] in by_source[row["source"]]
    # A refreshed extract encoded again keeps every pseudonym and decoy: nothing changes.
    cli("encode", "--schema", world["schema"], "--secret-file", world["secret"], "--input",
        world["council_csv"], "--output", tmp_path / "council.bloom", "--decoys", "0.25",
        "--quiet")
    add = cli("index", "add", index, tmp_path / "council.bloom").stdout
    assert "0 added, 0 updated" in add and "0 retired" in add


def test_pseudonymous_ids_without_decoys(world, cli, tmp_path):
    d = world["dir"]
    for name in ("trust", "council"):
        run = cli("encode", "--schema", world["schema"], "--secret-file", world["secret"],
                  "--input", world[f"{name}_csv"], "--output", tmp_path / f"{name}.bloom",
                  "--pseudonymous-ids")
        assert "decoy record" not in run.stdout
    assert len(bloomlink.EncodedDataset.load(tmp_path / "trust.bloom")) == len(
        bloomlink.EncodedDataset.load(d / "trust-plain.bloom"))
    cli("link", tmp_path / "trust.bloom", tmp_path / "council.bloom", "--output",
        tmp_path / "pairs.csv", "--quiet")
    run = reveal(cli, world, "--pairs", tmp_path / "pairs.csv", tmp_path / "revealed.csv")
    assert count(run.stdout, "left out as they name a decoy") == 0
    cli("link", d / "trust-plain.bloom", d / "council-plain.bloom", "--output",
        tmp_path / "plain.csv", "--quiet")
    # The same pairs as without pseudonyms, once revealed.
    pairs = lambda path: sorted((r["id_a"], r["id_b"]) for r in read_rows(path))  # noqa: E731
    assert pairs(tmp_path / "revealed.csv") == pairs(tmp_path / "plain.csv")


def test_the_wrong_secret_reveals_nothing_and_says_so(world, cli, tmp_path):
    d = world["dir"]
    cli("link", d / "trust.bloom", d / "council.bloom", "--output", tmp_path / "pairs.csv",
        "--quiet")
    other = tmp_path / "other.key"
    other.write_text(OTHER_SECRET)
    other.chmod(0o600)
    run = reveal(cli, world, "--pairs", tmp_path / "pairs.csv", tmp_path / "revealed.csv",
                 secret=other)
    pairs = len(read_rows(tmp_path / "pairs.csv"))
    assert (f"0 of the {2 * pairs:,} pseudonymous ids were recognised" in run.stderr
            and "probably the wrong secret" in run.stderr)
    assert count(run.stdout, "revealed") == 0
    assert read_rows(tmp_path / "revealed.csv") == read_rows(tmp_path / "pairs.csv")
    # Encodings without pseudonyms: nothing to reveal, and it says so too.
    cli("link", d / "trust-plain.bloom", d / "council-plain.bloom", "--output",
        tmp_path / "plain.csv", "--quiet")
    run = reveal(cli, world, "--pairs", tmp_path / "plain.csv", tmp_path / "plain-out.csv")
    assert "no id is a pseudonym" in run.stderr


def test_the_secret_is_never_printed_or_written(world, cli, tmp_path):
    d = world["dir"]
    cli("link", d / "trust.bloom", d / "council.bloom", "--output", tmp_path / "pairs.csv",
        "--quiet")
    run = reveal(cli, world, "--pairs", tmp_path / "pairs.csv", tmp_path / "revealed.csv")
    for proc in (run, *world["encode"].values()):
        assert SECRET not in proc.stdout and SECRET not in proc.stderr
    for path in (tmp_path / "revealed.csv", d / "trust.bloom", d / "council.bloom"):
        assert SECRET.encode() not in path.read_bytes()
    # The secret as an argument is refused, as for encode.
    run = cli("reveal", "--secret", SECRET, expect=2)
    assert SECRET not in run.stderr


@pytest.mark.parametrize("value", ["1.5", "-0.1", "nan"])
def test_a_bad_fraction_is_refused(world, cli, tmp_path, value):
    run = cli("encode", "--schema", world["schema"], "--secret-file", world["secret"],
              "--input", world["trust_csv"], "--output", tmp_path / "t.bloom",
              f"--decoys={value}", expect=2)
    assert "--decoys: expected a fraction of the records encoded between 0 and 1" in run.stderr
    assert not (tmp_path / "t.bloom").exists()


def test_other_refusals(world, cli, tmp_path):
    run = cli("encode", "--schema", world["schema"], "--secret-file", world["secret"],
              "--input", world["trust_csv"], "--output", tmp_path / "t.json", "--decoys", "0.2",
              expect=2)
    assert "clkhash JSON has none" in run.stderr
    run = cli("reveal", "--schema", world["schema"], "--secret-file", world["secret"],
              "--input", world["trust_csv"], "--output", tmp_path / "o.csv", expect=2)
    assert "give --pairs FILE" in run.stderr
    (tmp_path / "bad.csv").write_text("a,b\nx,y\n")
    run = reveal(cli, world, "--pairs", tmp_path / "bad.csv", tmp_path / "o.csv", expect=2)
    assert "bad.csv" in run.stderr and "id_a" in run.stderr
    (tmp_path / "empty.csv").write_text("id_a,id_b\nx,y\nx,\n")
    run = reveal(cli, world, "--pairs", tmp_path / "empty.csv", tmp_path / "o.csv", expect=2)
    assert "empty.csv:3: column 2 (id_b) is empty" in run.stderr
    assert not (tmp_path / "o.csv").exists()


# ---- Python ----------------------------------------------------------------------------------

def test_python_encode_link_reveal(world, tmp_path):
    data = bloomlink.synth(800, seed=11)
    schema = bloomlink.Schema.starter()
    trust = bloomlink.encode(data.trust, schema, secret=SECRET, decoys=0.25)
    council = bloomlink.encode(data.council, schema, secret=SECRET, decoys=0.25)
    assert trust.report["decoys"] == 200 and len(trust) == 1000
    assert trust.pseudonymous_ids and all(PSEUDONYM.match(i) for i in trust.ids)
    plain = bloomlink.encode(data.trust, schema, secret=SECRET)
    assert not plain.pseudonymous_ids and plain.report["decoys"] == 0
    loose = bloomlink.link(trust, council, threshold=0.6, one_to_one="none")
    revealed = bloomlink.reveal(loose, [data.trust, data.council], schema, secret=SECRET)
    assert isinstance(revealed, bloomlink.Revealed)
    assert revealed.rows_dropped > 0
    assert revealed.rows_read == len(loose)
    assert len(revealed.table) == revealed.rows_read - revealed.rows_dropped
    assert set(revealed.table["id_a"]) <= set(data.trust["id"])
    assert set(revealed.table["id_b"]) <= set(data.council["id"])
    assert revealed.ids_revealed == 2 * len(revealed.table) and revealed.ids_left == 0
    assert list(revealed.table.columns) == list(loose.pairs.columns)
    # From a path to a path: the bytes `bloomlink reveal` writes.
    loose.to_csv(tmp_path / "loose.csv")
    data.trust.to_csv(tmp_path / "trust.csv", index=False)
    data.council.to_csv(tmp_path / "council.csv", index=False)
    by_path = bloomlink.reveal(tmp_path / "loose.csv", [tmp_path / "trust.csv", data.council],
                               schema, secret=SECRET, output=tmp_path / "out.csv")
    assert by_path.rows_dropped == revealed.rows_dropped
    assert list(by_path.table["id_a"]) == list(revealed.table["id_a"])
    # A crosswalk of a person index.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # linked by Dice: the starter schema has no field filters
        index = bloomlink.PersonIndex.build({"trust": trust, "council": council},
                                            unique=["trust"])
    crosswalk = bloomlink.reveal(index.crosswalk(), [data.trust, data.council], schema,
                                 secret=SECRET)
    assert crosswalk.rows_dropped == 200 + council.report["decoys"]
    assert set(crosswalk.table["record_id"]) <= set(data.trust["id"]) | set(data.council["id"])
    # The wrong secret: a warning, nothing revealed.
    with pytest.warns(UserWarning, match="probably the wrong secret"):
        wrong = bloomlink.reveal(loose, data.trust, schema, secret=OTHER_SECRET)
    assert wrong.ids_revealed == 0 and wrong.rows_dropped == 0


def test_python_bad_fraction(world):
    data = bloomlink.synth(50, seed=2)
    for bad in (1.5, -1, float("nan")):
        with pytest.raises(ValueError, match="decoys: expected a fraction"):
            bloomlink.encode(data.trust, bloomlink.Schema.starter(), secret=SECRET, decoys=bad)
    with pytest.raises(ValueError, match="decoys: expected a number"):
        bloomlink.encode(data.trust, bloomlink.Schema.starter(), secret=SECRET, decoys="many")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bloomlink.encode(data.trust, bloomlink.Schema.starter(), secret=SECRET, decoys=0)
