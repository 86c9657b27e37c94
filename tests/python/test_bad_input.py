"""The bad-input catalogue (issue 6): every input a user can get wrong, through the command line.

The rule for each row: a clear message on stderr naming the file, the line or record and the field
where there is one; a non-zero exit (2 for bad input, 1 for a failure that is not the input's
fault), never a crash or a traceback; no output file, or the previous output left byte for byte;
no temporary files left in the output folder; and never the secret in any message. docs/errors.md
lists the messages these tests check.
"""
import json
import os
import pathlib
import resource
import shutil
import signal
import stat
import struct
import subprocess
import tempfile
import time

import pytest

from conftest import SECRET, _cli_path

HEADER = "id,given_name,family_name,date_of_birth\n"
ROWS = "r1,Ann,Lee,1980-01-02\nr2,Bob,Smith,1975-05-06\nr3,Cat,Jones,1990-12-31\n"
GOOD_CSV = HEADER + ROWS
PREVIOUS = b"the previous output, which a failed command must leave alone\n"

# A small schema with two field-level filters, so that an encoded file has every section.
SCHEMA = {
    "bloomlink_schema": 1,
    "filter": {"bits": 128},
    "fields": [
        {"name": "given_name", "type": "name", "bits": {"per_token": 10},
         "field_filter": {"bits": 64, "per_token": 4}},
        {"name": "family_name", "type": "name", "bits": {"per_token": 10},
         "field_filter": {"bits": 64, "per_token": 4}},
        {"name": "date_of_birth", "type": "date", "bits": {"per_token": 10}},
    ],
}


def run(*args, expect=2, env=None, preexec_fn=None, timeout=60, binary=None):
    """Runs bloomlink (or `binary`, a copy of it); checks the exit code and that it ended by
    itself (no signal, no traceback). Returns the CompletedProcess."""
    full_env = {k: v for k, v in os.environ.items() if k != "BLOOMLINK_SECRET"}
    full_env.update(env or {})
    proc = subprocess.run([str(binary or _cli_path()), *map(str, args)], capture_output=True,
                          text=True, errors="backslashreplace", env=full_env, timeout=timeout,
                          preexec_fn=preexec_fn)
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode}\n{proc.stderr}"
    if expect is not None:
        assert proc.returncode == expect, (
            f"exit {proc.returncode}, expected {expect}\nstdout:\n{proc.stdout}\n"
            f"stderr:\n{proc.stderr}")
    assert "Traceback" not in proc.stderr
    assert SECRET not in proc.stdout + proc.stderr
    return proc


def temp_files(folder, name):
    return sorted(p.name for p in folder.glob(f".{name}.tmp*"))


def assert_refused(proc, out, *needles, previous=None):
    """A refused command: the message names what it should, the output is absent (or, when
    `previous` is given, still holds exactly those bytes) and no temporary file is left."""
    lines = proc.stderr.splitlines()
    assert len(lines) >= 1 and lines[-1].startswith("bloomlink: error: "), proc.stderr
    for needle in needles:
        assert needle in proc.stderr, f"{needle!r} not in {proc.stderr!r}"
    if previous is None:
        assert not out.exists(), f"{out} was written"
    else:
        assert out.read_bytes() == previous
    assert temp_files(out.parent, out.name) == []


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    """A schema, a secret, a good extract, and encodings of it: good.bloom (3 records with field
    filters), other_secret.bloom, other_schema.bloom, big.csv/big.bloom (500 records)."""
    d = tmp_path_factory.mktemp("bad_input")
    schema = d / "schema.json"
    schema.write_text(json.dumps(SCHEMA, indent=1))
    secret = d / "secret.key"
    secret.write_text(SECRET + "\n")
    secret.chmod(0o600)
    other = d / "other.key"
    other.write_text("an entirely different shared secret\n")
    other.chmod(0o600)
    csv_path = d / "extract.csv"
    csv_path.write_text(GOOD_CSV)
    big = d / "big.csv"
    big.write_text(HEADER + "".join(f"b{i},Name{i},Family{i % 37},19{50 + i % 50}-0{1 + i % 9}-"
                                    f"1{i % 10}\n" for i in range(500)))
    other_schema = d / "other_schema.json"
    changed = json.loads(json.dumps(SCHEMA))
    changed["fields"][0]["tokens"] = {"kind": "qgram", "q": 3}
    other_schema.write_text(json.dumps(changed))
    kit = {"dir": d, "schema": schema, "secret": secret, "csv": csv_path, "big_csv": big}
    for name, s, k, data in [("good", schema, secret, csv_path),
                             ("other_secret", schema, other, csv_path),
                             ("other_schema", other_schema, secret, csv_path),
                             ("big", schema, secret, big)]:
        kit[name] = d / f"{name}.bloom"
        run("encode", "--schema", s, "--secret-file", k, "--input", data, "--output", kit[name],
            "--quiet", expect=0)
    return kit


@pytest.fixture()
def out_dir(tmp_path):
    return tmp_path


