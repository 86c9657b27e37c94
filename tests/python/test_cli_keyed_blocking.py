"""Keyed blocking end to end: a schema with "blocking" rules, tokens made when encoding (and
shown by schema check, encode and inspect), `link --blocking keys` finding nearly every
exhaustive candidate with a small share of the comparisons, the same for any thread count,
`blocking report` measuring it, and the refusals: files without tokens, files whose rules
differ."""
import csv
import json
import pathlib

import bloomlink
import pytest

from conftest import SECRET

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "schemas" / "starter_blocking.json"
RULES = [
    {"name": "nhs_number", "on": ["nhs_number"]},
    {"name": "surname_year", "on": ["soundex(family_name)", "year(date_of_birth)"]},
    {"name": "given_dob", "on": ["soundex(given_name)", "date_of_birth"]},
    {"name": "postcode_initial", "on": ["district(postcode)", "initial(given_name)", "sex"]},
    {"name": "names", "on": ["soundex(given_name)", "soundex(family_name)"]},
]


def pairs_of(path):
    with open(path, newline="") as f:
        return {tuple(r[:2]) for r in list(csv.reader(f))[1:]}


@pytest.fixture()
def keyed(cli, starter):
    d = starter["dir"]
    # The example schema: the starter schema and these rules.
    schema = json.loads(EXAMPLE.read_text())
    assert schema["blocking"] == RULES and schema["fields"] == json.loads(
        starter["schema"].read_text())["fields"]
    path = d / "blocking.json"
    path.write_text(json.dumps(schema))
    cli("synth", "--records", 6000, "--seed", 6, "--output", d / "big")
    files = {}
    for name in ("trust", "council"):
        files[name] = d / f"{name}_keys.bloom"
        out = cli("encode", "--schema", path, "--secret-file", starter["secret"], "--input",
                  d / "big" / f"{name}.csv", "--output", files[name]).stdout
        assert "blocking rule surname_year: " in out and "records with a token" in out
    return {**starter, "keyed_schema": path, "a": files["trust"], "b": files["council"],
            "big": d / "big"}


def test_schema_check_and_inspect_show_the_rules(cli, keyed):
    out = cli("schema", "check", keyed["keyed_schema"]).stdout
    assert "blocking rule surname_year: soundex(family_name) + year(date_of_birth)" in out
    assert "blocking rule postcode_initial: district(postcode) + initial(given_name) + sex" in out
    out = cli("inspect", keyed["a"]).stdout
    assert "blocking rule nhs_number: " in out and "the most sharing one: 1 (" in out


def test_keys_find_nearly_every_candidate_with_few_comparisons(cli, keyed):
    d = keyed["dir"]
    cli("link", keyed["a"], keyed["b"], "--threshold", 0.8, "--one-to-one", "none", "--output",
        d / "exhaustive.csv")
    exhaustive = pairs_of(d / "exhaustive.csv")
    outputs = []
    for threads in (1, 2):
        out = d / f"keys{threads}.csv"
        proc = cli("link", keyed["a"], keyed["b"], "--threshold", 0.8, "--one-to-one", "none",
                   "--blocking", "keys", "--threads", threads, "--output", out)
        assert "blocking: keyed blocking: pairs sharing a token of 5 rules" in proc.stdout
        share = float(proc.stdout.split("compared ")[1].split("(")[1].split("%")[0])
        assert share < 1, proc.stdout
        found = pairs_of(out)
        assert found <= exhaustive
        assert len(found) >= 0.99 * len(exhaustive), (len(found), len(exhaustive))
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    # The label-free default runs on the blocked candidates too.
    proc = cli("link", keyed["a"], keyed["b"], "--blocking", "keys", "--truth",
               keyed["big"] / "truth.csv", "--output", d / "default.csv")
    recall = float(proc.stdout.split(" recall ")[1].split()[0])
    assert recall > 0.9, proc.stdout


def test_blocking_report_measures_keyed_blocking(cli, keyed):
    out = cli("blocking", "report", keyed["a"], keyed["b"], "--threshold", 0.8, "--sample",
              1000).stdout
    assert "keys: 5 keyed blocking rules would compare " in out
    assert "    rule surname_year: tokens on " in out
    keys_part = out.split("  keys: ")[1].split("  lsh: ")[0]
    completeness = float(keys_part.split("pair completeness against the exhaustive candidates of "
                                         "the sample: ")[1].split()[0])
    assert completeness >= 0.99, out


def test_convert_keeps_tokens_in_bloom_and_warns_when_dropping_them(cli, keyed):
    d = keyed["dir"]
    cli("convert", keyed["a"], d / "copy.bloom")
    assert "blocking rule names: " in cli("inspect", d / "copy.bloom").stdout
    proc = cli("convert", keyed["a"], d / "copy.json")
    assert "does not carry keyed blocking tokens" in proc.stderr


def test_refused_without_tokens_or_with_other_rules(cli, keyed):
    d = keyed["dir"]
    plain = d / "plain.bloom"
    cli("encode", "--schema", keyed["schema"], "--secret-file", keyed["secret"], "--input",
        keyed["big"] / "council.csv", "--output", plain, "--quiet")
    proc = cli("link", plain, plain, "--dedupe", "--blocking", "keys", "--output", d / "x.csv",
               expect=None)
    assert proc.returncode != 0
    assert "keyed blocking needs blocking tokens in both datasets" in proc.stderr
    assert not (d / "x.csv").exists()
    # Other rules: another schema, so another fingerprint (and other keys): refused.
    schema = json.loads(keyed["keyed_schema"].read_text())
    schema["blocking"] = RULES[:2]
    other = d / "other.json"
    other.write_text(json.dumps(schema))
    fewer = d / "fewer.bloom"
    cli("encode", "--schema", other, "--secret-file", keyed["secret"], "--input",
        keyed["big"] / "council.csv", "--output", fewer, "--quiet")
    proc = cli("link", keyed["a"], fewer, "--blocking", "keys", "--output", d / "x.csv",
               expect=None)
    assert proc.returncode != 0 and "encoded with different schemas" in proc.stderr


def test_python_link_with_keys(keyed):
    schema = json.loads(keyed["keyed_schema"].read_text())
    ex = bloomlink.synth(3000, seed=3)
    a = bloomlink.encode(ex.trust, schema, secret=SECRET)
    b = bloomlink.encode(ex.council, schema, secret=SECRET)
    assert a.blocking_rules == [r["name"] for r in RULES]
    exhaustive = bloomlink.link(a, b, threshold=0.8, method="dice", one_to_one="none")
    keys = bloomlink.link(a, b, threshold=0.8, method="dice", one_to_one="none", blocking="keys")
    assert "keyed blocking" in keys.stats["blocking"]
    found = set(zip(keys.left.tolist(), keys.right.tolist()))
    every = set(zip(exhaustive.left.tolist(), exhaustive.right.tolist()))
    assert found <= every and len(found) >= 0.99 * len(every)
    plain = bloomlink.encode(ex.council, bloomlink.Schema.starter().to_dict(), secret=SECRET)
    assert plain.blocking_rules == []
    with pytest.raises(ValueError, match="keyed blocking needs blocking tokens"):
        bloomlink.link(plain, blocking="keys")
