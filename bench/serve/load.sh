#!/usr/bin/env bash
# Load test of `mulan serve` with wrk.
#
#   bench/serve/load.sh MULAN_CLI LIBRARY [DURATION_S=20] [search|similar]
#
# Starts `MULAN_CLI serve --index LIBRARY` on 127.0.0.1 (a free port), runs
#   wrk -t2 -c16 -dDURATION_Ss --latency -s queries.lua URL -- MODE [TRACKS]
# (search: GET /api/search?q=...&k=10 with one of 50 music descriptions per request;
#  similar: GET /api/similar?id=I&k=10 with I random in 1..TRACKS), prints wrk's report and a
# summary (requests/s, p50, p99, errors including non-2xx answers), then stops the server with
# SIGTERM and checks that it exits 0.
#
# Environment: WRK_THREADS (2), WRK_CONNECTIONS (16), SERVE_ARGS (extra `mulan serve` flags,
# e.g. "--threads 4"), MULAN_SERVE_TOKEN (start the server with --token and send it).
# Exit status: 0 when the run had no errors and the server stopped cleanly, 1 otherwise,
# 2 on a usage or setup problem (no wrk, the server did not start).
set -euo pipefail

usage() { echo "usage: $0 MULAN_CLI LIBRARY [DURATION_S=20] [search|similar]" >&2; exit 2; }
[[ $# -ge 2 && $# -le 4 ]] || usage
CLI=$1
LIB=$2
DUR=${3:-20}
MODE=${4:-search}
THREADS=${WRK_THREADS:-2}
CONNS=${WRK_CONNECTIONS:-16}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

[[ -x $CLI ]] || { echo "$0: $CLI is not an executable" >&2; exit 2; }
[[ -d $LIB ]] || { echo "$0: $LIB is not a library folder" >&2; exit 2; }
[[ $DUR =~ ^[1-9][0-9]*$ ]] || { echo "$0: DURATION_S must be a positive integer, not '$DUR'" >&2; exit 2; }
[[ $MODE == search || $MODE == similar ]] || { echo "$0: mode must be search or similar, not '$MODE'" >&2; exit 2; }
if ! command -v wrk >/dev/null 2>&1; then
  echo "$0: wrk is not installed (Debian/Ubuntu: apt-get install wrk)" >&2
  exit 2
fi

WORK=$(mktemp -d)
LOG=$WORK/serve.log
SERVER_PID=
cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SERVE=("$CLI" serve --index "$LIB" --host 127.0.0.1 --port 0)
AUTH=()
if [[ -n ${MULAN_SERVE_TOKEN:-} ]]; then
  SERVE+=(--token "$MULAN_SERVE_TOKEN")
  AUTH=(-H "Authorization: Bearer $MULAN_SERVE_TOKEN")
fi
# shellcheck disable=SC2206  # SERVE_ARGS is split on purpose
[[ -n ${SERVE_ARGS:-} ]] && SERVE+=($SERVE_ARGS)

"${SERVE[@]}" 2>"$LOG" &
SERVER_PID=$!

URL=
for _ in $(seq 1 600); do  # 60 s
  if line=$(grep -m1 -o 'listening on http://127\.0\.0\.1:[0-9]\+ ([0-9]\+ tracks\?)' "$LOG"); then
    URL=$(sed -E 's/^listening on (http:[^ ]+) .*/\1/' <<<"$line")
    TRACKS=$(sed -E 's/.*\(([0-9]+) tracks?\).*/\1/' <<<"$line")
    break
  fi
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
if [[ -z $URL ]]; then
  echo "$0: mulan serve did not start listening within 60 s; its stderr:" >&2
  cat "$LOG" >&2
  exit 2
fi
echo "server: $URL ($TRACKS tracks, pid $SERVER_PID); wrk -t$THREADS -c$CONNS -d${DUR}s, mode $MODE"

# One warm-up request, so that the first measured ones do not pay for lazy initialisation.
healthz() {
  exec 3<>"/dev/tcp/127.0.0.1/${URL##*:}" || return 1
  printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
  head -n1 <&3 | cut -d' ' -f2
  exec 3>&-
}
status=$(healthz || true)
[[ $status == 200 ]] || echo "warning: /healthz answered '${status}'" >&2

WRK_OUT=$WORK/wrk.txt
if [[ $MODE == similar ]]; then ARGS=(similar "$TRACKS"); else ARGS=(search); fi
wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" --latency --timeout 10s "${AUTH[@]}" -s "$HERE/queries.lua" "$URL" -- "${ARGS[@]}" \
  | tee "$WRK_OUT"

summary=$(grep -m1 '^summary:' "$WRK_OUT" || true)
[[ -n $summary ]] || { echo "$0: no summary line from queries.lua" >&2; exit 1; }
field() { sed -E "s/.* $1=([^ ]+).*/\1/" <<<"$summary"; }
errors=$(field errors)
non2xx=$(field non_2xx)

kill -TERM "$SERVER_PID"
rc=0
for _ in $(seq 1 200); do  # 20 s
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$SERVER_PID" 2>/dev/null; then
  echo "$0: the server did not exit within 20 s of SIGTERM" >&2
  kill -KILL "$SERVER_PID"
  rc=1
fi
wait "$SERVER_PID" || rc=$?
SERVER_PID=

echo
echo "== mulan serve load test ($MODE, ${DUR} s, $THREADS threads, $CONNS connections, $TRACKS tracks)"
printf '   requests/s  %s\n   p50         %s ms\n   p99         %s ms\n   errors      %s (socket) + %s (non-2xx)\n   server exit %s\n' \
  "$(field requests_per_s)" "$(field p50_ms)" "$(field p99_ms)" "$errors" "$non2xx" "$rc"
[[ $rc == 0 && $errors == 0 && $non2xx == 0 ]]
