set -u
log="${TERMINATION_LOG:-/dev/termination-log}"
trap 'curl -s -X POST http://127.0.0.1:15020/quitquitquit >/dev/null 2>&1' EXIT
fetch() {
  (
    if [ -n "${VERIFY_HEADERS:-}" ]; then
      while IFS= read -r h; do set -- -H "$h" "$@"; done <<HEADERS
$VERIFY_HEADERS
HEADERS
    fi
    if [ -n "${VERIFY_CACERT:-}" ]; then set -- --cacert "$VERIFY_CACERT" "$@"; fi
    curl -s --max-time "${VERIFY_TIMEOUT:-5}" "$@"
  )
}
# A TCP check (VERIFY_URL tcp://<host>:<port>): one line sent, the echo read back; no answer is status 000.
tcp() {
  hp=${VERIFY_URL#tcp://}
  (printf '%s\n' "$VERIFY_TCP_SEND"; sleep 1) | nc -w 2 "${hp%:*}" "${hp##*:}" 2>/dev/null
}
# One request: its body, then `@status=<code> @time=<seconds>`.
request() {
  if [ -n "${VERIFY_TCP_SEND:-}" ]; then
    b=$(tcp)
    if [ -n "$b" ]; then printf '%s\n@status=200 @time=0' "$b"; else printf '\n@status=000 @time=0'; fi
  else
    fetch -w '
@status=%{http_code} @time=%{time_total}' "$VERIFY_URL"
  fi
}
# Ready: the route answers 2xx, or, for a check of an injected fault or a refusal, a status it answers with (a list: any of them).
ready() {
  if [ -n "${VERIFY_TCP_SEND:-}" ]; then
    if [ -n "$(tcp)" ]; then s=200; else s=000; fi
  else
    s=$(fetch -o /dev/null -w '%{http_code}' "$VERIFY_URL")
  fi
  if [ -n "${VERIFY_READY_STATUS:-}" ]; then case ",$VERIFY_READY_STATUS," in *",$s,"*) true ;; *) false ;; esac; else case "$s" in 2??) true ;; *) false ;; esac; fi
}
# Requests the caller's own proxy completed to a cluster (a mirror target's, the egress gateway's), from its statistics.
completed() {
  curl -s http://127.0.0.1:15000/stats | grep -F "cluster.$1" | grep -F '.upstream_rq_completed: ' | awk -F': ' '{ n += $2 } END { print n + 0 }'
}
# Requests the caller's own proxy reported in Istio's standard metric (reporter "source") with a destination principal
# matching $1 (an extended regular expression): the identity the server's certificate proved, `unknown` without mTLS.
peered() {
  curl -s http://127.0.0.1:15000/stats/prometheus | grep '^istio_requests_total{' | grep -F 'reporter="source"' | grep -E "destination_principal=\"$1\"" | awk '{ n += $NF } END { print n + 0 }'
}
# The count a check asks of the caller's proxy: by destination principal, or by cluster.
counter() {
  if [ -n "${VERIFY_COMPLETED_PEER:-}" ]; then peered "$VERIFY_COMPLETED_PEER"; else completed "$VERIFY_COMPLETED_CLUSTER"; fi
}
# One bounded wait for the stage: 3 minutes by the clock, however long each try takes.
deadline=$(( $(date +%s) + 180 ))
until ready; do
  if [ "$(date +%s)" -ge "$deadline" ]; then echo "FAIL $VERIFY_NAME: $VERIFY_URL did not answer as the stage does within 3 minutes" | tee "$log"; exit 1; fi
  sleep 2
