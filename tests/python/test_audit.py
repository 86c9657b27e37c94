"""`bloomlink audit` and bloomlink.audit: a data holder attacks its own encodings. The CLI prints
the table and writes the JSON report, never the secret or the extract's values; the Python API
on a DataFrame gives the CLI's figures; references are read and refused as documented."""
import json
import pathlib

import pandas as pd
import pytest

import bloomlink
from conftest import SECRET, unhardened_copy

STARTER_INDEX = (pathlib.Path(__file__).resolve().parents[2] / "examples" / "schemas" /
                 "starter_index.json")


@pytest.fixture(scope="module")
def extract(tmp_path_factory, cli):
    """A synthetic trust extract of 3,000 records, a secret file, and the schema."""
    d = tmp_path_factory.mktemp("audit")
    cli("synth", "--records", 3000, "--seed", 21, "--output", d / "data")
    secret = d / "secret.key"
    secret.write_text(SECRET + "\n")
    secret.chmod(0o600)
    # The attacks are shown working on plain encodings (the example's hardening removed);
    # test_the_default_hardening_passes checks the example itself.
    return {"dir": d, "trust": d / "data" / "trust.csv", "secret": secret,
            "schema": unhardened_copy(STARTER_INDEX, d)}


def audit_cli(cli, extract, *extra, expect=0, schema=None, **kwargs):
    return cli("audit", "--schema", schema or extract["schema"], "--secret-file", extract["secret"],
               "--input", extract["trust"], *extra, expect=expect, **kwargs)


def figures(report):
    """A report's figures: everything but where the records came from and how long it took."""
    return {k: v for k, v in report.items() if k not in ("source", "timings")}


def test_cli_prints_the_table_and_writes_the_json(cli, extract):
    out = extract["dir"] / "audit.json"
    proc = audit_cli(cli, extract, "--sample", 2000, "--json", out)
    text = proc.stdout
    assert "audited 3,000 of 3,000 records" in text
    for attack in ("leakage", "pattern mining", "frequency", "graph proxy", "verdict"):
        assert attack in text
    assert "given_name (field filter)" in text
    assert "not scored: few values" in text  # sex
    assert "synthetic name tables" in proc.stderr  # the warning about the default reference
    report = json.loads(out.read_text())
    assert report["bloomlink_audit"] == 1
    assert report["records"] == {"read": 3000, "encoded": 3000, "skipped": 0}
    assert report["settings"]["sample"] == 2000
    assert set(report["verdicts"]) == {"leakage", "pattern_mining", "frequency", "graph_proxy"}
    assert report["verdicts"]["frequency"] == "WARN"  # field filters of names, unhardened
    fields = {(r["field"], r["target"]) for r in report["pattern_mining"]["results"]}
    assert fields == {("given_name", "CLK"), ("given_name", "field filter"),
                      ("family_name", "CLK"), ("family_name", "field filter")}
    assert report["graph_proxy"]["pairs"] == 20000
    assert report["timings"]["total_seconds"] > 0
    # Exit code 0 whatever the verdicts.
    assert "WARN" in text


def test_secret_and_values_never_appear(cli, extract):
    out = extract["dir"] / "secret-check.json"
    proc = audit_cli(cli, extract, "--sample", 500, "--json", out)
    report = out.read_text()
    for text in (proc.stdout, proc.stderr, report):
        assert SECRET not in text
    rows = pd.read_csv(extract["trust"], dtype=str, keep_default_na=False).head(300)
    for column in ("id", "nhs_number", "date_of_birth", "postcode"):
        for value in rows[column]:
            if value:
                assert value not in report and value not in proc.stdout, column
    # From the environment too, and not in an error either.
    proc = cli("audit", "--schema", STARTER_INDEX, "--input", extract["dir"] / "missing.csv",
               secret=SECRET, expect=2)
    assert SECRET not in proc.stdout + proc.stderr


def test_python_on_a_dataframe_matches_the_cli(cli, extract):
    out = extract["dir"] / "cli.json"
    audit_cli(cli, extract, "--sample", 1500, "--threads", 1, "--json", out)
    df = pd.read_csv(extract["trust"], dtype=str, keep_default_na=False)
    with pytest.warns(UserWarning, match="synthetic name tables"):
        report = bloomlink.audit(df, bloomlink.Schema.from_file(extract["schema"]), SECRET,
                                 sample=1500, threads=2)
    assert figures(report.to_dict()) == figures(json.loads(out.read_text()))
    assert report.to_dict()["source"] == "DataFrame"
    assert report.verdicts == json.loads(out.read_text())["verdicts"]
    table = report.table()
    assert list(table.columns) == ["attack", "target", "measure", "value", "verdict"]
    assert (table["attack"] == "frequency").any()
    assert "AuditReport(3,000 records, sample 1,500" in repr(report)
    # A CSV path gives the same figures as well.
    with pytest.warns(UserWarning):
        from_path = bloomlink.audit(extract["trust"], extract["schema"], SECRET, sample=1500)
    assert figures(from_path.to_dict()) == figures(report.to_dict())