def encode(kit, csv_path, out, *extra, schema=None, secret=None, expect=2, **kw):
    return run("encode", "--schema", schema or kit["schema"], "--secret-file",
               secret or kit["secret"], "--input", csv_path, "--output", out, *extra,
               expect=expect, **kw)


def encode_refused(kit, out_dir, content, *needles, name="bad.csv", schema=None, expect=2,
                   previous=PREVIOUS):
    """Encodes `content` over a previous output (or, with previous=None, where there is none):
    it must be refused, the previous output left as it was (or no output created) and no
    temporary file left behind."""
    bad = out_dir / name
    bad.write_bytes(content)
    out = out_dir / "out.bloom"
    if previous is None:
        out.unlink(missing_ok=True)
    else:
        out.write_bytes(previous)
    proc = encode(kit, bad, out, schema=schema, expect=expect)
    assert_refused(proc, out, name, *needles, previous=previous)
    return proc


# ---- CSV extracts ---------------------------------------------------------------------------

H = HEADER.encode()
CSV_CASES = [
    ("empty file", b"", ["bad.csv: the file is empty"]),
    ("only blank lines", b"\n\n\r\n", ["bad.csv: the file has no header, only blank lines"]),
    # Decided (and documented in docs/cli.md): a header without records is an error naming the
    # file, not an empty output; encoding nothing is almost always a mistake.
    ("header only", H, ["bad.csv: no records after the header"]),
    ("header and blank lines", H + b"\n\n", ["bad.csv: no records after the header"]),
    ("missing id column", b"ref,given_name,family_name,date_of_birth\nr1,Ann,Lee,1980-01-02\n",
     ['bad.csv: the header has no column "id"', "(the id column)"]),
    ("id column differs in case",
     b"ID,given_name,family_name,date_of_birth\nr1,Ann,Lee,1980-01-02\n",
     ['the header has no column "id" (column 1 is "ID": check case and spaces)']),
    ("id column twice", b"id,given_name,id,family_name,date_of_birth\n1,Ann,1,Lee,1980-01-02\n",
     ['bad.csv: the header has the column "id" more than once (columns 1 and 3)']),
    ("duplicate ids", H + b"a1,Ann,Lee,1980-01-02\nb2,Bob,Lee,1980-01-02\na1,Cat,Lee,1980-01-02\n",
     ['bad.csv:4: id "a1" is repeated (first on line 2)']),
    ("duplicate id of a skipped record",
     H + b"a1,,,\nb2,Bob,Lee,1980-01-02\na1,Cat,Lee,1980-01-02\n",
     ['bad.csv:4: id "a1" is repeated (first on line 2)']),
    ("empty id", H + b"a1,Ann,Lee,1980-01-02\n,Bob,Lee,1980-01-02\n",
     ["bad.csv:3: column 1 (id): the id is empty"]),
    ("too few fields", H + b"a1,Ann,Lee,1980-01-02\na2,Bob,Lee\n",
     ["bad.csv:3: row has 3 fields, the header has 4"]),
    ("too many fields", H + b"a1,Ann,Lee,1980-01-02\na2,Bob,Lee,1980-01-02,extra\n",
     ["bad.csv:3: row has 5 fields, the header has 4"]),
    ("one field", H + b"a1,Ann,Lee,1980-01-02\nlonely\n",
     ["bad.csv:3: row has 1 field, the header has 4"]),
    ("unterminated quote",
     H + b'a1,Ann,Lee,1980-01-02\na2,"Bob,Lee,1980-01-02\na3,Cat,Lee,1980-01-02\n',
     ["bad.csv:3: column 2 (given_name): unterminated quoted field starting at line 3; "
      "expected a closing quote"]),
    ("unterminated quote after a multi-line field",
     H + b'a1,"Ann\nMarie",Lee,1980-01-02\na2,Bob,"Lee,1980-01-02\n',
     ["bad.csv:4: column 3 (family_name): unterminated quoted field starting at line 4"]),
    ("text after a closing quote", H + b'a1,"Ann"x,Lee,1980-01-02\n',
     ["bad.csv:2: column 2 (given_name): unexpected character after the closing quote"]),
    ("CR-only line endings", (HEADER + ROWS).replace("\n", "\r").encode(),
     ["bad.csv:1: line endings are CR only; convert to LF or CRLF"]),
    ("a stray CR", H + b"a1,Ann,Lee,1980-01-02\na2,Bob\rx,Lee,1980-01-02\n",
     ["bad.csv:3: column 2 (given_name): carriage return (CR) not followed by a line feed (LF)"]),
    ("NUL byte", H + b"a1,Ann,Lee,1980-01-02\na2,B\x00b,Lee,1980-01-02\n",
     ["bad.csv:3: column 2 (given_name): NUL byte; expected text"]),
    ("NUL byte in quotes", H + b'a1,Ann,Lee,1980-01-02\na2,Bob,"L\x00e",1980-01-02\n',
     ["bad.csv:3: column 3 (family_name): NUL byte; expected text"]),
    ("invalid UTF-8 (Latin-1)", H + b"a1,Ann,Lee,1980-01-02\na2,Ren\xe9e,Lee,1980-01-02\n",
     ["bad.csv:3: column 2 (given_name): invalid UTF-8 (is the file in Windows-1252 or Latin-1? "
      "save it as UTF-8)"]),
    ("invalid UTF-8 in a quoted field", H + b'a1,Ann,"Le\xc3",1980-01-02\n',
     ["bad.csv:2: column 3 (family_name): invalid UTF-8"]),
    ("invalid UTF-8 in the header", b"id,given_name,fam\xffily,date_of_birth\n1,a,b,c\n",
     ["bad.csv:1: column 3: invalid UTF-8"]),
    ("UTF-16 LE with BOM", b"\xff\xfe" + GOOD_CSV.encode("utf-16-le"),
     ["bad.csv: the file looks like UTF-16; save it as UTF-8"]),
    ("UTF-16 BE with BOM", b"\xfe\xff" + GOOD_CSV.encode("utf-16-be"),
     ["bad.csv: the file looks like UTF-16; save it as UTF-8"]),
    ("UTF-16 LE without BOM", GOOD_CSV.encode("utf-16-le"),
     ["bad.csv: the file looks like UTF-16; save it as UTF-8"]),
    ("UTF-16 BE without BOM", GOOD_CSV.encode("utf-16-be"),
     ["bad.csv: the file looks like UTF-16; save it as UTF-8"]),
    ("UTF-32 with BOM", GOOD_CSV.encode("utf-32"),
     ["bad.csv: the file looks like UTF-32; save it as UTF-8"]),
    ("an Excel workbook", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(200),
     ["bad.csv: the file is a ZIP archive (an Excel .xlsx workbook?), not CSV text"]),
    ("a gzip file", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(100),
     ["bad.csv: the file is gzip-compressed; decompress it first"]),
]


