# tests/system/inp/inp_lib.sh: a real loom-inp on loopback for the API
# tests, driven through loomctl. Sourced after tests/system/lib.sh (its TAP
# helpers); needs no root and no network namespace.
#
#   . "$LOOM_SOURCE_DIR/tests/system/inp/inp_lib.sh"
#   inp_init api                    # temp dir, traps, binaries
#   inp_substrate 20 >"$INP_TMP/substrate.yaml"
#   inp_start "$INP_TMP/substrate.yaml"   # port 0: INP_URL, INP_PID
#   ctl_op tenant add alice         # loomctl as the operator
#   ctl_as "$token" list            # loomctl with a token
#
# The daemon listens on 127.0.0.1 port 0 (the kernel picks a free port,
# which loom-inp prints), keeps its store and operator token in the test's
# own temporary folder, and is killed by PID and the folder removed on
# exit, failure or Ctrl-C.

INP_TMP=""
INP_PID=""
INP_URL=""
INP_STARTS=0
INP_HELPERS=() # other processes a test starts (killed by PID on exit)

inp_init() {
	LOOM_BUILD_DIR=${LOOM_BUILD_DIR:-$PWD}
	LOOM_SOURCE_DIR=${LOOM_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
	INP_DAEMON="$LOOM_BUILD_DIR/control/loom-inp"
	INP_LOOMCTL="$LOOM_BUILD_DIR/control/loomctl"
	INP_GEN="$LOOM_SOURCE_DIR/tests/system/inp/inp_gen.py"
	local tool
	for tool in "$INP_DAEMON" "$INP_LOOMCTL"; do
		if [ ! -x "$tool" ]; then
			echo "1..0 # SKIP $tool is not built"
			exit 0
		fi
	done
	for tool in python3 sqlite3; do
		if ! command -v "$tool" >/dev/null; then
			echo "1..0 # SKIP $tool is not installed"
			exit 0
		fi
	done
	INP_TMP=$(mktemp -d "/tmp/loom-inp-$1.XXXXXX")
	SYS_TMP=$INP_TMP # lib.sh's tap_check writes its output there
	trap inp_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	# Nothing from the caller's environment reaches loomctl by accident.
	unset LOOM_URL LOOM_TOKEN LOOM_TOKEN_FILE
}

inp_cleanup() {
	local pid
	for pid in "${INP_HELPERS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	INP_HELPERS=()
	if [ -n "$INP_PID" ]; then
		kill -KILL "$INP_PID" 2>/dev/null
		wait "$INP_PID" 2>/dev/null
		INP_PID=""
	fi
	[ -n "$INP_TMP" ] && rm -rf "$INP_TMP"
	INP_TMP=""
	return 0
}

inp_substrate() { python3 "$INP_GEN" substrate --nodes "$@"; }

# inp_request NODES SEED NAME [more inp_gen.py request options]
inp_request() {
	local nodes=$1 seed=$2 name=$3
	shift 3
	python3 "$INP_GEN" request --nodes "$nodes" --seed "$seed" \
		--name "$name" "$@"
}

# inp_start SUBSTRATE: writes the configuration and starts loom-inp
# on the store in $INP_TMP; returns when /v1/health answers. Restarting
# on the same store is calling it again after inp_kill/inp_stop.
inp_start() {
	local substrate=$1 config="$INP_TMP/inp.yaml" log tries=0
	INP_STORE="$INP_TMP/store.sqlite"
	INP_OPERATOR_TOKEN="$INP_TMP/operator.token"
	# With INP_TLS_CERTIFICATE and INP_TLS_KEY set: HTTPS (loomctl then
	# needs --cacert INP_TLS_CERTIFICATE, a self-signed one).
	cat >"$config" <<-EOF
		substrate: $substrate
		store: $INP_STORE
		listen: 127.0.0.1:0
		operator_token_file: $INP_OPERATOR_TOKEN
	EOF
	local scheme=http trust=()
	if [ -n "${INP_TLS_CERTIFICATE:-}" ]; then
		printf 'tls: {certificate: %s, key: %s}\n' "$INP_TLS_CERTIFICATE" \
			"$INP_TLS_KEY" >>"$config"
		scheme=https
		trust=(--cacert "$INP_TLS_CERTIFICATE")
	fi
	INP_STARTS=$((INP_STARTS + 1))
	log="$INP_TMP/inp.$INP_STARTS.log"
	"$INP_DAEMON" --config "$config" >"$log" 2>&1 &
	INP_PID=$!
	INP_URL=""
	while [ $tries -lt 100 ]; do
		if ! kill -0 "$INP_PID" 2>/dev/null; then
			wait "$INP_PID" 2>/dev/null
			INP_PID=""
			tail -n 20 "$log" | tap_diag
			return 1
		fi
		if [ -z "$INP_URL" ]; then
			local address
			address=$(sed -n 's/^loom-inp: listening on \([0-9.]*:[0-9]*\).*/\1/p' "$log")
			[ -n "$address" ] && INP_URL="$scheme://$address"
		fi
		if [ -n "$INP_URL" ] &&
			"$INP_LOOMCTL" --url "$INP_URL" "${trust[@]}" health >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.05
		tries=$((tries + 1))
	done
	echo "# loom-inp did not answer in 5 s" >&2
	tail -n 20 "$log" | tap_diag
	return 1
}

# inp_kill: SIGKILL, as a crash.
inp_kill() {
	[ -n "$INP_PID" ] || return 0
	kill -KILL "$INP_PID" 2>/dev/null
	wait "$INP_PID" 2>/dev/null
	INP_PID=""
}

# inp_stop: SIGTERM and wait (SIGKILL after 10 s: then it fails).
inp_stop() {
	[ -n "$INP_PID" ] || return 0
	local pid=$INP_PID tries=0
	INP_PID=""
	kill -TERM "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null && [ $tries -lt 100 ]; do
		[ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = Z ] && break
		sleep 0.1
		tries=$((tries + 1))
	done
	if [ $tries -ge 100 ]; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 1
	fi
	wait "$pid"
}

ctl() { "$INP_LOOMCTL" --url "$INP_URL" "$@"; }
ctl_op() { "$INP_LOOMCTL" --url "$INP_URL" --token-file "$INP_OPERATOR_TOKEN" "$@"; }
ctl_as() {
	local token=$1
	shift
	"$INP_LOOMCTL" --url "$INP_URL" --token "$token" "$@"
}

# new_tenant NAME: prints the new SP tenant's token.
new_tenant() {
	ctl_op --json tenant add "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

# json_get EXPRESSION: evaluates a Python expression on stdin's JSON as
# `j` and prints the result (strings bare, the rest as JSON).
json_get() {
	python3 -c '
import json, sys
j = json.load(sys.stdin)
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$1"
}

# expect_exit CODE COMMAND...: the command exits with CODE; its stderr
# is kept in $INP_TMP/last.err and stdout in $INP_TMP/last.out.
expect_exit() {
	local want=$1 got
	shift
	"$@" >"$INP_TMP/last.out" 2>"$INP_TMP/last.err"
	got=$?
	if [ "$got" != "$want" ]; then
		echo "exit $got, expected $want: $*"
		cat "$INP_TMP/last.err" "$INP_TMP/last.out" | head -n 10
		return 1
	fi
	return 0
}

# The error code of the last --json refusal (from $INP_TMP/last.out).
last_error_code() {
	json_get 'j["error"]["code"]' <"$INP_TMP/last.out" 2>/dev/null
}
