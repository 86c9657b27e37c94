"""The example files in the repository stay true to what the tool produces."""
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_example_starter_schema_is_what_schema_init_prints(cli):
    assert (ROOT / "examples" / "schemas" / "starter.json").read_text() == \
        cli("schema", "init").stdout