@pytest.mark.parametrize("name,content,needles", CSV_CASES, ids=[c[0] for c in CSV_CASES])
def test_bad_csv(kit, out_dir, name, content, needles):
    # Every other case runs without a previous output: no output may appear either.
    previous = PREVIOUS if CSV_CASES.index((name, content, needles)) % 2 else None
    encode_refused(kit, out_dir, content, *needles, previous=previous)


def test_column_the_schema_needs_is_missing(kit, out_dir):
    content = b"id,given_name,surname,date_of_birth\nr1,Ann,Lee,1980-01-02\n"
    encode_refused(kit, out_dir, content,
                   'bad.csv: the header has no column "family_name"',
                   "(needed by schema field family_name)")


def test_schema_column_renamed_but_missing(kit, out_dir):
    schema = json.loads(json.dumps(SCHEMA))
    schema["fields"][1]["column"] = "surname"
    path = out_dir / "renamed.json"
    path.write_text(json.dumps(schema))
    encode_refused(kit, out_dir, GOOD_CSV.encode(), 'bad.csv: the header has no column "surname"',
                   "(needed by schema field family_name)", schema=path)


def test_ten_megabyte_field_is_refused_quickly(kit, out_dir):
    start = time.monotonic()
    content = H + b"a1,Ann,Lee,1980-01-02\na2," + b"x" * (10 << 20) + b",Lee,1980-01-02\n"
    encode_refused(kit, out_dir, content,
                   "bad.csv:3: column 2 (given_name): field longer than the limit of 1048576 bytes")
    quoted = H + b'a1,Ann,"' + b"y" * (10 << 20) + b'",1980-01-02\n'
    encode_refused(kit, out_dir, quoted,
                   "bad.csv:2: column 3 (family_name): field longer than the limit of 1048576 "
                   "bytes (quoted field starting at line 2; is a closing quote missing?)")
    assert time.monotonic() - start < 10


def test_million_column_header_is_refused_in_bounded_time(kit, out_dir):
    start = time.monotonic()
    content = ",".join(f"c{i}" for i in range(1_000_000)).encode() + b"\n1,2\n"
    encode_refused(kit, out_dir, content,
                   "bad.csv:1: header has 1000000 columns, more than the limit of 4096")
    # A million fields in a data row: counted, not kept.
    row = H + b"a1" + b",x" * 999_999 + b"\n"
    encode_refused(kit, out_dir, row, "bad.csv:2: row has 1000000 fields, the header has 4")
    assert time.monotonic() - start < 10


def test_missing_and_folder_inputs(kit, out_dir):
    out = out_dir / "out.bloom"
    proc = encode(kit, out_dir / "nope.csv", out)
    assert_refused(proc, out, "nope.csv: cannot open: No such file or directory")
    proc = encode(kit, out_dir, out)
    assert_refused(proc, out, f"{out_dir}: cannot open: it is a folder, not a file")


def test_crlf_and_bom_are_fine(kit, out_dir):
    """The near misses that are accepted: CRLF line endings, a UTF-8 byte-order mark, no final
    newline."""
    good = out_dir / "crlf.csv"
    good.write_bytes(b"\xef\xbb\xbf" + GOOD_CSV.replace("\n", "\r\n").encode().rstrip(b"\r\n"))
    out = out_dir / "out.bloom"
    proc = encode(kit, good, out, expect=0)
    assert "encoded 3 of 3 records" in proc.stdout
    assert out.read_bytes() == kit["good"].read_bytes()


