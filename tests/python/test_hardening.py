"""Schema hardening end to end: `schema check` and `encode` say what is applied, encoding is
reproducible and depends on the secret, a hardened linkage still finds the true pairs, and a file
encoded with other hardening (or none) is refused by `link`."""
import json

import bloomlink
import numpy as np
import pytest

from conftest import ROOT, SECRET

HARDENING = {
    "salt": [{"fields": ["given_name", "family_name"], "with": ["year(date_of_birth)"]}],
    "clk": {"blip": 0.02, "diffusion_taps": 2},
    "field_filters": {"xor_folds": 1, "balance": True},
}


@pytest.fixture()
def hardened(starter):
    schema = json.loads(starter["schema"].read_text())
    for f in schema["fields"]:
        f["field_filter"] = {"bits": 256, "per_token": 8}
    plain = starter["dir"] / "plain.json"
    plain.write_text(json.dumps(schema))
    schema["hardening"] = HARDENING
    path = starter["dir"] / "hardened.json"
    path.write_text(json.dumps(schema))
    return {**starter, "hardened": path, "plain": plain}


def test_schema_check_and_encode_describe_the_hardening(cli, hardened):
    out = cli("schema", "check", hardened["hardened"]).stdout
    assert ("hardening: salt given_name, family_name with year(date_of_birth); "
            "CLK: diffusion (2 taps), BLIP 0.02; field filters: 1 XOR fold, balanced") in out
    assert "hardening: none" in cli("schema", "check", hardened["plain"]).stdout
    enc = cli("encode", "--schema", hardened["hardened"], "--input", hardened["trust"],
              "--output", hardened["dir"] / "t.bloom", secret=SECRET).stdout
    assert "hardening: salt given_name" in enc
    assert SECRET not in enc


def test_hardened_encoding_is_reproducible_and_keyed(hardened):
    schema = bloomlink.Schema.from_file(hardened["hardened"])
    first = bloomlink.encode(hardened["trust"], schema, secret=SECRET)
    again = bloomlink.encode(hardened["trust"], schema, secret=SECRET, threads=1)
    other = bloomlink.encode(hardened["trust"], schema, secret=SECRET + " but another")
    assert np.array_equal(first.bits, again.bits)
    for f in first.field_filters:
        assert np.array_equal(first.field_bits(f), again.field_bits(f))
    assert not np.any(np.all(first.bits == other.bits, axis=1))
    # Balanced field filters: twice as long, exactly half set in every record with a value;
    # a record without one keeps an empty filter (missing, for Fellegi-Sunter).
    for f in first.field_filters:
        counts = np.unpackbits(first.field_bits(f), axis=1).sum(axis=1)
        assert first.field_bits(f).shape[1] * 8 == 512
        assert set(counts.tolist()) <= {0, 256} and 256 in counts
    missing = np.unpackbits(first.field_bits("nhs_number"), axis=1).sum(axis=1) == 0
    assert missing.any()


def test_hardened_linkage_finds_the_true_pairs(cli, hardened):
    d = hardened["dir"]
    for side in ("trust", "council"):
        cli("encode", "--schema", hardened["hardened"], "--input", hardened[side],
            "--output", d / f"{side}.bloom", "--quiet", secret=SECRET)
    cli("link", d / "trust.bloom", d / "council.bloom", "--output", d / "pairs.csv", "--quiet")
    out = cli("evaluate", "--pairs", d / "pairs.csv", "--truth", hardened["dir"] / "data" / "truth.csv").stdout
    f1 = float(out.split("F1 ")[1].split()[0])
    assert f1 >= 0.97, out


def test_files_that_disagree_on_hardening_are_not_linked(cli, hardened):
    d = hardened["dir"]
    cli("encode", "--schema", hardened["hardened"], "--input", hardened["trust"],
        "--output", d / "h.bloom", "--quiet", secret=SECRET)
    cli("encode", "--schema", hardened["plain"], "--input", hardened["council"],
        "--output", d / "p.bloom", "--quiet", secret=SECRET)
    r = cli("link", d / "h.bloom", d / "p.bloom", "--output", d / "pairs.csv", expect=None)
    assert r.returncode != 0
    assert "different schemas" in r.stderr and "hardening included" in r.stderr
    assert not (d / "pairs.csv").exists()


def test_bad_hardening_is_refused_with_its_path(cli, hardened):
    schema = json.loads(hardened["hardened"].read_text())
    schema["hardening"]["clk"]["blip"] = 0.6
    bad = hardened["dir"] / "bad.json"
    bad.write_text(json.dumps(schema))
    r = cli("schema", "check", bad, expect=None)
    assert r.returncode != 0 and "hardening.clk.blip" in r.stderr


def test_schema_init_fs_is_the_hardened_starter_with_field_filters(cli):
    fs = json.loads(cli("schema", "init", "--fs").stdout)
    assert bloomlink.Schema.starter(field_filters=True).to_dict() == fs
    plain = bloomlink.Schema.starter().to_dict()
    assert [f["name"] for f in fs["fields"]] == [f["name"] for f in plain["fields"]]
    assert all("field_filter" in f for f in fs["fields"])
    assert fs["hardening"] == {"clk": {"diffusion_taps": 2},
                               "field_filters": {"diffusion_taps": 2, "blip": 0.02}}
    assert plain["hardening"] == {"clk": {"diffusion_taps": 2}}
    # The person index's example schema: these fields and hardening, plus blocking rules.
    example = json.loads((ROOT / "examples" / "schemas" / "starter_index.json").read_text())
    assert example["fields"] == fs["fields"] and example["hardening"] == fs["hardening"]