def test_references_from_files_frames_and_dicts(cli, extract):
    d = extract["dir"]
    ref = d / "surnames.csv"
    ref.write_text("value,count\nSMITH,500\nJONES,400\nTAYLOR,300\n")
    out = d / "ref.json"
    audit_cli(cli, extract, "--sample", 800, "--reference", f"family_name={ref}", "--json", out)
    results = json.loads(out.read_text())["pattern_mining"]["results"]
    family = [r for r in results if r["field"] == "family_name"]
    assert family and all(r["reference"] == str(ref) and r["reference_values"] == 3
                          for r in family)
    frequency = {f["field"]: f for f in json.loads(out.read_text())["frequency"]}
    assert frequency["family_name"]["attacker"] == f"reference {ref}"
    assert frequency["given_name"]["attacker"].startswith("the extract's own frequencies")
    # The same table as a DataFrame, and as a dict, in Python.
    df = pd.read_csv(extract["trust"], dtype=str, keep_default_na=False)
    table = pd.DataFrame({"value": ["SMITH", "JONES", "TAYLOR"], "count": [500, 400, 300]})
    for reference in ({"family_name": table},
                      {"family_name": {"SMITH": 500, "JONES": 400, "TAYLOR": 300}}):
        with pytest.warns(UserWarning):
            report = bloomlink.audit(df, extract["schema"], SECRET, sample=800, reference=reference)
        got = [r for r in report.to_dict()["pattern_mining"]["results"]
               if r["field"] == "family_name"]
        assert all(r["reference_values"] == 3 for r in got)
        assert [r["one_to_one"] for r in got] == [r["one_to_one"] for r in family]


def test_bad_references_name_the_file_and_line(cli, extract):
    d = extract["dir"]
    bad = d / "bad.csv"
    bad.write_text("value,count\nSMITH,500\nJONES,lots\n")
    proc = audit_cli(cli, extract, "--reference", bad, expect=2)
    assert f"{bad}:3: column 2 (count): expected a whole number" in proc.stderr
    assert "JONES" not in proc.stderr
    missing = d / "nocount.csv"
    missing.write_text("value,frequency\nSMITH,500\n")
    proc = audit_cli(cli, extract, "--reference", f"given_name={missing}", expect=2)
    assert f"{missing}:1: the header has no column \"count\"" in proc.stderr
    proc = audit_cli(cli, extract, "--reference", d / "absent.csv", expect=2)
    assert "absent.csv" in proc.stderr
    proc = audit_cli(cli, extract, "--reference", f"surname={bad}", expect=2)
    assert "--reference surname=" in proc.stderr and "has no field surname" in proc.stderr
    df = pd.read_csv(extract["trust"], dtype=str, keep_default_na=False)
    with pytest.raises(bloomlink.InputError, match=f"{bad}:3"):
        bloomlink.audit(df, STARTER_INDEX, SECRET, reference=bad)
    with pytest.raises(bloomlink.InputError, match="reference for surname: the schema has no"):
        bloomlink.audit(df, STARTER_INDEX, SECRET, reference={"surname": {"SMITH": 1}})
    with pytest.raises(bloomlink.InputError, match="no column 'count'"):
        bloomlink.audit(df, STARTER_INDEX, SECRET, reference=pd.DataFrame({"value": ["A"]}))
    with pytest.raises(bloomlink.InputError, match="sample"):
        bloomlink.audit(df, STARTER_INDEX, SECRET, sample=0)


def test_cli_refuses_a_bad_sample_and_a_missing_secret(cli, extract):
    proc = cli("audit", "--schema", STARTER_INDEX, "--input", extract["trust"], expect=2)
    assert "no secret" in proc.stderr
    audit_cli(cli, extract, "--sample", 0, expect=2)


def test_the_default_hardening_passes(cli, extract):
    """The example schema's hardening (that of `schema init --fs`): the frequency attack finds
    nothing and pattern mining places no q-gram's positions, where on the plain encodings of the
    same extract both work (test_cli_prints_the_table_and_writes_the_json)."""
    out = extract["dir"] / "hardened.json"
    audit_cli(cli, extract, "--sample", 3000, "--json", out, schema=STARTER_INDEX)
    report = json.loads(out.read_text())
    assert report["verdicts"]["frequency"] == "PASS"
    assert report["verdicts"]["pattern_mining"] == "PASS"
    assert all(n["one_to_one_share"] <= 0.001 for n in report["pattern_mining"]["names"])