# ---- schemas --------------------------------------------------------------------------------

def with_schema(**changes):
    s = json.loads(json.dumps(SCHEMA))
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = s
        for p in parents:
            node = node[int(p)] if p.isdigit() else node[p]
        if value is DELETE:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value
    return json.dumps(s).encode()


DELETE = object()
CLKHASH_V3 = {
    "version": 3,
    "clkConfig": {"l": 1024, "kdf": {"type": "HKDF", "hash": "SHA256", "keySize": 64}},
    "features": [
        {"identifier": "id", "ignored": True},
        {"identifier": "given_name", "format": {"type": "string", "encoding": "utf-8"},
         "hashing": {"comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerToken": 20}}},
        {"identifier": "family_name", "format": {"type": "string"},
         "hashing": {"comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerToken": 20}}},
        {"identifier": "date_of_birth", "format": {"type": "date", "format": "%Y-%m-%d"},
         "hashing": {"comparison": {"type": "exact"}, "strategy": {"bitsPerToken": 20}}},
    ],
}


def clkhash(change):
    s = json.loads(json.dumps(CLKHASH_V3))
    change(s)
    return json.dumps(s).encode()


SCHEMA_CASES = [
    ("empty file", b"", ["not valid JSON"]),
    ("not JSON", b"fields: given_name, family_name\n", ["schema.json:1:2: not valid JSON"]),
    ("truncated JSON", json.dumps(SCHEMA).encode()[:-30],
     ["not valid JSON", "unexpected end of input"]),
    ("a JSON array", b"[1, 2]",
     ["schema.json: (top level): expected an object, got an array of 2 items"]),
    ("deeply nested JSON", b"[" * 100_000 + b"]" * 100_000,
     ["schema.json: (top level): expected an object, got an array of 1 item"]),
    ("neither dialect", b'{"name": "x"}', ["schema.json: not a linkage schema"]),
    ("unknown top-level key", with_schema(filters={"bits": 1024}),
     ["schema.json: filters: unknown key (expected one of: bloomlink_schema, description, "
      "filter,"]),
    ("unknown field key", with_schema(fields__0__colum="x"),
     ["schema.json: fields[0].colum: unknown key (expected one of: name, column, type,"]),
    ("wrong type: bits as a string", with_schema(filter={"bits": "1024"}),
     ['schema.json: filter.bits: expected an integer 64..65536, got "1024"']),
    ("wrong type: q as a word", with_schema(fields__0__tokens={"kind": "qgram", "q": "two"}),
     ['schema.json: fields[0].tokens.q: expected an integer 1..5, got "two"']),
    ("wrong type: fields an object", with_schema(fields={"given_name": {}}),
     ["schema.json: fields: expected an array of 1..", "field objects"]),
    ("unknown field type", with_schema(fields__2__type="birthday"),
     ['schema.json: fields[2].type: expected one of "text", "name", "date", "sex", "postcode", '
      '"nhs_number", got "birthday"']),
    ("filter length not a multiple of 64", with_schema(filter={"bits": 1000}),
     ["schema.json: filter.bits: expected a multiple of 64 from 64 to 65536, got 1000"]),
    ("field filter length not a multiple of 64",
     with_schema(fields__0__field_filter={"bits": 100, "per_token": 4}),
     ["schema.json: fields[0].field_filter.bits: expected a multiple of 64 from 64 to 65536, "
      "got 100"]),
    ("zero fields", with_schema(fields=[]),
     ["schema.json: fields: expected an array of 1..256 field objects, got an empty array"]),
    ("no fields key", with_schema(fields=DELETE), ["schema.json: fields: missing; expected"]),
    ("two fields with one name", with_schema(fields__1__name="given_name"),
     ["schema.json: fields[1].name: expected a name not used by another field"]),
    ("newer schema version", with_schema(bloomlink_schema=2),
     ["schema.json: bloomlink_schema: version 2 was made by a newer bloomlink"]),
    ("clkhash version 1", clkhash(lambda s: s.update(version=1)),
     ["schema.json: version: expected a clkhash schema of version 2 or 3 (convert version 1 "
      "schemas with clkhash first)"]),
    ("clkhash version 4", clkhash(lambda s: s.update(version=4)),
     ["schema.json: version: expected a clkhash schema of version 2 or 3"]),
    ("clkhash v3 unsupported date directive",
     clkhash(lambda s: s["features"][3]["format"].update(format="%Y-%m-%dT%H:%M")),
     ["schema.json: features[3].format.format: expected"]),
    ("clkhash v3 unknown comparison",
     clkhash(lambda s: s["features"][1]["hashing"].update(comparison={"type": "soundex"})),
     ['schema.json: features[1].hashing.comparison.type: expected one of "ngram", "exact", '
      '"numeric", got "soundex"']),
    ("clkhash v3 unknown hash",
     clkhash(lambda s: s["features"][1]["hashing"].update(hash={"type": "sha3Hash"})),
     ['features[1].hashing.hash.type: expected one of "blakeHash", "doubleHash"']),
    ("clkhash v3 unknown kdf", clkhash(lambda s: s["clkConfig"]["kdf"].update(type="scrypt")),
     ['schema.json: clkConfig.kdf.type: expected one of "HKDF", got "scrypt"']),
    ("clkhash v3 blakeHash needs a power of two", clkhash(lambda s: s["clkConfig"].update(l=1000)),
     ["schema.json: clkConfig.l: expected a power of two"]),
    ("clkhash v2 weight", clkhash(lambda s: (s.update(version=2), s["features"][1].update(
        hashing={"ngram": 2, "weight": 2}))),
     ['schema.json: features[1].hashing.weight: expected no "weight"']),
    ("clkhash field_filter", clkhash(lambda s: s["features"][1].update(field_filter={"bits": 64})),
     ["schema.json: features[1].field_filter: unknown key"]),
    ("clkhash v3 pattern that does not compile",
     clkhash(lambda s: s["features"][1]["format"].update(pattern="[a-z")),
     ['schema.json: features[1].format.pattern: expected a valid regular expression (missing '
      'terminating ] for character class at offset 4), got "[a-z"']),
]


