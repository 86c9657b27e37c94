"""Tests of the Python package (import bloomlink): what an analyst calling bloomlink sees.

The CLI tests check the command line; these check the Python API against it (same encodings,
same pairs, same fingerprints) and the things only Python has: DataFrames, numpy views,
exception classes, warnings, docstrings and Ctrl-C.
"""
import base64
import dataclasses
import gc
import json
import os
import pydoc
import re
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest

import bloomlink
from bloomlink import EncodedDataset, FileError, InputError, Schema
from conftest import SECRET, clkhash_vector

OTHER_SECRET = "a different secret that nobody shares"
COLUMNS = ["nhs_number", "given_name", "family_name", "date_of_birth", "sex", "postcode"]
STARTER_FINGERPRINT = "40c90d8fafebfc850bdda364c3b014526e86cfc1a91b0c7f0af0704fd9ea8680"
STATS_KEYS = {"pairs", "comparisons", "pruned", "candidates", "matches", "kernel", "threads",
              "candidate_seconds", "score_seconds", "solve_seconds", "blocking", "skipped_pairs",
              "stream_passes", "stream_reason"}


def read_csv(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def ids_of(linkage):
    return list(zip(linkage.pairs["id_a"], linkage.pairs["id_b"]))


def random_bits(rows, nbytes=128, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(rows, nbytes), dtype=np.uint8)


def link_quietly(a, b, **options):
    """link() for datasets without fingerprints (from_bits, clkhash JSON), which always warns
    (unless a dataset is linked with itself: there is nothing to compare)."""
    if a is b:
        return bloomlink.link(a, b, **options)
    with pytest.warns(UserWarning, match="does not record its schema fingerprint"):
        return bloomlink.link(a, b, **options)


@pytest.fixture(scope="module")
def extracts(cli, tmp_path_factory):
    """300 synthetic records per side written by `bloomlink synth`, and the starter schema."""
    d = tmp_path_factory.mktemp("extracts")
    cli("synth", "--records", 300, "--seed", 5, "--output", d)
    cli("schema", "init", "--output", d / "schema.json")
    secret = d / "secret.key"
    secret.write_text(SECRET + "\n")
    secret.chmod(0o600)
    return {"dir": d, "schema": d / "schema.json", "secret": secret, "trust": d / "trust.csv",
            "council": d / "council.csv", "truth": d / "truth.csv"}


@pytest.fixture(scope="module")
def encoded(extracts):
    schema = Schema.starter()
    a = bloomlink.encode(extracts["trust"], schema, secret=SECRET)
    b = bloomlink.encode(extracts["council"], schema, secret=SECRET)
    return a, b


@pytest.fixture(scope="module")
def candidates(encoded):
    """Every candidate pair at 0.5: the superset the other linkages are checked against."""
    return bloomlink.link(*encoded, threshold=0.5, one_to_one="none")


# -------------------------------------------------------------------------------------------------
# Schema


def test_starter_schema_fields_and_columns():
    schema = Schema.starter()
    assert [f["column"] for f in schema.fields] == COLUMNS
    assert [f["name"] for f in schema.fields] == COLUMNS
    assert schema.dialect == "bloomlink"
    assert schema.filter_bits == 1024
    assert schema.warnings == []
    assert schema.fingerprint == STARTER_FINGERPRINT
    assert schema.fields[0] == {"name": "nhs_number", "column": "nhs_number", "ignored": False,
                                "type": "nhs_number", "tokens": "exact", "bits_per_token": 80,
                                "hash": "hmac-sha256"}
    assert schema.fields[1]["tokens"] == "qgram" and schema.fields[1]["q"] == 2
    assert schema.fields[1]["bits_per_field"] == 200
    assert schema.fields[3]["tokens"] == "positional_qgram"
    assert repr(schema) == ("Schema(bloomlink, 6 fields, 1024 bits, fingerprint "
                            f"{STARTER_FINGERPRINT[:16]}...)")


def test_starter_schema_is_what_schema_init_writes(cli):
    assert Schema.starter().to_dict() == json.loads(cli("schema", "init").stdout)


def test_schema_dict_and_file_round_trip(tmp_path):
    starter = Schema.starter()
    as_dict = starter.to_dict()
    again = Schema.from_dict(as_dict)
    assert again.to_dict() == as_dict
    assert again.fingerprint == starter.fingerprint
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(as_dict))
    for where in (path, str(path)):
        loaded = Schema.from_file(where)
        assert loaded.to_dict() == as_dict
        assert loaded.fingerprint == starter.fingerprint
    # to_dict is a copy: changing it does not change the schema.
    as_dict["fields"][1]["tokens"]["q"] = 3
    assert again.fingerprint == starter.fingerprint


def test_fingerprint_ignores_layout_but_not_meaning(tmp_path):
    schema = Schema.starter().to_dict()
    laid_out = json.loads(json.dumps(schema), object_pairs_hook=lambda kv: dict(reversed(kv)))
    laid_out["description"] = "the same schema, keys in another order"
    path = tmp_path / "indented.json"
    path.write_text(json.dumps(laid_out, indent=4))
    assert Schema.from_file(path).fingerprint == STARTER_FINGERPRINT
    schema["fields"][1]["tokens"]["q"] = 3
    assert Schema.from_dict(schema).fingerprint != STARTER_FINGERPRINT


def test_fingerprint_is_the_one_schema_check_prints(cli, tmp_path):
    schema = Schema.starter().to_dict()
    schema["fields"][4]["bits"] = {"per_token": 30}
    schema["filter"] = {"bits": 2048}
    path = tmp_path / "custom.json"
    path.write_text(json.dumps(schema))
    printed = re.search(r"^fingerprint ([0-9a-f]{64})$", cli("schema", "check", path).stdout,
                        re.MULTILINE).group(1)
    loaded = Schema.from_file(path)
    assert loaded.fingerprint == printed
    assert loaded.fingerprint != STARTER_FINGERPRINT
    assert loaded.filter_bits == 2048
    assert loaded.fields[4]["bits_per_token"] == 30


BAD_SCHEMAS = [
    ("q", lambda s: s["fields"][1]["tokens"].update(q="two"),
     'fields[1].tokens.q: expected an integer 1..5, got "two"'),
    ("filter bits", lambda s: s.update(filter={"bits": 1000}),
     "filter.bits: expected a multiple of 64 from 64 to 65536, got 1000"),
    ("unknown key", lambda s: s["fields"][0].update(colum="x"), "fields[0].colum: unknown key"),
    ("no fields", lambda s: s.pop("fields"), "fields: missing"),
]


@pytest.mark.parametrize("name,change,message", BAD_SCHEMAS, ids=[b[0] for b in BAD_SCHEMAS])
def test_bad_schema_names_the_json_path(tmp_path, name, change, message):
    schema = Schema.starter().to_dict()
    change(schema)
    with pytest.raises(InputError) as info:
        Schema.from_dict(schema)
    assert isinstance(info.value, ValueError) and isinstance(info.value, bloomlink.Error)
    assert str(info.value).startswith(f"schema: {message}"), str(info.value)
    path = tmp_path / "bad_schema.json"
    path.write_text(json.dumps(schema))
    with pytest.raises(ValueError, match=re.escape(f"bad_schema.json: {message}")):
        Schema.from_file(path)


