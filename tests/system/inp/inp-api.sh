#!/bin/bash
# System test: loom-inp's API (docs/api.md) against a real daemon on
# loopback, through loomctl. The whole lifecycle of a VNet (validate,
# create, list, status, describe, renew, delete, delete again), then every
# refusal: each must exit with loomctl's code for its HTTP status, print
# one line "loomctl: WHAT: MESSAGE" on stderr, carry the documented error
# code, and change nothing (the SP's list, the operator's list and the
# substrate's totals are the same before and after). Also: --wait, a
# GENI RSpec, the store busy (503), a lease that ends, loomctl's own usage
# and transport errors, the operator's tenants and substrate, /metrics,
# and HTTPS with --cacert.
. "${LOOM_SOURCE_DIR:-$(dirname "$0")/../../..}/tests/system/lib.sh"
. "${LOOM_SOURCE_DIR:-$(dirname "$0")/../../..}/tests/system/inp/inp_lib.sh"

inp_init api
tap_plan 49

EXAMPLES="$LOOM_SOURCE_DIR/control/examples"
inp_substrate 12 --seed 7 >"$INP_TMP/substrate.yaml"
tap_check "loom-inp starts on 127.0.0.1 port 0 with a fresh store" \
	inp_start "$INP_TMP/substrate.yaml"
if [ -z "$INP_PID" ]; then
	while [ "$SYS_TAP_COUNT" -lt 49 ]; do tap_not_ok "no daemon"; done
	exit 1
fi

# ---- helpers --------------------------------------------------------------

# The state a refusal must not change: A's VNets, the operator's, and
# the substrate's totals (what is used of every node and link).
snapshot() {
	{
		ctl_as "$A" --json list || return 1
		ctl_op --json list || return 1
		ctl_op --json substrate show | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(json.dumps({"nodes": {n["id"]: n.get("cpu_used") for n in s["nodes"]},
                  "links": {l["id"]: [l.get("bandwidth_used_kbps"),
                                      l.get("tags_used")] for l in s["links"]}},
                 sort_keys=True))' || return 1
	} >"$1"
}

# refused EXIT CODE_REGEX COMMAND...: the command (given --json by the
# caller) exits EXIT, prints one stderr line "loomctl: ...", its error
# code matches CODE_REGEX, and nothing changed.
refused() {
	local want=$1 code_pattern=$2 code lines
	shift 2
	snapshot "$INP_TMP/before" || { echo "cannot take a snapshot before"; return 1; }
	expect_exit "$want" "$@" || return 1
	lines=$(wc -l <"$INP_TMP/last.err")
	if [ "$lines" != 1 ] || ! grep -q '^loomctl: [^:]*: .' "$INP_TMP/last.err"; then
		echo "stderr is not one line 'loomctl: WHAT: MESSAGE':"
		cat "$INP_TMP/last.err"
		return 1
	fi
	code=$(last_error_code)
	if ! [[ "$code" =~ ^($code_pattern)$ ]]; then
		echo "error code '$code', expected $code_pattern"
		cat "$INP_TMP/last.out" "$INP_TMP/last.err"
		return 1
	fi
	snapshot "$INP_TMP/after" || { echo "cannot take a snapshot after"; return 1; }
	if ! cmp -s "$INP_TMP/before" "$INP_TMP/after"; then
		echo "the refusal changed something:"
		diff "$INP_TMP/before" "$INP_TMP/after" | head -n 20
		return 1
	fi
	return 0
}

# http_status EXPECTED METHOD PATH TOKEN: the bare HTTP status (curl).
http_status() {
	local want=$1 method=$2 path=$3 token=$4 got
	got=$(curl -s -o "$INP_TMP/curl.out" -w '%{http_code}' -X "$method" \
		-H "Authorization: Bearer $token" "$INP_URL$path")
	if [ "$got" != "$want" ]; then
		echo "HTTP $got, expected $want: $method $path"
		cat "$INP_TMP/curl.out"
		return 1
	fi
}

lease_in() { date -u -d "@$(($(date +%s) + $1))" +%Y-%m-%dT%H:%M:%SZ; }

