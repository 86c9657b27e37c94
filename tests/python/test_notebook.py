"""The analyst notebook (examples/notebooks/link_trust_and_council.ipynb) runs top to bottom.

The notebook is executed with nbclient in a Jupyter kernel started by this interpreter
(sys.executable), so that it imports the same bloomlink as the rest of the suite (under
scripts/test: build/venv/bin/python, where the package is pip-installed). The kernelspec is written
to a temporary folder; Debian's default "python3" kernelspec may start /usr/bin/python3, which
does not see the venv. The notebook is copied to a temporary folder and executed in memory there;
nothing is written back into the repository. Matplotlib runs headless (MPLBACKEND=Agg in the
kernel's environment; the notebook itself selects the inline backend, which draws PNGs).
"""
import ast
import json
import pathlib
import re
import shutil
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "examples" / "notebooks" / "link_trust_and_council.ipynb"
KERNEL_NAME = "bloomlink-test-kernel"
CELL_TIMEOUT = 180     # seconds per cell; the whole notebook takes a few seconds
STARTUP_TIMEOUT = 120  # seconds for the kernel to start


def _code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _demo_secret(nb):
    """The value of the notebook's single DEMO_SECRET = ... line, and how many lines mention it."""
    value, lines = None, 0
    for cell in _code_cells(nb):
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for line in source.splitlines():
            m = re.match(r"\s*DEMO_SECRET\s*=\s*(.+)$", line)
            if m:
                value = ast.literal_eval(m.group(1))
                lines += 1
    return value, lines


def test_notebook_is_stored_without_outputs():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4
    for i, cell in enumerate(_code_cells(nb)):
        assert cell.get("outputs") == [], f"code cell {i} has stored outputs"
        assert cell.get("execution_count") is None, f"code cell {i} has an execution count"


def test_notebook_defines_the_demo_secret_once_and_nowhere_else():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    secret, lines = _demo_secret(nb)
    assert lines == 1 and isinstance(secret, (bytes, str)) and len(secret) >= 16
    text = secret.decode() if isinstance(secret, bytes) else secret
    assert NOTEBOOK.read_text(encoding="utf-8").count(text) == 1


