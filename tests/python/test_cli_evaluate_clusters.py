"""`bloomlink evaluate --crosswalk`: a person crosswalk's clusters against the entities of a
truth (synth --sources writes one): pairwise, B-cubed and cluster-exact; records of the truth
missing from the crosswalk counted alone; bad input refused naming the file and line."""
import csv


def scores(out, what):
    line = next(l for l in out.splitlines() if l.strip().startswith(what))
    parts = line.split()
    return {k: float(parts[parts.index(k) + 1]) for k in ("precision", "recall", "F1")}


def write(path, rows):
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows(rows)


def test_crosswalk_against_the_truth(cli, tmp_path):
    cli("synth", "--sources", 3, "--records", 300, "--output", tmp_path / "s")
    with open(tmp_path / "s" / "truth.csv", newline="") as f:
        truth = list(csv.DictReader(f))
    perfect = tmp_path / "perfect.csv"
    write(perfect, [["person_id", "source", "record_id", "confidence"]] +
          [[r["entity"], r["source"], r["record_id"], 1] for r in truth])
    out = cli("evaluate", "--crosswalk", perfect, "--truth", tmp_path / "s" / "truth.csv").stdout
    assert f"{len(truth):,} records" in out
    for what in ("pairwise", "B-cubed", "cluster-exact (groups)"):
        assert scores(out, what) == {"precision": 1.0, "recall": 1.0, "F1": 1.0}, out
    # Every record alone, and the trust's records left out: nothing linked, nothing wrong.
    alone = tmp_path / "alone.csv"
    write(alone, [["source", "record_id", "person_id"]] +
          [[r["source"], r["record_id"], f"x{i}"] for i, r in enumerate(truth)
           if r["source"] != "trust"])
    out = cli("evaluate", "--crosswalk", alone, "--truth", tmp_path / "s" / "truth.csv").stdout
    assert "records of the truth not in the crosswalk, each counted alone" in out
    pairwise = scores(out, "pairwise")
    assert pairwise["precision"] == 1.0 and pairwise["recall"] == 0.0
    # A record the truth does not know, and a record listed twice: refused.
    unknown = tmp_path / "unknown.csv"
    write(unknown, [["person_id", "source", "record_id"], ["p1", "trust", "nobody"]])
    proc = cli("evaluate", "--crosswalk", unknown, "--truth", tmp_path / "s" / "truth.csv",
               expect=None)
    assert proc.returncode != 0 and "record nobody of source trust is not in the truth" in proc.stderr
    twice = tmp_path / "twice.csv"
    first = truth[0]
    write(twice, [["person_id", "source", "record_id"], ["p1", first["source"], first["record_id"]],
                  ["p2", first["source"], first["record_id"]]])
    proc = cli("evaluate", "--crosswalk", twice, "--truth", tmp_path / "s" / "truth.csv",
               expect=None)
    assert proc.returncode != 0 and "twice.csv:3: record" in proc.stderr and "listed twice" in proc.stderr
    proc = cli("evaluate", "--crosswalk", perfect, "--pairs", perfect, "--truth",
               tmp_path / "s" / "truth.csv", expect=None)
    assert proc.returncode != 0 and "no --pairs" in proc.stderr
    proc = cli("evaluate", "--truth", tmp_path / "s" / "truth.csv", expect=None)
    assert proc.returncode != 0 and "give --pairs FILE (or --crosswalk FILE)" in proc.stderr


def test_python_synth_sources_gives_dataframes_and_their_truth():
    import bloomlink
    data = bloomlink.synth_sources(600, sources=4, seed=3)
    assert list(data.sources) == ["trust", "council", "community", "gp"]
    assert list(data.truth.columns) == ["source", "record_id", "entity"]
    assert len(data.truth) == sum(len(f) for f in data.sources.values())
    for name, frame in data.sources.items():
        assert list(frame.columns) == ["id", "nhs_number", "given_name", "family_name",
                                       "date_of_birth", "sex", "postcode"]
        listed = set(data.truth[data.truth["source"] == name]["record_id"])
        assert listed == set(frame["id"])
    again = bloomlink.synth_sources(600, sources=4, seed=3)
    assert again.truth.equals(data.truth)
    import pytest
    with pytest.raises(ValueError, match="sources must be from 2 to 16"):
        bloomlink.synth_sources(10, sources=1)
