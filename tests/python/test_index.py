"""The person index from Python (bloomlink.PersonIndex): three synthetic organisations' extracts
(bloomlink.synth_sources) encoded as each organisation would, indexed without labels and judged
against their truth; built one source at a time against a one-shot build; a refreshed extract
with a few records changed, retired and added; the file written and read back, and refused when
damaged or locked; the overlap counts with and without disclosure control; the errors."""
import datetime
import fcntl
import re
import threading

import numpy as np
import pandas as pd
import pytest

import bloomlink
from bloomlink import FileError, InputError, PersonIndex, Schema
from conftest import SECRET, unhardened_starter

OTHER_SECRET = "a different secret that nobody shares"
NAMES = ["trust", "council", "community"]
# The trust and the community hold each person at most once (bloomlink synth --sources).
UNIQUE = ["trust", "community"]
PERSON_ID = re.compile(r"^P[0-9a-f]{24}$")


@pytest.fixture(scope="module")
def data():
    return bloomlink.synth_sources(1000, sources=3, seed=17)


@pytest.fixture(scope="module")
def encoded(data):
    """Each organisation's extract encoded on its own side (same schema, same secret)."""
    schema = Schema.from_dict(unhardened_starter())
    return {name: bloomlink.encode(data.sources[name], schema, secret=SECRET) for name in NAMES}


@pytest.fixture(scope="module")
def index(encoded):
    """The one-shot build (the trust holds each person once)."""
    return PersonIndex.build(encoded, unique=UNIQUE, threads=2)


def flat(metrics):
    """ClusterMetrics as a flat list of numbers."""
    out = [metrics.records, metrics.persons, metrics.entities]
    for scores in (metrics.pairwise, metrics.bcubed, metrics.exact, metrics.exact_groups):
        out += [scores.precision, scores.recall, scores.f1]
    return out


def comparison(a, b):
    return bloomlink.compare_crosswalks(a, b)


# -------------------------------------------------------------------------------------------------
# Build, crosswalk, evaluation


def test_build_from_three_sources(index, encoded):
    assert index.sources == NAMES
    assert index.records == sum(len(e) for e in encoded.values())
    assert 0 < index.persons < index.records
    assert index.generation == 1
    assert index.settings == {"method": "auto", "blocking": "exhaustive", "cluster_threshold": 0.3,
                              "change_margin": 0.2}
    assert index.schema_fingerprint == encoded["trust"].schema_fingerprint
    assert index.key_check == encoded["trust"].key_check
    assert repr(index) == (f"PersonIndex(3 sources: trust, council, community; "
                           f"{index.records:,} records, {index.persons:,} persons; generation 1)")


def test_crosswalk_has_a_row_per_record(index, encoded):
    cw = index.crosswalk()
    assert list(cw.columns) == ["person_id", "source", "record_id", "confidence"]
    assert cw.shape == (index.records, 4)
    assert list(cw["source"]) == [n for n in NAMES for _ in range(len(encoded[n]))]
    assert list(cw["record_id"]) == [i for n in NAMES for i in encoded[n].ids]
    assert cw["person_id"].map(lambda p: bool(PERSON_ID.match(p))).all()
    assert cw["person_id"].nunique() == index.persons
    assert ((cw["confidence"] > 0) & (cw["confidence"] <= 1)).all()
    # The trust is unique: a person never holds two of its records.
    assert not cw[cw["source"] == "trust"]["person_id"].duplicated().any()


def test_evaluate_against_the_truth(index, data, tmp_path):
    m = index.evaluate(data.truth)
    assert isinstance(m, bloomlink.ClusterMetrics)
    assert m.records == index.records and m.persons == index.persons
    assert m.entities == data.truth["entity"].nunique()
    assert m.pairwise.f1 > 0.95, m
    assert m.exact.f1 > 0.9, m
    assert 0 < m.bcubed.f1 <= 1 and 0 < m.exact_groups.f1 <= 1
    path = tmp_path / "truth.csv"
    data.truth.to_csv(path, index=False)
    assert flat(index.evaluate(path)) == pytest.approx(flat(m))
    # Truth rows for records the index does not hold are ignored.
    extra = pd.DataFrame({"source": ["trust"], "record_id": ["not-a-record"], "entity": ["x"]})
    assert flat(index.evaluate(pd.concat([data.truth, extra]))) == pytest.approx(flat(m))


