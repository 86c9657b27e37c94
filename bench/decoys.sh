#!/usr/bin/env bash
# bench/decoys.sh [quality_records] [speed_records] — what decoy records cost (docs/security.md,
# "Decoy records and pseudonymous ids"): for bloomlink synth extracts (default 20,000 records)
# and FEBRL4 (../shared/data/febrl, encoded with examples/schemas/febrl_fs.json as
# bench/quality does), both holders encode without decoys and with --decoys 0.25; the linkage
# unit links with the label-free default (`bloomlink link A B`); the holders reveal the pairs
# (`bloomlink reveal`, both extracts) and `bloomlink evaluate` scores them against the truth.
# Then, on synth extracts of speed_records (default 100,000) a side, the encode and link times
# and link memory both ways.
#
# It also measures what the linkage unit could see: each record's best Dice with another record
# of its own file (`link F F --top-k 2`), for decoys and for real records, summarised as the
# AUC of that score as a decoy detector (0.5: no better than chance), and the warnings `encode`
# prints when a field-level filter or blocking rule tells decoys apart.
#
# Everything is made in a temporary folder and removed at the end: no data is written to the
# repository. Needs build/ (scripts/build) and build/venv with the package (scripts/test).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BLOOMLINK_BUILD_DIR:-$root/build}"
bloomlink="${BLOOMLINK_CLI:-$build/src/cli/bloomlink}"
python="$build/venv/bin/python"
data="$root/../shared/data"
quality_records="${1:-20000}"
speed_records="${2:-100000}"
[ -x "$bloomlink" ] || { echo "no bloomlink at $bloomlink: run scripts/build" >&2; exit 1; }
[ -x "$python" ] || { echo "no $python: run scripts/test (it makes the venv)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf 'bench/decoys.sh secret, not for real data' > "$work/bench.key"
chmod 600 "$work/bench.key"
"$bloomlink" schema init --output "$work/starter.json" >/dev/null 2>&1

# timed OUT CMD...: runs CMD with its stdout to OUT, and leaves "seconds max-RSS-KB" in $work/time.
timed() {
  local out="$1"
  shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$out"
}
seconds() { cut -d' ' -f1 "$work/time"; }
megabytes() { awk '{ printf "%.0f", $2 / 1024 }' "$work/time"; }
field() { sed -n "s/.*$1 \([0-9.]*\).*/\1/p" "$2" | head -1; }

# csv_options ID_COLUMN SKIP: the extract's options for encode and reveal, in $csv_opts.
csv_options() {
  csv_opts=(--id-column "$1")
  if [ "$2" = 1 ]; then csv_opts+=(--skip-initial-space); fi
}

# distinguish FILE SCHEMA EXTRACT ID_COLUMN SKIP: the AUC of "best Dice with another record of
# the file" as a detector of the file's decoys (which the holder knows with the secret).
distinguish() {
  local file="$1" schema="$2" extract="$3" id_column="$4" skip="$5"
  cp "$file" "$work/self.bloom"
  "$bloomlink" link "$file" "$work/self.bloom" --threshold 0 --top-k 2 --one-to-one none --method dice \
    --output "$work/self.csv" --quiet
  "$python" - "$work/self.csv" "$schema" "$extract" "$work/bench.key" "$id_column" "$skip" <<'EOF'
import sys
import warnings

import numpy as np
import pandas as pd

import bloomlink

pairs, schema, extract, key, id_column, skip = sys.argv[1:]
frame = pd.read_csv(pairs, dtype={"id_a": str, "id_b": str})
ids = pd.Series(sorted(set(frame.id_a)))
best = (frame[frame.id_a != frame.id_b].groupby("id_a")["score"].max()
        .reindex(ids, fill_value=0.0).to_numpy())
# Which ids are decoys: reveal leaves out the rows that name one (the holder's view).
table = pd.DataFrame({"id_a": ids, "id_b": ids, "row": np.arange(len(ids))})
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    kept = bloomlink.reveal(table, extract, schema, secret_file=key, id_column=id_column,
                            skip_initial_space=skip == "1").table
decoy = np.ones(len(ids), dtype=bool)
decoy[kept["row"].to_numpy()] = False
d, r = best[decoy], best[~decoy]
# AUC (Mann-Whitney, ties counted half): the chance that a random decoy scores above a random
# real record; reported as max(AUC, 1 - AUC), the better of the two ways to use the score.
values = np.concatenate([d, r])
order = np.argsort(values, kind="mergesort")
ranks = np.empty(len(values))
ranks[order] = np.arange(1, len(values) + 1)
for v in np.unique(values):
    at = values == v
    ranks[at] = ranks[at].mean()
auc = (ranks[: len(d)].sum() - len(d) * (len(d) + 1) / 2) / (len(d) * len(r))
print(f"{len(d):,} decoys, {len(r):,} real records; best Dice with another record of the file: "
      f"median {np.median(d):.3f} (decoys) vs {np.median(r):.3f} (real); "
      f"AUC as a decoy detector {max(auc, 1 - auc):.3f}")
EOF
}

# quality NAME SCHEMA A B TRUTH ID_COLUMN SKIP: F1, time and memory of link without and with
# decoys.
quality() {
  local name="$1" schema="$2" a="$3" b="$4" truth="$5"
  csv_options "$6" "$7"
  local side csv
  for side in a b; do
    csv=$([ "$side" = a ] && echo "$a" || echo "$b")
    "$bloomlink" encode --schema "$schema" --secret-file "$work/bench.key" --input "$csv" \
      --output "$work/$side-plain.bloom" --quiet "${csv_opts[@]}"
    "$bloomlink" encode --schema "$schema" --secret-file "$work/bench.key" --input "$csv" \
      --output "$work/$side-decoys.bloom" --decoys 0.25 "${csv_opts[@]}" \
      >"$work/encode-$side.txt" 2>"$work/encode-$side.err"
    sed -n 's/^bloomlink: warning: decoys: \(.*\) tell decoys apart: \([0-9]*%\) of the real records.* only \([0-9]*%\) of the decoys.*/  encode '"$side"' warns: \1: unique for \2 of the real records, \3 of the decoys/p' \
      "$work/encode-$side.err"
  done
  printf '  | decoys | records a x b | link s | link max RSS MB | pairs | dropped as decoys | precision | recall | F1 |\n'
  printf '  |---|---|---|---|---|---|---|---|---|\n'
  local kind s mb pairs dropped scored
  for kind in plain decoys; do
    timed "$work/link.txt" "$bloomlink" link "$work/a-$kind.bloom" "$work/b-$kind.bloom" \
      --output "$work/pairs-$kind.csv"
    s=$(seconds)
    mb=$(megabytes)
    dropped=0
    scored="$work/pairs-$kind.csv"
    if [ "$kind" = decoys ]; then
      "$bloomlink" reveal --schema "$schema" --secret-file "$work/bench.key" --input "$a" \
        --input "$b" "${csv_opts[@]}" --pairs "$work/pairs-$kind.csv" \
        --output "$work/revealed.csv" >"$work/reveal.txt"
      dropped=$(sed -n 's/.* \([0-9,]*\) left out as they name a decoy.*/\1/p' "$work/reveal.txt")
      scored="$work/revealed.csv"
    fi
    pairs=$(($(wc -l <"$work/pairs-$kind.csv") - 1))
    "$bloomlink" evaluate --pairs "$scored" --truth "$truth" >"$work/eval.txt"
    printf '  | %s | %s x %s | %s | %s | %s | %s | %s | %s | %s |\n' \
      "$([ "$kind" = plain ] && echo none || echo 0.25)" \
      "$(sed -n 's/.*(\([0-9,]*\) records) with.*/\1/p' "$work/link.txt")" \
      "$(sed -n 's/.*with .*(\([0-9,]*\) records).*/\1/p' "$work/link.txt")" \
      "$s" "$mb" "$pairs" "$dropped" "$(field precision "$work/eval.txt")" \
      "$(field recall "$work/eval.txt")" "$(field F1 "$work/eval.txt")"
  done
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
echo
echo "== quality: synth ($quality_records records a side, seed 1, starter schema: CLKs only)"
"$bloomlink" synth --records "$quality_records" --seed 1 --output "$work/synth" >/dev/null
quality "synth $quality_records" "$work/starter.json" "$work/synth/trust.csv" \
  "$work/synth/council.csv" "$work/synth/truth.csv" id 0
echo "  what the linkage unit sees of trust's decoys:"
echo "    $(distinguish "$work/a-decoys.bloom" "$work/starter.json" "$work/synth/trust.csv" id 0)"

echo
echo "== quality: FEBRL4 (5,000 x 5,000, examples/schemas/febrl_fs.json: CLKs and field-level filters)"
febrl="$data/febrl"
if [ -f "$febrl/dataset4a.csv" ]; then
  # The truth: rec-N-org in 4a is rec-N-dup-0 in 4b.
  awk -F', *' 'FNR == 1 { next } NR == FNR { split($1, p, "-"); a[p[2]] = $1; next }
               { split($1, p, "-"); if (p[2] in a) print a[p[2]] "," $1 }
               BEGIN { print "id_a,id_b" }' "$febrl/dataset4a.csv" "$febrl/dataset4b.csv" \
    >"$work/febrl-truth.csv"
  quality "FEBRL4" "$root/examples/schemas/febrl_fs.json" "$febrl/dataset4a.csv" \
    "$febrl/dataset4b.csv" "$work/febrl-truth.csv" rec_id 1
  echo "  what the linkage unit sees of 4a's decoys:"
  echo "    $(distinguish "$work/a-decoys.bloom" "$root/examples/schemas/febrl_fs.json" \
    "$febrl/dataset4a.csv" rec_id 1)"
else
  echo "  FEBRL data not found at $febrl: skipped"
fi

echo
echo "== speed: synth ($speed_records records a side, starter schema)"
"$bloomlink" synth --records "$speed_records" --seed 2 --output "$work/speed" >/dev/null
printf '| ids | encode trust s | encode max RSS MB | link s | link max RSS MB | records a x b |\n'
printf '|---|---|---|---|---|---|\n'
for kind in plain pseudonymous decoys; do
  case "$kind" in
    plain) opts=() ;;
    pseudonymous) opts=(--pseudonymous-ids) ;;
    decoys) opts=(--decoys 0.25) ;;
  esac
  timed /dev/null "$bloomlink" encode --schema "$work/starter.json" --secret-file "$work/bench.key" \
    --input "$work/speed/trust.csv" --output "$work/t.bloom" --quiet "${opts[@]}"
  es=$(seconds)
  emb=$(megabytes)
  "$bloomlink" encode --schema "$work/starter.json" --secret-file "$work/bench.key" \
    --input "$work/speed/council.csv" --output "$work/c.bloom" --quiet "${opts[@]}"
  timed "$work/link.txt" "$bloomlink" link "$work/t.bloom" "$work/c.bloom" \
    --output "$work/pairs.csv"
  printf '| %s | %s | %s | %s | %s | %s x %s |\n' "$kind" "$es" "$emb" "$(seconds)" "$(megabytes)" \
    "$(sed -n 's/.*(\([0-9,]*\) records) with.*/\1/p' "$work/link.txt")" \
    "$(sed -n 's/.*with .*(\([0-9,]*\) records).*/\1/p' "$work/link.txt")"
done