@pytest.mark.parametrize("name,content,needles", SCHEMA_CASES, ids=[c[0] for c in SCHEMA_CASES])
def test_bad_schema(kit, out_dir, name, content, needles):
    schema = out_dir / "schema.json"
    schema.write_bytes(content)
    proc = run("schema", "check", schema)
    assert proc.stdout == ""
    for needle in needles:
        assert needle in proc.stderr, proc.stderr
    out = out_dir / "out.bloom"
    proc = encode(kit, kit["csv"], out, schema=schema)
    assert_refused(proc, out, *needles)


def test_missing_and_folder_schema(kit, out_dir):
    proc = run("schema", "check", out_dir / "nope.json")
    assert "nope.json: cannot open the schema file" in proc.stderr
    proc = run("schema", "check", out_dir)
    assert f"{out_dir}: cannot read the schema file: it is a folder" in proc.stderr


def test_clkhash_schema_and_csv_header_disagree(kit, out_dir):
    schema = out_dir / "clkhash.json"
    schema.write_bytes(clkhash(lambda s: s["features"][2].update(identifier="surname")))
    assert "a valid clkhash-v3 schema" in run("schema", "check", schema, expect=0).stdout
    out = out_dir / "out.json"
    proc = encode(kit, kit["csv"], out, "--id-column", "id", schema=schema)
    assert_refused(proc, out, 'extract.csv:1: column 3 is "family_name" but the clkhash schema\'s '
                   'feature 3 is "surname"')


def test_clkhash_pattern_over_the_match_limit(kit, out_dir):
    # (a+)+ backtracks exponentially on a run of a's that does not end the value: Python's re (no
    # limit) would run for hours, and calling the value invalid would be a guess, so the encoding
    # fails, naming the line, the field and the pattern, and never the value.
    schema = out_dir / "clkhash.json"
    schema.write_bytes(clkhash(lambda s: s["features"][1]["format"].update(pattern="(a+)+")))
    value = "a" * 40 + "!"
    bad = out_dir / "bad.csv"
    bad.write_text(HEADER + "r1,aaa,Lee,1980-01-02\n" + f"r2,{value},Lee,1980-01-02\n")
    out = out_dir / "out.json"
    proc = encode(kit, bad, out, "--id-column", "id", schema=schema)
    assert_refused(proc, out, 'bad.csv:3: field given_name: pattern "(a+)+": matching stopped at '
                   "the limit of 10000000 backtracking steps: the pattern backtracks too much on "
                   "this text")
    assert value not in proc.stderr


def test_clkhash_xor_folds_spelling_warns(kit, out_dir):
    schema = out_dir / "clkhash.json"
    schema.write_bytes(clkhash(lambda s: s["clkConfig"].update(xorFolds=1)))
    proc = run("schema", "check", schema, expect=0)
    assert "bloomlink: warning: " in proc.stderr
    assert "clkConfig.xorFolds is ignored" in proc.stderr


# ---- secrets --------------------------------------------------------------------------------

SHORT = "Qz7shortXy"  # 10 bytes: too short, and easy to spot if it leaked


@pytest.mark.parametrize("name,content,needles", [
    ("empty file", b"", ["key: the secret is empty"]),
    ("only a newline", b"\r\n", ["key: the secret is empty"]),
    ("too short", SHORT.encode() + b"\n",
     ["key: the secret is 10 bytes; at least 16 are needed"]),
], ids=["empty file", "only a newline", "too short"])
def test_bad_secret_file(kit, out_dir, name, content, needles):
    secret = out_dir / "bad.key"
    secret.write_bytes(content)
    secret.chmod(0o600)
    out = out_dir / "out.bloom"
    proc = encode(kit, kit["csv"], out, secret=secret)
    assert_refused(proc, out, "bad.key", *needles)
    assert SHORT not in proc.stderr


