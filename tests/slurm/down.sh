#!/usr/bin/env bash
# Stop the SLURM that tests/slurm/up.sh started in STATE_DIR: only the pids it recorded there
# (slurmd, slurmctld, munged, in that order), TERM then KILL after a grace period, after
# cancelling the jobs still on that cluster; and the
# /etc/slurm/slurm.conf symlink it made, if it still points into STATE_DIR.
#
#   tests/slurm/down.sh STATE_DIR [--rm]     # --rm also deletes STATE_DIR
set -uo pipefail
STATE=${1:?usage: down.sh STATE_DIR [--rm]}

# Cancel the jobs still on this cluster first, so slurmd ends their processes (stopping slurmd
# alone would leave running job steps behind).
if [ -f "$STATE/slurmctld.pid" ] && kill -0 "$(cat "$STATE/slurmctld.pid")" 2>/dev/null; then
    export SLURM_CONF=$STATE/slurm.conf
    if [ -n "$(squeue -h -o %i 2>/dev/null)" ]; then
        scancel --full $(squeue -h -o %i) 2>/dev/null
        for _ in $(seq 40); do
            [ -z "$(squeue -h -t RUNNING,COMPLETING,PENDING -o %i 2>/dev/null)" ] && break
            sleep 0.25
        done
    fi
fi

for name in slurmd slurmctld munged; do
    pidfile="$STATE/$name.pid"
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 40); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.25
        done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    fi
    rm -f "$pidfile"
done
if [ -f "$STATE/linked_conf" ]; then
    link=$(cat "$STATE/linked_conf")
    [ "$(readlink "$link")" = "$STATE/slurm.conf" ] && rm -f "$link"
    rm -f "$STATE/linked_conf"
fi
echo "down.sh: stopped the SLURM daemons of $STATE" >&2
if [ "${2:-}" = --rm ]; then
    rm -rf "$STATE"
fi
