#!/usr/bin/env bash
# Ingest benchmark: the same data set into an m365vault repository and a restic repository.
#
#   bench/ingest.sh SIZE_GB [WORKDIR]        # e.g. bench/ingest.sh 1, bench/ingest.sh 10
#
# Builds crates/store/examples/ingest.rs in release, makes the data set with
# bench/make-dataset.py (kept in WORKDIR/data-SIZEgb and reused by later runs), then, for
# each tool, a first ingest into a new repository and two re-ingests of the unchanged
# data set, each under /usr/bin/time -v (wall time, CPU time, peak RSS), and the
# repository's size with du -sb:
#   - skipping unchanged files: restic's default (its parent snapshot: same size and
#     mtime), m365vault's example with --skip-unchanged (the previous run's records);
#   - re-reading everything: restic --force, m365vault's example without options
#     (every chunk is read, hashed and found in the index).
# The whole sequence is repeated RUNS times (3) with new repositories, the tools taking
# turns to go first; the tables show the median wall time, the median stored size and
# the highest peak RSS. Nothing is dropped from the page cache: the data set is read once
# before every timed step, so every step reads it from memory. Prints Markdown tables and
# writes them to WORKDIR/results-SIZE.md. WORKDIR defaults to /work/bench-data; it needs
# about twice SIZE_GB free for the data set and two repositories.
#
# Environment: RUNS (3); M365VAULT_INGEST_ARGS passes options to the example
# (--concurrency N, --read-size BYTES, --blocking-threads N); KEEP=1 keeps the last
# repositories afterwards.
set -euo pipefail