done
started=$(date +%s)
# An answer matches an expectation by the text its body contains, or by a measurement:
# `@status=<code>[,<code>...]` (any of them), `@time>=<seconds>`, `@time<<seconds>` (curl's time_total), joined by `&`.
# `@status=504&time<1.5`: every part must hold.
matches() {
  case "$1" in
    @*\&*) matches "${1%%&*}" && matches "@${1#*&}" ;;
    @status=*) case ",${1#@status=}," in *",$status,"*) true ;; *) false ;; esac ;;
    @time\>=*) awk -v t="$time" -v m="${1#@time>=}" 'BEGIN { exit !(t + 0 >= m + 0) }' ;;
    @time\<*) awk -v t="$time" -v m="${1#@time<}" 'BEGIN { exit !(t + 0 < m + 0) }' ;;
    *) case "$body" in *"$1"*) true ;; *) false ;; esac ;;
  esac
}
k=0
while IFS='|' read -r version contains lo hi share; do eval "c$k=0"; k=$((k+1)); done <<EXPECT
$VERIFY_EXPECT
EXPECT
other=0; over=""
# Counts one answer ($body, $status, $time) for the first expectation it matches; `over` once a count passes its
# highest bound or an answer matches none: the check has failed, whatever the rest of the answers.
count() {
  k=0; hit=""
  while IFS='|' read -r version contains lo hi share; do
    if matches "$contains"; then eval "c$k=\$((c$k+1)); [ \$c$k -le $hi ] || over=1"; hit=1; break; fi
    k=$((k+1))
  done <<EXPECT
$VERIFY_EXPECT
EXPECT
  [ -n "$hit" ] || { other=$((other+1)); over=1; }
}
if [ -n "${VERIFY_COMPLETED:-}" ]; then
  cname=$VERIFY_COMPLETED; clo=${VERIFY_COMPLETED_RANGE% *}; chi=${VERIFY_COMPLETED_RANGE#* }
  # The readiness wait's own requests are mirrored too, after their answers: the baseline is taken once the count
  # stands still for a second (at most 10 s), so a late copy is not counted as one of the check's.
  before=$(counter); w=0
  while [ "$w" -lt 10 ]; do
    sleep 1; now=$(counter)
    [ "$now" = "$before" ] && break
    before=$now; w=$((w+1))
  done
fi
if [ -n "${VERIFY_PARALLEL:-}" ]; then
  # All requests at once, VERIFY_PARALLEL at a time: only their statuses and times are counted.
  i=0
  while [ "$i" -lt "$VERIFY_REQUESTS" ]; do set -- "$@" -o /dev/null "$VERIFY_URL"; i=$((i+1)); done
  codes=$(fetch --parallel --parallel-immediate --parallel-max "$VERIFY_PARALLEL" -w '%{http_code} %{time_total}\n' "$@" || true)
  body=""
  while read -r status time; do [ -n "$status" ] && count; done <<CODES
$codes
CODES
else
  i=0
  while [ "$i" -lt "$VERIFY_REQUESTS" ]; do
    i=$((i+1))
    out=$(request || true)
    trailer=${out##*@status=}
    status=${trailer%% *}
    time=${out##*@time=}
    body=${out%@status=*}
    count
    # A failed check fails at once: the remaining requests cannot make it pass.
    [ -z "$over" ] || break
  done
fi
measured=""; expected=""; ok=1; k=0
while IFS='|' read -r version contains lo hi share; do
  eval "n=\$c$k"
  measured="$measured$version=$n "
  # A bound rather than a share (at least one, at most a rate limit's tokens) has no share: `-`.
  case "$share" in -) note="" ;; *) note=" (share $share)" ;; esac
  expected="$expected${expected:+, }$version in [$lo, $hi]$note"
  if [ "$n" -lt "$lo" ] || [ "$n" -gt "$hi" ]; then ok=0; fi
  k=$((k+1))
done <<EXPECT
$VERIFY_EXPECT
EXPECT
measured="${measured}other=$other"
[ "$other" -eq 0 ] || ok=0
if [ -n "${VERIFY_WITHIN:-}" ]; then
  # A bound that holds only within a time window (a rate limit's fill interval) says nothing about a slower run.
  took=$(( $(date +%s) - started ))
  if [ "$took" -ge "$VERIFY_WITHIN" ]; then
    echo "FAIL $VERIFY_NAME: the requests took ${took}s, not under ${VERIFY_WITHIN}s: the bounds hold only within that time (measured $measured)" | tee "$log"
    exit 1
  fi
fi
if [ -n "${VERIFY_COMPLETED:-}" ]; then
  # Mirrored requests are sent after the answer: wait up to 10 s for the last of them (requests through a gateway are counted already).
  w=0
  while :; do
    counted=$(( $(counter) - before ))
    if [ "$counted" -ge "$clo" ] || [ "$w" -ge 10 ]; then break; fi
    w=$((w+1)); sleep 1
  done
  measured="$measured $cname=$counted"
  expected="$expected, $cname in [$clo, $chi]"
  if [ "$counted" -lt "$clo" ] || [ "$counted" -gt "$chi" ]; then ok=0; fi
fi
if [ "$ok" -eq 1 ]; then echo "PASS $VERIFY_NAME: $measured"; exit 0; fi
if [ -n "$over" ] && [ -z "${VERIFY_PARALLEL:-}" ] && [ "$i" -lt "$VERIFY_REQUESTS" ]; then sent=" (stopped after $i: already out of bounds)"; else sent=""; fi
echo "FAIL $VERIFY_NAME: expected $VERIFY_DESCRIBES: of $VERIFY_REQUESTS requests to $VERIFY_URL, $expected, other answers 0; a correct mesh fails this check with probability below $VERIFY_ALPHA; measured $measured$sent" | tee "$log"
exit 1
