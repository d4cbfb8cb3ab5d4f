#!/bin/bash
# System test: loom-inp's crash safety (issue 11). A burst of 200 creates
# and deletes through loomctl by two tenants, with loom-inp killed by
# SIGKILL at 5 to 10 random points (seeded: LOOM_CRASH_SEED replays a
# run), each time while three calls are in flight, and restarted on the
# same store. Afterwards:
#   - the store passes PRAGMA integrity_check after the last SIGKILL;
#   - every create and delete loomctl saw acknowledged survived; every
#     call in flight at a crash either happened wholly or not at all;
#   - every VNet is in a defined state (store and API);
#   - nothing is leaked or double-booked: no reservation of a VNet that
#     is not live, tags unique per link and equal to the manifests' hops,
#     the substrate's totals (API) equal the sums of the live VNets'
#     reservations (store) and their requests' CPU, all within capacity;
#   - deleting everything brings every total back to zero.
. "${LOOM_SOURCE_DIR:-$(dirname "$0")/../../..}/tests/system/lib.sh"
. "${LOOM_SOURCE_DIR:-$(dirname "$0")/../../..}/tests/system/inp/inp_lib.sh"

inp_init crash
PLAN=11
tap_plan $PLAN

SEED=${LOOM_CRASH_SEED:-$(date +%s)}
OPERATIONS=${LOOM_CRASH_OPERATIONS:-200}
RANDOM=$SEED
echo "# seed $SEED (LOOM_CRASH_SEED=$SEED replays this run)"
CHECK="$LOOM_SOURCE_DIR/tests/system/inp/inp_crash_check.py"

inp_substrate 30 --seed 5 >"$INP_TMP/substrate.yaml"
tap_check "loom-inp starts on 127.0.0.1 port 0" inp_start "$INP_TMP/substrate.yaml"
if [ -z "$INP_PID" ]; then
	while [ "$SYS_TAP_COUNT" -lt $PLAN ]; do tap_not_ok "no daemon"; done
	exit 1
fi
TOKENS=("$(new_tenant alice)" "$(new_tenant bob)")

# The requests, generated once: 2 to 4 nodes of 0.25, 0.5 or 1 core,
# joined by a random tree; "cores" is what the VNet must hold.
mkdir -p "$INP_TMP/requests"
python3 - "$INP_GEN" "$INP_TMP/requests" "$OPERATIONS" "$SEED" <<'EOF' >"$INP_TMP/requests/index"
import importlib.util, random, sys
spec = importlib.util.spec_from_file_location("inp_gen", sys.argv[1])
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)
rng = random.Random(int(sys.argv[4]))
for i in range(int(sys.argv[3])):
    nodes = rng.randint(2, 4)
    cpu = rng.choice(["0.25", "0.5", "1"])
    with open("%s/c%d.xml" % (sys.argv[2], i), "w") as out:
        out.write(gen.request(nodes, seed=i, name="c%d" % i, cpu=cpu))
    print(i, nodes * float(cpu))
EOF
declare -A CORES=()
while read -r i cores; do CORES[$i]=$cores; done <"$INP_TMP/requests/index"

# What loomctl saw acknowledged: id -> cores, id -> owner (token index).
declare -A LIVE=() OWNER=()
declare -A DELETED=()      # acknowledged deletes: id -> owner
declare -A MAYBE_CREATE=() # name -> owner (in flight at a crash)
declare -A MAYBE_DELETE=() # id -> owner
UNEXPECTED=0
CUT=0 # calls in flight at a crash that got no answer
RESTARTS=0
RESTART_FAILURES=0

