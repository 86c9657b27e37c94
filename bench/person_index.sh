#!/usr/bin/env bash
# bench/person_index.sh [N] — the person index (issue 13) on `bloomlink synth` data, encoded with
# examples/schemas/starter_index.json (field-level filters, so Fellegi-Sunter links, and keyed
# blocking rules; BENCH_SCHEMA overrides it) and linked with --blocking keys, through the CLI:
#  1. quality and stability (N persons, default 20,000; synth --sources 3: the trust holds a
#     person once, the council some twice or three times, the community once):
#     - a one-shot build against the truth (pairwise, B-cubed, cluster-exact F1);
#     - the same three sources added one at a time, against the truth and against the one-shot
#       build (B-cubed F1 between the two);
#     - a refresh of the council in which 1% of its records change (0.5% move house, 0.25% leave,
#       0.25% arrive): the share of existing records whose person ID moved.
#  2. speed (BENCH_SCALE=1, the default; 0 skips it): a 100,000-record extract added to a
#     1,000,000-record index, wall time and peak RSS of `index add` (/usr/bin/time -v): the
#     index one source (the synth trust; the extract, the synth council's first 100,000
#     records), then three sources (synth --sources 4 of 700,000 persons: trust, council and
#     community, 1,106,024 records; the extract, the gp's first 100,000 records).
# Data are generated in a temporary folder and removed.
#   bench/person_index.sh 20000
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${BLOOMLINK_BIN:-$root/build/src/cli/bloomlink}"
schema="${BENCH_SCHEMA:-$root/examples/schemas/starter_index.json}"
n="${1:-20000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
printf 'person index bench secret, not for real data\n' >secret
chmod 600 secret
encode() { "$bin" encode --schema "$schema" --secret-file secret --input "$1" --output "$2" --quiet; }
scores() { grep -E "pairwise|B-cubed|exact|churn|agreement" || true; }

echo "== quality and stability: synth --sources 3, $n persons"
"$bin" synth --sources 3 --records "$n" --seed 13 --output s >/dev/null
for f in trust council community; do encode "s/$f.csv" "$f.bloom"; done
wc -l s/*.csv | sed 's/^/  /'
"$bin" index build --output batch.index --blocking keys --unique-source trust \
  --unique-source community trust.bloom council.bloom community.bloom --quiet
"$bin" index export batch.index --output batch.csv --quiet
echo "-- one-shot build against the truth"
"$bin" evaluate --crosswalk batch.csv --truth s/truth.csv | scores

"$bin" index build --output steps.index --blocking keys --unique-source trust trust.bloom --quiet
"$bin" index add steps.index council.bloom --quiet
"$bin" index add steps.index --unique-source community community.bloom --quiet
"$bin" index export steps.index --output steps.csv --quiet
echo "-- one source at a time, against the truth and against the one-shot build (IDs are random:"
echo "   the builds are compared as clusterings)"
"$bin" evaluate --crosswalk steps.csv --truth s/truth.csv --previous-crosswalk batch.csv |
  grep -vE "churn" | scores

echo "-- the council's refresh: 1% of its records change"
# Every 400th council record leaves, every 200th (offset 100) takes the next record's postcode,
# and every 400th community record arrives at the council under a new id (the truth follows).
awk -F, -v OFS=, 'NR == FNR { if (FNR > 1) pc[FNR] = $NF; next }
  FNR == 1 { print; next }
  FNR % 400 == 0 { next }
  FNR % 200 == 100 && (FNR + 1) in pc { $NF = pc[FNR + 1] }
  { print }' s/council.csv s/council.csv >council2.csv
awk -F, -v OFS=, 'FNR > 1 && FNR % 400 == 0 { $1 = "N" FNR; print }' s/community.csv >>council2.csv
awk -F, -v OFS=, 'NR == FNR { if (FNR > 1 && FNR % 400 == 0) gone[$1] = 1; next }
  FILENAME == ARGV[2] { if (FNR > 1 && FNR % 400 == 0) arrive[$1] = "N" FNR; next }
  $1 == "council" && ($2 in gone) { next }
  { print }
  $1 == "community" && ($2 in arrive) { print "council", arrive[$2], $3 }' \
  s/council.csv s/community.csv s/truth.csv >truth2.csv
encode council2.csv council2.bloom
cp batch.index refreshed.index
"$bin" index add refreshed.index council=council2.bloom | grep -E "records|persons" | sed 's/^/  /'
"$bin" index export refreshed.index --output refreshed.csv --quiet
"$bin" evaluate --crosswalk refreshed.csv --truth truth2.csv --previous-crosswalk batch.csv | scores
echo "-- the refreshed extracts built from scratch, against the truth and the refreshed index"
"$bin" index build --output fresh.index --blocking keys --unique-source trust \
  --unique-source community trust.bloom council=council2.bloom community.bloom --quiet
"$bin" index export fresh.index --output fresh.csv --quiet
"$bin" evaluate --crosswalk fresh.csv --truth truth2.csv --previous-crosswalk refreshed.csv |
  grep -vE "churn" | scores

if [ "${BENCH_SCALE:-1}" = 1 ]; then
  echo
  echo "== speed: a 100,000-record extract added to a 1,000,000-record index"
  "$bin" synth --records 1000000 --seed 7 --output big >/dev/null
  head -100001 big/council.csv >big/council100k.csv
  encode big/trust.csv trust1m.bloom
  encode big/council100k.csv council100k.bloom
  /usr/bin/time -v "$bin" index build --output big.index --blocking keys --unique-source trust \
    trust=trust1m.bloom --quiet 2>time-build.txt
  echo "-- build (1,000,000 records, one unique source)"
  grep -E "Elapsed|Maximum resident" time-build.txt | sed 's/^\s*/  /'
  echo "-- add 100,000 records"
  # The two-extract synth council holds each person once: declared unique, as it should be
  # (deduplicating a source without duplicates is where the label-free decision is weakest).
  /usr/bin/time -v "$bin" index add big.index --unique-source council \
    council=council100k.bloom 2>time-add.txt |
    grep -E "records|persons|seconds" | sed 's/^/  /'
  grep -E "Elapsed|Maximum resident" time-add.txt | sed 's/^\s*/  /'
  ls -l big.index | awk '{ printf "  index file: %.0f MB\n", $5 / 1e6 }'

  echo
  echo "== speed: a new source of 100,000 records added to a 1,106,024-record index of three"
  echo "   sources (synth --sources 4, 700,000 persons: trust, council, community; the gp's first"
  echo "   100,000 records)"
  "$bin" synth --sources 4 --records 700000 --seed 9 --output multi >/dev/null
  head -100001 multi/gp.csv >multi/gp100k.csv
  for f in trust council community; do encode "multi/$f.csv" "multi-$f.bloom"; done
  encode multi/gp100k.csv gp.bloom
  /usr/bin/time -v "$bin" index build --output multi.index --blocking keys --unique-source trust \
    --unique-source community trust=multi-trust.bloom council=multi-council.bloom \
    community=multi-community.bloom --quiet 2>time-build.txt
  echo "-- build (three sources)"
  grep -E "Elapsed|Maximum resident" time-build.txt | sed 's/^\s*/  /'
  echo "-- add the gp's 100,000 records"
  /usr/bin/time -v "$bin" index add multi.index gp.bloom 2>time-add.txt |
    grep -E "records|persons" | sed 's/^/  /'
  grep -E "Elapsed|Maximum resident" time-add.txt | sed 's/^\s*/  /'
fi
