#!/bin/sh
# The replay tool links none of the running agent's parts: no zoneq, backend, spawn or listener symbol.
# usage: check-replay-links.sh NM REPLAY_EXE
nm=$1
exe=$2
syms=$("$nm" "$exe") || { echo "cannot read the symbols of $exe"; exit 1; }
# the check must see the tool's own symbols, or it proves nothing
echo "$syms" | grep -q ' T replay_explain$' || { echo "no symbol table in $exe (stripped?)"; exit 1; }
bad=$(echo "$syms" | grep -E ' [TDBR] (zoneq_|backend_|spawn_|spawner_|spawnlog_|listener_|daemon_|agent_req_)')
if [ -n "$bad" ]; then
	echo "the replay tool links parts of the running agent:"
	echo "$bad"
	exit 1
fi
echo "ok: $(echo "$syms" | grep -c ' T ') functions, none of zoneq, backend, spawn, listener, daemon, agent-req"
