"""Python overhead against the CLI: encoding and linking 100,000 x 100,000 synthetic records.

    build/venv/bin/python bench/python_overhead.py [records] [repeats]

Runs the same job three ways and prints the best wall time of each (seconds):
  cli      `bloomlink encode` (trust, council) then `bloomlink link` (subprocesses)
  python   bloomlink.encode(csv path) twice, then bloomlink.link and linkage.to_csv
  pandas   the same from DataFrames read with pandas (read time excluded), encode then link
The data comes from `bloomlink synth` into a temporary folder and is removed afterwards.
"""
import os
import subprocess
import sys
import tempfile
import time

import pandas as pd

import bloomlink

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.environ.get("BLOOMLINK_CLI", os.path.join(ROOT, "build", "src", "cli", "bloomlink"))
SECRET = "benchmark secret, not for real data"
THRESHOLD = 0.8


def best(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    env = dict(os.environ, BLOOMLINK_SECRET=SECRET)
    with tempfile.TemporaryDirectory() as work:
        subprocess.run([CLI, "synth", "--records", str(records), "--seed", "42", "--output", work],
                       check=True, stdout=subprocess.DEVNULL)
        schema_path = os.path.join(work, "schema.json")
        subprocess.run([CLI, "schema", "init", "--output", schema_path], check=True,
                       stderr=subprocess.DEVNULL)
        trust, council = os.path.join(work, "trust.csv"), os.path.join(work, "council.csv")

        def cli():
            for name in ("trust", "council"):
                subprocess.run([CLI, "encode", "--quiet", "--schema", schema_path, "--input",
                                os.path.join(work, name + ".csv"), "--output",
                                os.path.join(work, name + ".bloom")], check=True, env=env)
            subprocess.run([CLI, "link", "--quiet", os.path.join(work, "trust.bloom"),
                            os.path.join(work, "council.bloom"), "--threshold", str(THRESHOLD),
                            "--output", os.path.join(work, "pairs_cli.csv")], check=True)

        schema = bloomlink.Schema.from_file(schema_path)

        def python():
            a = bloomlink.encode(trust, schema, secret=SECRET)
            b = bloomlink.encode(council, schema, secret=SECRET)
            bloomlink.link(a, b, threshold=THRESHOLD).to_csv(os.path.join(work, "pairs_py.csv"))

        frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in (trust, council)]

        def pandas():
            a = bloomlink.encode(frames[0], schema, secret=SECRET)
            b = bloomlink.encode(frames[1], schema, secret=SECRET)
            bloomlink.link(a, b, threshold=THRESHOLD).to_csv(os.path.join(work, "pairs_pd.csv"))

        t_cli, t_py, t_pd = best(cli, repeats), best(python, repeats), best(pandas, repeats)
        same = (open(os.path.join(work, "pairs_cli.csv")).read()
                == open(os.path.join(work, "pairs_py.csv")).read())
    print(f"{records:,} x {records:,} records, threshold {THRESHOLD}, kernel {bloomlink.kernel()}, "
          f"best of {repeats}")
    print(f"| path | seconds | vs CLI |")
    print(f"|---|---|---|")
    for name, t in (("CLI (encode x2 + link)", t_cli), ("Python, CSV paths", t_py),
                    ("Python, pandas DataFrames", t_pd)):
        print(f"| {name} | {t:.2f} | {100 * (t / t_cli - 1):+.1f}% |")
    print(f"pairs.csv identical between CLI and Python: {same}")


if __name__ == "__main__":
    main()