def test_evaluate_refuses_an_incomplete_or_ambiguous_truth(index, data):
    gone = data.truth.iloc[5]
    with pytest.raises(InputError, match=f"record {gone['record_id']} of source {gone['source']} "
                                         f"is not in the truth"):
        index.evaluate(data.truth.drop(index=data.truth.index[5]))
    with pytest.raises(InputError, match="is listed twice"):
        index.evaluate(pd.concat([data.truth, data.truth.iloc[:1]]))
    with pytest.raises(InputError, match="no column entity"):
        index.evaluate(data.truth.drop(columns="entity"))


def test_one_source_at_a_time_agrees_with_the_one_shot_build(index, encoded):
    step = PersonIndex.build({"trust": encoded["trust"]}, unique=["trust"], threads=2)
    first = step.add("council", encoded["council"], threads=2)
    assert isinstance(first, bloomlink.IndexUpdate)
    assert (first.generation, first.action, first.sources) == (2, "add", ("council",))
    assert first.records_added == len(encoded["council"])
    assert first.records_retired == first.records_updated == first.records_unchanged == 0
    second = step.add("community", encoded["community"], unique=True, threads=2)
    assert second.generation == step.generation == 3
    assert step.sources == NAMES and step.records == index.records
    c = comparison(index, step)
    assert c.records == index.records and c.only_before == c.only_after == 0
    assert c.bcubed_f1 >= 0.99, c
    assert c.id_churn == 1.0  # two separate indexes share no IDs
    assert list(step.history()["action"]) == ["build", "add", "add"]


def test_same_inputs_same_persons(index, encoded):
    again = PersonIndex.build(encoded, unique=UNIQUE, threads=1)
    c = comparison(index, again)
    assert (c.bcubed_f1, c.pairwise_f1, c.id_churn) == (1.0, 1.0, 1.0)
    # Everything but the random IDs is the same.
    a, b = index.crosswalk(), again.crosswalk()
    pd.testing.assert_frame_equal(a.drop(columns="person_id"), b.drop(columns="person_id"))
    assert index.stats(False).combinations.equals(again.stats(False).combinations)


def test_build_from_encoding_files(index, encoded, tmp_path):
    paths = {}
    for name, enc in encoded.items():
        paths[name] = tmp_path / f"{name}.bloom"
        enc.save(paths[name])
    from_files = PersonIndex.build([(n, paths[n]) for n in NAMES], unique=UNIQUE, threads=2)
    assert from_files.sources == NAMES
    assert comparison(index, from_files).bcubed_f1 == 1.0


# -------------------------------------------------------------------------------------------------
# A refreshed extract


