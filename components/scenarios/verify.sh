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
    curl -s --max-time "${VERIFY_TIMEOUT:-5}" "$@"
  )
}
# Ready: the route answers 2xx, or, for a check of an injected fault, the status the fault answers with.
ready() {
  if [ -n "${VERIFY_READY_STATUS:-}" ]; then
    [ "$(fetch -o /dev/null -w '%{http_code}' "$VERIFY_URL")" = "$VERIFY_READY_STATUS" ]
  else
    fetch -f -o /dev/null "$VERIFY_URL"
  fi
}
tries=0
until ready; do
  tries=$((tries+1))
  if [ "$tries" -ge 90 ]; then echo "FAIL $VERIFY_NAME: $VERIFY_URL did not answer within 3 minutes" | tee "$log"; exit 1; fi
  sleep 2
done
# An answer matches an expectation by the text its body contains, or by a measurement:
# `@status=<code>`, `@time>=<seconds>`, `@time<<seconds>` (curl's time_total), joined by `&`.
# `@status=504&time<1.5`: every part must hold.
matches() {
  case "$1" in
    @*\&*) matches "${1%%&*}" && matches "@${1#*&}" ;;
    @status=*) [ "$status" = "${1#@status=}" ] ;;
    @time\>=*) awk -v t="$time" -v m="${1#@time>=}" 'BEGIN { exit !(t + 0 >= m + 0) }' ;;
    @time\<*) awk -v t="$time" -v m="${1#@time<}" 'BEGIN { exit !(t + 0 < m + 0) }' ;;
    *) case "$body" in *"$1"*) true ;; *) false ;; esac ;;
  esac
}
k=0
while IFS='|' read -r version contains lo hi share; do eval "c$k=0"; k=$((k+1)); done <<EXPECT
$VERIFY_EXPECT
EXPECT
other=0; i=0
while [ "$i" -lt "$VERIFY_REQUESTS" ]; do
  i=$((i+1))
  out=$(fetch -w '
@status=%{http_code} @time=%{time_total}' "$VERIFY_URL" || true)
  trailer=${out##*@status=}
  status=${trailer%% *}
  time=${out##*@time=}
  body=${out%@status=*}
  k=0; hit=""
  while IFS='|' read -r version contains lo hi share; do
    if matches "$contains"; then eval "c$k=\$((c$k+1))"; hit=1; break; fi
    k=$((k+1))
  done <<EXPECT
$VERIFY_EXPECT
EXPECT
  [ -n "$hit" ] || other=$((other+1))
done
measured=""; expected=""; ok=1; k=0
while IFS='|' read -r version contains lo hi share; do
  eval "n=\$c$k"
  measured="$measured$version=$n "
  expected="$expected${expected:+, }$version in [$lo, $hi] (share $share)"
  if [ "$n" -lt "$lo" ] || [ "$n" -gt "$hi" ]; then ok=0; fi
  k=$((k+1))
done <<EXPECT
$VERIFY_EXPECT
EXPECT
measured="${measured}other=$other"
[ "$other" -eq 0 ] || ok=0
if [ "$ok" -eq 1 ]; then echo "PASS $VERIFY_NAME: $measured"; exit 0; fi
echo "FAIL $VERIFY_NAME: expected $VERIFY_DESCRIBES: of $VERIFY_REQUESTS requests to $VERIFY_URL, $expected, other answers 0; a correct mesh fails this check with probability below $VERIFY_ALPHA; measured $measured" | tee "$log"
exit 1
