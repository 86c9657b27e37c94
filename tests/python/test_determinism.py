"""Same inputs, same outputs, whatever the thread count: encoding (several batches, field
filters) and linking (Dice, Fellegi-Sunter with its model and explanations, deduplication),
compared byte for byte between one thread, two and all cores (0)."""
import json

import pytest

from conftest import SECRET

RECORDS = 70_000  # over two encoding batches of 32,768 records
LINK_RECORDS = 6_000  # enough pairs (36 M) for every thread to work, few enough to stay quick


def make_extracts(d, cli, records):
    cli("synth", "--records", records, "--seed", 21, "--output", d / "data")
    cli("schema", "init", "--output", d / "starter.json")
    schema = json.loads((d / "starter.json").read_text())
    for field in schema["fields"]:
        field["field_filter"] = {"bits": 256, "per_token": 8}
    (d / "schema.json").write_text(json.dumps(schema))
    (d / "secret.key").write_text(SECRET + "\n")
    (d / "secret.key").chmod(0o600)
    return d


@pytest.fixture(scope="module")
def extracts(tmp_path_factory, cli):
    return make_extracts(tmp_path_factory.mktemp("determinism"), cli, RECORDS)


def encode(cli, d, name, out, threads):
    cli("encode", "--schema", d / "schema.json", "--secret-file", d / "secret.key", "--input",
        d / "data" / f"{name}.csv", "--output", out, "--threads", threads, "--quiet")
    return out.read_bytes()


def test_encoding_is_identical_for_any_thread_count(extracts, cli):
    outputs = [encode(cli, extracts, "trust", extracts / f"trust-{t}.bloom", t) for t in (1, 2, 0)]
    assert len(outputs[0]) > RECORDS * 128  # every record, with its field filters
    assert outputs[0] == outputs[1] == outputs[2]


@pytest.fixture(scope="module")
def encoded(tmp_path_factory, cli):
    d = make_extracts(tmp_path_factory.mktemp("determinism-link"), cli, LINK_RECORDS)
    for name in ("trust", "council"):
        encode(cli, d, name, d / f"{name}-1.bloom", 1)
    return d


@pytest.mark.parametrize("args", [
    ["--threshold", "0.8"],
    ["--threshold", "0.6", "--top-k", "3", "--one-to-one", "none"],
    ["--method", "fs", "--threshold", "0.7", "--explain"],
    ["--method", "fs", "--threshold", "0.7", "--u-from-sample", "--one-to-one", "none"],
], ids=["dice", "dice-top-k", "fs-explain", "fs-u-sample"])
def test_linking_is_identical_for_any_thread_count(encoded, cli, tmp_path, args):
    outputs, models = [], []
    for threads in (1, 2, 0):
        out, model = tmp_path / f"pairs-{threads}.csv", tmp_path / f"model-{threads}.json"
        extra = ["--save-model", model] if "fs" in args else []
        cli("link", encoded / "trust-1.bloom", encoded / "council-1.bloom", *args, *extra,
            "--threads", threads, "--output", out, "--quiet")
        outputs.append(out.read_bytes())
        if extra:
            models.append(model.read_bytes())
    assert outputs[0].count(b"\n") > 1000
    assert outputs[0] == outputs[1] == outputs[2]
    assert all(m == models[0] for m in models)


@pytest.mark.parametrize("method", ["dice", "fs"])
def test_deduplication_is_identical_for_any_thread_count(encoded, cli, tmp_path, method):
    outputs = []
    for threads in (1, 2, 0):
        out = tmp_path / f"dedupe-{threads}.csv"
        cli("link", encoded / "trust-1.bloom", "--dedupe", "--method", method, "--threshold",
            "0.7", "--threads", threads, "--output", out, "--quiet")
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
