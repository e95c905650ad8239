#!/usr/bin/env bash
# OneDrive backup benchmark against the simulator.
#
#   bench/drives.sh [LARGE_GIB] [SMALL_USERS] [LIMITS_USERS]
#   bench/drives.sh 10 10 20      # the defaults
#
# Three parts, each with its own simulator (release builds, loopback, no latency):
#
# "Limits off": the simulator does not throttle and the backup's resource-unit budget is
# lifted (--resource-units-per-minute), so the backup's own work is measured.
#
# 1. Large file, limits off: one file of LARGE_GIB GiB in a user's OneDrive. The ceiling
#    is the same bytes read over the same HTTP stack with no processing
#    (crates/engine/examples/drive_ceiling.rs: /content, then the download URL, bytes
#    discarded); then `backup run --data onedrive` of that user under /usr/bin/time -v
#    (peak RSS). Reported: MB/s of both, their ratio, peak RSS.
# 2. Many small files, limits off: SMALL_FILES files (2 KiB–1 MiB, evenly on a log
#    scale) spread over SMALL_USERS users' otherwise nearly empty OneDrives. The ceiling
#    reads every file 32 at a time; the backup runs with its defaults (budget lifted). Reported: files
#    per second of both.
# 3. Limits on: LIMITS_USERS users' OneDrives at a fifth of real sizes against the
#    simulator's SharePoint resource-unit limits (the tier of the tenant's licence
#    count). Reported: run time against the minimum the budget allows,
#      minimum = max(0, RU − per_minute) / per_minute × 60 s
#    (the budget starts full, as Microsoft's does), RU as the simulator counted them,
#    and the share of requests answered 429/503.
#
# Writes the Markdown table to WORKDIR/results-drives.md (WORKDIR: /work/bench-data/drives).
set -euo pipefail

LARGE_GIB=${1:-10}
SMALL_USERS=${2:-10}
SMALL_FILES=${SMALL_FILES:-20000}  # small files spread over the SMALL_USERS OneDrives
LIMITS_USERS=${3:-20}
PARTS=${PARTS:-large,small,limits}   # which parts to run
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/release/m365vault
CEILING=$TARGET/release/examples/drive_ceiling
WORK=${WORKDIR:-/work/bench-data/drives}

cargo build --release -p m365vault --manifest-path "$ROOT/Cargo.toml" >&2
cargo build --release -p m365vault-engine --example drive_ceiling --manifest-path "$ROOT/Cargo.toml" >&2
rm -rf "$WORK" && mkdir -p "$WORK"
export M365VAULT_PASSPHRASE=bench-passphrase

SIM=
trap '[ -n "$SIM" ] && kill $SIM 2>/dev/null || true' EXIT

start_sim() { # PART THROTTLE USERS DRIVE_SCALE
    local dir=$WORK/$1
    mkdir -p "$dir"
    [ -n "$SIM" ] && kill $SIM 2>/dev/null && wait $SIM 2>/dev/null || true
    "$BIN" sim serve --users "$3" --seed 42 --mail-scale 0.01 --drive-scale "$4" --throttle "$2" \
        --credentials-out "$dir/creds.json" >"$dir/sim.out" 2>"$dir/sim.err" &
    SIM=$!
    for _ in $(seq 100); do [ -s "$dir/sim.out" ] && break; sleep 0.1; done
    URL=$(head -1 "$dir/sim.out")
    python3 - "$dir/creds.json" "$dir/secret" >"$dir/connector.args" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
app = c["apps"]["full"]
open(sys.argv[2], "w").write(app["client_secret"])
print(c["tenant_id"], app["client_id"], c["authority_url"])
EOF
    read -r TENANT CLIENT AUTHORITY <"$dir/connector.args"
    export M365VAULT_DATA_DIR=$dir/data M365VAULT_REPO=$dir/repo
    "$BIN" connector add bench --tenant-id "$TENANT" --client-id "$CLIENT" --authority-url "$AUTHORITY" \
        --graph-url "$URL" --client-secret-file "$dir/secret" --data-types onedrive,sharepoint >/dev/null
    "$BIN" repo init >/dev/null
}

onedrives() { # the users with a OneDrive, comma-separated
    python3 -c "import json,sys,urllib.request; s=json.load(urllib.request.urlopen(sys.argv[1]+'/_sim/truth/summary')); print(','.join(d['userPrincipalName'] for d in s['oneDrives']))" "$URL"
}

ceiling() { # PART UPNS
    local dir=$WORK/$1
    "$CEILING" "$URL" "$AUTHORITY" "$TENANT" "$CLIENT" "$dir/secret" "$2" >"$dir/ceiling.json"
}