def test_schema_that_is_not_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"bloomlink_schema": 1, "fields": [')
    with pytest.raises(InputError, match="broken.json"):
        Schema.from_file(path)


def test_missing_schema_file_is_a_file_error(tmp_path):
    path = tmp_path / "nope.json"
    with pytest.raises(FileError) as info:
        Schema.from_file(path)
    assert isinstance(info.value, OSError) and not isinstance(info.value, ValueError)
    assert str(info.value) == f"{path}: cannot open the schema file"
    with pytest.raises(FileError, match="nope.json"):  # encode takes a path too
        bloomlink.encode([{"id": "a"}], path, secret=SECRET)


CLKHASH = [("A_blake_default", "clkhash-v3", 1024), ("B_doublehash", "clkhash-v3", 1024),
           ("C_doublehash_nonsingular_l1000", "clkhash-v3", 1000),
           ("F_legacy_v2", "clkhash-v2", 1024)]


@pytest.mark.parametrize("name,dialect,bits", CLKHASH, ids=[c[0] for c in CLKHASH])
def test_clkhash_schemas_load_and_encode_as_clkhash(name, dialect, bits):
    schema = Schema.from_file(clkhash_vector(f"schema_{name}.json"))
    assert schema.dialect == dialect
    assert schema.filter_bits == bits
    assert schema.fields[0] == {"name": "rec_id", "column": "rec_id", "ignored": True}
    secret = json.loads(clkhash_vector("manifest.json").read_text())["secret"]
    enc = bloomlink.encode(clkhash_vector("data.csv"), schema, secret=secret, id_column="rec_id")
    assert enc.filter_bits == bits
    assert enc.to_clkhash_json() == json.loads(clkhash_vector(f"clks_{name}.json").read_text())


def test_clkhash_schema_notes_become_warnings():
    schema = json.loads(clkhash_vector("schema_A_blake_default.json").read_text())
    schema["clkConfig"]["xorFolds"] = 1
    loaded = Schema.from_dict(schema)
    assert len(loaded.warnings) == 1 and "xorFolds is ignored" in loaded.warnings[0]
    with pytest.warns(UserWarning, match="xorFolds is ignored"):
        bloomlink.encode(clkhash_vector("data.csv"), loaded, secret=SECRET,
                         id_column="rec_id")


# -------------------------------------------------------------------------------------------------
# encode


def test_dataframe_csv_and_records_encode_alike(extracts):
    frame = read_csv(extracts["trust"])
    schema = Schema.starter()
    results = [
        bloomlink.encode(frame, schema, secret=SECRET),
        bloomlink.encode(extracts["trust"], schema, secret=SECRET),
        bloomlink.encode(str(extracts["trust"]), schema, secret=SECRET),
        bloomlink.encode(frame.to_dict("records"), schema, secret=SECRET),
        bloomlink.encode((row for row in frame.to_dict("records")), schema, secret=SECRET),
    ]
    first = results[0]
    assert len(first) == 300 and first.ids == list(frame["id"])
    for other in results[1:]:
        assert other.ids == first.ids
        np.testing.assert_array_equal(other.bits, first.bits)
        np.testing.assert_array_equal(other.popcounts, first.popcounts)
        assert other.key_check == first.key_check
        assert other.schema_fingerprint == first.schema_fingerprint == STARTER_FINGERPRINT
    assert len({bytes(row) for row in first.bits}) > 250  # not all the same filter


def test_schema_as_object_path_or_dict_encode_alike(extracts):
    frame = read_csv(extracts["trust"]).head(20)
    by_object = bloomlink.encode(frame, Schema.starter(), secret=SECRET)
    by_path = bloomlink.encode(frame, extracts["schema"], secret=SECRET)
    by_dict = bloomlink.encode(frame, Schema.starter().to_dict(), secret=SECRET)
    np.testing.assert_array_equal(by_path.bits, by_object.bits)
    np.testing.assert_array_equal(by_dict.bits, by_object.bits)


def test_numpy_view_equals_the_bits_the_cli_writes(cli, extracts, tmp_path):
    out = tmp_path / "cli.bloom"
    cli("encode", "--schema", extracts["schema"], "--secret-file", extracts["secret"],
        "--input", extracts["trust"], "--output", out, "--quiet")
    from_cli = EncodedDataset.load(out)
    ours = bloomlink.encode(read_csv(extracts["trust"]), extracts["schema"], secret=SECRET)
    assert from_cli.ids == ours.ids
    np.testing.assert_array_equal(from_cli.bits, ours.bits)
    assert from_cli.key_check == ours.key_check
    assert from_cli.schema_fingerprint == ours.schema_fingerprint
    ours.save(tmp_path / "python.bloom")
    assert (tmp_path / "python.bloom").read_bytes() == out.read_bytes()


def test_every_way_of_giving_the_secret_agrees(extracts, monkeypatch):
    frame = read_csv(extracts["trust"]).head(50)
    schema = Schema.starter()
    monkeypatch.delenv("BLOOMLINK_SECRET", raising=False)
    as_bytes = bloomlink.encode(frame, schema, secret=SECRET.encode())
    as_str = bloomlink.encode(frame, schema, secret=SECRET)
    from_file = bloomlink.encode(frame, schema, secret_file=extracts["secret"])
    from_file_str = bloomlink.encode(frame, schema, secret_file=str(extracts["secret"]))
    monkeypatch.setenv("BLOOMLINK_SECRET", SECRET)
    from_env = bloomlink.encode(frame, schema)
    for other in (as_str, from_file, from_file_str, from_env):
        np.testing.assert_array_equal(other.bits, as_bytes.bits)
        assert other.key_check == as_bytes.key_check
    # An explicit secret wins over the environment.
    monkeypatch.setenv("BLOOMLINK_SECRET", OTHER_SECRET)
    np.testing.assert_array_equal(bloomlink.encode(frame, schema, secret=SECRET).bits,
                                  as_bytes.bits)
    different = bloomlink.encode(frame, schema)
    assert different.key_check != as_bytes.key_check
    assert different.schema_fingerprint == as_bytes.schema_fingerprint
    assert not np.array_equal(different.bits, as_bytes.bits)
    assert (different.bits != as_bytes.bits).any(axis=1).all()  # every record changes


def test_thread_count_does_not_change_the_result(extracts):
    frame = read_csv(extracts["trust"])
    one = bloomlink.encode(frame, Schema.starter(), secret=SECRET, threads=1)
    two = bloomlink.encode(frame, Schema.starter(), secret=SECRET, threads=2)
    np.testing.assert_array_equal(one.bits, two.bits)
    csv_two = bloomlink.encode(extracts["trust"], Schema.starter(), secret=SECRET, threads=2)
    np.testing.assert_array_equal(one.bits, csv_two.bits)


MIXED = pd.DataFrame({
    "id": ["a", "b", "c"],
    "nhs_number": ["943 476 5919", "9434765918", ""],
    "given_name": ["Ann", "Bob", ""],
    "family_name": ["Lee", "Lee", "NULL"],
    "date_of_birth": ["1980-01-01", "31/02/1980", ""],
    "sex": ["F", "X", ""],
    "postcode": ["LS1 1AA", "NOT A POSTCODE", ""],
})


def test_report_counts_read_encoded_skipped_and_invalid(tmp_path):
    path = tmp_path / "mixed.csv"
    MIXED.to_csv(path, index=False)
    for data in (MIXED, path):
        enc = bloomlink.encode(data, Schema.starter(), secret=SECRET)
        report = enc.report
        assert (report["records_read"], report["records_encoded"],
                report["records_skipped"]) == (3, 2, 1)
        assert enc.records_skipped == 1
        assert enc.ids == ["a", "b"] and len(enc) == 2
        fields = {f["field"]: f for f in report["fields"]}
        assert list(fields) == COLUMNS
        assert fields["nhs_number"] == {"field": "nhs_number", "encoded": 1, "missing": 1,
                                        "invalid": 1,
                                        "invalid_reasons": {"check digit does not match": 1}}
        assert fields["date_of_birth"]["invalid_reasons"] == {"impossible date": 1}
        assert fields["sex"]["invalid_reasons"] == {"unrecognised sex code": 1}
        assert fields["postcode"]["invalid"] == 1
        assert fields["given_name"] == {"field": "given_name", "encoded": 2, "missing": 1,
                                        "invalid": 0, "invalid_reasons": {}}
        assert fields["family_name"]["missing"] == 1  # "NULL" is a missing value
        assert "warnings" not in report
    enc.save(tmp_path / "m.bloom")
    assert EncodedDataset.load(tmp_path / "m.bloom").report is None


def test_none_and_nan_are_missing_values():
    frame = MIXED.copy()
    frame["given_name"] = frame["given_name"].astype(object)
    frame.loc[0, "given_name"] = None
    frame.loc[1, "given_name"] = float("nan")
    report = bloomlink.encode(frame, Schema.starter(), secret=SECRET).report
    assert report["fields"][1]["missing"] == 3 and report["fields"][1]["encoded"] == 0


def test_skip_initial_space_reads_febrl_style_files(extracts, tmp_path):
    frame = read_csv(extracts["trust"]).head(10)
    spaced = tmp_path / "spaced.csv"
    spaced.write_text("\n".join(", ".join(row) for row in
                                [list(frame.columns), *frame.values.tolist()]) + "\n")
    plain = bloomlink.encode(frame, Schema.starter(), secret=SECRET)
    skipped = bloomlink.encode(spaced, Schema.starter(), secret=SECRET, skip_initial_space=True)
    np.testing.assert_array_equal(skipped.bits, plain.bits)
    with pytest.raises(InputError, match='no column "nhs_number"'):
        bloomlink.encode(spaced, Schema.starter(), secret=SECRET)


def _trust(extracts, n=10):
    return read_csv(extracts["trust"]).head(n)


def _with(frame, column, row, value):
    frame = frame.copy()
    frame[column] = frame[column].astype(object)
    frame.loc[row, column] = value
    return frame


BAD_FRAMES = [
    ("id column", lambda f: f, {"id_column": "record_id"},
     "DataFrame: no column 'record_id' (the columns are: id, nhs_number, given_name, "
     "family_name, date_of_birth, sex, postcode)"),
    ("schema column", lambda f: f.drop(columns=["postcode"]), {},
     "DataFrame: no column 'postcode' (the columns are: id, nhs_number, given_name, "
     "family_name, date_of_birth, sex)"),
    ("duplicate id", lambda f: _with(f, "id", 3, "T0000002"), {},
     'DataFrame: record 4: id "T0000002" is repeated (first at record 2)'),
    ("empty id", lambda f: _with(f, "id", 2, ""), {}, "DataFrame: record 3: the id is empty"),
    ("int ids", lambda f: f.assign(id=range(len(f))), {},
     "DataFrame: column 'id' holds numbers (int64); identifiers must be text: read with "
     "pd.read_csv(path, dtype=str, keep_default_na=False) or convert with .astype(str)"),
    ("an int among str ids", lambda f: _with(f, "id", 0, 7), {},
     "ids, record 1: expected a str id, got int; convert the id column with .astype(str)"),
    ("numeric column", lambda f: f.assign(nhs_number=f["nhs_number"].str.replace(" ", "")
                                          .astype("int64")), {},
     "DataFrame: column 'nhs_number' holds numbers (int64)"),
    ("int in object column", lambda f: _with(f, "given_name", 4, 12), {},
     "column given_name, record 5: expected text (str), got int; read identifiers as text"),
    ("bytes in object column", lambda f: _with(f, "postcode", 0, b"LS1 1AA"), {},
     "column postcode, record 1: expected text (str), got bytes"),
    ("repeated column", lambda f: f.set_axis([*f.columns[:-1], "sex"], axis=1), {},
     "DataFrame: column 'sex' appears more than once"),
    ("no records", lambda f: f.iloc[:0], {}, "DataFrame: no records"),
]


@pytest.mark.parametrize("name,change,options,message", BAD_FRAMES,
                         ids=[b[0] for b in BAD_FRAMES])
def test_bad_dataframes_are_input_errors(extracts, name, change, options, message):
    frame = change(_trust(extracts))
    with pytest.raises(InputError) as info:
        bloomlink.encode(frame, Schema.starter(), secret=SECRET, **options)
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith(message), str(info.value)


def test_records_without_the_id_field():
    with pytest.raises(InputError, match=r"records: no column 'id' \(the columns are: name\)"):
        bloomlink.encode([{"name": "Ann"}], Schema.starter(), secret=SECRET)
    with pytest.raises(TypeError, match="got a single dict"):
        bloomlink.encode({"id": "a"}, Schema.starter(), secret=SECRET)


def test_bad_csv_files(extracts, tmp_path):
    with pytest.raises(InputError) as info:  # the file is there: bad input, not a file error
        bloomlink.encode(extracts["trust"], Schema.starter(), secret=SECRET, id_column="rid")
    assert 'the header has no column "rid"; the columns are "id", "nhs_number"' in str(info.value)
    frame = _trust(extracts)
    frame.drop(columns=["postcode"]).to_csv(tmp_path / "short.csv", index=False)
    with pytest.raises(InputError, match="needed by schema field postcode"):
        bloomlink.encode(tmp_path / "short.csv", Schema.starter(), secret=SECRET)
    _with(frame, "id", 3, "T0000002").to_csv(tmp_path / "dup.csv", index=False)
    with pytest.raises(InputError,
                       match=r'dup.csv:5: id "T0000002" is repeated \(first on line 3\)'):
        bloomlink.encode(tmp_path / "dup.csv", Schema.starter(), secret=SECRET)
    with pytest.raises(FileError) as info:
        bloomlink.encode(tmp_path / "nope.csv", Schema.starter(), secret=SECRET)
    assert isinstance(info.value, OSError)
    assert str(info.value) == f"{tmp_path / 'nope.csv'}: cannot open: No such file or directory"


def test_secret_errors(extracts, tmp_path, monkeypatch):
    frame = _trust(extracts)
    schema = Schema.starter()
    monkeypatch.delenv("BLOOMLINK_SECRET", raising=False)
    with pytest.raises(InputError, match=re.escape(
            "no secret: pass secret=..., secret_file=... or set BLOOMLINK_SECRET")):
        bloomlink.encode(frame, schema)
    with pytest.raises(InputError, match="the secret is 5 bytes; at least 16 are needed"):
        bloomlink.encode(frame, schema, secret="short")
    weak = bloomlink.encode(frame, schema, secret="short", allow_weak_secret=True)
    assert len(weak) == 10
    with pytest.raises(InputError, match="the secret is 5 bytes"):  # CSV path too
        bloomlink.encode(extracts["trust"], schema, secret=b"short")
    with pytest.raises(InputError, match="give secret or secret_file, not both"):
        bloomlink.encode(frame, schema, secret=SECRET, secret_file=extracts["secret"])
    with pytest.raises(FileError, match="nope.key: cannot read the secret file"):
        bloomlink.encode(frame, schema, secret_file=tmp_path / "nope.key")
    with pytest.raises(TypeError, match="secret must be bytes or str"):
        bloomlink.encode(frame, schema, secret=1234567890123456789)
    loose = tmp_path / "loose.key"
    loose.write_text(SECRET)
    loose.chmod(0o644)
    with pytest.warns(UserWarning, match="readable by other users"):
        bloomlink.encode(frame, schema, secret_file=loose)


def test_bad_options(extracts):
    frame = _trust(extracts)
    with pytest.raises(InputError, match="threads must be 0 .* to 1024, got -1"):
        bloomlink.encode(frame, Schema.starter(), secret=SECRET, threads=-1)
    with pytest.raises(TypeError, match="id_column must be a str"):
        bloomlink.encode(extracts["trust"], Schema.starter(), secret=SECRET, id_column=None)


def test_the_secret_never_appears_in_errors_or_reprs(extracts, tmp_path, monkeypatch):
    monkeypatch.delenv("BLOOMLINK_SECRET", raising=False)
    frame = _trust(extracts)
    schema = Schema.starter()
    secret_path = tmp_path / "s.key"
    secret_path.write_text(SECRET)
    secret_path.chmod(0o600)
    attempts = [
        lambda: bloomlink.encode(frame, schema, secret=SECRET, id_column="nope"),
        lambda: bloomlink.encode(frame.assign(id="same"), schema, secret=SECRET),
        lambda: bloomlink.encode(extracts["trust"], schema, secret=SECRET, id_column="nope"),
        lambda: bloomlink.encode(tmp_path / "missing.csv", schema, secret=SECRET),
        lambda: bloomlink.encode(frame, schema, secret=SECRET, secret_file=secret_path),
        lambda: bloomlink.encode(frame, schema, secret=SECRET[:10]),
        # Wrong types must not reach pybind11, whose TypeError quotes every argument.
        lambda: bloomlink.encode(frame, schema, secret=SECRET, threads="two"),
        lambda: bloomlink.encode(frame, schema, secret=SECRET, threads=None),
        lambda: bloomlink.encode(extracts["trust"], schema, secret=SECRET, threads=[1]),
        lambda: bloomlink.encode(frame, schema, secret=SECRET, threads=2**40),
        lambda: bloomlink.encode(extracts["trust"], schema, secret=SECRET, id_column=b"id"),
        lambda: bloomlink.encode(frame, schema, secret=SECRET, id_column=None),
    ]
    seen = []
    for attempt in attempts:
        with pytest.raises(Exception) as info:
            attempt()
        error = info.value
        while error is not None:  # the whole chain, as a traceback or logger would show it
            seen.append(f"{error} {error!r}")
            error = error.__cause__ or error.__context__
    assert len(seen) >= len(attempts)
    for text in seen:
        assert SECRET not in text and SECRET[:10] not in text
        for value in frame["postcode"]:  # nor an identifier from the extract
            assert value not in text
    enc = bloomlink.encode(frame, schema, secret=SECRET)
    for text in (repr(enc), str(enc.report), repr(schema)):
        assert SECRET not in text
    for fmt in ("bloom", "clkhash-json", "csv"):
        enc.save(tmp_path / f"out.{fmt}", fmt)
        assert SECRET.encode() not in (tmp_path / f"out.{fmt}").read_bytes()


# -------------------------------------------------------------------------------------------------
# EncodedDataset


def test_bits_are_a_read_only_view(extracts):
    a = bloomlink.encode(_trust(extracts, 30), Schema.starter(), secret=SECRET)
    bits = a.bits
    before = bits[0, 0]
    with pytest.raises(ValueError, match="read-only"):
        bits[0, 0] = before ^ 0xFF
    with pytest.raises(ValueError):
        bits.setflags(write=True)
    with pytest.raises(ValueError, match="read-only"):
        a.popcounts[0] = 0
    with pytest.raises(AttributeError):
        a.bits = np.zeros((30, 128), np.uint8)
    assert a.bits[0, 0] == before
    assert not bits.flags.writeable and not bits.flags.owndata
    assert bits.flags.c_contiguous


def test_bits_are_shared_not_copied(extracts):
    a = bloomlink.encode(_trust(extracts, 40), Schema.starter(), secret=SECRET)
    first, second = a.bits, a.bits
    assert first is not second
    assert np.shares_memory(first, second)
    assert first.ctypes.data == second.ctypes.data
    assert np.shares_memory(a.popcounts, a.popcounts)
    expected = np.array(first)  # a copy
    del a, second
    gc.collect()
    # Were the C++ memory freed, these same-sized blocks would likely take its place.
    refill = [np.full(size, 0xAA, np.uint8) for size in range(4096, 8192, 64) for _ in range(4)]
    np.testing.assert_array_equal(first, expected)  # the view keeps the C++ memory alive
    assert len(refill) == 256


def test_shape_dtype_and_popcounts(encoded):
    a, b = encoded
    assert a.bits.shape == (300, 128) and a.bits.dtype == np.uint8
    assert a.filter_bits == 1024
    assert a.popcounts.dtype == np.uint32 and a.popcounts.shape == (300,)
    np.testing.assert_array_equal(a.popcounts, np.unpackbits(a.bits, axis=1).sum(1))
    np.testing.assert_array_equal(b.popcounts, np.unpackbits(b.bits, axis=1).sum(1))
    assert 400 < a.popcounts.mean() < 650  # about half ones (docs/schema.md)


def test_ids_and_repr(encoded):
    a, _ = encoded
    assert a.ids[:3] == ["T0000001", "T0000002", "T0000003"]
    assert a.ids is a.ids  # cached
    assert repr(a) == ("EncodedDataset(300 records, 1024-bit CLKs, schema "
                       f"{STARTER_FINGERPRINT[:16]}...)")
    assert len(a.key_check) == 64 and a.schema_fingerprint == STARTER_FINGERPRINT
    anonymous = EncodedDataset.from_bits(["x", "y"], random_bits(2, 8))
    assert repr(anonymous) == "EncodedDataset(2 records, 64-bit CLKs, schema unknown)"
    assert anonymous.report is None and anonymous.records_skipped == 0


FORMATS = [("bloom", ".bloom", True, True), ("clkhash-json", ".json", False, False),
           ("csv", ".csv", True, False)]


@pytest.mark.parametrize("fmt,ext,keeps_ids,keeps_checks", FORMATS, ids=[f[0] for f in FORMATS])
def test_save_and_load_round_trip(encoded, tmp_path, fmt, ext, keeps_ids, keeps_checks):
    a, _ = encoded
    by_name = tmp_path / "named.data"
    by_ext = tmp_path / f"by_ext{ext}"
    a.save(by_name, fmt)
    a.save(str(by_ext))
    assert by_name.read_bytes() == by_ext.read_bytes()
    for path in (by_name, by_ext):
        loaded = EncodedDataset.load(path)
        np.testing.assert_array_equal(loaded.bits, a.bits)
        np.testing.assert_array_equal(loaded.popcounts, a.popcounts)
        assert loaded.filter_bits == 1024
        assert loaded.ids == (a.ids if keeps_ids else [str(i) for i in range(300)])
        assert loaded.schema_fingerprint == (a.schema_fingerprint if keeps_checks else None)
        assert loaded.key_check == (a.key_check if keeps_checks else None)
    if fmt == "csv":
        lines = by_ext.read_text().splitlines()
        assert lines[0] == "id,clk" and len(lines) == 301
        assert lines[1] == f"T0000001,{base64.b64encode(a.bits[0].tobytes()).decode()}"


def test_save_and_load_errors(encoded, tmp_path):
    a, _ = encoded
    with pytest.raises(InputError, match='unknown encodings format "parquet"'):
        a.save(tmp_path / "x.bloom", "parquet")
    with pytest.raises(InputError,
                       match='cannot tell the encodings format from the extension ".bin"'):
        a.save(tmp_path / "x.bin")
    with pytest.raises(FileError, match="nope.bloom: cannot open"):
        EncodedDataset.load(tmp_path / "nope.bloom")
    (tmp_path / "junk.bloom").write_bytes(b"not an encoded file")
    with pytest.raises(InputError, match="junk.bloom: not a recognised encodings file"):
        EncodedDataset.load(tmp_path / "junk.bloom")
    a.save(tmp_path / "good.bloom")
    data = bytearray((tmp_path / "good.bloom").read_bytes())
    data[len(data) // 2] ^= 0x01
    (tmp_path / "bad.bloom").write_bytes(bytes(data))
    with pytest.raises(InputError, match="bad.bloom"):
        EncodedDataset.load(tmp_path / "bad.bloom")
    assert list(tmp_path.glob("x.*")) == []


def test_saving_into_a_missing_folder_is_a_file_error(tmp_path):
    # Run apart: this used to raise with the GIL released and crash the interpreter.
    code = textwrap.dedent(f"""
        import numpy as np, bloomlink
        d = bloomlink.EncodedDataset.from_bits(["a"], np.zeros((1, 128), np.uint8))
        try:
            d.save({str(tmp_path / "no" / "such" / "x.bloom")!r})
        except bloomlink.FileError as e:
            print("FileError:", e)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    target = tmp_path / "no" / "such" / "x.bloom"
    assert proc.stdout.startswith(f"FileError: {target}: cannot write"), proc.stdout


def test_to_clkhash_json_is_the_file_it_writes(encoded, tmp_path):
    a, _ = encoded
    as_dict = a.to_clkhash_json()
    assert list(as_dict) == ["clks"] and len(as_dict["clks"]) == 300
    assert base64.b64decode(as_dict["clks"][5]) == a.bits[5].tobytes()
    assert a.to_clkhash_json(tmp_path / "clks.json") is None
    assert json.loads((tmp_path / "clks.json").read_text()) == as_dict
    a.save(tmp_path / "saved.json")
    assert (tmp_path / "saved.json").read_bytes() == (tmp_path / "clks.json").read_bytes()


def test_from_bits_round_trip(encoded):
    a, _ = encoded
    copy = EncodedDataset.from_bits(a.ids, a.bits)
    assert copy.ids == a.ids and copy.filter_bits == 1024 and len(copy) == 300
    np.testing.assert_array_equal(copy.bits, a.bits)
    np.testing.assert_array_equal(copy.popcounts, a.popcounts)
    assert not np.shares_memory(copy.bits, a.bits)  # from_bits copies into the core
    assert copy.schema_fingerprint is None and copy.key_check is None
    assert EncodedDataset.from_bits(tuple(a.ids), a.bits).ids == a.ids
    short = EncodedDataset.from_bits(["p", "q"], random_bits(2, 125), filter_bits=1000)
    assert short.filter_bits == 1000 and short.bits.shape == (2, 125)
    empty = EncodedDataset.from_bits([], np.zeros((0, 128), np.uint8))
    assert len(empty) == 0 and empty.bits.shape == (0, 128)


def test_from_bits_errors():
    bits = random_bits(20)
    ids = [f"r{i}" for i in range(20)]
    with pytest.raises(ValueError, match=re.escape("pass np.ascontiguousarray(bits)")):
        EncodedDataset.from_bits(ids, bits[:, ::2])
    with pytest.raises(ValueError, match=re.escape("np.ascontiguousarray")):
        EncodedDataset.from_bits(ids, np.asfortranarray(bits))
    EncodedDataset.from_bits(ids, np.ascontiguousarray(np.asfortranarray(bits)))  # the cure
    for wrong in (bits.astype(np.uint16), bits.astype(np.int8), bits.astype(bool), bits.ravel()):
        with pytest.raises(InputError, match="expected a 2-dimensional numpy array of uint8"):
            EncodedDataset.from_bits(ids, wrong)
    with pytest.raises(InputError, match="ids: 19 ids for 20 rows of bits"):
        EncodedDataset.from_bits(ids[:-1], bits)
    with pytest.raises(InputError, match="rows of 128 bytes cannot hold 1000-bit filters"):
        EncodedDataset.from_bits(ids, bits, filter_bits=1000)
    with pytest.raises(InputError, match='duplicate id "r0"'):
        EncodedDataset.from_bits(["r0"] * 20, bits)
    with pytest.raises(InputError, match="record 3 has an empty id"):
        EncodedDataset.from_bits(ids[:3] + [""] + ids[4:], bits)


# -------------------------------------------------------------------------------------------------
# link


def test_pairs_frame_columns_and_order(candidates):
    linkage = candidates
    pairs = linkage.pairs
    assert list(pairs.columns) == ["id_a", "id_b", "score"]
    assert len(pairs) == len(linkage) > 300
    assert pairs.index.tolist() == list(range(len(pairs)))
    rows = list(pairs.itertuples(index=False, name=None))
    assert rows == sorted(rows, key=lambda r: (-r[2], r[0], r[1]))
    assert (pairs["score"] == 1.0).sum() > 10  # ties at 1.0, ordered by the ids
    assert pairs["id_a"].iloc[0] == "T0000001"
    assert linkage.pairs is pairs  # built once


def test_arrays_agree_with_pairs_and_with_dice(encoded):
    a, b = encoded
    linkage = bloomlink.link(a, b, threshold=0.7, one_to_one="none")
    assert linkage.left.dtype == np.uint32 and linkage.right.dtype == np.uint32
    assert linkage.score.dtype == np.float32
    assert len(linkage.left) == len(linkage.right) == len(linkage.score) == len(linkage)
    from_arrays = {(a.ids[i], b.ids[j], float(s))
                   for i, j, s in zip(linkage.left, linkage.right, linkage.score)}
    assert from_arrays == set(linkage.pairs.itertuples(index=False, name=None))
    both = np.unpackbits(a.bits[linkage.left] & b.bits[linkage.right], axis=1).sum(1)
    dice = 2 * both / (a.popcounts[linkage.left] + b.popcounts[linkage.right])
    np.testing.assert_allclose(linkage.score, dice, rtol=1e-6)
    assert (dice >= 0.7).all()


@pytest.mark.parametrize("method", ["greedy", "optimal", "mutual"])
def test_one_to_one_methods(encoded, candidates, method):
    linkage = bloomlink.link(*encoded, threshold=0.5, one_to_one=method)
    pairs = ids_of(linkage)
    assert len({p[0] for p in pairs}) == len(pairs) == len({p[1] for p in pairs})
    assert set(pairs) <= set(ids_of(candidates))
    assert len(candidates) > len(linkage) > 100
    assert linkage.stats["matches"] == len(linkage)
    assert linkage.stats["candidates"] == len(candidates)
    assert linkage.one_to_one == method and linkage.threshold == 0.5


def test_optimal_scores_at_least_greedy_and_mutual_is_mutual(encoded, candidates):
    greedy = bloomlink.link(*encoded, threshold=0.5)
    optimal = bloomlink.link(*encoded, threshold=0.5, one_to_one="optimal")
    mutual = bloomlink.link(*encoded, threshold=0.5, one_to_one="mutual")
    assert greedy.one_to_one == "greedy"
    assert optimal.score.astype(float).sum() >= greedy.score.astype(float).sum() - 1e-3
    best_a, best_b = {}, {}
    for i, j, s in zip(candidates.left, candidates.right, candidates.score):
        best_a[i] = max(best_a.get(i, 0), s)
        best_b[j] = max(best_b.get(j, 0), s)
    for i, j, s in zip(mutual.left, mutual.right, mutual.score):
        assert s == best_a[i] == best_b[j]


def test_top_k(encoded):
    linkage = bloomlink.link(*encoded, threshold=0.3, top_k=2, one_to_one="none")
    per_a = np.bincount(linkage.left)
    assert per_a.max() == 2
    loose = bloomlink.link(*encoded, threshold=0.3, one_to_one="none")
    assert len(loose) > len(linkage)
    best = bloomlink.link(*encoded, threshold=0.3, top_k=1, one_to_one="none")
    assert np.bincount(best.left).max() == 1
    scores = {}
    for i, s in zip(loose.left, loose.score):
        scores[i] = max(scores.get(i, 0), s)
    for i, s in zip(best.left, best.score):
        assert s == scores[i]  # each record's best candidate


def test_higher_thresholds_keep_subsets(encoded):
    previous = None
    for threshold in (0.5, 0.7, 0.8, 0.9, 1.0):
        linkage = bloomlink.link(*encoded, threshold=threshold, one_to_one="none")
        pairs = set(ids_of(linkage))
        assert (linkage.score >= np.float32(threshold) - 1e-6).all()
        if previous is not None:
            assert pairs < previous
        previous = pairs
    assert len(previous) > 50  # exact agreements at 1.0


def test_threshold_is_inclusive():
    a_bits = np.zeros((1, 8), np.uint8)
    b_bits = np.zeros((1, 8), np.uint8)
    a_bits[0, 0] = 0xFF          # 8 ones
    b_bits[0, 0] = 0xFC          # 6 of them ...
    b_bits[0, 1] = 0xC0          # ... and 2 others: Dice = 2 * 6 / 16 = 0.75
    a = EncodedDataset.from_bits(["a"], a_bits)
    b = EncodedDataset.from_bits(["b"], b_bits)
    at = link_quietly(a, b, threshold=0.75)
    assert ids_of(at) == [("a", "b")] and at.score[0] == 0.75
    assert len(link_quietly(a, b, threshold=0.7500001)) == 0
    empty = EncodedDataset.from_bits(["z"], np.zeros((1, 8), np.uint8))
    assert len(link_quietly(empty, empty, threshold=0.0, one_to_one="none")) == 0


def test_threads_and_stats(encoded):
    one = bloomlink.link(*encoded, threshold=0.6, one_to_one="none", threads=1)
    two = bloomlink.link(*encoded, threshold=0.6, one_to_one="none", threads=2)
    for x, y in ((one.left, two.left), (one.right, two.right), (one.score, two.score)):
        np.testing.assert_array_equal(x, y)
    assert set(one.stats) == STATS_KEYS
    assert one.stats["pairs"] == 300 * 300
    assert one.stats["comparisons"] + one.stats["pruned"] == one.stats["pairs"]
    assert one.stats["candidates"] == one.stats["matches"] == len(one)
    assert one.stats["kernel"] == bloomlink.kernel()
    assert one.stats["threads"] == 1
    assert repr(one) == f"Linkage({len(one)} pairs, Dice >= 0.6, none; 90,000 comparisons)"


def test_to_csv_is_what_the_cli_writes(cli, encoded, tmp_path):
    a, b = encoded
    a.save(tmp_path / "a.bloom")
    b.save(tmp_path / "b.bloom")
    cli("link", tmp_path / "a.bloom", tmp_path / "b.bloom", "--threshold", 0.75, "--output",
        tmp_path / "cli.csv")
    linkage = bloomlink.link(EncodedDataset.load(tmp_path / "a.bloom"),
                             EncodedDataset.load(tmp_path / "b.bloom"), threshold=0.75)
    linkage.to_csv(tmp_path / "py.csv")
    assert (tmp_path / "py.csv").read_text() == (tmp_path / "cli.csv").read_text()
    assert len((tmp_path / "py.csv").read_text().splitlines()) == len(linkage) + 1


def test_to_csv_is_atomic(encoded, tmp_path):
    """A failed write leaves the previous file as it was and no temporary file behind."""
    linkage = bloomlink.link(*encoded, threshold=0.75)
    out = tmp_path / "pairs.csv"
    out.write_text("previous\n")
    with pytest.raises(FileError, match="no-such-folder"):
        linkage.to_csv(tmp_path / "no-such-folder" / "pairs.csv")
    linkage.to_csv(out)
    assert out.read_text().startswith("id_a,id_b,score\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pairs.csv"]


def test_pairs_frame_is_the_csv(encoded, tmp_path):
    """Linkage.pairs has the rows of the CSV file in the same order (one order rule, in C++)."""
    linkage = bloomlink.link(*encoded, threshold=0.6, one_to_one="none")
    linkage.to_csv(tmp_path / "pairs.csv")
    written = read_csv(tmp_path / "pairs.csv")
    frame = linkage.pairs
    assert list(written["id_a"]) == list(frame["id_a"])
    assert list(written["id_b"]) == list(frame["id_b"])
    assert [f"{x:.6f}" for x in frame["score"]] == list(written["score"])
    assert not linkage.score.flags.writeable


def test_link_with_itself_is_not_a_deduplication(encoded):
    """link(x, x) links two files that happen to be the same: every record pairs with itself
    (regression: Linkage.deduplicated was `a is b`, so evaluate() dropped those pairs)."""
    a, _ = encoded
    linkage = bloomlink.link(a, a, threshold=0.99)
    assert not linkage.deduplicated and linkage.one_to_one == "greedy"
    assert len(linkage) == len(a)
    assert list(linkage.pairs["id_a"]) == list(linkage.pairs["id_b"])
    m = bloomlink.evaluate(linkage, [(i, i) for i in a.ids])
    assert (m.true_pairs, m.true_positives, m.f1) == (len(a), len(a), 1.0), m
    dedup = bloomlink.link(a, threshold=0.99)
    assert dedup.deduplicated and dedup.one_to_one == "none"
    assert "deduplication" in repr(dedup) and "deduplication" not in repr(linkage)


def test_link_refuses_different_schemas_and_secrets(extracts, encoded):
    a, _ = encoded
    council = read_csv(extracts["council"]).head(30)
    other_secret = bloomlink.encode(council, Schema.starter(), secret=OTHER_SECRET)
    with pytest.raises(InputError, match="different secrets"):
        bloomlink.link(a, other_secret, threshold=0.8)
    schema = Schema.starter().to_dict()
    schema["fields"][1]["tokens"]["q"] = 3
    other_schema = bloomlink.encode(council, schema, secret=SECRET)
    with pytest.raises(InputError) as info:
        bloomlink.link(a, other_schema, threshold=0.8)
    assert "different schemas" in str(info.value) and isinstance(info.value, ValueError)
    narrow = EncodedDataset.from_bits(["x"], random_bits(1, 64))
    with pytest.raises(InputError, match="1024-bit filters.*512-bit filters"):
        bloomlink.link(a, narrow, threshold=0.8)
    empty = EncodedDataset.from_bits([], np.zeros((0, 128), np.uint8))
    with pytest.raises(InputError, match="B: has no records"):
        bloomlink.link(a, empty, threshold=0.8)


@pytest.mark.parametrize("options,message", [
    ({"threshold": 1.5}, "threshold must be between 0 and 1, got 1.5"),
    ({"threshold": -0.1}, "threshold must be between 0 and 1, got -0.1"),
    ({"threshold": float("nan")}, "threshold must be between 0 and 1, got nan"),
    ({"threshold": 0.8, "one_to_one": "best"}, 'unknown one-to-one method "best"'),
    ({"threshold": 0.8, "top_k": -1}, "top-k must be 0 (no limit) to 1000000, got -1"),
])
def test_link_option_errors(encoded, options, message):
    with pytest.raises(InputError, match=re.escape(message)):
        bloomlink.link(*encoded, **options)


def test_clkhash_json_datasets_link_with_a_warning(encoded, tmp_path):
    a, b = encoded
    a.to_clkhash_json(tmp_path / "a.json")
    b.to_clkhash_json(tmp_path / "b.json")
    a_json = EncodedDataset.load(tmp_path / "a.json")
    b_json = EncodedDataset.load(tmp_path / "b.json")
    with pytest.warns(UserWarning) as record:
        from_json = bloomlink.link(a_json, b_json, threshold=0.8)
    messages = [str(w.message) for w in record]
    assert any("does not record its schema fingerprint" in m for m in messages)
    assert any("does not record a key check value" in m for m in messages)
    from_bloom = bloomlink.link(a, b, threshold=0.8)
    np.testing.assert_array_equal(from_json.left, from_bloom.left)
    np.testing.assert_array_equal(from_json.right, from_bloom.right)
    with pytest.warns(UserWarning, match="B does not record its schema fingerprint"):
        bloomlink.link(a, b_json, threshold=0.8)


def test_kernel_can_be_forced_in_another_process(encoded, tmp_path):
    """BLOOMLINK_KERNEL is read once per process, so it is tried in a child process."""
    a, b = encoded
    a.save(tmp_path / "a.bloom")
    b.save(tmp_path / "b.bloom")
    code = textwrap.dedent(f"""
        import bloomlink
        from bloomlink import EncodedDataset as E
        print(bloomlink.kernel())
        a, b = E.load({str(tmp_path / 'a.bloom')!r}), E.load({str(tmp_path / 'b.bloom')!r})
        l = bloomlink.link(a, b, threshold=0.6, one_to_one="none")
        print(l.stats["kernel"])
        l.to_csv({str(tmp_path / 'scalar.csv')!r})
    """)
    env = {**os.environ, "BLOOMLINK_KERNEL": "scalar"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["scalar", "scalar"]
    here = bloomlink.link(a, b, threshold=0.6, one_to_one="none")
    here.to_csv(tmp_path / "here.csv")
    assert (tmp_path / "scalar.csv").read_text() == (tmp_path / "here.csv").read_text()
    env["BLOOMLINK_KERNEL"] = "sse9"
    proc = subprocess.run([sys.executable, "-c", "import bloomlink; bloomlink.kernel()"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 1
    assert 'bloomlink.InputError: BLOOMLINK_KERNEL="sse9" is not a kernel name' in proc.stderr


# -------------------------------------------------------------------------------------------------
# evaluate


@pytest.fixture(scope="module")
def linked(encoded, extracts):
    linkage = bloomlink.link(*encoded, threshold=0.8)
    truth = read_csv(extracts["truth"])
    predicted = set(ids_of(linkage))
    true = set(zip(truth["id_a"], truth["id_b"]))
    return linkage, truth, predicted, true


def test_evaluate_against_the_truth(linked, tmp_path):
    linkage, truth, predicted, true = linked
    tp = len(predicted & true)
    assert 0 < tp < len(true)  # some missed, so recall is a real fraction
    m = bloomlink.evaluate(linkage, truth)
    assert (m.true_positives, m.false_positives, m.false_negatives) == \
        (tp, len(predicted) - tp, len(true) - tp)
    assert (m.predicted, m.true_pairs) == (len(predicted), len(true))
    assert m.precision == pytest.approx(tp / len(predicted))
    assert m.recall == pytest.approx(tp / len(true))
    assert m.f1 == pytest.approx(2 * m.precision * m.recall / (m.precision + m.recall))
    # A one-to-one result is not a candidate set: no candidate-set measures...
    assert m.pair_completeness is None and m.reduction_ratio is None
    # ...unless asked for with the datasets, or for a candidate set (one_to_one="none").
    with_sets = bloomlink.evaluate(linkage, truth, a=linkage.a, b=linkage.b)
    assert with_sets.pair_completeness == m.recall
    assert with_sets.reduction_ratio == pytest.approx(1 - len(predicted) / (300 * 300))
    candidates = bloomlink.link(linkage.a, linkage.b, threshold=linkage.threshold, one_to_one="none")
    c = bloomlink.evaluate(candidates, truth)
    assert c.pair_completeness == c.recall
    assert c.reduction_ratio == pytest.approx(1 - len(candidates) / (300 * 300))


def test_evaluate_accepts_every_form_of_pairs_and_truth(linked, tmp_path):
    linkage, truth, _, _ = linked
    linkage.to_csv(tmp_path / "pairs.csv")
    truth.to_csv(tmp_path / "truth.csv", index=False)
    expected = bloomlink.evaluate(linkage, truth)
    pair_forms = [linkage.pairs, linkage.pairs[["id_b", "id_a", "score"]], tmp_path / "pairs.csv",
                  str(tmp_path / "pairs.csv"), list(zip(linkage.pairs.id_a, linkage.pairs.id_b))]
    truth_forms = [truth, truth.rename(columns={"id_a": "trust", "id_b": "council"}),
                   tmp_path / "truth.csv", list(truth.itertuples(index=False, name=None))]
    for pairs in pair_forms:
        for true in truth_forms:
            assert bloomlink.evaluate(pairs, true) == expected
    with_sets = bloomlink.evaluate(tmp_path / "pairs.csv", truth, a=linkage.a, b=linkage.b)
    assert with_sets == bloomlink.evaluate(linkage, truth, a=linkage.a, b=linkage.b)


def test_evaluate_edge_cases(linked):
    linkage, truth, predicted, true = linked
    nothing = bloomlink.evaluate([], truth)
    assert (nothing.predicted, nothing.true_positives, nothing.recall) == (0, 0, 0.0)
    wrong = [("T0000001", "nobody")]
    m = bloomlink.evaluate(wrong, truth)
    assert (m.true_positives, m.false_positives, m.precision) == (0, 1, 0.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.precision = 1.0


def _febrl(n_entities=10, n_matched=8, seed=3):
    """A: rec-i-org for i < n_entities; B: rec-i-dup-0 (a few bits flipped) for i < n_matched and
    two persons A lacks. The regex ^rec-(\\d+)- makes every rec-i-org, rec-i-dup-0 a true pair."""
    rng = np.random.default_rng(seed)
    a_bits = random_bits(n_entities, 64, seed)
    b_bits = np.concatenate([a_bits[:n_matched], random_bits(2, 64, seed + 1)])
    for row in range(n_matched):
        for byte in rng.choice(64, 3, replace=False):
            b_bits[row, byte] ^= 1 << int(rng.integers(8))
    a = EncodedDataset.from_bits([f"rec-{i}-org" for i in range(n_entities)], a_bits)
    b = EncodedDataset.from_bits([f"rec-{i}-dup-0" for i in range(n_matched)] +
                                 ["rec-100-dup-0", "rec-101-dup-0"], b_bits)
    return a, b


def test_evaluate_with_a_truth_regex():
    a, b = _febrl()
    linkage = link_quietly(a, b, threshold=0.8)
    assert sorted(ids_of(linkage)) == sorted((f"rec-{i}-org", f"rec-{i}-dup-0") for i in range(8))
    m = bloomlink.evaluate(linkage, truth_regex=r"^rec-(\d+)-")
    assert (m.true_pairs, m.true_positives, m.false_positives) == (8, 8, 0)
    assert m.precision == m.recall == m.f1 == 1.0
    # Python's syntax: a named group is the first group.
    named = bloomlink.evaluate(linkage, truth_regex=r"^rec-(?P<entity>\d+)-(?:org|dup)")
    assert (named.true_pairs, named.true_positives, named.false_positives) == (8, 8, 0)
    assert m.reduction_ratio is None  # a greedy result, not a candidate set
    guesses = [("rec-0-org", "rec-0-dup-0"), ("rec-1-org", "rec-2-dup-0"),
               ("rec-9-org", "rec-100-dup-0")]
    m = bloomlink.evaluate(guesses, truth_regex=r"^rec-(\d+)-", a=a, b=b)
    assert (m.true_positives, m.false_positives, m.false_negatives) == (1, 2, 7)
    assert m.pair_completeness == pytest.approx(1 / 8)
    assert m.reduction_ratio == pytest.approx(1 - 3 / 100)


def test_evaluate_errors(linked, tmp_path):
    linkage, truth, _, _ = linked
    pairs = linkage.pairs
    with pytest.raises(InputError, match=re.escape("give truth or truth_regex (one of them)")):
        bloomlink.evaluate(linkage)
    with pytest.raises(InputError, match=re.escape("give truth or truth_regex (one of them)")):
        bloomlink.evaluate(linkage, truth, truth_regex=r"^(T)")
    with pytest.raises(InputError,
                       match=re.escape("truth_regex needs both datasets (a=..., b=...)")):
        bloomlink.evaluate(pairs, truth_regex=r"^rec-(\d+)-")
    with pytest.raises(InputError, match="truth_regex needs both datasets"):
        bloomlink.evaluate(pairs, truth_regex=r"^rec-(\d+)-", a=linkage.a)
    with pytest.raises(InputError, match=re.escape(
            'truth pattern "((" is not a valid regular expression: missing closing parenthesis '
            'at offset 2')):
        bloomlink.evaluate(linkage, truth_regex="((")
    with pytest.raises(InputError, match="has no capture group"):
        bloomlink.evaluate(linkage, truth_regex="^T")
    with pytest.raises(InputError, match="pairs: expected two columns of ids"):
        bloomlink.evaluate(pairs[["id_a"]], truth)
    with pytest.raises(InputError, match="truth: expected two columns of ids"):
        bloomlink.evaluate(pairs, truth[["id_a"]])
    with pytest.raises(OSError):
        bloomlink.evaluate(tmp_path / "no-such-pairs.csv", truth)


# -------------------------------------------------------------------------------------------------
# synth


def test_synth_is_deterministic_for_a_seed():
    first, again, other = bloomlink.synth(200, seed=9), bloomlink.synth(200, seed=9), \
        bloomlink.synth(200, seed=10)
    for name in ("trust", "council", "truth"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(again, name))
    assert not first.trust.equals(other.trust)
    assert not first.council.equals(other.council)


def test_synth_sizes_columns_and_truth():
    data = bloomlink.synth(200, seed=4)
    assert list(data.trust.columns) == ["id", *COLUMNS]
    assert list(data.council.columns) == ["id", *COLUMNS]
    assert list(data.truth.columns) == ["id_a", "id_b"]
    assert len(data.trust) == 200 and len(data.council) == 200
    assert len(data.truth) == 120  # overlap 0.6
    assert data.trust["id"].is_unique and data.council["id"].is_unique
    assert set(data.truth["id_a"]) <= set(data.trust["id"])
    assert set(data.truth["id_b"]) <= set(data.council["id"])
    assert data.truth["id_a"].is_unique and data.truth["id_b"].is_unique
    assert len(bloomlink.synth(50, seed=4, overlap=0).truth) == 0
    assert len(bloomlink.synth(50, seed=4, overlap=1).truth) == 50
    assert all(dtype == object for dtype in data.trust.dtypes)


def test_synth_equals_what_the_cli_writes(extracts):
    data = bloomlink.synth(300, seed=5)
    pd.testing.assert_frame_equal(data.trust, read_csv(extracts["trust"]))
    pd.testing.assert_frame_equal(data.council, read_csv(extracts["council"]))
    pd.testing.assert_frame_equal(data.truth, read_csv(extracts["truth"]))


def test_synth_without_corruption_links_perfectly():
    data = bloomlink.synth(200, seed=2, corruption=0)
    a = bloomlink.encode(data.trust, Schema.starter(), secret=SECRET)
    b = bloomlink.encode(data.council, Schema.starter(), secret=SECRET)
    m = bloomlink.evaluate(bloomlink.link(a, b, threshold=1.0), data.truth)
    assert (m.precision, m.recall) == (1.0, 1.0)


@pytest.mark.parametrize("options,message", [
    ({"records": 0}, "synth: records must be at least 1"),
    ({"records": 10, "overlap": 1.5}, "synth: overlap must be between 0 and 1, got 1.5"),
    ({"records": 10, "overlap": -0.1}, "synth: overlap must be between 0 and 1, got -0.1"),
    ({"records": 10, "corruption": -1}, "synth: corruption must be a finite number >= 0, got -1"),
    ({"records": 10, "corruption": float("inf")}, "synth: corruption must be a finite number"),
])
def test_synth_options_are_validated(options, message):
    with pytest.raises(InputError, match=re.escape(message)):
        bloomlink.synth(**options)


def _identical_pairs(data):
    """True pairs whose given name, family name and date of birth agree after a rough
    cleaning (letters, upper case; the date's digits in YYYYMMDD order)."""
    trust = data.trust.set_index("id")
    council = data.council.set_index("id")
    t = trust.loc[data.truth["id_a"]].reset_index(drop=True)
    c = council.loc[data.truth["id_b"]].reset_index(drop=True)

    def name(col):
        return col.str.normalize("NFKD").str.replace(r"[^A-Za-z]", "", regex=True).str.upper()

    same = (name(t["given_name"]) == name(c["given_name"])) & \
        (name(t["family_name"]) == name(c["family_name"]))
    dob_t = t["date_of_birth"].str.replace("-", "")
    dob_c = c["date_of_birth"].str[6:] + c["date_of_birth"].str[3:5] + c["date_of_birth"].str[:2]
    return same, dob_t == dob_c


def test_synth_knobs():
    data = bloomlink.synth(3000, seed=2, overlap=0.5, corruption=0, exact_share=0.6,
                           field_corruption={"date_of_birth": 1.0}, missing=0.0)
    assert len(data.truth) == 1500
    names_same, dob_same = _identical_pairs(data)
    assert names_same.all()
    assert dob_same.sum() == 900  # round(0.6 * 1500) exact; every other pair has another date
    assert (data.trust[COLUMNS] != "").all().all() and (data.council[COLUMNS] != "").all().all()
    again = bloomlink.synth(3000, seed=2, overlap=0.5, corruption=0, exact_share=0.6,
                            field_corruption={"date_of_birth": 1.0}, missing=0.0)
    pd.testing.assert_frame_equal(data.council, again.council)
    # The knobs' defaults are the built-in behaviour.
    plain = bloomlink.synth(300, seed=5)
    pd.testing.assert_frame_equal(
        plain.council, bloomlink.synth(300, seed=5, exact_share=None, field_corruption={},
                                       missing=None).council)
    missing = bloomlink.synth(2000, seed=3, missing=0.25)
    share = (missing.council["family_name"] == "").mean()
    assert 0.22 < share < 0.28
    none = bloomlink.synth(100, seed=3, overlap=0, exact_share=0.5)
    assert len(none.truth) == 0 and list(none.truth.columns) == ["id_a", "id_b"]


@pytest.mark.parametrize("options,error,message", [
    ({"exact_share": 1.5}, InputError, "synth: exact_share must be between 0 and 1, got 1.5"),
    ({"missing": -0.5}, InputError, "synth: missing must be between 0 and 1, got -0.5"),
    ({"field_corruption": {"postcode": 2}}, InputError,
     "synth: field_corruption of postcode must be between 0 and 1, got 2"),
    ({"field_corruption": {"dob": 0.5}}, InputError, 'synth: unknown field "dob"'),
    ({"field_corruption": [("postcode", 0.5)]}, TypeError, "field_corruption must be a mapping"),
    ({"corruption": 0, "exact_share": 0.5}, InputError, "every field's corruption rate is 0"),
])
def test_synth_knobs_are_validated(options, error, message):
    with pytest.raises(error, match=re.escape(message)):
        bloomlink.synth(10, **options)


# -------------------------------------------------------------------------------------------------
# python -m bloomlink, kernel, documentation


def test_python_m_bloomlink_version(cli):
    proc = subprocess.run([sys.executable, "-m", "bloomlink", "--version"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == cli("--version").stdout == f"bloomlink {bloomlink.__version__}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+", bloomlink.__version__)


def test_python_m_bloomlink_encodes_like_the_binary(cli, extracts, tmp_path):
    args = ["encode", "--schema", str(extracts["schema"]), "--secret-file",
            str(extracts["secret"]), "--input", str(extracts["trust"]), "--threads", "2"]
    proc = subprocess.run([sys.executable, "-m", "bloomlink", *args, "--output",
                           str(tmp_path / "py.bloom")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "encoded 300 of 300 records" in proc.stdout
    cli(*args, "--output", tmp_path / "cli.bloom")
    assert (tmp_path / "py.bloom").read_bytes() == (tmp_path / "cli.bloom").read_bytes()
    bad = subprocess.run([sys.executable, "-m", "bloomlink", "link"], capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == cli("link", expect=None).returncode != 0


def test_kernel():
    assert bloomlink.kernel() in ("avx512", "avx2", "scalar")
    assert bloomlink.kernel() == bloomlink.kernel()


def test_every_public_name_is_documented():
    assert set(bloomlink.__all__) == {
        "AuditReport", "audit", "ClusterMetrics", "ClusterScores", "CrosswalkComparison", "EncodedDataset", "Error",
        "Estimate", "FileError", "FsModel", "IndexStats", "IndexUpdate", "InputError", "Linkage",
        "Metrics", "PersonIndex", "Revealed", "Schema", "SyntheticExtracts", "SyntheticSources",
        "compare_crosswalks", "encode", "evaluate", "kernel", "link", "reveal", "synth",
        "synth_sources", "__version__"}
    for name in bloomlink.__all__:
        if name == "__version__":
            continue
        doc = getattr(bloomlink, name).__doc__
        assert doc and doc.strip(), f"bloomlink.{name} has no docstring"
    assert issubclass(bloomlink.InputError, ValueError)
    assert issubclass(bloomlink.FileError, OSError)
    assert issubclass(bloomlink.InputError, bloomlink.Error)
    assert issubclass(bloomlink.FileError, bloomlink.Error)
    text = pydoc.render_doc(bloomlink.link, renderer=pydoc.plaintext)
    assert "threshold" in text and "inclusive" in text and "one_to_one" in text
    assert "BLOOMLINK_SECRET" in pydoc.render_doc(bloomlink.encode, renderer=pydoc.plaintext)


# -------------------------------------------------------------------------------------------------
# Ctrl-C


def test_ctrl_c_stops_a_long_link(tmp_path):
    """100,000 x 100,000 random filters on one thread take several seconds (1e10 comparisons;
    random filters are not pruned at 0.9); SIGINT must stop the search within a moment."""
    script = tmp_path / "long_link.py"
    script.write_text(textwrap.dedent("""
        import time, warnings
        import numpy as np
        import bloomlink
        warnings.simplefilter("ignore")
        n = 100_000
        bits = np.random.default_rng(1).integers(0, 256, size=(n, 128), dtype=np.uint8)
        a = bloomlink.EncodedDataset.from_bits([f"a{i}" for i in range(n)], bits)
        b = bloomlink.EncodedDataset.from_bits([f"b{i}" for i in range(n)], bits[::-1].copy())
        print("linking", flush=True)
        start = time.monotonic()
        try:
            bloomlink.link(a, b, threshold=0.9, one_to_one="none", threads=1)
            print("finished", flush=True)
        finally:
            print(f"linked for {time.monotonic() - start:.2f} s", flush=True)
    """))
    # A shell may start its background jobs with SIGINT ignored, which Python then keeps
    # ignoring: give the child the default disposition, as in a terminal.
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        started = proc.stdout.readline()
        if started != "linking\n":
            pytest.fail(f"the child did not start linking: {started!r} {proc.communicate()}")
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        out, err = proc.communicate(timeout=60)
        stopped_after = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert "finished" not in out, "the link ended before the signal: make it longer"
    assert "KeyboardInterrupt" in err, err
    assert proc.returncode != 0
    assert stopped_after < 5.0, f"took {stopped_after:.1f} s to stop"
    linked_for = float(re.search(r"linked for ([0-9.]+) s", out).group(1))
    assert linked_for < 5.0, out


def test_link_max_memory(encoded):
    trust, council = encoded
    with pytest.raises(MemoryError, match="more than the memory limit of 1.0 KiB"):
        bloomlink.link(trust, council, threshold=0.6, max_memory=1024)
    with pytest.raises(MemoryError, match="linking would need about"):
        bloomlink.link(trust, council, threshold=0.6, max_memory="1K")
    with pytest.raises(InputError, match='memory limit "plenty"'):
        bloomlink.link(trust, council, threshold=0.6, max_memory="plenty")
    with pytest.raises(InputError, match="max_memory must be bytes"):
        bloomlink.link(trust, council, threshold=0.6, max_memory=-5)
    for limit in (None, 0, "4G", "90%", 1 << 34):
        again = bloomlink.link(trust, council, threshold=0.6, max_memory=limit)
        assert len(again) == len(bloomlink.link(trust, council, threshold=0.6))