# ---- tenants --------------------------------------------------------------

A=$(new_tenant alice)
whoami_alice() {
	local out
	out=$(ctl_as "$A" --json whoami) || return 1
	[ "$(json_get 'j["tenant"] if isinstance(j["tenant"], str) else j["tenant"]["name"]' <<<"$out")" = alice ] &&
		[ "$(json_get 'j["role"]' <<<"$out")" = sp ]
}
tap_check "the operator adds SP tenant alice; her token says who she is" whoami_alice

# ---- the lifecycle -------------------------------------------------------

validate_pair() {
	snapshot "$INP_TMP/before" || return 1
	expect_exit 0 ctl_as "$A" --json validate "$EXAMPLES/point-to-point.xml" || return 1
	[ "$(json_get 'j["dry_run"]' <"$INP_TMP/last.out")" = true ] || return 1
	[ "$(json_get 'sorted(j["mapping"]["nodes"])' <"$INP_TMP/last.out")" = '["a", "b"]' ] || return 1
	snapshot "$INP_TMP/after" || return 1
	cmp "$INP_TMP/before" "$INP_TMP/after"
}
tap_check "validate: a dry run maps a and b and reserves nothing" validate_pair

create_pair() {
	expect_exit 0 ctl_as "$A" --json create "$EXAMPLES/point-to-point.xml" || return 1
	PAIR=$(json_get 'j["id"]' <"$INP_TMP/last.out")
	[ "$(json_get 'j["name"]' <"$INP_TMP/last.out")" = pair ] || return 1
	[[ "$(json_get 'j["state"]' <"$INP_TMP/last.out")" =~ ^(configuring|ready|failed)$ ]] || return 1
	[ "$(json_get 'sorted(j["mapping"]["nodes"])' <"$INP_TMP/last.out")" = '["a", "b"]' ]
}
PAIR=""
tap_check "create: VNet 'pair' is reserved (201 with its status and mapping)" create_pair

list_pair() {
	local out
	out=$(ctl_as "$A" --json list) || return 1
	[ "$(json_get '[v["name"] for v in j["vnets"] if v["id"] == '"${PAIR:-0}"']' <<<"$out")" = '["pair"]' ] || return 1
	ctl_as "$A" list | grep -Eq "^$PAIR +pair +"
}
tap_check "list: pair is listed (JSON and the human table)" list_pair

status_pair() {
	local by_id by_name
	by_id=$(ctl_as "$A" --json status "$PAIR") || return 1
	by_name=$(ctl_as "$A" --json status pair) || return 1
	[ "$(json_get 'j["id"]' <<<"$by_name")" = "$PAIR" ] || return 1
	[ "$(json_get 'sorted((s["kind"], s["id"]) for s in j["slivers"])' <<<"$by_id")" = \
		'[["link", "a-b"], ["node", "a"], ["node", "b"]]' ] || return 1
	ctl_as "$A" status pair | grep -Eq '^node +a +'
}
tap_check "status by id and by name: the VNet and its three slivers" status_pair

describe_pair() {
	local out
	out=$(ctl_as "$A" --json describe pair) || return 1
	json_get '[(n["id"], n["substrate_node"]) for n in j["nodes"]]' <<<"$out" | grep -q '"a", "s' || return 1
	[ "$(json_get '[h["kind"] in ("vlan", "vxlan") and h["tag"] > 0 for l in j["links"] for h in l["hops"]]' <<<"$out")" != '[]' ] || return 1
	[ "$(json_get 'all(h["kind"] in ("vlan", "vxlan") and h["tag"] > 0 for l in j["links"] for h in l["hops"])' <<<"$out")" = true ] || return 1
	ctl_as "$A" describe pair >"$INP_TMP/tree" || return 1
	grep -q '^  node a (host) -> s' "$INP_TMP/tree" && grep -q '^    interface a:eth0' "$INP_TMP/tree" &&
		grep -q '^  link a-b' "$INP_TMP/tree" && grep -Eq '^    hop .*(vlan|vxlan) [0-9]+$' "$INP_TMP/tree"
}
tap_check "describe: the manifest, each node on a substrate node, each hop with kind and tag" describe_pair

