"""tests/data is complete and byte for byte what tests/data/README.md describes: every data file
is listed in SHA256SUMS with its checksum (a line-ending conversion or a truncated copy would
change the clkhash and FEBRL results the other tests check, or hide why they changed)."""
import hashlib

from conftest import TEST_DATA, data_file

# Documentation and licence texts, not data: not checksummed.
NOT_DATA = {"README.md", "SHA256SUMS", ".gitattributes"}


def recorded_checksums():
    sums = {}
    for line in data_file("SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        sums[name] = digest
    return sums


def test_every_data_file_matches_its_recorded_checksum():
    sums = recorded_checksums()
    assert sums
    for name, digest in sums.items():
        got = hashlib.sha256(data_file(*name.split("/")).read_bytes()).hexdigest()
        assert got == digest, f"tests/data/{name} differs from SHA256SUMS"


def test_every_data_file_is_recorded():
    files = {p.relative_to(TEST_DATA).as_posix() for p in TEST_DATA.rglob("*") if p.is_file()}
    data = {f for f in files if f.split("/")[-1] not in NOT_DATA
            and not f.split("/")[-1].startswith("LICENSE")}
    assert data == set(recorded_checksums())


def test_licence_texts_accompany_the_copies():
    assert "ANUOS LICENSE" in data_file("febrl", "LICENSE-ANUOS-1.3.txt").read_text()
    assert "Apache License" in data_file("clkhash-vectors", "LICENSE-Apache-2.0.txt").read_text()
