#!/usr/bin/env bash
# tests/slurm/cluster.sh — a real one-node Slurm cluster on localhost for the tests of the
# batch scripts (munged + slurmctld + slurmd, every file under one base folder).
#   tests/slurm/cluster.sh start BASE   -> prints "export SLURM_CONF=BASE/etc/slurm.conf"
#   tests/slurm/cluster.sh stop BASE
# Facts and pitfalls: ../shared/docs/HPC-SETUP.md (no systemd; root munged needs its own
# key; hostname is not localhost; kill_invalid_depend; EnforcePartLimits; 4 CPUs presented).
set -euo pipefail
cmd="$1"; base="$(mkdir -p "$2" && cd "$2" && pwd)"
conf="$base/etc/slurm.conf"

alive() { [ -f "$1" ] && local p; p=$(cat "$1" 2>/dev/null) && [ -n "$p" ] && [ -r "/proc/$p/stat" ] && ! grep -q ') Z ' "/proc/$p/stat"; }

stop() {
  for f in slurmd slurmctld munged; do
    local pf="$base/$f.pid" p
    [ -f "$pf" ] || continue
    p=$(cat "$pf" 2>/dev/null || true)
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
    for _ in $(seq 50); do [ -r "/proc/$p/stat" ] && ! grep -q ') Z ' "/proc/$p/stat" 2>/dev/null || break; sleep 0.1; done
    rm -f "$pf"
  done
}

case "$cmd" in
stop) stop; exit 0 ;;
start) ;;
*) echo "usage: $0 start|stop BASE" >&2; exit 2 ;;
esac

for b in munged mungekey slurmctld slurmd sbatch; do command -v $b >/dev/null || { echo "cluster.sh: $b not installed (make deps)" >&2; exit 3; }; done
stop
mkdir -p "$base"/{etc,munge,state,spool,log}
chmod 755 "$base" "$base/munge"
mungekey --create --keyfile="$base/munge/munge.key" --force >/dev/null 2>&1 || mungekey --create --keyfile="$base/munge/munge.key"
chmod 600 "$base/munge/munge.key"
munged --key-file="$base/munge/munge.key" --socket="$base/munge/munge.socket" --pid-file="$base/munged.pid" \
  --log-file="$base/log/munged.log" --seed-file="$base/munge/munge.seed" --force
chmod a+x "$base/munge"
cat >"$conf" <<CONF
ClusterName=precursor
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$base/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$base/state
SlurmdSpoolDir=$base/spool
SlurmctldPidFile=$base/slurmctld.pid
SlurmdPidFile=$base/slurmd.pid
SlurmctldLogFile=$base/log/slurmctld.log
SlurmdLogFile=$base/log/slurmd.log
SlurmctldPort=${PRC_SLURMCTLD_PORT:-16817}
SlurmdPort=${PRC_SLURMD_PORT:-16818}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MinJobAge=3600
EnforcePartLimits=ALL
DependencyParameters=kill_invalid_depend
SchedulerParameters=batch_sched_delay=0
SlurmdParameters=config_overrides
ReturnToService=2
MpiDefault=none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=4 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$conf"
slurmctld -f "$conf"
slurmd -N localhost -f "$conf"
for _ in $(seq 100); do
  sinfo -h -o '%T' 2>/dev/null | grep -qE '^idle' && { echo "export SLURM_CONF=$conf"; exit 0; }
  sleep 0.1
done
echo "cluster.sh: Slurm did not become idle; logs in $base/log" >&2
tail -n 20 "$base"/log/*.log >&2 || true
stop
exit 1