# run_operation KIND ARGUMENT OWNER RESULT: one loomctl call; RESULT gets
# its exit status and its JSON.
run_operation() {
	local kind=$1 argument=$2 owner=$3 result=$4 rc
	if [ "$kind" = create ]; then
		ctl_as "${TOKENS[$owner]}" --json create "$INP_TMP/requests/c$argument.xml" \
			>"$result.out" 2>"$result.err"
	else
		ctl_as "${TOKENS[$owner]}" --json delete "$argument" >"$result.out" 2>"$result.err"
	fi
	rc=$?
	echo "$kind $argument $owner $rc" >"$result"
}

# record RESULT CRASHED: updates the books from one call's result.
record() {
	local kind argument owner rc id
	read -r kind argument owner rc <"$1"
	if [ "$rc" = 0 ]; then
		if [ "$kind" = create ]; then
			id=$(json_get 'j["id"]' <"$1.out")
			LIVE[$id]=${CORES[$argument]}
			OWNER[$id]=$owner
		else
			DELETED[$argument]=$owner
		fi
	elif [ "$2" = crashed ]; then
		CUT=$((CUT + 1))
		if [ "$kind" = create ]; then
			MAYBE_CREATE[c$argument]=$owner
		else
			MAYBE_DELETE[$argument]=$owner
		fi
	else
		UNEXPECTED=$((UNEXPECTED + 1))
		echo "# operation failed without a crash: $kind $argument (exit $rc): $(head -c 300 "$1.err")"
	fi
}