SIZE=${1:?usage: bench/ingest.sh SIZE_GB [WORKDIR]}
WORK=${2:-/work/bench-data}
RUNS=${RUNS:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/release/examples/ingest
DATA=$WORK/data-${SIZE}gb
M_REPO=$WORK/repo-m365vault-$SIZE
R_REPO=$WORK/repo-restic-$SIZE
LOGS=$WORK/logs-$SIZE
RESULTS=$WORK/results-$SIZE.md

export M365VAULT_PASSPHRASE=${M365VAULT_PASSPHRASE:-bench-passphrase}
export RESTIC_PASSWORD=${RESTIC_PASSWORD:-bench-passphrase}
export RESTIC_CACHE_DIR=$WORK/restic-cache

if [[ ! -x /usr/bin/time ]]; then
    echo "installing GNU time for /usr/bin/time -v" >&2
    apt-get install -y time >/dev/null
fi
command -v restic >/dev/null || { echo "restic is not installed" >&2; exit 1; }

mkdir -p "$WORK"
rm -rf "$LOGS"
echo "== building the ingest example (release)" >&2
(cd "$ROOT" && cargo build --release --quiet -p m365vault-store --example ingest)

if [[ ! -d $DATA ]]; then
    echo "== making the ${SIZE} GB data set in $DATA" >&2
    python3 "$ROOT/bench/make-dataset.py" "$SIZE" "$DATA"
else
    echo "== reusing the data set in $DATA" >&2
fi
BYTES=$(find "$DATA" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
FILES=$(find "$DATA" -type f | wc -l)

warm() { find "$DATA" -type f -print0 | xargs -0 cat >/dev/null; sync; }

# step NAME COMMAND...: runs COMMAND under /usr/bin/time -v, after warming the page cache.
step() {
    local name=$1; shift
    warm
    echo "== run $run: $name" >&2
    /usr/bin/time -v -o "$RUN_LOGS/$name.time" "$@" >"$RUN_LOGS/$name.out" 2>"$RUN_LOGS/$name.err" || {
        echo "$name failed:" >&2; cat "$RUN_LOGS/$name.err" "$RUN_LOGS/$name.time" >&2; exit 1; }
}

size_of() { du -sb "$1" | cut -f1; }

m365vault() {
    rm -rf "$M_REPO"
    step m365vault-first "$BIN" ${M365VAULT_INGEST_ARGS:-} "$M_REPO" "$DATA" --init
    size_of "$M_REPO" >"$RUN_LOGS/m365vault-first.size"
    step m365vault-skip "$BIN" ${M365VAULT_INGEST_ARGS:-} "$M_REPO" "$DATA" --skip-unchanged
    step m365vault-reread "$BIN" ${M365VAULT_INGEST_ARGS:-} "$M_REPO" "$DATA"
    size_of "$M_REPO" >"$RUN_LOGS/m365vault-reread.size"
}

restic_() {
    rm -rf "$R_REPO" "$RESTIC_CACHE_DIR"
    restic init --quiet --repository-version 2 -r "$R_REPO" >"$RUN_LOGS/restic-init.out"
    step restic-first restic -r "$R_REPO" backup --quiet "$DATA"
    size_of "$R_REPO" >"$RUN_LOGS/restic-first.size"
    step restic-skip restic -r "$R_REPO" backup --quiet "$DATA"
    step restic-reread restic -r "$R_REPO" backup --quiet --force "$DATA"
    size_of "$R_REPO" >"$RUN_LOGS/restic-reread.size"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for run in $(seq 1 "$RUNS"); do
    RUN_LOGS=$LOGS/run$run
    mkdir -p "$RUN_LOGS"
    if (( run % 2 )); then m365vault; restic_; else restic_; m365vault; fi
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$LOGS" "$RESULTS" "$SIZE" "$BYTES" "$FILES" "$RUNS" \
    "$(restic version | cut -d' ' -f1-2)" "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB" \
    "${M365VAULT_INGEST_ARGS:-}" "$LOAD_BEFORE" "$LOAD_AFTER" <<'EOF'
import json, statistics, sys
logs, out, size, data_bytes, files, runs, restic, rev, machine, args, load0, load1 = sys.argv[1:]
data_bytes, runs = int(data_bytes), int(runs)

def timing(path):
    wall = rss = None
    cpu = 0.0
    for line in open(path):
        key, _, value = line.strip().rpartition(": ")
        if key.startswith("Elapsed (wall clock)"):
            parts = [float(p) for p in value.split(":")]
            wall = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
        elif key in ("User time (seconds)", "System time (seconds)"):
            cpu += float(value)
        elif key == "Maximum resident set size (kbytes)":
            rss = int(value) / 1024
    return wall, cpu, rss

steps = ["m365vault-first", "m365vault-skip", "m365vault-reread", "restic-first", "restic-skip", "restic-reread"]
runs_of = {n: [timing(f"{logs}/run{r}/{n}.time") for r in range(1, runs + 1)] for n in steps}
med = statistics.median
wall = {n: med(x[0] for x in v) for n, v in runs_of.items()}
cpu = {n: med(x[1] for x in v) for n, v in runs_of.items()}
peak = {n: max(x[2] for x in v) for n, v in runs_of.items()}
sizes = {n: [int(open(f"{logs}/run{r}/{n}.size").read()) for r in range(1, runs + 1)]
         for n in ["m365vault-first", "m365vault-reread", "restic-first", "restic-reread"]}
stored = {n: med(v) for n, v in sizes.items()}
mbs = lambda n: data_bytes / 1e6 / wall[n]
mb = lambda b: b / 1e6
ds = f"{size} GB ({files} files)"
rows = [
    "| tool | data set | first ingest MB/s | re-ingest MB/s, skipping unchanged | re-ingest MB/s, re-reading | peak RSS MB | stored size MB | stored / restic |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
]
for tool in ("m365vault", "restic"):
    s = stored[tool + "-first"]
    rows.append(
        f"| {tool} | {ds} | {mbs(tool + '-first'):.0f} | {mbs(tool + '-skip'):.0f} | {mbs(tool + '-reread'):.0f} "
        f"| {max(peak[n] for n in steps if n.startswith(tool)):.0f} | {mb(s):.0f} | {s / stored['restic-first']:.3f} |"
    )
detail = [
    "",
    "| step | wall s (median) | wall s (each run) | CPU s user+sys (median) | MB/s | peak RSS MB (each run) |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
]
for n in steps:
    each = " / ".join(f"{x[0]:.2f}" for x in runs_of[n])
    rss = " / ".join(f"{x[2]:.0f}" for x in runs_of[n])
    detail.append(f"| {n} | {wall[n]:.2f} | {each} | {cpu[n]:.2f} | {mbs(n):.0f} | {rss} |")
firsts = [json.loads(open(f"{logs}/run{r}/m365vault-first.out").read().strip().splitlines()[-1]) for r in range(1, runs + 1)]
notes = [
    "",
    f"Data set: {data_bytes / 1e9:.3f} GB in {files} files. Machine: {machine}; load average {load0} before, {load1} after. "
    f"{restic} (repository v2, compression auto); m365vault {rev} (zstd 3, 16 MiB packs; example options: {args or 'defaults'}). "
    f"{runs} runs, each with new repositories, the tools taking turns to go first. "
    "MB = 10^6 bytes; MB/s = data set bytes / median wall time, including key derivation and index loading. "
    "The data set is in the page cache for every step; nothing is dropped from it.",
    "Stored size after the first ingest, each run: m365vault " + " / ".join(f"{mb(x):.0f}" for x in sizes["m365vault-first"])
    + " MB, restic " + " / ".join(f"{mb(x):.0f}" for x in sizes["restic-first"])
    + " MB (each repository has its own random chunker seed, so deduplication differs a little). After all three ingests: m365vault "
    + " / ".join(f"{mb(x):.0f}" for x in sizes["m365vault-reread"]) + " MB, restic "
    + " / ".join(f"{mb(x):.0f}" for x in sizes["restic-reread"]) + " MB.",
    "m365vault first ingest, new chunks / new bytes / stored bytes: "
    + "; ".join(f"{f['new_chunks']} / {f['new_bytes']} / {f['stored_bytes']}" for f in firsts) + ".",
]
text = "\n".join(rows + detail + notes) + "\n"
open(out, "w").write(text)
print(text)
EOF

if [[ -z ${KEEP:-} ]]; then
    rm -rf "$M_REPO" "$R_REPO" "$RESTIC_CACHE_DIR"
fi
echo "results: $RESULTS" >&2