renew_pair() {
	local now lease out
	now=$(date +%s)
	out=$(ctl_as "$A" --json renew pair +3d) || return 1
	lease=$(json_get 'j["lease_end"]' <<<"$out")
	[ "$lease" -ge $((now + 3 * 86400 - 5)) ] && [ "$lease" -le $((now + 3 * 86400 + 60)) ] || {
		echo "lease_end $lease, expected about $((now + 3 * 86400))"; return 1; }
	out=$(ctl_as "$A" --json renew "$PAIR" 2033-01-01T00:00:00Z) || return 1
	[ "$(json_get 'j["lease_end"]' <<<"$out")" = 1988150400 ] || return 1
	out=$(ctl_as "$A" --json status pair) || return 1
	[ "$(json_get 'j["lease_end"]' <<<"$out")" = 1988150400 ]
}
tap_check "renew: +3d and RFC 3339 move the lease end (status shows it)" renew_pair

totals_pair() {
	local out
	out=$(ctl_op --json substrate show) || return 1
	[ "$(json_get 'round(sum(n["cpu_used"] for n in j["nodes"]), 6)' <<<"$out")" = 2.0 ] || return 1
	[ "$(json_get 'sum(l["tags_used"] for l in j["links"]) >= 1' <<<"$out")" = true ]
}
tap_check "substrate show: pair's 2 CPUs and its tags are counted" totals_pair

delete_pair() {
	local first second
	first=$(ctl_as "$A" --json delete pair) || return 1
	[ "$(json_get 'j["state"]' <<<"$first")" = deleted ] || return 1
	second=$(ctl_as "$A" --json delete "$PAIR") || return 1
	[ "$first" = "$second" ] || { echo "first: $first"; echo "again: $second"; return 1; }
}
tap_check "delete: deleted; deleting again gives the same answer" delete_pair

released_pair() {
	local out
	out=$(ctl_op --json substrate show) || return 1
	[ "$(json_get 'sum(n["cpu_used"] for n in j["nodes"])' <<<"$out")" = 0 ] || [ "$(json_get 'sum(n["cpu_used"] for n in j["nodes"])' <<<"$out")" = 0.0 ] || return 1
	[ "$(json_get 'sum(l["tags_used"] + l["bandwidth_used_kbps"] for l in j["links"])' <<<"$out")" = 0 ] || return 1
	out=$(ctl_as "$A" --json list) || return 1
	[ "$(json_get '[v["state"] for v in j["vnets"] if v["id"] == '"${PAIR:-0}"' and v["state"] != "deleted"]' <<<"$out")" = '[]' ]
}
tap_check "after delete: nothing used on the substrate, pair not live" released_pair

stdin_and_name() {
	expect_exit 0 ctl_as "$A" --json create --name keep - <"$EXAMPLES/point-to-point.xml" || return 1
	KEEP=$(json_get 'j["id"]' <"$INP_TMP/last.out")
	[ "$(json_get 'j["name"]' <"$INP_TMP/last.out")" = keep ]
}
KEEP=""
tap_check "create --name keep - (the request on stdin, renamed)" stdin_and_name

console_info() {
	local out
	out=$(ctl_as "$A" --json console keep a) || return 1
	[ "$(json_get 'j["command"][:3] == ["ip", "netns", "exec"] and j["command"][3] == j["namespace"] != ""' <<<"$out")" = true ] || {
		echo "$out"; return 1; }
	refused 4 not_found ctl_as "$A" --json console keep nosuch
}
tap_check "console --json: the namespace and its ip netns exec command; unknown node 404" console_info