def _import_or_skip(name):
    return pytest.importorskip(
        name, reason=f"{name} is not importable by {sys.executable}; the notebook test needs "
                     f"Debian's python3-nbclient, python3-ipykernel, python3-nbformat and "
                     f"python3-matplotlib (scripts/bootstrap installs them)")


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook executed top to bottom: (notebook, the kernel's sys.executable, the path of
    the bloomlink it imported, seconds taken)."""
    nbformat = _import_or_skip("nbformat")
    nbclient = _import_or_skip("nbclient")
    _import_or_skip("ipykernel")
    _import_or_skip("matplotlib")
    _import_or_skip("pandas")
    kernelspec = _import_or_skip("jupyter_client.kernelspec")
    manager = _import_or_skip("jupyter_client.manager")
    traitlets = _import_or_skip("traitlets")
    try:
        import bloomlink  # noqa: F401  (the kernel imports the same one)
    except ImportError:
        pytest.skip(f"bloomlink is not installed for {sys.executable}; scripts/test installs it "
                    f"into build/venv and runs the tests with build/venv/bin/python")

    tmp = tmp_path_factory.mktemp("notebook")
    kernels = tmp / "kernels"
    (kernels / KERNEL_NAME).mkdir(parents=True)
    (kernels / KERNEL_NAME / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"bloomlink tests ({sys.executable})",
        "language": "python",
        # Headless matplotlib; and no debugger note about frozen modules on the kernel's stderr.
        "env": {"MPLBACKEND": "Agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1"},
    }))

    class KernelManager(manager.AsyncKernelManager):
        """Finds kernelspecs only in the temporary folder (not the user's or the system's)."""

        @traitlets.default("kernel_spec_manager")
        def _kernel_spec_manager_default(self):
            return kernelspec.KernelSpecManager(kernel_dirs=[str(kernels)])

    work = tmp / "work"
    work.mkdir()
    copy = work / NOTEBOOK.name
    shutil.copyfile(NOTEBOOK, copy)
    nb = nbformat.read(str(copy), as_version=4)
    # One extra cell, in the copy only: which bloomlink did the kernel import?
    nb.cells.append(nbformat.v4.new_code_cell(
        "import bloomlink as _b, sys as _s\nprint('KERNEL-CHECK', _s.executable, _b.__file__)"))

    client = nbclient.NotebookClient(
        nb, timeout=CELL_TIMEOUT, startup_timeout=STARTUP_TIMEOUT, kernel_name=KERNEL_NAME,
        kernel_manager_class=KernelManager, allow_errors=False,
        resources={"metadata": {"path": str(work)}})
    start = time.monotonic()
    client.execute()  # raises CellExecutionError if any cell raises
    seconds = time.monotonic() - start

    check = _stream_text(nb.cells[-1])
    m = re.search(r"KERNEL-CHECK (\S+) (\S+)", check)
    assert m, f"the kernel check cell printed {check!r}"
    return nb, m.group(1), m.group(2), seconds


def _stream_text(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o["output_type"] == "stream")


def _tagged(nb, tag):
    cells = [c for c in nb.cells if tag in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r}, found {len(cells)}"
    return cells[0]


def _all_text(cell):
    parts = []
    for o in cell.get("outputs", []):
        parts.append(o.get("text", ""))
        for mime, value in o.get("data", {}).items():
            if mime.startswith("text/"):
                parts.append(value if isinstance(value, str) else "".join(value))
    return "".join(parts)


def test_notebook_kernel_uses_this_interpreter_and_package(executed):
    import bloomlink

    nb, kernel_python, kernel_bloomlink, _ = executed
    assert pathlib.Path(kernel_python) == pathlib.Path(sys.executable)
    assert pathlib.Path(kernel_bloomlink).resolve() == pathlib.Path(bloomlink.__file__).resolve()


def test_notebook_runs_without_errors(executed):
    nb, _, _, seconds = executed
    for i, cell in enumerate(nb.cells):
        for o in cell.get("outputs", []):
            assert o["output_type"] != "error", f"cell {i} raised {o.get('ename')}: {o.get('evalue')}"
            if o["output_type"] == "stream" and o["name"] == "stderr":
                pytest.fail(f"cell {i} wrote to stderr: {o['text'][:500]}")
    assert seconds < 120, f"the notebook took {seconds:.0f} s"


def test_notebook_links_well(executed):
    nb = executed[0]
    text = _stream_text(_tagged(nb, "evaluate"))
    m = re.search(r"precision ([0-9.]+) \| recall ([0-9.]+) \| F1 ([0-9.]+)", text)
    assert m, f"the evaluate cell printed {text!r}"
    precision, recall, f1 = map(float, m.groups())
    assert f1 > 0.9 and precision > 0.9 and recall > 0.9


def test_notebook_person_index_finds_the_persons(executed):
    text = _stream_text(_tagged(executed[0], "person-index-evaluate"))
    scores = dict(re.findall(r"^(\w+): precision [0-9.]+ \| recall [0-9.]+ \| F1 ([0-9.]+)$", text,
                             re.MULTILINE))
    assert set(scores) == {"pairwise", "bcubed", "exact"}, text
    assert all(float(f1) > 0.9 for f1 in scores.values()), text


def test_notebook_files_carry_no_identifiers(executed):
    text = _stream_text(_tagged(executed[0], "no-identifiers"))
    counts = re.findall(r"for ([0-9,]+) identifier values: (\d+) found", text)
    assert len(counts) == 2, text
    for searched, found in counts:
        assert int(searched.replace(",", "")) > 1000 and int(found) == 0


def test_notebook_draws_its_figures(executed):
    nb = executed[0]
    for tag in ("score-histogram", "precision-recall", "person-index-overlap"):
        cell = _tagged(nb, tag)
        pngs = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        assert pngs, f"the {tag!r} cell produced no image/png output"


def test_notebook_never_shows_the_secret(executed):
    nb = executed[0]
    secret, _ = _demo_secret(nb)
    text = secret.decode() if isinstance(secret, bytes) else secret
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert text not in _all_text(cell), f"cell {i}'s output shows the secret"