# After a restart: what happened to the calls in flight.
resolve() {
	local name id owner out state
	for name in "${!MAYBE_CREATE[@]}"; do
		owner=${MAYBE_CREATE[$name]}
		out=$(ctl_as "${TOKENS[$owner]}" --json status "$name" 2>/dev/null)
		if [ $? = 0 ] && [ "$(json_get 'j["state"]' <<<"$out")" != deleted ]; then
			id=$(json_get 'j["id"]' <<<"$out")
			LIVE[$id]=${CORES[${name#c}]}
			OWNER[$id]=$owner
		fi
		unset "MAYBE_CREATE[$name]"
	done
	for id in "${!MAYBE_DELETE[@]}"; do
		owner=${MAYBE_DELETE[$id]}
		state=$(ctl_as "${TOKENS[$owner]}" --json status "$id" 2>/dev/null | json_get 'j["state"]' 2>/dev/null)
		if [ "$state" = deleted ] || [ -z "$state" ]; then
			DELETED[$id]=$owner
		else
			LIVE[$id]=${PENDING_CORES[$id]}
			OWNER[$id]=$owner
		fi
		unset "MAYBE_DELETE[$id]"
	done
}
declare -A PENDING_CORES=()

# pick_delete: a random live id (empty if none); it leaves LIVE.
pick_delete() {
	local ids=("${!LIVE[@]}")
	PICKED=""
	[ ${#ids[@]} -gt 0 ] || return 0
	PICKED=${ids[$((RANDOM % ${#ids[@]}))]}
	PENDING_CORES[$PICKED]=${LIVE[$PICKED]}
	unset "LIVE[$PICKED]"
}

# next_operation I: sets KIND, ARGUMENT and OWN for operation I (creates
# 60 %, or when nothing is live).
next_operation() {
	if [ ${#LIVE[@]} -eq 0 ] || [ $((RANDOM % 100)) -lt 60 ]; then
		KIND=create
		ARGUMENT=$1
		OWN=$((RANDOM % 2))
	else
		KIND=delete
		pick_delete
		ARGUMENT=$PICKED
		OWN=${OWNER[$PICKED]}
	fi
}

KILLS=$((5 + RANDOM % 6))
declare -A KILL_AT=()
while [ ${#KILL_AT[@]} -lt $KILLS ]; do
	KILL_AT[$((5 + RANDOM % (OPERATIONS - 10)))]=1
done

burst() {
	local i=0 j pids result
	while [ $i -lt "$OPERATIONS" ]; do
		if [ -n "${KILL_AT[$i]:-}" ]; then
			# Three calls in flight, then SIGKILL 0-59 ms later.
			pids=()
			for j in 0 1 2; do
				[ $((i + j)) -lt "$OPERATIONS" ] || break
				next_operation $((i + j))
				run_operation "$KIND" "$ARGUMENT" "$OWN" "$INP_TMP/op.$((i + j))" &
				pids+=($!)
			done
			sleep "0.0$((RANDOM % 60 / 10))$((RANDOM % 10))"
			inp_kill
			for j in "${!pids[@]}"; do
				wait "${pids[$j]}"
				record "$INP_TMP/op.$((i + j))" crashed
			done
			i=$((i + ${#pids[@]}))
			RESTARTS=$((RESTARTS + 1))
			inp_start "$INP_TMP/substrate.yaml" || RESTART_FAILURES=$((RESTART_FAILURES + 1))
			[ -n "$INP_PID" ] || return 1
			resolve
			continue
		fi
		next_operation $i
		run_operation "$KIND" "$ARGUMENT" "$OWN" "$INP_TMP/op.$i"
		record "$INP_TMP/op.$i" ""
		i=$((i + 1))
	done
}
BURST_DONE=0
burst_ok() {
	burst || return 1
	BURST_DONE=1
	echo "$OPERATIONS operations, $RESTARTS SIGKILLs cutting $CUT calls short, ${#LIVE[@]} VNets live at the end" >&2
	[ -n "$INP_PID" ]
}
# Not in tap_check: the books must stay in this shell.
if burst_ok 2>"$INP_TMP/burst.err"; then
	tap_ok "$OPERATIONS creates and deletes with $RESTARTS SIGKILLs, restarted each time on the same store"
else
	tap_not_ok "$OPERATIONS creates and deletes with $RESTARTS SIGKILLs, restarted each time on the same store"
fi
tap_diag <"$INP_TMP/burst.err"

if [ "$BURST_DONE" = 1 ] && [ "$UNEXPECTED" = 0 ] && [ "$RESTART_FAILURES" = 0 ]; then
	tap_ok "every call outside a crash succeeded; every restart answered"
else
	tap_not_ok "every call outside a crash succeeded; every restart answered ($UNEXPECTED failed, $RESTART_FAILURES restarts failed)"
fi

# The checks below mean something only after the whole burst.
burst_done() {
	[ "$BURST_DONE" = 1 ] || { echo "the burst did not run to its end"; return 1; }
}

# The last crash, and the file as SQLite sees it.
inp_kill
integrity() {
	local out
	out=$(sqlite3 "$INP_STORE" 'PRAGMA integrity_check') || return 1
	[ "$out" = ok ] || { echo "$out"; return 1; }
	out=$(sqlite3 "$INP_STORE" 'PRAGMA foreign_key_check')
	[ -z "$out" ] || { echo "$out"; return 1; }
}
tap_check "after a last SIGKILL: PRAGMA integrity_check ok, no foreign key broken" integrity

if inp_start "$INP_TMP/substrate.yaml"; then :; else
	while [ "$SYS_TAP_COUNT" -lt $PLAN ]; do tap_not_ok "loom-inp does not start on the store"; done
	exit 1
fi

durable() {
	burst_done || return 1
	local id state
	for id in "${!LIVE[@]}"; do
		state=$(ctl_as "${TOKENS[${OWNER[$id]}]}" --json status "$id" | json_get 'j["state"]') || {
			echo "acknowledged VNet $id is gone"; return 1; }
		[ "$state" != deleted ] || { echo "acknowledged VNet $id is deleted"; return 1; }
	done
	for id in "${!DELETED[@]}"; do
		state=$(ctl_as "${TOKENS[${DELETED[$id]}]}" --json status "$id" 2>/dev/null | json_get 'j["state"]' 2>/dev/null)
		[ -z "$state" ] || [ "$state" = deleted ] || {
			echo "VNet $id came back ($state) after its delete was acknowledged"; return 1; }
	done
}
tap_check "acknowledged creates are live and acknowledged deletes stay deleted (${#LIVE[@]} live, ${#DELETED[@]} deleted)" durable

defined_states() {
	burst_done || return 1
	local owner out
	for owner in 0 1; do
		out=$(ctl_as "${TOKENS[$owner]}" --json list) || return 1
		python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
bad = [v for v in j["vnets"] if v["state"] not in ("configuring", "ready", "failed", "deleted")]
print(bad) if bad else None
sys.exit(1 if bad else 0)' <(echo "$out") || return 1
	done
	python3 "$CHECK" store "$INP_STORE"
}
tap_check "every VNet in a defined state (API list, store, slivers)" defined_states

live_json() {
	local id first=1
	printf '{'
	for id in "${!LIVE[@]}"; do
		[ $first = 1 ] || printf ', '
		printf '"%s": %s' "$id" "${LIVE[$id]}"
		first=0
	done
	printf '}\n'
}

api_live_matches() {
	burst_done || return 1
	# The API's live set is loomctl's books.
	local owner ids=()
	for owner in 0 1; do
		ids+=($(ctl_as "${TOKENS[$owner]}" --json list |
			json_get '" ".join(str(v["id"]) for v in j["vnets"] if v["state"] != "deleted")')) || return 1
	done
	[ "$(printf '%s\n' "${ids[@]}" | sort -n | xargs)" = "$(printf '%s\n' "${!LIVE[@]}" | sort -n | xargs)" ] || {
		echo "API: $(printf '%s\n' "${ids[@]}" | sort -n | xargs)"
		echo "books: $(printf '%s\n' "${!LIVE[@]}" | sort -n | xargs)"
		return 1; }
}
tap_check "the live VNets through the API are exactly those acknowledged (or settled after a crash)" api_live_matches

totals() {
	live_json >"$INP_TMP/live.json"
	ctl_op --json substrate show >"$INP_TMP/substrate.json" || return 1
	python3 "$CHECK" totals "$INP_STORE" "$INP_TMP/substrate.json" "$INP_TMP/live.json"
}
tap_check "no capacity leaked: substrate totals = the live VNets' reservations = their requests' CPU" totals

tags() {
	burst_done || return 1
	local id manifests=()
	for id in "${!LIVE[@]}"; do
		ctl_as "${TOKENS[${OWNER[$id]}]}" --json describe "$id" >"$INP_TMP/manifest.$id" || return 1
		manifests+=("$INP_TMP/manifest.$id")
	done
	python3 "$CHECK" tags "$INP_STORE" "${manifests[@]}"
}
tap_check "tags unique per link, and the manifests' hops are the store's tags" tags

drain() {
	local id
	for id in "${!LIVE[@]}"; do
		ctl_as "${TOKENS[${OWNER[$id]}]}" --json delete "$id" >/dev/null || return 1
		unset "LIVE[$id]"
	done
	ctl_op --json substrate show >"$INP_TMP/substrate.json" || return 1
	echo '{}' >"$INP_TMP/live.json"
	python3 "$CHECK" totals "$INP_STORE" "$INP_TMP/substrate.json" "$INP_TMP/live.json" || return 1
	[ "$(sqlite3 "$INP_STORE" 'SELECT (SELECT count(*) FROM cpu_reservations) + (SELECT count(*) FROM bandwidth_reservations) + (SELECT count(*) FROM tag_reservations)')" = 0 ]
}
tap_check "deleting every VNet brings every total and reservation back to zero" drain

still_works() {
	ctl_as "${TOKENS[0]}" --json create "$INP_TMP/requests/c0.xml" >/dev/null || return 1
	ctl_as "${TOKENS[0]}" --json delete c0 >/dev/null && inp_stop
}
tap_check "loom-inp still creates and deletes, and stops on SIGTERM" still_works

[ "$SYS_TAP_FAILED" = 0 ]
