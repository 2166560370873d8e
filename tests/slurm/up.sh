#!/usr/bin/env bash
# Start a throw-away single-node SLURM on localhost (munged, slurmctld, slurmd), for tests and CI.
#
#   tests/slurm/up.sh [STATE_DIR]      # default: a new mktemp -d directory
#   source STATE_DIR/env.sh            # SLURM_CONF for sinfo/sbatch/squeue/snakemake
#   tests/slurm/down.sh STATE_DIR      # stop exactly the daemons this script started
#
# Needs the Debian packages munge slurmctld slurmd slurm-client (slurm 22.05 on bookworm) and
# root (slurmd must be able to start jobs as the submitting user). Installs nothing. Everything
# lives in STATE_DIR (its own munge key and socket, slurm.conf, state, spool, logs) except one
# symlink /etc/slurm/slurm.conf -> STATE_DIR/slurm.conf, which down.sh removes: the SLURM
# executor's job step strips SLURM_CONF from the environment of its `srun`, so inside jobs the
# configuration must be at the compiled-in default path. Refuses to run on a host that already
# has its own /etc/slurm/slurm.conf (a real cluster).
# The node advertises one fake GPU (gres.conf: File=/dev/null) so GPU rules get scheduled.
# Prints the state directory on its last line of stdout.
set -euo pipefail

for exe in munged slurmctld slurmd sinfo scontrol; do
    command -v "$exe" >/dev/null || {
        echo "up.sh: $exe not found; apt-get install -y munge slurmctld slurmd slurm-client" >&2
        exit 1
    }
done

STATE=${1:-$(mktemp -d /tmp/dnabert-slurm.XXXXXX)}
if [ -e /etc/slurm/slurm.conf ] || [ -L /etc/slurm/slurm.conf ]; then
    echo "up.sh: /etc/slurm/slurm.conf exists (a real SLURM, or a cluster not brought down:" \
        "tests/slurm/down.sh STATE_DIR); not starting a test cluster here" >&2
    exit 1
fi
mkdir -p "$STATE"/{munge,ctld,spool}
STATE=$(cd "$STATE" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
# a failed start stops whatever it had started (and removes the config link)
trap 'rc=$?; [ "$rc" = 0 ] || "$HERE/down.sh" "$STATE"; exit "$rc"' EXIT
chmod 755 "$STATE"
CPUS=$(nproc)
# RealMemory must not exceed what slurmd detects, or the node is drained as "Low RealMemory".
DETECTED_MB=$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
MEM_MB=$((DETECTED_MB * 9 / 10))
PORT_BASE=${DNABERT_SLURM_PORT_BASE:-16817}

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
    local deadline=$((SECONDS + $1)) what=$2
    shift 2
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            echo "up.sh: timed out waiting for $what (logs in $STATE)" >&2
            return 1
        fi
        sleep 0.5
    done
}

start() { # start NAME COMMAND...: run in the background, record its pid in STATE/NAME.pid
    local name=$1
    shift
    # A session of its own: a signal to the caller's process group (e.g. from `timeout`) must
    # not kill the daemons under the jobs; down.sh stops them. (setsid execs without forking
    # here, as a background child is no group leader, so $! is the daemon's pid.)
    setsid "$@" >"$STATE/$name.out" 2>&1 </dev/null &
    echo $! >"$STATE/$name.pid"
}

# munge: a fresh key only this cluster uses; own socket; --force because /tmp is world-writable.
dd if=/dev/urandom of="$STATE/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$STATE/munge/munge.key"
start munged munged --foreground --force --key-file="$STATE/munge/munge.key" \
    --socket="$STATE/munge/munge.socket" --pid-file="$STATE/munge/munged.pid" \
    --log-file="$STATE/munge/munged.log" --seed-file="$STATE/munge/munged.seed"
wait_for 20 "the munge socket" test -S "$STATE/munge/munge.socket"

cat >"$STATE/slurm.conf" <<CONF
ClusterName=dnabertci
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$PORT_BASE
SlurmdPort=$((PORT_BASE + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$STATE/munge/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pidfile
SlurmdPidFile=$STATE/slurmd.pidfile
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
# keep finished jobs in squeue/scontrol for 10 min: there is no accounting database (no sacct)
MinJobAge=600
GresTypes=gpu
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB Gres=gpu:1 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
# A fake GPU: the scheduler counts it; jobs get CUDA_VISIBLE_DEVICES but no device.
echo "NodeName=localhost Name=gpu File=/dev/null" >"$STATE/gres.conf"
echo "export SLURM_CONF=$STATE/slurm.conf" >"$STATE/env.sh"
export SLURM_CONF=$STATE/slurm.conf
mkdir -p /etc/slurm
ln -s "$SLURM_CONF" /etc/slurm/slurm.conf
echo /etc/slurm/slurm.conf >"$STATE/linked_conf"

start slurmctld slurmctld -D -i -f "$SLURM_CONF"
wait_for 30 "slurmctld" scontrol ping
start slurmd slurmd -D -N localhost -f "$SLURM_CONF"

node_idle() { [ "$(sinfo -h -n localhost -o %t)" = idle ]; }
wait_for 60 "node localhost to become idle" node_idle || {
    sinfo -N -l >&2 || true
    tail -n 20 "$STATE/slurmctld.log" "$STATE/slurmd.log" >&2 || true
    exit 1
}
echo "up.sh: SLURM up: $CPUS CPUs, ${MEM_MB} MB, 1 fake GPU; source $STATE/env.sh" >&2
echo "$STATE"