def refreshed_council(data, before):
    """The council's extract a month later, chosen from the index's crosswalk `before`:
    - 5 records with another given name (the same persons, updated);
    - 1 record of a person also in the trust, now with another person's identifiers (updated;
      the person splits);
    - 2 records that were persons on their own, and 2 of persons also in other sources, gone
      (retired; the 2 persons' IDs retired);
    - 3 new records (the trust's first three persons, as the council writes them)."""
    council = data.sources["council"].copy().set_index("id", drop=False)
    size = before.groupby("person_id")["record_id"].transform("size")
    rows = before.assign(size=size)[before["source"] == "council"]
    spread = before.groupby("person_id")["source"].nunique()
    rows = rows.assign(spread=rows["person_id"].map(spread))
    alone = list(rows[rows["size"] == 1]["record_id"][:2])
    one_each = (rows["spread"] >= 2) & (rows["size"] == rows["spread"])
    in_trust = rows["person_id"].isin(set(before[before["source"] == "trust"]["person_id"]))
    split = rows[one_each & in_trust]["record_id"].iloc[0]
    shared = rows[one_each & (rows["record_id"] != split)]["record_id"]
    gone_shared, renamed = list(shared.iloc[:2]), list(shared.iloc[2:7])
    council.loc[renamed, "given_name"] = "Zebedee"
    council.loc[split, ["nhs_number", "given_name", "family_name", "date_of_birth", "sex",
                        "postcode"]] = ["", "Quentin", "Xylophone", "01/01/1901", "1", "ZE1 0AA"]
    gone = alone + gone_shared
    council = council.drop(index=gone)
    new = data.sources["trust"].iloc[:3].copy()
    new["id"] = [f"new-{i}" for i in range(3)]
    new["date_of_birth"] = pd.to_datetime(new["date_of_birth"]).dt.strftime("%d/%m/%Y")
    new["sex"] = new["sex"].map({"M": "1", "F": "2"})
    extract = pd.concat([council.reset_index(drop=True), new], ignore_index=True)
    return extract, renamed + [split], gone, alone


def test_a_refresh_counts_its_records_and_keeps_most_ids(encoded, data):
    people = PersonIndex.build(encoded, unique=UNIQUE, threads=2)
    before = people.crosswalk()
    persons_before = people.persons
    extract, changed, gone, alone = refreshed_council(data, before)
    refreshed = bloomlink.encode(extract, Schema.from_dict(unhardened_starter()), secret=SECRET)
    update = people.add("council", refreshed, threads=2)

    assert (update.generation, update.action, update.sources) == (2, "add", ("council",))
    assert isinstance(update.time, datetime.datetime) and update.time.tzinfo is not None
    assert update.records_updated == 6
    assert update.records_retired == 4
    assert update.records_added == 3
    assert update.records_unchanged == len(encoded["council"]) - 6 - 4
    assert update.persons_retired == 2
    assert update.persons_split == 1
    assert update.persons == people.persons
    # New persons and parts split off, less the IDs retired and those merges superseded.
    split_off = sum(len(e["others"]) for e in update.events if e["kind"] == "split")
    superseded = sum(len(e["others"]) for e in update.events if e["kind"] == "merged")
    assert update.persons_new + split_off - update.persons_retired - superseded == \
        people.persons - persons_before
    assert 0 < update.records_reclustered < people.records
    assert update.seconds >= 0
    assert people.records == before.shape[0] - 4 + 3
    # The retired records are gone from the crosswalk, the new ones are in it.
    cw = people.crosswalk()
    council_ids = set(cw[cw["source"] == "council"]["record_id"])
    assert not council_ids & set(gone) and {"new-0", "new-1", "new-2"} <= council_ids
    # The new records are the trust's persons, under their IDs.
    person = dict(zip(cw["source"] + "/" + cw["record_id"], cw["person_id"]))
    trust_ids = list(encoded["trust"].ids[:3])
    assert [person[f"council/new-{i}"] for i in range(3)] == [person[f"trust/{t}"]
                                                              for t in trust_ids]

    c = comparison(before, people)
    assert c.records == before.shape[0] - 4 and c.only_before == 4 and c.only_after == 3
    assert c.id_churn < 0.02, c
    assert c.bcubed_f1 > 0.98, c

    history = people.history()
    assert list(history.columns) == [
        "generation", "time", "action", "sources", "records_added", "records_updated",
        "records_unchanged", "records_retired", "persons_new", "persons_merged", "persons_split",
        "persons_retired", "persons", "records_reclustered", "pairs_linked", "pairs_carried",
            "pairs_not_taken", "seconds", "warnings"]
    assert list(history["generation"]) == [1, 2]
    assert list(history["action"]) == ["build", "add"]
    assert history["sources"].tolist() == [tuple(NAMES), ("council",)]
    assert str(history["time"].dt.tz) == "UTC"
    assert history["time"].iloc[1] == pd.Timestamp(update.time)
    last = history.iloc[1]
    for field in ("records_added", "records_updated", "records_retired", "persons_new",
                  "persons_merged", "persons_split", "persons_retired", "persons"):
        assert last[field] == getattr(update, field), field

    events = people.events()
    assert list(events.columns) == ["generation", "kind", "id", "others"]
    assert set(events["kind"]) <= {"merged", "split", "retired"}
    ours = events[events["generation"] == 2]
    assert len(ours) == len(update.events)
    assert (ours["kind"] == "retired").sum() == update.persons_retired
    assert (ours["kind"] == "merged").sum() == update.persons_merged
    assert (ours["kind"] == "split").sum() == update.persons_split
    old_person = dict(zip(before["source"] + "/" + before["record_id"], before["person_id"]))
    assert set(ours[ours["kind"] == "retired"]["id"]) == {old_person[f"council/{r}"]
                                                          for r in alone}
    split = ours[ours["kind"] == "split"].iloc[0]
    # The person keeps its ID with its trust record; the changed council record is a new person.
    trust_record = before[(before["person_id"] == split["id"]) & (before["source"] == "trust")]
    assert split["id"] == old_person[f"council/{changed[-1]}"] == person[
        f"trust/{trust_record['record_id'].iloc[0]}"]
    assert split["others"] == (person[f"council/{changed[-1]}"],)
    for e in update.events:
        assert PERSON_ID.match(e["id"]) and all(PERSON_ID.match(o) for o in e["others"])