geni_rspec() {
	local rspec="$LOOM_SOURCE_DIR/tests/data/rspec/gram-controller-4-node-diamond.xml"
	[ -f "$rspec" ] || { echo "no $rspec"; return 1; }
	expect_exit 0 ctl_as "$A" --json create --name geni "$rspec" || return 1
	[ "$(json_get 'j["name"]' <"$INP_TMP/last.out")" = geni ] || return 1
	ctl_as "$A" describe --rspec geni >"$INP_TMP/manifest.xml" || return 1
	grep -q 'type="manifest"' "$INP_TMP/manifest.xml" &&
		grep -q 'http://www.geni.net/resources/rspec/3' "$INP_TMP/manifest.xml" || {
		head -n 5 "$INP_TMP/manifest.xml"; return 1; }
	ctl_as "$A" delete geni >/dev/null
}
tap_check "a GENI RSpec v3 request: create --name geni, describe --rspec is a GENI manifest" geni_rspec

create_wait() {
	local out round
	python3 "$INP_GEN" request --nodes 3 --seed 9 --name waited >"$INP_TMP/waited.xml"
	# Five times: an answer that comes before the states are settled
	# shows up on some tries only.
	for round in 1 2 3 4 5; do
		out=$(ctl_as "$A" --json create --wait --name "waited$round" "$INP_TMP/waited.xml") || return 1
		# Settled: every sliver ready or failed, and the state says which.
		[ "$(json_get 'all(s["operational"] in ("ready", "failed") for s in j["slivers"])' <<<"$out")" = true ] &&
			[[ "$(json_get 'j["state"]' <<<"$out")" =~ ^(ready|failed)$ ]] || {
			echo "try $round: state $(json_get 'j["state"]' <<<"$out"), slivers" \
				"$(json_get '[s["operational"] for s in j["slivers"]]' <<<"$out")"
			return 1; }
		ctl_as "$A" delete "waited$round" >/dev/null || return 1
	done
}
tap_check "create --wait (5 times): answers once every sliver is ready or failed" create_wait

# ---- refusals: each changes nothing -----------------------------------------

printf '<vnet xmlns="urn:loom:vnet:1" name="bad">\n  <node id="a" cpu="1">\n</vnet>\n' >"$INP_TMP/malformed.xml"
malformed() {
	refused 1 'malformed|xml|syntax|[a-z_]+' ctl_as "$A" --json create "$INP_TMP/malformed.xml" || return 1
	grep -q 'line [0-9]' "$INP_TMP/last.err" || { echo "no line in: $(cat "$INP_TMP/last.err")"; return 1; }
	[ "$(json_get 'j["error"]["line"] > 0' <"$INP_TMP/last.out")" = true ]
}
tap_check "malformed XML: 400 with the line, nothing reserved" malformed

cat >"$INP_TMP/schema.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<vnet xmlns="urn:loom:vnet:1" name="schema">
  <node id="a" cpu="1">
    <interface id="a:0"/>
  </node>
  <node id="b" colour="blue">
    <interface id="b:0"/>
  </node>
</vnet>
EOF
schema_violation() {
	refused 1 '[a-z_]+' ctl_as "$A" --json create "$INP_TMP/schema.xml" || return 1
	[ "$(json_get 'j["error"]["line"]' <"$INP_TMP/last.out")" = 6 ] || { cat "$INP_TMP/last.out"; return 1; }
	[ "$(json_get 'j["error"]["element"]' <"$INP_TMP/last.out")" = node ] || return 1
	grep -q 'line 6' "$INP_TMP/last.err"
}
tap_check "schema violation: 400 at line 6, element node, nothing reserved" schema_violation

validate_schema() {
	refused 1 '[a-z_]+' ctl_as "$A" --json validate "$INP_TMP/schema.xml"
}
tap_check "validate of the same: refused alike" validate_schema

unknown_token() {
	refused 1 unauthorized ctl_as "0123456789abcdef" --json list || return 1
	http_status 401 GET /v1/vnets 0123456789abcdef
}
tap_check "unknown token: 401 unauthorized" unknown_token

no_token() {
	refused 1 unauthorized ctl --json list
}
tap_check "no token: 401 unauthorized" no_token

