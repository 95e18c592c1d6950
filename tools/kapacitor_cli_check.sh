#!/usr/bin/env bash
# Drives a running `condenser serve` with Kapacitor's own `kapacitor` CLI and compares what
# it prints with what `condenser`'s verbs print: the issue's scenario (define, list tasks,
# enable, a write, show with its DOT graph, disable, delete). Not part of CI: the CLI is
# built from Kapacitor's source by ../shared/kapacitor-oracle/build-peer.sh (CLI_ONLY=1).
#
# usage: tools/kapacitor_cli_check.sh KAPACITOR CONDENSER
set -euo pipefail
kapacitor=${1:?usage: kapacitor_cli_check.sh KAPACITOR CONDENSER}
condenser=${2:?usage: kapacitor_cli_check.sh KAPACITOR CONDENSER}
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
"$condenser" serve --bind 127.0.0.1:0 --data-dir "$dir/data" > "$dir/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
    url=$(sed -n 's/^Condenser listening on //p' "$dir/serve.log")
    [ -n "$url" ] && break
    sleep 0.1
done
cat > "$dir/http-alert.tick" <<TICK
stream
    |from().measurement('http_response')
    |groupBy('host')
    |window().period(10s).every(10s)
    |mean('result_code')
    |alert()
        .warn(lambda: "mean" > 0)
        .message('{{ index .Tags "host" }} looks down')
        .log('$dir/alerts.log')
TICK
k() { "$kapacitor" -url "$url" "$@"; }
c() { "$condenser" -url "$url" "$@"; }
k define http-alert -tick "$dir/http-alert.tick" -dbrp telegraf.autogen
diff <(k list tasks) <(c list tasks)
k enable http-alert
curl -sf -XPOST "$url/write?db=telegraf&precision=s" --data-binary \
    $'http_response,host=web1 result_code=1 0\nhttp_response,host=web1 result_code=1 10\n'
sleep 0.5
grep -q '"message":"web1 looks down"' "$dir/alerts.log"
diff <(k show http-alert) <(c show http-alert)
k list tasks
k show http-alert
k disable http-alert
diff <(k show http-alert) <(c show http-alert)
k delete tasks http-alert
if k show http-alert 2>"$dir/err"; then exit 1; fi
diff "$dir/err" <(c show http-alert 2>&1 || true)
echo "kapacitor and condenser print the same"
