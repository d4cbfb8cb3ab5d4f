#!/bin/bash
# System test: VNet isolation between tenants on a real loom-inp. Tenant B
# tries every VNet call on tenant A's VNet, by id and by name: list,
# status, describe (JSON and RSpec), renew, delete, console. Each answers
# exactly as for a VNet that does not exist (404 not_found, loomctl exit
# 4), and A's VNet is intact afterwards (same status, lease and
# manifest). B may use the same name for a VNet of its own.
. "${LOOM_SOURCE_DIR:-$(dirname "$0")/../../..}/tests/system/lib.sh"
. "${LOOM_SOURCE_DIR:-$(dirname "$0")/../../..}/tests/system/inp/inp_lib.sh"

inp_init authz
tap_plan 14

inp_substrate 8 --seed 3 >"$INP_TMP/substrate.yaml"
tap_check "loom-inp starts on 127.0.0.1 port 0" inp_start "$INP_TMP/substrate.yaml"
if [ -z "$INP_PID" ]; then
	while [ "$SYS_TAP_COUNT" -lt 14 ]; do tap_not_ok "no daemon"; done
	exit 1
fi

A=$(new_tenant alice)
B=$(new_tenant bob)
python3 "$INP_GEN" request --nodes 3 --seed 5 --name secret >"$INP_TMP/secret.xml"
ID=""
create_secret() {
	local out
	out=$(ctl_as "$A" --json create "$INP_TMP/secret.xml") || return 1
	ID=$(json_get 'j["id"]' <<<"$out")
	[ -n "$ID" ] && [ "$B" != "" ] && [ "$A" != "$B" ]
}
tap_check "alice and bob are SPs; alice creates VNet 'secret'" create_secret

# What alice sees of her VNet; compared at the end.
alice_view() {
	{
		ctl_as "$A" --json status secret | python3 -c '
import json, sys
j = json.load(sys.stdin)
print(json.dumps({k: j.get(k) for k in ("id", "name", "state", "lease_end")}, sort_keys=True))' &&
			ctl_as "$A" --json describe secret
	} >"$1"
}
alice_view "$INP_TMP/alice-before" 2>/dev/null || true

not_in_list() {
	local out
	out=$(ctl_as "$B" --json list) || return 1
	[ "$(json_get '[v for v in j["vnets"] if v["id"] == '"${ID:-0}"' or v["name"] == "secret"]' <<<"$out")" = '[]' ]
}
tap_check "bob's list does not show alice's VNet" not_in_list

# Substitute the reference into the words: REF marks its place.
call_with_ref() {
	local words=() word ref=$1
	shift
	for word in "$@"; do
		[ "$word" = REF ] && word=$ref
		words+=("$word")
	done
	expect_exit 4 ctl_as "$B" --json "${words[@]}" || return 1
	[ "$(last_error_code)" = not_found ] || { echo "code '$(last_error_code)' for ${words[*]}"; return 1; }
	grep -q '^loomctl: ' "$INP_TMP/last.err"
}

# each_ref WORDS...: bob's call, REF standing for alice's VNet's id, its
# name, a missing id and a missing name. Reading calls are first made as
# alice, who must get an answer: the route exists and the 404 is bob's.
each_ref() {
	local ref word words
	[ -n "$ID" ] || { echo "no VNet id"; return 1; }
	case "$1" in
	status | describe | console)
		for ref in "$ID" secret; do
			words=()
			for word in "$@"; do
				[ "$word" = REF ] && word=$ref
				words+=("$word")
			done
			expect_exit 0 ctl_as "$A" --json "${words[@]}" ||
				{ echo "(alice herself, reference $ref)"; return 1; }
		done
		;;
	esac
	for ref in "$ID" secret 987654 nosuch; do
		call_with_ref "$ref" "$@" || { echo "(reference $ref)"; return 1; }
	done
}