sp_operator_routes() {
	refused 1 forbidden ctl_as "$A" --json tenant list || return 1
	refused 1 forbidden ctl_as "$A" --json tenant add mallory || return 1
	refused 1 forbidden ctl_as "$A" --json tenant token alice || return 1
	refused 1 forbidden ctl_as "$A" --json tenant remove alice || return 1
	refused 1 forbidden ctl_as "$A" --json substrate show || return 1
	refused 1 forbidden ctl_as "$A" --json substrate node s1 down || return 1
	refused 1 forbidden ctl_as "$A" --json substrate link s0--s1 down || return 1
	http_status 403 GET /v1/substrate/svg "$A" || return 1
	http_status 403 GET /v1/tenants "$A"
}
tap_check "an SP on the operator's routes: 403 forbidden each, nothing changed" sp_operator_routes

python3 "$INP_GEN" request --nodes 2 --seed 1 --name past \
	--lease-end 2001-01-01T00:00:00Z >"$INP_TMP/past.xml"
lease_in_past() {
	refused 1 '[a-z_]+' ctl_as "$A" --json create "$INP_TMP/past.xml"
}
tap_check "a lease end in the past: refused, nothing reserved" lease_in_past

python3 "$INP_GEN" request --nodes 2 --seed 1 --name huge --cpu 5000 >"$INP_TMP/huge.xml"
infeasible() {
	refused 1 infeasible ctl_as "$A" --json create "$INP_TMP/huge.xml" || return 1
	curl -s -o "$INP_TMP/curl.out" -w '%{http_code}' -X POST -H "Authorization: Bearer $A" \
		-H 'Content-Type: application/xml' --data-binary @"$INP_TMP/huge.xml" \
		"$INP_URL/v1/vnets" | grep -qx 409
}
tap_check "infeasible (5000 CPUs on 1000-CPU nodes): 409 infeasible, nothing reserved" infeasible

python3 "$INP_GEN" request --nodes 2 --seed 1 --name fat --capacity 20000000 >"$INP_TMP/fat.xml"
infeasible_bandwidth() {
	refused 1 infeasible ctl_as "$A" --json create "$INP_TMP/fat.xml"
}
tap_check "infeasible (20 Gbit/s on 10 Gbit/s links): 409, nothing reserved" infeasible_bandwidth

infeasible_validate() {
	refused 1 infeasible ctl_as "$A" --json validate "$INP_TMP/huge.xml"
}
tap_check "validate of an infeasible request: 409 too" infeasible_validate

renew_past() {
	refused 1 '[a-z_]+' ctl_as "$A" --json renew keep 1000000000 || return 1
	refused 1 '[a-z_]+' ctl_as "$A" --json renew keep 2001-01-01T00:00:00Z
}
tap_check "renew to the past (Unix seconds, RFC 3339): refused, lease unchanged" renew_past

renew_bad_body() {
	# Not through loomctl (it checks TIME itself): the InP's own check.
	local got
	got=$(curl -s -o "$INP_TMP/curl.out" -w '%{http_code}' -X POST -H "Authorization: Bearer $A" \
		-H 'Content-Type: application/json' --data '{"lease_end": "tomorrow"}' \
		"$INP_URL/v1/vnets/keep/renew")
	[ "$got" = 400 ] || { echo "HTTP $got"; cat "$INP_TMP/curl.out"; return 1; }
	json_get 'j["error"]["code"]' <"$INP_TMP/curl.out" >/dev/null
}
tap_check "renew with a body that is no time: 400 with a structured error" renew_bad_body

unknown_vnet() {
	local ref
	for ref in nosuch 999999; do
		refused 4 not_found ctl_as "$A" --json status "$ref" || return 1
		refused 4 not_found ctl_as "$A" --json describe "$ref" || return 1
		refused 4 not_found ctl_as "$A" --json renew "$ref" +1d || return 1
		refused 4 not_found ctl_as "$A" --json delete "$ref" || return 1
	done
	http_status 404 GET /v1/vnets/nosuch/manifest "$A"
}
tap_check "unknown VNet (by name and by id): 404 for status, describe, renew, delete" unknown_vnet