def test_missing_secret_file_and_folder(kit, out_dir):
    out = out_dir / "out.bloom"
    proc = encode(kit, kit["csv"], out, secret=out_dir / "nope.key")
    assert_refused(proc, out, "nope.key: cannot read the secret file: No such file or directory")
    proc = encode(kit, kit["csv"], out, secret=out_dir)
    assert_refused(proc, out, f"{out_dir}: the secret file is not a regular file")


def test_no_secret_and_empty_environment_secret(kit, out_dir):
    out = out_dir / "out.bloom"
    proc = run("encode", "--schema", kit["schema"], "--input", kit["csv"], "--output", out)
    assert_refused(proc, out, "no secret: give --secret-file FILE or set the BLOOMLINK_SECRET "
                   "environment variable")
    proc = run("encode", "--schema", kit["schema"], "--input", kit["csv"], "--output", out,
               env={"BLOOMLINK_SECRET": SHORT})
    assert_refused(proc, out, "environment variable BLOOMLINK_SECRET: the secret is 10 bytes")
    assert SHORT not in proc.stderr


def test_secret_on_the_command_line_is_refused_without_echo(kit, out_dir):
    out = out_dir / "out.bloom"
    proc = run("encode", "--schema", kit["schema"], f"--secret={SHORT}", "--input", kit["csv"],
               "--output", out)
    assert_refused(proc, out, "--secret: the secret is never taken as an argument")
    assert SHORT not in proc.stderr


@pytest.mark.parametrize("fmt", ["bloom", "clkhash-json", "csv"])
def test_secret_readable_by_others_warns_and_never_leaks(kit, out_dir, fmt):
    secret = out_dir / "shared.key"
    secret.write_text(SECRET + "\n")
    secret.chmod(0o644)
    out = out_dir / f"out.{fmt}"
    proc = encode(kit, kit["csv"], out, "--output-format", fmt, secret=secret, expect=0)
    assert ("bloomlink: warning: " + str(secret) + ": the secret file is readable by other "
            "users; restrict it with chmod 600") in proc.stderr
    assert "encoded 3 of 3 records" in proc.stdout
    data = out.read_bytes()
    assert SECRET.encode() not in data and SECRET.encode().hex().encode() not in data
    if fmt == "bloom":
        assert data == kit["good"].read_bytes()  # the warning changes nothing else


# ---- encoded files --------------------------------------------------------------------------

def sections(data):
    """[(name, offset, size)] of a .bloom file, per docs/file-format.md."""
    assert data[:14] == b"\x89BLOOMLINK\r\n\x1a\n"
    found = [("preamble", 0, 18)]
    pos = 18
    while pos < len(data):
        tag = data[pos:pos + 4].decode("ascii").rstrip()
        (length,) = struct.unpack_from("<Q", data, pos + 4)
        found.append((tag, pos, 12 + length))
        pos += 12 + length
    assert pos == len(data)
    return found


def test_the_small_file_has_every_section(kit):
    names = [name for name, _, _ in sections(kit["good"].read_bytes())]
    assert names == ["preamble", "HEAD", "IDS", "CLKS", "FFLT", "FFLT", "END"]


