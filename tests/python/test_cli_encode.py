"""End-to-end tests of `bloomlink encode`, `inspect`, `schema` and `synth`: what a data team sees."""
import base64
import json

import pandas as pd
import pytest

import bloomlink
from conftest import SECRET, clkhash_vector


def encode(cli, starter, input_path, output, *extra, expect=0):
    return cli("encode", "--schema", starter["schema"], "--secret-file", starter["secret"],
               "--input", input_path, "--output", output, *extra, expect=expect)


def test_encode_writes_a_file_inspect_can_read(cli, starter):
    out = starter["dir"] / "trust.bloom"
    proc = encode(cli, starter, starter["trust"], out)
    assert out.exists()
    assert "encoded 300 of 300 records" in proc.stdout
    assert "nhs_number" in proc.stdout
    info = cli("inspect", out).stdout
    assert "records      300" in info
    assert "filter       1024 bits" in info
    assert "popcount" in info


def test_output_is_identical_for_any_thread_count(cli, starter):
    one = starter["dir"] / "one.bloom"
    two = starter["dir"] / "two.bloom"
    encode(cli, starter, starter["trust"], one, "--threads", 1)
    encode(cli, starter, starter["trust"], two, "--threads", 2)
    assert one.read_bytes() == two.read_bytes()


def test_secret_never_appears_in_outputs_or_messages(cli, starter):
    outputs = {}
    for fmt in ("bloom", "clkhash-json", "csv"):
        out = starter["dir"] / f"enc.{fmt}"
        proc = encode(cli, starter, starter["trust"], out, "--output-format", fmt)
        outputs[fmt] = out.read_bytes()
        assert SECRET not in proc.stdout + proc.stderr
    for data in outputs.values():
        assert SECRET.encode() not in data
    bad = starter["dir"] / "bad.csv"
    bad.write_text("id,nhs_number\n1,2\n")
    proc = encode(cli, starter, bad, starter["dir"] / "x.bloom", expect=2)
    assert SECRET not in proc.stdout + proc.stderr


def test_secret_from_environment(cli, starter):
    out = starter["dir"] / "env.bloom"
    cli("encode", "--schema", starter["schema"], "--input", starter["trust"], "--output", out,
        secret=SECRET)
    via_file = starter["dir"] / "file.bloom"
    encode(cli, starter, starter["trust"], via_file)
    assert out.read_bytes() == via_file.read_bytes()


def test_secret_on_the_command_line_is_refused(cli, starter):
    proc = cli("encode", "--schema", starter["schema"], "--secret", "hunter2hunter2hunter2",
               "--input", starter["trust"], "--output", starter["dir"] / "x.bloom", expect=2)
    assert "never taken as an argument" in proc.stderr
    assert "hunter2" not in proc.stderr


@pytest.mark.parametrize("content,message", [
    (b"", "empty"),
    (b"\n", "empty"),
    (b"short", "at least 16"),
])
def test_bad_secrets(cli, starter, content, message):
    secret = starter["dir"] / "weak.key"
    secret.write_bytes(content)
    secret.chmod(0o600)
    out = starter["dir"] / "x.bloom"
    proc = cli("encode", "--schema", starter["schema"], "--secret-file", secret, "--input",
               starter["trust"], "--output", out, expect=2)
    assert message in proc.stderr
    assert not out.exists()


def test_weak_secret_is_allowed_only_on_request(cli, starter):
    secret = starter["dir"] / "weak.key"
    secret.write_text("short")
    secret.chmod(0o600)
    out = starter["dir"] / "x.bloom"
    cli("encode", "--schema", starter["schema"], "--secret-file", secret, "--input",
        starter["trust"], "--output", out, "--allow-weak-secret")
    assert out.exists()


def test_missing_secret_file_and_no_secret(cli, starter):
    out = starter["dir"] / "x.bloom"
    proc = cli("encode", "--schema", starter["schema"], "--secret-file",
               starter["dir"] / "nope.key", "--input", starter["trust"], "--output", out, expect=2)
    assert "nope.key" in proc.stderr
    proc = cli("encode", "--schema", starter["schema"], "--input", starter["trust"], "--output",
               out, expect=2)
    assert "no secret" in proc.stderr
    assert not out.exists()


def test_world_readable_secret_file_warns(cli, starter):
    starter["secret"].chmod(0o644)
    proc = encode(cli, starter, starter["trust"], starter["dir"] / "x.bloom")
    assert "readable by other users" in proc.stderr


