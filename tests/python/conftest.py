"""Shared fixtures for the Python test suite (run by scripts/test with /usr/bin/python3)."""
import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
# The data files the tests read, kept in the repository with their provenance and licences
# (tests/data/README.md).
TEST_DATA = pathlib.Path(__file__).resolve().parents[1] / "data"


def _cli_path():
    env = os.environ.get("BLOOMLINK_CLI")
    return pathlib.Path(env) if env else ROOT / "build" / "src" / "cli" / "bloomlink"


@pytest.fixture(scope="session")
def cli():
    """Runs the bloomlink command: cli(args..., env=..., secret=..., expect=exit code or None) -> CompletedProcess."""
    path = _cli_path()
    if not path.exists():
        pytest.fail(f"bloomlink binary not found at {path}; run scripts/build first")

    def run(*args, env=None, secret=None, expect=0):
        full_env = {k: v for k, v in os.environ.items() if k != "BLOOMLINK_SECRET"}
        if secret is not None:
            full_env["BLOOMLINK_SECRET"] = secret
        if env:
            full_env.update(env)
        proc = subprocess.run([str(path), *map(str, args)], capture_output=True, text=True,
                              env=full_env, timeout=300)
        if expect is not None:
            assert proc.returncode == expect, (
                f"exit {proc.returncode}, expected {expect}\nstdout:\n{proc.stdout}\n"
                f"stderr:\n{proc.stderr}")
        return proc

    return run


def data_file(*parts):
    """The path of tests/data/<parts>. A missing file fails the calling test, naming the file:
    the data is part of the repository, so a test never skips for want of it."""
    path = TEST_DATA.joinpath(*parts)
    if not path.is_file():
        pytest.fail(f"test data file not found: {path} (tests/data is part of the repository; "
                    "see tests/data/README.md)")
    return path


def clkhash_vector(name):
    """A file of the clkhash 0.18.3 reference vectors, tests/data/clkhash-vectors/<name>."""
    return data_file("clkhash-vectors", name)


SECRET = "test secret for the bloomlink suite"


def unhardened(schema: dict) -> dict:
    """A schema (as a dict) without its "hardening" section."""
    return {k: v for k, v in schema.items() if k != "hardening"}


def unhardened_starter() -> dict:
    """The starter schema without its default hardening (see the `starter` fixture)."""
    import bloomlink
    return unhardened(bloomlink.Schema.starter().to_dict())


def unhardened_copy(path, folder):
    """A copy of the schema file at `path` without its hardening, written into `folder`."""
    out = pathlib.Path(folder) / ("unhardened-" + pathlib.Path(path).name)
    out.write_text(json.dumps(unhardened(json.loads(pathlib.Path(path).read_text())), indent=1))
    return out


@pytest.fixture()
def starter(tmp_path, cli):
    """A starter schema, a secret file and a small synthetic pair of extracts in tmp_path. The
    schema is the starter without its default hardening: these tests pin the methods' behaviour
    (thresholds, warnings) on plain encodings; tests/python/test_hardening.py and bench/hardening
    cover the hardened defaults."""
    schema = tmp_path / "schema.json"
    cli("schema", "init", "--output", schema)
    schema.write_text(json.dumps(unhardened(json.loads(schema.read_text())), indent=1))
    secret = tmp_path / "secret.key"
    secret.write_text(SECRET + "\n")
    secret.chmod(0o600)
    cli("synth", "--records", 300, "--seed", 5, "--output", tmp_path / "data")
    return {"schema": schema, "secret": secret, "trust": tmp_path / "data" / "trust.csv",
            "council": tmp_path / "data" / "council.csv", "dir": tmp_path}