def truncations(data):
    """(length, expected message) for cuts at every section boundary and inside each section."""
    cases = [(0, "the file is empty")]
    for length in (1, 13, 14, 17):
        cases.append((length, "preamble: truncated: the file is"))
    for name, start, size in sections(data)[1:]:
        cases.append((start, f"section {name}: truncated: the file ends where this section "
                             "should start"))
        for inside in (1, 11):
            cases.append((start + inside, f"section {name}: truncated: the file ends inside the "
                                          "section's 12-byte header"))
        for inside in sorted({12, 12 + (size - 12) // 2, size - 1}):
            cases.append((start + inside, f"section {name}: truncated or corrupt: the section "
                                          "declares"))
    return cases


def test_truncated_files_fail_naming_the_section(kit, out_dir):
    data = kit["good"].read_bytes()
    cut = out_dir / "cut.bloom"
    out = out_dir / "pairs.csv"
    cases = truncations(data)
    assert len(cases) > 30
    for length, message in cases:
        cut.write_bytes(data[:length])
        proc = run("inspect", cut)
        assert proc.stdout == ""
        assert f"bloomlink: error: {cut}: " in proc.stderr and message in proc.stderr, (
            length, proc.stderr)
        if "should start" in message:  # link reads files the same way: once per section
            proc = run("link", kit["good"], cut, "--threshold", 0.5, "--output", out)
            assert_refused(proc, out, str(cut), message)


def flip_offsets(data):
    """A byte in every structural field of a .bloom file: the magic and version, each section's
    tag, length and payload (first, middle, last byte), and each field of HEAD."""
    offsets = {0, 1, 13, 14, 17}
    for name, start, size in sections(data)[1:]:
        offsets |= {start, start + 4, start + 11, start + 12, start + 12 + (size - 12) // 2,
                    start + size - 1}
        if name == "HEAD":  # flags, fingerprint, key check, L, n, skipped, k
            offsets |= {start + 12 + o for o in (0, 4, 36, 68, 76, 84, 92)}
    return sorted(offsets)


def test_flipped_bytes_are_refused(kit, out_dir):
    """A flipped byte in any part of a .bloom file: a structural error or a checksum mismatch,
    exit 2, never a crash and never success. Through the command line, one byte in every
    structural field; tests/cpp/io/encoded_file_test.cpp (EveryFlippedByteIsRejected) flips every
    byte of such a file three ways through the library, which is faster than 1,000 processes."""
    data = kit["good"].read_bytes()
    assert len(data) < 600
    bad = out_dir / "flip.bloom"
    offsets = flip_offsets(data)
    assert len(offsets) > 40
    for i in offsets:
        flipped = bytearray(data)
        flipped[i] ^= 0x01 if i % 2 else 0x80
        bad.write_bytes(bytes(flipped))
        proc = run("inspect", bad)
        assert proc.stdout == "" and f"bloomlink: error: {bad}: " in proc.stderr, (i, proc.stderr)


def test_flipped_byte_in_the_data_is_a_checksum_mismatch(kit, out_dir):
    data = bytearray(kit["good"].read_bytes())
    _, clks, _ = [s for s in sections(bytes(data)) if s[0] == "CLKS"][0]
    data[clks + 12 + 5] ^= 0x10
    bad = out_dir / "bad.bloom"
    bad.write_bytes(bytes(data))
    out = out_dir / "pairs.csv"
    proc = run("link", kit["good"], bad, "--threshold", 0.5, "--output", out)
    assert_refused(proc, out, f"{bad}: section END: checksum mismatch: the file is corrupt or was "
                   "changed after it was written")


@pytest.mark.parametrize("offset,value,message", [
    (0, 0x7B, "(byte offset 1): expected a key in double quotes"),  # '{': read as clkhash JSON
    (0, 0x00, "not a recognised encodings file; expected a bloomlink encoded file, clkhash JSON"),
    (3, ord("X"), "not a bloomlink encoded file (its first bytes are not the bloomlink magic)"),
    (14, 2, "preamble: the file was made by a newer bloomlink (format version 2; this bloomlink "
            "reads versions up to 1); upgrade bloomlink to read it"),
    (14, 0, "preamble: format version 0 is not valid"),
], ids=["magic becomes JSON", "wrong magic", "damaged magic", "future version", "version 0"])
def test_magic_and_version(kit, out_dir, offset, value, message):
    data = bytearray(kit["good"].read_bytes())
    data[offset] = value
    bad = out_dir / "bad.bloom"
    bad.write_bytes(bytes(data))
    proc = run("inspect", bad)
    assert f"bloomlink: error: {bad}: " in proc.stderr and message in proc.stderr, proc.stderr
    out = out_dir / "pairs.csv"
    proc = run("link", bad, kit["good"], "--threshold", 0.5, "--output", out)
    assert_refused(proc, out, str(bad))


@pytest.mark.parametrize("other,message", [
    ("other_secret", "they were encoded with different secrets"),
    ("other_schema", "they were encoded with different schemas"),
])
def test_link_refuses_mismatched_encodings(kit, out_dir, other, message):
    out = out_dir / "pairs.csv"
    proc = run("link", kit["good"], kit[other], "--threshold", 0.5, "--output", out)
    assert_refused(proc, out, f"cannot link {kit['good']} with {kit[other]}", message)
    out.write_bytes(PREVIOUS)
    proc = run("link", kit["good"], kit[other], "--threshold", 0.5, "--output", out)
    assert_refused(proc, out, message, previous=PREVIOUS)


def test_zero_records(kit, out_dir):
    """Records without a usable identifier are skipped; an extract where all of them are gives
    no encodings, which is refused rather than written as an empty file."""
    bad = out_dir / "bad.csv"
    bad.write_text(HEADER + "a1,,,\na2,NULL,N/A,\n")
    out = out_dir / "out.bloom"
    proc = encode(kit, bad, out)
    assert_refused(proc, out, "bad.csv: none of the 2 records has a usable identifier")
    # An empty encoded file from elsewhere (clkhash JSON with no CLKs) reads, but cannot be
    # linked.
    empty = out_dir / "empty.json"
    empty.write_text('{"clks": []}')
    assert "records      0" in run("inspect", empty, expect=0).stdout
    pairs = out_dir / "pairs.csv"
    proc = run("link", kit["good"], empty, "--threshold", 0.5, "--output", pairs)
    assert_refused(proc, pairs, str(empty))


# ---- outputs --------------------------------------------------------------------------------

def test_output_folder_missing(kit, out_dir):
    out = out_dir / "missing" / "out.bloom"
    proc = encode(kit, kit["csv"], out)
    assert f"{out}: cannot write: folder {out.parent} does not exist" in proc.stderr
    assert not out.parent.exists()
    # encode checks the output folder before encoding: a fault late in the input is not reached.
    late = out_dir / "late.csv"
    late.write_text(GOOD_CSV + "r1,Dup,Lee,1980-01-02\n")
    proc = encode(kit, late, out)
    assert "does not exist" in proc.stderr and "repeated" not in proc.stderr
    pairs = out_dir / "missing" / "pairs.csv"
    proc = run("link", kit["good"], kit["good"], "--threshold", 0.5, "--output", pairs)
    assert f"{pairs}: cannot write: folder {pairs.parent} does not exist" in proc.stderr
    proc = run("schema", "init", "--output", out_dir / "missing" / "schema.json")
    assert "does not exist" in proc.stderr


def test_output_parent_is_a_file(kit, out_dir):
    parent = out_dir / "a_file"
    parent.write_bytes(b"x")
    out = parent / "out.bloom"
    proc = encode(kit, kit["csv"], out)
    assert f"{out}: cannot write: {parent} is not a folder" in proc.stderr
    assert parent.read_bytes() == b"x"


def test_output_is_a_folder(kit, out_dir):
    folder = out_dir / "out.bloom"
    folder.mkdir()
    proc = encode(kit, kit["csv"], folder)
    assert f"{folder}: cannot write: it is a folder" in proc.stderr
    assert list(folder.iterdir()) == [] and temp_files(out_dir, "out.bloom") == []


def test_output_folder_read_only(kit):
    """A folder the user cannot write to. Root ignores permissions, so as root the command runs
    as the unprivileged uid 65534, with its inputs and a copy of the binary in a world-readable
    folder (uid 65534 may not reach the build folder: a clone under a private 0700 folder)."""
    as_root = os.geteuid() == 0
    base = pathlib.Path(tempfile.mkdtemp(prefix="bloomlink-ro-"))
    try:
        base.chmod(0o755)
        for name in ("schema", "secret", "csv", "good"):
            shutil.copy(kit[name], base / kit[name].name)
            (base / kit[name].name).chmod(0o644)
        binary = base / "bloomlink"
        shutil.copy(_cli_path(), binary)
        binary.chmod(0o755)
        locked = base / "locked"
        locked.mkdir()
        (locked / "out.bloom").write_bytes(PREVIOUS)
        locked.chmod(0o555)

        def drop():
            if as_root:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)

        out = locked / "out.bloom"
        try:
            proc = run("encode", "--schema", base / "schema.json", "--secret-file",
                       base / "secret.key", "--input", base / "extract.csv", "--output", out,
                       preexec_fn=drop, binary=binary)
        except PermissionError:
            pytest.skip("cannot run bloomlink as an unprivileged user here")
        assert_refused(proc, out, f"{out}: cannot create a temporary file: Permission denied",
                       previous=PREVIOUS)
        pairs = locked / "pairs.csv"
        proc = run("link", base / "good.bloom", base / "good.bloom", "--threshold", 0.5,
                   "--output", pairs, preexec_fn=drop, binary=binary)
        assert_refused(proc, pairs, f"{pairs}: cannot create a temporary file: Permission denied")
    finally:
        (base / "locked").chmod(0o755)
        shutil.rmtree(base)


def file_size_limit(limit):
    """A preexec_fn: files may grow to `limit` bytes; past it write() fails with EFBIG (SIGXFSZ
    ignored), as when the disk is full."""
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.parametrize("fmt", ["bloom", "clkhash-json", "csv"])
def test_disk_full_while_encoding(kit, out_dir, fmt):
    out = out_dir / f"out.{fmt}"
    for previous in (None, PREVIOUS):
        if previous is not None:
            out.write_bytes(previous)
        proc = encode(kit, kit["big_csv"], out, "--output-format", fmt, expect=3,
                      preexec_fn=file_size_limit(4096))
        assert_refused(proc, out, f"{out}: write failed: the file is larger than allowed (File too "
                       "large): check the file system's largest file size and ulimit -f",
                       previous=previous)


def test_disk_full_while_linking(kit, out_dir):
    out = out_dir / "pairs.csv"
    for previous in (None, PREVIOUS):
        if previous is not None:
            out.write_bytes(previous)
        proc = run("link", kit["big"], kit["big"], "--threshold", 0.5, "--output", out,
                   expect=3, preexec_fn=file_size_limit(4096))
        assert_refused(proc, out, f"{out}: write failed: the file is larger than allowed",
                       previous=previous)
    # Without the limit the same command works (so the limit, not the input, was the fault).
    run("link", kit["big"], kit["big"], "--threshold", 0.5, "--output", out, "--quiet", expect=0)
    assert out.stat().st_size > 4096


def test_disk_full_while_converting_and_writing_a_schema(kit, out_dir):
    out = out_dir / "big.json"
    proc = run("convert", kit["big"], out, expect=3, preexec_fn=file_size_limit(1024))
    assert_refused(proc, out, f"{out}: write failed")
    schema = out_dir / "schema.json"
    proc = run("schema", "init", "--output", schema, expect=3, preexec_fn=file_size_limit(100))
    assert_refused(proc, schema, f"{schema}: write failed")


def test_permissions_of_outputs_follow_the_umask(kit, out_dir):
    """A written output gets the permissions a plain open() would (0666 & ~umask), not mkstemp's
    0600, and no temporary file is left."""
    out = out_dir / "out.bloom"
    encode(kit, kit["csv"], out, "--quiet", expect=0)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~current_umask()
    assert temp_files(out_dir, "out.bloom") == []


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