backup() { # PART ARGS…
    local part=$1; shift
    /usr/bin/time -v "$BIN" backup run --connector bench --data onedrive "$@" --json \
        >"$WORK/$part/backup.json" 2>"$WORK/$part/backup.time" || true
}

want() { [[ ",$PARTS," == *",$1,"* ]]; }

# 1. One large file, limits off.
if want large; then
start_sim large off 2 0.001
USER1=$(onedrives | cut -d, -f1)
python3 - "$URL" "$USER1" "$LARGE_GIB" <<'EOF'
import json, sys, urllib.request
url, user, gib = sys.argv[1], sys.argv[2], float(sys.argv[3])
body = {"user": user, "path": "/Videos/large.mp4", "size": int(gib * 2**30), "seed": 7}
req = urllib.request.Request(url + "/_sim/files", data=json.dumps(body).encode(),
                             headers={"content-type": "application/json"})
json.load(urllib.request.urlopen(req))
EOF
ceiling large "$USER1"
backup large --users "$USER1" --resource-units-per-minute 100000000
fi

# 2. Many small files, limits off.
if want small; then
start_sim small off "$SMALL_USERS" 0.001
python3 - "$URL" "$(onedrives)" "$SMALL_FILES" <<'EOF'
import http.client, json, random, sys, urllib.parse
url, users, total = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])
u = urllib.parse.urlsplit(url)
conn = http.client.HTTPConnection(u.hostname, u.port)
rng = random.Random(42)
for i in range(total):
    # Office documents, PDFs and images: 2 KiB to 1 MiB, evenly on a log scale.
    size = int(2 ** rng.uniform(11, 20))
    body = {"user": users[i % len(users)], "path": f"/Documents/Projects/{i % 50}/doc-{i}.docx",
            "size": size, "seed": i}
    conn.request("POST", "/_sim/files", json.dumps(body), {"content-type": "application/json"})
    r = conn.getresponse(); r.read()
    if r.status >= 300:
        sys.exit(f"POST /_sim/files: {r.status}")
EOF
ceiling small "$(onedrives)"
backup small --all --resource-units-per-minute 100000000
fi

# 3. Limits on.
if want limits; then
start_sim limits on "$LIMITS_USERS" 0.2
backup limits --all
curl -s "$URL/_sim/stats" >"$WORK/limits/stats.json"
fi

python3 - "$WORK" "$LARGE_GIB" "$SMALL_USERS" "$LIMITS_USERS" <<'EOF' | tee "$WORK/results-drives.md"
import json, re, sys
work, gib, small_users, limits_users = sys.argv[1:5]
def load(part, name):
    return json.load(open(f"{work}/{part}/{name}"))
def rss_mb(part):
    t = open(f"{work}/{part}/backup.time").read()
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024
def wall(part):
    t = open(f"{work}/{part}/backup.time").read()
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", t)
    h, m_, s = m.groups()
    return int(h or 0) * 3600 + int(m_) * 60 + float(s)
import os
print("| part | measure | m365vault | ceiling | ratio |")
print("| --- | --- | --- | --- | --- |")
have = lambda part: os.path.exists(f"{work}/{part}/backup.json")
if have("large"):
  c, b = load("large", "ceiling.json"), load("large", "backup.json")
  mb = lambda n, s: n / 2**20 / s
  ours = mb(b["bytes"], b["seconds"])
  top = mb(c["bytes"], c["seconds"])
  print(f"| large file ({gib} GiB), limits off | MB/s | {ours:.0f} | {top:.0f} | {ours/top:.0%} |")
  print(f"| large file | peak RSS of the backup | {rss_mb('large'):.0f} MB | | |")
if have("small"):
  c, b = load("small", "ceiling.json"), load("small", "backup.json")
  files = c["files"]
  print(f"| {files} small files ({small_users} OneDrives, {c['bytes']/2**20:.0f} MiB), limits off | files/s | {files / b['seconds']:.0f} | {files / c['seconds']:.0f} | {c['seconds']/b['seconds']:.0%} |")
  print(f"| small files | peak RSS | {rss_mb('small'):.0f} MB | | |")
if have("limits"):
  b, st = load("limits", "backup.json"), load("limits", "stats.json")
  ru, per_min = st["sharepoint_ru"], b["resource_units_per_minute"]
  minimum = max(0, ru - per_min) / per_min * 60
  throttled = st.get("sharepoint_throttled", 0)
  print(f"| limits on ({limits_users} OneDrives, {b['items']} items) | run time | {b['seconds']:.0f} s | minimum {minimum:.0f} s ({ru} RU at {per_min}/min) | {b['seconds']/max(minimum,1e-9):.2f}× |")
  print(f"| limits on | 429/503 | {throttled} of {b['requests']} requests | | |")
EOF