tap_check "bob: status of alice's VNet (by id, by name) is 404 like a missing one" each_ref status REF
tap_check "bob: describe is 404" each_ref describe REF
tap_check "bob: describe --rspec is 404" each_ref describe --rspec REF
tap_check "bob: renew is 404" each_ref renew REF +30d
tap_check "bob: console is 404" each_ref console REF n0
tap_check "bob: delete is 404" each_ref delete REF

same_message() {
	# The refusal does not leak existence: the message for alice's VNet
	# is the one for a missing VNet with the reference swapped.
	local mine missing
	ctl_as "$B" --json status secret >/dev/null 2>"$INP_TMP/m1"
	ctl_as "$B" --json status nosuch >/dev/null 2>"$INP_TMP/m2"
	mine=$(sed 's/secret/REF/g' "$INP_TMP/m1")
	missing=$(sed 's/nosuch/REF/g' "$INP_TMP/m2")
	[ "$mine" = "$missing" ] || { echo "$mine"; echo "$missing"; return 1; }
	ctl_as "$B" --json status "$ID" >/dev/null 2>"$INP_TMP/m1"
	ctl_as "$B" --json status 987654 >/dev/null 2>"$INP_TMP/m2"
	[ "$(sed "s/$ID/REF/g" "$INP_TMP/m1")" = "$(sed 's/987654/REF/g' "$INP_TMP/m2")" ]
}
tap_check "the refusal's message is the same as for a missing VNet" same_message

raw_http() {
	# The same through plain HTTP, routes loomctl does not use too.
	local path got
	for path in "/v1/vnets/$ID" /v1/vnets/secret "/v1/vnets/$ID/manifest" \
		"/v1/vnets/secret/manifest?format=rspec" "/v1/vnets/$ID/console/n0"; do
		got=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $B" "$INP_URL$path")
		[ "$got" = 404 ] || { echo "GET $path: HTTP $got"; return 1; }
	done
	for path in "/v1/vnets/$ID/renew" /v1/vnets/secret/renew; do
		got=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $B" \
			-H 'Content-Type: application/json' --data '{"lease_end": 2000000000}' "$INP_URL$path")
		[ "$got" = 404 ] || { echo "POST $path: HTTP $got"; return 1; }
	done
	for path in "/v1/vnets/$ID" /v1/vnets/secret; do
		got=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $B" "$INP_URL$path")
		[ "$got" = 404 ] || { echo "DELETE $path: HTTP $got"; return 1; }
	done
}
tap_check "plain HTTP: every VNet route of alice's VNet answers bob 404" raw_http

bob_same_name() {
	local out bob_id
	out=$(ctl_as "$B" --json create "$INP_TMP/secret.xml") || return 1
	bob_id=$(json_get 'j["id"]' <<<"$out")
	[ "$bob_id" != "$ID" ] || return 1
	# "secret" now means bob's own VNet to bob, alice's to alice.
	[ "$(ctl_as "$B" --json status secret | json_get 'j["id"]')" = "$bob_id" ] || return 1
	[ "$(ctl_as "$A" --json status secret | json_get 'j["id"]')" = "$ID" ] || return 1
	ctl_as "$B" --json delete secret >/dev/null || return 1
	[ "$(ctl_as "$A" --json status secret | json_get 'j["state"]')" != deleted ]
}
tap_check "bob may name a VNet 'secret' too; deleting his leaves alice's" bob_same_name

intact() {
	alice_view "$INP_TMP/alice-after" || return 1
	[ -s "$INP_TMP/alice-before" ] || { echo "no view of alice's VNet from before"; return 1; }
	diff "$INP_TMP/alice-before" "$INP_TMP/alice-after"
}
tap_check "alice's VNet is intact: same state, lease and manifest" intact

alice_can() {
	ctl_as "$A" --json renew secret +10d >/dev/null || return 1
	ctl_as "$A" --json delete "$ID" | json_get 'j["state"]' | grep -qx deleted
}
tap_check "alice herself can renew and delete it" alice_can

[ "$SYS_TAP_FAILED" = 0 ]
