#!/usr/bin/env bash
# Exchange backup benchmark against the simulator, with Microsoft's limits on.
#
#   bench/exchange.sh [USERS] [MAIL_SCALE] [LATENCY_MS] [THROTTLE]
#   bench/exchange.sh 100 0.1 20-200 on      # the defaults: limits bind as against Microsoft
#   bench/exchange.sh 100 0.1 0-0 off        # pure speed: items per second per core
#
# Starts `m365vault sim serve` (release build) in its own process with USERS users,
# mailboxes at MAIL_SCALE of a real tenant's sizes and Graph-like latency, adds a
# connector, backs up every mailbox (mail, calendars, contacts) under /usr/bin/time -v,
# changes 1% of the items through /_sim/mutate, and backs up again. Reports for each run:
# wall time, Graph requests, the share answered 429, requests per item, peak RSS of the
# backup process; for the full run also the minimum the limits allow:
#
#   minimum = max(busiest × mean_latency / 4, max(0, busiest − 10,000) × 600 s / 10,000)
#
# where `busiest` is the request count of the busiest mailbox (4 concurrent requests and
# 10,000 per 10 minutes per mailbox, the budget starting full as Microsoft's does) and
# mean_latency the mean of the simulator's log-uniform latency. Writes the Markdown
# table to WORKDIR/results-exchange.md (WORKDIR: /work/bench-data/exchange).
set -euo pipefail

USERS=${1:-100}
SCALE=${2:-0.1}
LATENCY=${3:-20-200}
THROTTLE=${4:-on}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/release/m365vault
WORK=${WORKDIR:-/work/bench-data/exchange}

cargo build --release -p m365vault --manifest-path "$ROOT/Cargo.toml" >&2
rm -rf "$WORK" && mkdir -p "$WORK"
export M365VAULT_DATA_DIR=$WORK/data
export M365VAULT_REPO=$WORK/repo
export M365VAULT_PASSPHRASE=bench-passphrase

"$BIN" sim serve --users "$USERS" --seed 42 --mail-scale "$SCALE" --latency-ms "$LATENCY" \
    --throttle "$THROTTLE" --credentials-out "$WORK/creds.json" >"$WORK/sim.out" 2>"$WORK/sim.err" &
SIM=$!
trap 'kill $SIM 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$WORK/sim.out" ] && break; sleep 0.1; done
URL=$(head -1 "$WORK/sim.out")

python3 - "$WORK/creds.json" "$WORK/secret" >"$WORK/connector.args" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
app = c["apps"]["full"]
open(sys.argv[2], "w").write(app["client_secret"])
print(c["tenant_id"], app["client_id"], c["authority_url"])
EOF
read -r TENANT CLIENT AUTHORITY <"$WORK/connector.args"
"$BIN" connector add bench --tenant-id "$TENANT" --client-id "$CLIENT" --authority-url "$AUTHORITY" \
    --graph-url "$URL" --client-secret-file "$WORK/secret" >/dev/null
"$BIN" repo init >/dev/null

run() { # NAME
    /usr/bin/time -v "$BIN" backup run --connector bench --all --json >"$WORK/$1.json" 2>"$WORK/$1.time" || true
}

run full
# 1% of the items change: a quarter added, modified, moved (messages) and deleted.
python3 - "$URL" <<'EOF'
import json, sys, urllib.request
url = sys.argv[1]
summary = json.load(urllib.request.urlopen(url + "/_sim/truth/summary?mailboxes=true"))
total = sum(m["messages"] + m["events"] + m["contacts"] for m in summary["mailboxes"])
n = max(4, total // 100)
body = {"seed": 1, "add": n // 4, "modify": n // 4, "move": n // 4, "delete": n - 3 * (n // 4),
        "kinds": ["message", "event", "contact"]}
req = urllib.request.Request(url + "/_sim/mutate", data=json.dumps(body).encode(),
                             headers={"content-type": "application/json"})
json.load(urllib.request.urlopen(req))
print(f"items in the tenant: {total}; changed: {n}", file=sys.stderr)
EOF
run incremental

python3 - "$WORK" "$LATENCY" "$THROTTLE" "$USERS" "$SCALE" <<'EOF' | tee "$WORK/results-exchange.md"
import json, math, re, sys
work, latency, throttle, users, scale = sys.argv[1:6]
lo, hi = (float(x) for x in latency.split("-"))
mean = 0.0 if hi == 0 else (hi if lo == hi else (hi - lo) / math.log(hi / max(lo, 0.001)))
def time_of(name):
    text = open(f"{work}/{name}.time").read()
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    parts = [float(p) for p in wall.split(":")]
    secs = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    user = float(re.search(r"User time \(seconds\): (\S+)", text).group(1))
    system = float(re.search(r"System time \(seconds\): (\S+)", text).group(1))
    return secs, rss, user + system
print(f"Simulated tenant: {users} users, mail scale {scale}, latency {latency} ms (mean {mean:.0f} ms), limits {throttle}.\n")
print("| run | status | items | read | requests | 429s | requests/item read | wall | minimum | ratio | CPU s | peak RSS |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
full_requests = None
for name in ["full", "incremental"]:
    s = json.load(open(f"{work}/{name}.json"))
    wall, rss, cpu = time_of(name)
    busiest = s["busiest_mailbox_requests"]
    minimum = max(busiest * mean / 1000 / 4, max(0, busiest - 10000) * 600 / 10000) if throttle == "on" else 0
    ratio = f"{wall / minimum:.2f}×" if minimum > 0 else "–"
    share = 100 * s["throttled"] / max(1, s["requests"])
    per_item = s["requests"] / max(1, s["items_read"])
    print(f"| {name} | {s['status']} | {s['items']} | {s['items_read']} | {s['requests']} | {s['throttled']} ({share:.2f}%) "
          f"| {per_item:.2f} | {wall:.1f} s | {minimum:.1f} s | {ratio} | {cpu:.1f} | {rss / 1024:.0f} MB |")
    if name == "full":
        full_requests = s["requests"]
        items_per_cpu_s = s["items_read"] / max(cpu, 0.001)
    else:
        print(f"\nIncremental run: {100 * s['requests'] / full_requests:.1f}% of the full run's requests.")
print(f"Full run: {items_per_cpu_s:.0f} items read per CPU second of the backup process.")
EOF