def test_reading_while_another_thread_adds(encoded):
    """add runs with the GIL released; readers in other threads wait for it, and see the index
    before or after, never half-way."""
    people = PersonIndex.build({"trust": encoded["trust"]}, unique="trust")
    sizes = set()
    worker = threading.Thread(target=people.add, args=("council", encoded["council"]))
    worker.start()
    while worker.is_alive():
        sizes.add(len(people.crosswalk()))
        sizes.add(people.records)
    worker.join()
    assert sizes <= {len(encoded["trust"]), len(encoded["trust"]) + len(encoded["council"])}
    assert people.generation == 2 and people.sources == ["trust", "council"]


# -------------------------------------------------------------------------------------------------
# Files


def test_save_and_open_round_trip(index, tmp_path):
    path = tmp_path / "people.index"
    index.save(path)
    again = PersonIndex.open(path)
    assert repr(again) == repr(index)
    assert again.settings == index.settings
    assert (again.schema_fingerprint, again.key_check) == (index.schema_fingerprint,
                                                           index.key_check)
    pd.testing.assert_frame_equal(again.crosswalk(), index.crosswalk())
    pd.testing.assert_frame_equal(again.history(), index.history())
    pd.testing.assert_frame_equal(again.events(), index.events())
    assert again.stats() == index.stats()
    again.save(str(tmp_path / "copy.index"))
    assert (tmp_path / "copy.index").read_bytes() == path.read_bytes()


