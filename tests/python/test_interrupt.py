"""Ctrl-C (SIGINT) and SIGTERM during a long run: exit 128 + signal, no partial output, no
temporary files left, and a previous output at the destination untouched."""
import fcntl
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import SECRET, _cli_path

RECORDS = 300_000  # long enough that encoding one thread takes over a second on any machine


@pytest.fixture(scope="module")
def big_extract(tmp_path_factory, cli):
    d = tmp_path_factory.mktemp("interrupt")
    cli("synth", "--records", RECORDS, "--seed", 3, "--output", d / "data")
    cli("schema", "init", "--output", d / "schema.json")
    secret = d / "secret.key"
    secret.write_text(SECRET + "\n")
    secret.chmod(0o600)
    return d


def interrupt(command, out_dir, signal_number, after=0.5):
    # A shell may start its background jobs (CI's, say) with SIGINT ignored, and an ignored
    # signal stays ignored (as nohup expects): give the child the default, as in a terminal.
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={k: v for k, v in os.environ.items() if k != "BLOOMLINK_SECRET"},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(after)
    assert proc.poll() is None, "the run ended before it could be interrupted: make it longer"
    proc.send_signal(signal_number)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal_number, stderr
    assert "interrupted" in stderr
    leftovers = [p.name for p in out_dir.iterdir() if ".tmp-" in p.name]
    assert leftovers == [], f"temporary files left behind: {leftovers}"
    return stderr


def encode_command(d, out, prefix):
    return [*prefix, "encode", "--schema", str(d / "schema.json"), "--secret-file",
            str(d / "secret.key"), "--input", str(d / "data" / "trust.csv"), "--output", str(out),
            "--threads", "1", "--quiet"]


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_encode_writes_nothing(big_extract, tmp_path, signal_number):
    out = tmp_path / "trust.bloom"
    interrupt(encode_command(big_extract, out, [str(_cli_path())]), tmp_path, signal_number)
    assert not out.exists()


def test_interrupted_encode_keeps_the_previous_output(big_extract, tmp_path):
    out = tmp_path / "trust.bloom"
    out.write_bytes(b"the previous run's output")
    interrupt(encode_command(big_extract, out, [str(_cli_path())]), tmp_path, signal.SIGINT)
    assert out.read_bytes() == b"the previous run's output"


def test_interrupted_python_module_writes_nothing(big_extract, tmp_path):
    # python -m bloomlink: the same command line in the Python process (as installed by pip).
    out = tmp_path / "trust.bloom"
    interrupt(encode_command(big_extract, out, [sys.executable, "-m", "bloomlink"]), tmp_path,
              signal.SIGINT, after=1.0)
    assert not out.exists()


def test_interrupted_synth_leaves_no_half_written_extracts(cli, tmp_path):
    # synth writes its three files while it generates: each is complete or absent.
    out = tmp_path / "data"
    out.mkdir()
    interrupt([str(_cli_path()), "synth", "--records", "2000000", "--seed", "1", "--output",
               str(out)], out, signal.SIGINT, after=0.3)
    for name in ("trust.csv", "council.csv", "truth.csv"):
        assert not (out / name).exists()


def test_interrupted_index_add_leaves_the_index_whole(big_extract, tmp_path, cli):
    # An add reads the index, links the new extract with every source and writes the whole index
    # again: interrupted during the link, the index is byte for byte what it was, and the lock is
    # free for the next writer.
    d = big_extract
    blooms = {}
    for name in ("trust", "council"):
        blooms[name] = tmp_path / f"{name}.bloom"
        cli("encode", "--schema", d / "schema.json", "--secret-file", d / "secret.key", "--input",
            d / "data" / f"{name}.csv", "--output", blooms[name], "--quiet")
    index = tmp_path / "people.index"
    cli("index", "build", "--output", index, "--unique-source", "trust", blooms["trust"],
        "--quiet")
    before = index.read_bytes()
    interrupt([str(_cli_path()), "index", "add", str(index), str(blooms["council"]), "--threads",
               "1", "--quiet"], tmp_path, signal.SIGINT, after=1.5)
    assert index.read_bytes() == before
    # The lock went with the process: the next writer gets it at once.
    with open(f"{index}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