BAD_INPUTS = [
    ("missing id column", b"nhs_number,given_name,family_name,date_of_birth,sex,postcode\n"
     b"9434765919,Ann,Lee,1980-01-01,F,LS1 1AA\n", "column \"id\""),
    ("duplicate id", b"id,nhs_number,given_name,family_name,date_of_birth,sex,postcode\n"
     b"a1,9434765919,Ann,Lee,1980-01-01,F,LS1 1AA\nb2,,Bob,Lee,1980-01-01,M,LS1 1AA\n"
     b"a1,,Cat,Lee,1980-01-01,F,LS1 1AA\n", ":4: id \"a1\" is repeated (first on line 2)"),
    ("empty id", b"id,nhs_number,given_name,family_name,date_of_birth,sex,postcode\n"
     b",9434765919,Ann,Lee,1980-01-01,F,LS1 1AA\n", ":2: column 1 (id): the id is empty"),
    ("ragged row", b"id,nhs_number,given_name,family_name,date_of_birth,sex,postcode\n"
     b"a1,9434765919,Ann,Lee,1980-01-01,F\n", ":2: row has 6 fields, the header has 7"),
    ("invalid utf-8", b"id,nhs_number,given_name,family_name,date_of_birth,sex,postcode\n"
     b"a1,9434765919,Ann\xe9,Lee,1980-01-01,F,LS1 1AA\n", "invalid UTF-8"),
    ("empty input", b"", "empty"),
    ("header only", b"id,nhs_number,given_name,family_name,date_of_birth,sex,postcode\n",
     "no records"),
    ("schema column missing", b"id,nhs_number,given_name,family_name,date_of_birth,sex\n"
     b"a1,9434765919,Ann,Lee,1980-01-01,F\n", "schema field postcode"),
]