def test_save_is_refused_while_another_process_updates_the_index(index, tmp_path):
    path = tmp_path / "people.index"
    index.save(path)
    original = path.read_bytes()
    with open(f"{path}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as `bloomlink index add` holds it
        with pytest.raises(InputError, match="another process is updating this index"):
            index.save(path)
    assert path.read_bytes() == original
    index.save(path)  # the lock is free again


def test_damaged_and_missing_files(index, encoded, tmp_path):
    path = tmp_path / "people.index"
    index.save(path)
    truncated = tmp_path / "truncated.index"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(InputError, match=r"truncated\.index: ") as info:
        PersonIndex.open(truncated)
    assert isinstance(info.value, ValueError)
    altered = bytearray(path.read_bytes())
    altered[len(altered) // 2] ^= 0x40
    (tmp_path / "altered.index").write_bytes(bytes(altered))
    with pytest.raises(InputError, match="altered.index"):
        PersonIndex.open(tmp_path / "altered.index")
    encoded["trust"].save(tmp_path / "trust.bloom")
    with pytest.raises(InputError, match="not a bloomlink person index"):
        PersonIndex.open(tmp_path / "trust.bloom")
    with pytest.raises(FileError, match="nope.index") as info:
        PersonIndex.open(tmp_path / "nope.index")
    assert isinstance(info.value, OSError)
    with pytest.raises(FileError, match="nowhere"):
        index.save(tmp_path / "nowhere" / "people.index")


# -------------------------------------------------------------------------------------------------
# Counts


def shown_number(text):
    return 0 if text == "*" else int(text.replace(",", ""))


def controlled_counts(stats):
    counts = [stats.records, stats.persons]
    counts += list(stats.sources["records"]) + list(stats.sources["persons"])
    counts += list(stats.overlap.to_numpy().ravel())
    counts += list(stats.combinations["persons"]) + list(stats.combinations["at_least"])
    counts += list(stats.cluster_sizes["persons"])
    return counts


def test_stats_without_disclosure_control_are_exact(index):
    s = index.stats(disclosure=False)
    assert isinstance(s, bloomlink.IndexStats) and not s.disclosure
    assert (s.records, s.persons) == (index.records, index.persons)
    assert list(s.sources.index) == NAMES
    assert list(s.sources.columns) == ["unique", "added", "refreshed", "records", "persons"]
    assert list(s.sources["unique"]) == [True, False, True]
    assert list(s.overlap.index) == list(s.overlap.columns) == NAMES
    cw = index.crosswalk()
    for name in NAMES:
        persons = cw[cw["source"] == name]["person_id"].nunique()
        assert s.sources.loc[name, "persons"] == persons == s.overlap.loc[name, name]
        assert s.sources.loc[name, "records"] == (cw["source"] == name).sum()
    in_both = set(cw[cw["source"] == "trust"]["person_id"]) & set(
        cw[cw["source"] == "council"]["person_id"])
    assert s.overlap.loc["trust", "council"] == s.overlap.loc["council", "trust"] == len(in_both)
    combos = s.combinations
    assert list(combos.columns) == ["sources", "label", "persons", "at_least"]
    assert combos["persons"].sum() == index.persons
    assert list(combos["persons"]) == sorted(combos["persons"], reverse=True)
    everyone = combos[combos["sources"] == tuple(NAMES)].iloc[0]
    assert everyone["label"] == "trust + council + community"
    assert everyone["at_least"] == everyone["persons"]
    trust_alone = combos[combos["sources"] == ("trust",)].iloc[0]
    assert trust_alone["at_least"] == s.sources.loc["trust", "persons"]
    sizes = s.cluster_sizes
    assert sizes["persons"].sum() == index.persons
    assert (sizes["records"] * sizes["persons"]).sum() == index.records
    assert all(isinstance(c, (int, np.integer)) for c in controlled_counts(s))


def test_stats_with_disclosure_control(index):
    exact = index.stats(False)
    s = index.stats()
    assert s.disclosure
    counts = controlled_counts(s)
    assert all(isinstance(c, str) for c in counts)
    assert "*" in counts  # a few rare combinations or cluster sizes
    for c in counts:
        n = shown_number(c)
        assert not 1 <= n <= 7, c
        assert n % 5 == 0, c
    # Each count is the exact one suppressed or rounded to the nearest 5.
    for shown, n in zip(s.sources["persons"], exact.sources["persons"]):
        assert shown == f"{(n + 2) // 5 * 5:,}"
    assert s.persons == f"{(index.persons + 2) // 5 * 5:,}"
    # The order reveals nothing the rounded counts hide.
    shown = [shown_number(c) for c in s.combinations["persons"]]
    assert shown == sorted(shown, reverse=True)
    # Other thresholds.
    loose = index.stats(suppress_below=0, round_to=1)
    assert loose.persons == f"{index.persons:,}"
    strict = index.stats(suppress_below=100, round_to=10)
    assert all(shown_number(c) % 10 == 0 and not 1 <= shown_number(c) <= 99
               for c in controlled_counts(strict))
    with pytest.raises(InputError, match="round_to must be an int >= 0"):
        index.stats(round_to=-1)


def test_plot_overlap_draws_the_controlled_counts(index):
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = index.plot_overlap()
    combos = index.stats().combinations
    assert [t.get_text() for t in ax.get_yticklabels()] == list(combos["label"])
    assert [t.get_text() for t in ax.texts] == list(combos["persons"])
    assert [p.get_width() for p in ax.patches] == [shown_number(c) for c in combos["persons"]]
    plt.close(ax.figure)


# -------------------------------------------------------------------------------------------------
# Errors


def test_another_secret_is_refused(index, data, encoded):
    other = bloomlink.encode(data.sources["council"], Schema.from_dict(unhardened_starter()), secret=OTHER_SECRET)
    with pytest.raises(InputError, match="encoded with different secrets"):
        PersonIndex.build({"trust": encoded["trust"], "council": other})
    people = PersonIndex.build({"trust": encoded["trust"]}, unique="trust")
    with pytest.raises(InputError, match="encoded with different secrets"):
        people.add("council", other)
    assert people.generation == 1 and people.sources == ["trust"]  # unchanged


def test_another_schema_is_refused(encoded, data):
    schema = unhardened_starter()
    schema["fields"][1]["tokens"]["q"] = 3
    other = bloomlink.encode(data.sources["council"], Schema.from_dict(schema), secret=SECRET)
    with pytest.raises(InputError, match="encoded with different schemas"):
        PersonIndex.build({"trust": encoded["trust"], "council": other})


def test_bad_sources(encoded, tmp_path):
    with pytest.raises(InputError, match="two sources are named trust"):
        PersonIndex.build([("trust", encoded["trust"]), ("trust", encoded["council"])])
    with pytest.raises(InputError, match="no sources"):
        PersonIndex.build({})
    with pytest.raises(InputError, match="unique: there is no source named gp"):
        PersonIndex.build({"trust": encoded["trust"]}, unique=["gp"])
    with pytest.raises(TypeError, match="source trust: expected an EncodedDataset"):
        PersonIndex.build({"trust": 42})
    with pytest.raises(FileError, match="missing.bloom"):
        PersonIndex.build({"trust": tmp_path / "missing.bloom"})
    with pytest.raises(InputError, match="cluster threshold"):
        PersonIndex.build({"trust": encoded["trust"]}, cluster_threshold=0)
    with pytest.raises(InputError):
        PersonIndex.build({"trust": encoded["trust"]}, method="magic")


# -------------------------------------------------------------------------------------------------
# compare_crosswalks


def test_compare_crosswalks_of_dataframes():
    before = pd.DataFrame({"person_id": ["P1", "P1", "P2", "P3"], "source": ["a", "b", "a", "a"],
                           "record_id": ["1", "1", "2", "3"]})
    same = before.assign(person_id=["Q1", "Q1", "Q2", "Q3"])
    c = bloomlink.compare_crosswalks(before, same)
    assert (c.records, c.only_before, c.only_after) == (4, 0, 0)
    assert (c.id_churn, c.bcubed_f1, c.pairwise_f1) == (1.0, 1.0, 1.0)
    moved = pd.DataFrame({"person_id": ["P1", "P2", "P2", "P4"], "source": ["a", "b", "a", "c"],
                          "record_id": ["1", "1", "2", "9"]})
    c = bloomlink.compare_crosswalks(before, moved)
    assert (c.records, c.only_before, c.only_after) == (3, 1, 1)
    assert c.id_churn == pytest.approx(1 / 3)
    assert c.bcubed_f1 < 1 and c.pairwise_f1 < 1
    with pytest.raises(InputError, match="after: no column person_id"):
        bloomlink.compare_crosswalks(before, moved.drop(columns="person_id"))