name_in_use() {
	refused 1 '[a-z_]+' ctl_as "$A" --json create --name keep "$EXAMPLES/point-to-point.xml" || return 1
	curl -s -o "$INP_TMP/curl.out" -w '%{http_code}' -X POST -H "Authorization: Bearer $A" \
		-H 'Content-Type: application/xml' --data-binary @"$EXAMPLES/point-to-point.xml" \
		"$INP_URL/v1/vnets" >"$INP_TMP/code" || return 1
	# "pair" was deleted: its name is free again, so this one is accepted.
	[ "$(cat "$INP_TMP/code")" = 201 ] || { echo "pair again: HTTP $(cat "$INP_TMP/code")"; return 1; }
	curl -s -o "$INP_TMP/curl.out" -w '%{http_code}' -X POST -H "Authorization: Bearer $A" \
		-H 'Content-Type: application/xml' --data-binary @"$EXAMPLES/point-to-point.xml" \
		"$INP_URL/v1/vnets" >"$INP_TMP/code"
	[ "$(cat "$INP_TMP/code")" = 409 ] || { echo "pair twice: HTTP $(cat "$INP_TMP/code")"; return 1; }
}
tap_check "name in use: 409 (a deleted VNet's name is free again)" name_in_use

too_large() {
	# 6 MB: over the InP's 4 MiB (VNET_REQUEST_MAX_SIZE), under loomctl's 16.
	head -c $((6 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$INP_TMP/large.xml"
	refused 1 too_large ctl_as "$A" --json validate "$INP_TMP/large.xml"
}
tap_check "a body over the InP's limit: 413 too_large, nothing changed" too_large

operator_tenant_with_vnets() {
	refused 1 '[a-z_]+' ctl_op --json tenant remove alice
}
tap_check "tenant remove while it has VNets: 409, nothing changed" operator_tenant_with_vnets

tenant_twice() {
	refused 1 '[a-z_]+' ctl_op --json tenant add alice
}
tap_check "tenant add of an existing name: refused, nothing changed" tenant_twice

unknown_tenant() {
	refused 4 not_found ctl_op --json tenant remove nobody || return 1
	refused 4 not_found ctl_op --json tenant token nobody
}
tap_check "unknown tenant: 404 for remove and token" unknown_tenant

substrate_unknown() {
	refused 4 not_found ctl_op --json substrate node nosuch down || return 1
	refused 4 not_found ctl_op --json substrate link nosuch up
}
tap_check "substrate node/link that does not exist: 404" substrate_unknown

# ---- the store busy -------------------------------------------------------

store_busy() {
	local holder got
	snapshot "$INP_TMP/busy-before" || return 1
	# Another process holds the store's write lock for 13 s: long past
	# the daemon's wait for it (two calls below).
	python3 -c '
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(13)
db.execute("ROLLBACK")' "$INP_STORE" >"$INP_TMP/holder.out" &
	holder=$!
	INP_HELPERS+=("$holder")
	while ! grep -q locked "$INP_TMP/holder.out" 2>/dev/null; do
		kill -0 "$holder" 2>/dev/null || { echo "the lock holder failed"; return 1; }
		sleep 0.05
	done
	expect_exit 5 ctl_as "$A" --json create --name busy "$EXAMPLES/point-to-point.xml"
	local exit_ok=$?
	got=$(curl -s -o "$INP_TMP/curl.out" -w '%{http_code}' -X POST -H "Authorization: Bearer $A" \
		-H 'Content-Type: application/xml' --data-binary @"$EXAMPLES/point-to-point.xml" \
		"$INP_URL/v1/vnets?name=busy2")
	wait "$holder"
	snapshot "$INP_TMP/busy-after" || return 1
	cmp -s "$INP_TMP/busy-before" "$INP_TMP/busy-after" || {
		echo "the refusal changed something"; diff "$INP_TMP/busy-before" "$INP_TMP/busy-after" | head; return 1; }
	[ $exit_ok = 0 ] || return 1
	[ "$got" = 503 ] || { echo "HTTP $got (docs/api.md: 503 store busy): $(cat "$INP_TMP/curl.out")"; return 1; }
}
tap_check "store busy (another process holds its lock): 503, loomctl exit 5, nothing reserved" store_busy

# ---- expiry ---------------------------------------------------------------

expiry() {
	local before out tries=0 state
	snapshot "$INP_TMP/expiry-before" || return 1
	python3 "$INP_GEN" request --nodes 2 --seed 2 --name brief --lease-end "$(lease_in 3)" \
		>"$INP_TMP/brief.xml"
	out=$(ctl_as "$A" --json create "$INP_TMP/brief.xml") || return 1
	while [ $tries -lt 100 ]; do
		state=$(ctl_as "$A" --json status brief 2>/dev/null | json_get 'j["state"]' 2>/dev/null)
		[ "$state" = deleted ] || [ -z "$state" ] && break
		sleep 0.1
		tries=$((tries + 1))
	done
	[ "$state" = deleted ] || [ -z "$state" ] || { echo "state $state after 10 s"; return 1; }
	# Released: the VNet list and the totals are those from before.
	snapshot "$INP_TMP/expiry-after" || return 1
	python3 - "$INP_TMP/expiry-before" "$INP_TMP/expiry-after" <<'EOF'
import json, sys
def load(path):
    # Three JSON documents one after the other (see snapshot).
    text, documents, decoder, at = open(path).read(), [], json.JSONDecoder(), 0
    while text[at:].strip():
        at += len(text[at:]) - len(text[at:].lstrip())
        document, at = decoder.raw_decode(text, at)
        documents.append(document)
    return documents
before, after = load(sys.argv[1]), load(sys.argv[2])
live = lambda listing: sorted(v["id"] for v in listing["vnets"] if v["state"] != "deleted")
sys.exit(0 if live(before[0]) == live(after[0]) and before[-1] == after[-1] else 1)
EOF
}
tap_check "a lease that ends: the VNet is released (state deleted, totals as before)" expiry

# ---- loomctl's own refusals -------------------------------------------------

usage_errors() {
	expect_exit 2 ctl_as "$A" renew keep tomorrow || return 1
	expect_exit 2 ctl_as "$A" create || return 1
	expect_exit 2 ctl_as "$A" status || return 1
	expect_exit 2 ctl_as "$A" frobnicate || return 1
	expect_exit 2 ctl_as "$A" list --rspec || return 1
	expect_exit 2 ctl_as "$A" create "$INP_TMP/does-not-exist.xml" || return 1
	expect_exit 0 ctl_as "$A" status --help || return 1
	grep -q 'usage: loomctl' "$INP_TMP/last.out"
}
tap_check "usage errors exit 2 before any call; COMMAND --help exits 0" usage_errors

unreachable() {
	expect_exit 3 "$INP_LOOMCTL" --url http://127.0.0.1:1 health || return 1
	grep -q '^loomctl: health: cannot reach' "$INP_TMP/last.err"
}
tap_check "nothing listening: exit 3, one line" unreachable

env_defaults() {
	LOOM_URL=$INP_URL LOOM_TOKEN=$A "$INP_LOOMCTL" whoami | grep -q alice || return 1
	echo "$A" >"$INP_TMP/alice.token"
	LOOM_URL=$INP_URL LOOM_TOKEN_FILE=$INP_TMP/alice.token "$INP_LOOMCTL" whoami | grep -q alice
}
tap_check "LOOM_URL, LOOM_TOKEN and LOOM_TOKEN_FILE" env_defaults

health_version() {
	ctl --json health | json_get 'j["status"] == "ok" and bool(j.get("version"))' | grep -qx true
}
tap_check "health: ok with a version, without a token" health_version

metrics() {
	local got
	got=$(curl -s -o "$INP_TMP/metrics" -w '%{http_code} %{content_type}' "$INP_URL/metrics")
	[[ "$got" == "200 text/plain"* ]] || { echo "$got"; return 1; }
	grep -q '^# TYPE ' "$INP_TMP/metrics" && grep -Eq '^[a-z_]+(\{[^}]*\})? [0-9.e+-]+$' "$INP_TMP/metrics"
}
tap_check "GET /metrics without a token: Prometheus text" metrics

# ---- the operator ---------------------------------------------------------

tenant_lifecycle() {
	local token out
	ctl_op tenant add bob >"$INP_TMP/bob" || return 1
	token=$(tail -n 1 "$INP_TMP/bob")
	ctl_as "$token" whoami | grep -q bob || return 1
	ctl_op tenant list | grep -Eq '^[0-9]+ +bob +sp' || return 1
	out=$(ctl_op --json tenant token bob) || return 1
	ctl_as "$(json_get 'j["token"]' <<<"$out")" whoami | grep -q bob || return 1
	ctl_op tenant remove bob || return 1
	expect_exit 1 ctl_as "$token" whoami
}
tap_check "tenant add (the token printed once), list, token, remove (its token dies)" tenant_lifecycle

operator_tenant() {
	local token
	token=$(ctl_op --json tenant add root2 --operator | json_get 'j["token"]') || return 1
	ctl_as "$token" --json whoami | json_get 'j["role"]' | grep -qx operator
}
tap_check "tenant add --operator: a second operator" operator_tenant

substrate_human() {
	ctl_op substrate show >"$INP_TMP/substrate.txt" || return 1
	grep -Eq '^NODE +CPU +CPU USED +STATE' "$INP_TMP/substrate.txt" &&
		grep -Eq '^s0 +1000 ' "$INP_TMP/substrate.txt" &&
		grep -Eq '^s0--s1 +s0:p0 +s1:p0 +ethernet +10000000 ' "$INP_TMP/substrate.txt"
}
tap_check "substrate show: the nodes' and links' tables" substrate_human

substrate_svg() {
	ctl_op substrate svg -o "$INP_TMP/substrate.svg" || return 1
	grep -q '<svg' "$INP_TMP/substrate.svg"
}
tap_check "substrate svg -o FILE writes an SVG" substrate_svg

mark_down_up() {
	local node out
	out=$(ctl_as "$A" --json describe keep) || return 1
	node=$(json_get 'j["nodes"][0]["substrate_node"]' <<<"$out")
	ctl_op --json substrate node "$node" down | json_get 'j["state"]' | grep -qx down || return 1
	out=$(ctl_as "$A" --json describe keep) || return 1
	# Re-embedded elsewhere (12 nodes: there is room), or failed with a reason.
	if [ "$(json_get 'j["state"]' <<<"$out")" != failed ]; then
		json_get '[n["substrate_node"] for n in j["nodes"]]' <<<"$out" | grep -vq "\"$node\"" || {
			echo "still on $node: $out"; return 1; }
	fi
	ctl_op --json substrate node "$node" up | json_get 'j["state"]' | grep -qx up
}
tap_check "substrate node down re-embeds keep off it; up again" mark_down_up

still_running() { kill -0 "$INP_PID" && inp_stop; }
tap_check "loom-inp is still running and stops on SIGTERM" still_running

# ---- HTTPS ----------------------------------------------------------------

https_start() {
	command -v openssl >/dev/null || { echo "openssl is not installed"; return 1; }
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout "$INP_TMP/tls.key" \
		-out "$INP_TMP/tls.crt" >/dev/null 2>&1 || return 1
	INP_TLS_CERTIFICATE=$INP_TMP/tls.crt INP_TLS_KEY=$INP_TMP/tls.key \
		inp_start "$INP_TMP/substrate.yaml" || return 1
	[[ "$INP_URL" == https://* ]] || { echo "URL $INP_URL"; return 1; }
	ctl_as "$A" --cacert "$INP_TMP/tls.crt" --json status keep | json_get 'j["name"]' | grep -qx keep
}
tap_check "https (tls: in the config, same store): loomctl --cacert talks to it" https_start

https_untrusted() {
	expect_exit 3 ctl_as "$A" status keep || return 1
	grep -q '^loomctl: status keep: cannot reach' "$INP_TMP/last.err" || return 1
	expect_exit 3 ctl_as "$A" --url "http://${INP_URL#https://}" status keep
}
tap_check "https without the CA, or plain http to it: exit 3 (transport)" https_untrusted
inp_stop

[ "$SYS_TAP_FAILED" = 0 ]