@pytest.mark.parametrize("name,content,message", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_gives_a_clear_error_and_no_output(cli, starter, name, content, message):
    bad = starter["dir"] / "bad.csv"
    bad.write_bytes(content)
    out = starter["dir"] / "out.bloom"
    proc = encode(cli, starter, bad, out, expect=2)
    assert "bad.csv" in proc.stderr, proc.stderr
    assert message in proc.stderr, proc.stderr
    assert not out.exists()
    assert list(starter["dir"].glob(".out.bloom.tmp*")) == []


def test_failure_leaves_the_previous_output_untouched(cli, starter):
    out = starter["dir"] / "out.bloom"
    out.write_bytes(b"previous")
    bad = starter["dir"] / "bad.csv"
    bad.write_bytes(b"id,nhs_number\n")
    encode(cli, starter, bad, out, expect=2)
    assert out.read_bytes() == b"previous"


def test_invalid_values_are_counted_not_encoded(cli, starter):
    data = starter["dir"] / "mixed.csv"
    data.write_text(
        "id,nhs_number,given_name,family_name,date_of_birth,sex,postcode\n"
        "a,9434765919,Ann,Lee,1980-01-01,F,LS1 1AA\n"
        "b,9434765918,Bob,Lee,31/02/1980,X,NOT A POSTCODE\n"
        "c,,,,,,\n")
    out = starter["dir"] / "mixed.bloom"
    proc = encode(cli, starter, data, out)
    assert "encoded 2 of 3 records" in proc.stdout
    assert "skipped 1 record with no usable identifier" in proc.stdout
    lines = {line.split()[0]: line for line in proc.stdout.splitlines()[1:] if line.strip()}
    assert "check digit" in lines["nhs_number"]
    assert "impossible date" in lines["date_of_birth"]


def test_schema_errors_name_the_json_path(cli, starter):
    schema = json.loads(starter["schema"].read_text())
    schema["fields"][1]["tokens"]["q"] = "two"
    bad = starter["dir"] / "bad_schema.json"
    bad.write_text(json.dumps(schema))
    proc = encode(cli, {**starter, "schema": bad}, starter["trust"], starter["dir"] / "x.bloom",
                  expect=2)
    assert 'bad_schema.json: fields[1].tokens.q: expected an integer 1..5, got "two"' in proc.stderr


def test_schema_init_is_valid_and_checkable(cli, starter):
    proc = cli("schema", "check", starter["schema"])
    assert "a valid bloomlink schema" in proc.stdout
    for column in ("nhs_number", "given_name", "family_name", "date_of_birth", "sex", "postcode"):
        assert column in proc.stdout


def test_clkhash_json_output_matches_clkhash(cli, tmp_path):
    secret = tmp_path / "secret.key"
    secret.write_text(json.loads(clkhash_vector("manifest.json").read_text())["secret"])
    secret.chmod(0o600)
    for name in ("A_blake_default", "B_doublehash", "C_doublehash_nonsingular_l1000",
                 "F_legacy_v2"):
        out = tmp_path / f"{name}.json"
        cli("encode", "--schema", clkhash_vector(f"schema_{name}.json"), "--secret-file", secret,
            "--input", clkhash_vector("data.csv"), "--id-column", "rec_id", "--output", out)
        got = json.loads(out.read_text())["clks"]
        want = json.loads(clkhash_vector(f"clks_{name}.json").read_text())["clks"]
        assert got == want, name


def test_clkhash_l1000_encodes_to_bloom_and_json_alike(cli, tmp_path):
    secret = tmp_path / "secret.key"
    secret.write_text("peer-vector-secret-2024")
    secret.chmod(0o600)
    schema = clkhash_vector("schema_C_doublehash_nonsingular_l1000.json")
    for out in (tmp_path / "c.bloom", tmp_path / "c.json"):
        cli("encode", "--schema", schema, "--secret-file", secret, "--input",
            clkhash_vector("data.csv"), "--id-column", "rec_id", "--output", out)
        assert "filter       1000 bits" in cli("inspect", out).stdout


def test_csv_encodings_round_trip_through_inspect(cli, starter):
    out = starter["dir"] / "trust.csv.enc"
    encode(cli, starter, starter["trust"], out, "--output-format", "csv")
    lines = out.read_text().splitlines()
    assert lines[0] == "id,clk"
    assert len(lines) == 301
    raw = base64.b64decode(lines[1].split(",")[1])
    assert len(raw) == 128
    assert "records      300" in cli("inspect", out).stdout


def test_synth_is_deterministic(cli, tmp_path):
    cli("synth", "--records", 200, "--seed", 9, "--output", tmp_path / "a")
    cli("synth", "--records", 200, "--seed", 9, "--output", tmp_path / "b")
    for name in ("trust.csv", "council.csv", "truth.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_synth_knobs(cli, tmp_path):
    knobs = ["--overlap", 0.3, "--exact-share", 0.5, "--missing", 0.02,
             "--field-corruption", "given_name=0.3,family_name=0.2"]
    proc = cli("synth", "--records", 400, "--seed", 9, *knobs, "--output", tmp_path / "a")
    assert "120 true matches" in proc.stdout
    data = bloomlink.synth(400, seed=9, overlap=0.3, exact_share=0.5, missing=0.02,
                           field_corruption={"given_name": 0.3, "family_name": 0.2})
    written = pd.read_csv(tmp_path / "a" / "council.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(written, data.council)
    cli("synth", "--records", 50, "--seed", 1, "--overlap", 0, "--output", tmp_path / "none")
    assert (tmp_path / "none" / "truth.csv").read_text() == "id_a,id_b\n"


@pytest.mark.parametrize("args,message", [
    (["--exact-share", "1.5"], "synth: exact_share must be between 0 and 1, got 1.5"),
    (["--missing", "2"], "synth: missing must be between 0 and 1, got 2"),
    (["--field-corruption", "dob=0.5"], 'synth: unknown field "dob"'),
    (["--field-corruption", "postcode"], "--field-corruption: a pair without \"=\""),
    (["--field-corruption", "postcode=high"], "the rate of postcode is not a number"),
    (["--field-corruption", "postcode=0.1,postcode=0.2"], "postcode is given twice"),
    (["--field-corruption", "sex=1.2"], "field_corruption of sex must be between 0 and 1"),
    (["--corruption", "0", "--exact-share", "0.5"], "every field's corruption rate is 0"),
])
def test_synth_knobs_are_checked(cli, tmp_path, args, message):
    proc = cli("synth", "--records", 10, *args, "--output", tmp_path / "out", expect=2)
    assert message in proc.stderr
    assert not (tmp_path / "out").exists()


def test_convert_between_formats(cli, starter):
    bloom = starter["dir"] / "trust.bloom"
    encode(cli, starter, starter["trust"], bloom)
    as_csv = starter["dir"] / "trust.enc.csv"
    proc = cli("convert", bloom, as_csv)
    assert "converted 300 records" in proc.stdout
    assert "fingerprint" in proc.stderr  # warns that CSV drops provenance
    back = starter["dir"] / "back.bloom"
    cli("convert", as_csv, back)
    assert "records      300" in cli("inspect", back).stdout
    # clkhash JSON from clkhash itself imports and re-exports byte for byte.
    source = clkhash_vector("clks_A_blake_default.json")
    imported = starter["dir"] / "a.bloom"
    cli("convert", source, imported)
    exported = starter["dir"] / "a.json"
    cli("convert", imported, exported)
    assert exported.read_bytes() == source.read_bytes()


def test_convert_refuses_a_corrupt_file(cli, starter):
    bloom = starter["dir"] / "trust.bloom"
    encode(cli, starter, starter["trust"], bloom)
    data = bytearray(bloom.read_bytes())
    data[len(data) // 2] ^= 0x01
    bloom.write_bytes(bytes(data))
    out = starter["dir"] / "out.json"
    proc = cli("convert", bloom, out, expect=2)
    assert "trust.bloom" in proc.stderr
    assert not out.exists()
