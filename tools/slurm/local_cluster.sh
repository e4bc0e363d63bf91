#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, to try and test `sptk-cli run --backend slurm`.
#
#   tools/slurm/local_cluster.sh up       # install if needed (root), start munged, slurmctld,
#                                         # slurmd; wait until sinfo shows the node idle
#   tools/slurm/local_cluster.sh status   # daemons and sinfo
#   tools/slurm/local_cluster.sh down     # stop the daemons it started (by PID)
#   eval "$(tools/slurm/local_cluster.sh env)"   # export SLURM_CONF for sbatch, squeue, ...
#
# Run it as root: the daemons run as root (SlurmUser=root), as on a throwaway test machine.
# Everything lives in a state folder, $SPTK_SLURM_DIR (default /tmp/sptk-slurm):
# the generated slurm.conf, pid files, daemon logs, spool and controller state.
# One node (this host, reached at 127.0.0.1) with all its CPUs in partition
# `debug`; no cgroups, no accounting database (sacct is unavailable: the
# dispatcher then reads task states from squeue). Ports: $SPTK_SLURM_PORT
# (slurmctld, default 6817) and the next one (slurmd). Every command is
# idempotent: `up` twice starts nothing new, `down` twice stops nothing.
set -euo pipefail

dir=${SPTK_SLURM_DIR:-/tmp/sptk-slurm}
conf=$dir/slurm.conf
port=${SPTK_SLURM_PORT:-6817}
host=$(hostname -s)
export SLURM_CONF=$conf

log() { echo "local_cluster: $*" >&2; }
die() { log "error: $*"; exit 1; }

alive() {  # alive PIDFILE: the pid in the file is a running (non-zombie) process
  local pid
  [[ -s $1 ]] || return 1
  pid=$(<"$1")
  [[ -r /proc/$pid/stat ]] || return 1
  [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]]
}

install_packages() {
  command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
    && command -v munged >/dev/null && return
  local line="apt-get install -y --no-install-recommends slurm-wlm munge"
  [[ $(id -u) == 0 ]] || die "Slurm is not installed; as root run: apt-get update && $line"
  log "installing slurm-wlm and munge"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $line >/dev/null
}

start_munge() {
  if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
    return  # a munged is already answering (ours or the system's)
  fi
  local key=/etc/munge/munge.key
  if [[ ! -s $key ]]; then
    log "creating $key"
    mkdir -p /etc/munge
    dd if=/dev/urandom of=$key bs=1024 count=1 status=none
  fi
  chown munge:munge /etc/munge $key
  chmod 700 /etc/munge
  chmod 400 $key
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown -R munge:munge /run/munge /var/log/munge /var/lib/munge
  log "starting munged"
  if [[ $(id -u) == 0 ]] && command -v runuser >/dev/null; then
    runuser -u munge -- munged  # its own user: munged checks its folders' owners
  else
    munged --force
  fi
  cp /run/munge/munged.pid "$dir/munged.pid"  # ours: `down` stops it
  for _ in $(seq 50); do
    munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && return
    sleep 0.1
  done
  die "munged does not answer (see /var/log/munge/munged.log)"
}

write_conf() {
  # The node line as slurmd detects it (CPUs, sockets, cores), with memory kept
  # a little under the total so the node is never drained for "low RealMemory".
  local node mem
  node=$(slurmd -C | head -n 1)
  mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$node")
  node=$(sed -e "s/^NodeName=[^ ]*/NodeName=$host NodeAddr=127.0.0.1/" \
             -e "s/RealMemory=[0-9]*/RealMemory=$((mem * 9 / 10))/" <<<"$node")
  mkdir -p "$dir/state" "$dir/spool" "$dir/log"
  cat >"$conf.tmp" <<EOF
# Written by tools/slurm/local_cluster.sh: a one-node cluster on $host.
ClusterName=sptk
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# schedule at once, not in batches: tests and short jobs wait seconds less
SchedulerParameters=batch_sched_delay=0,bf_interval=1,sched_min_interval=100000
ReturnToService=2
KillWait=5
MinJobAge=300
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
$node State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$conf.tmp" "$conf"
}

node_state() { sinfo --noheader --Node --format=%T 2>/dev/null | head -n 1; }

wait_idle() {
  local state=""
  for _ in $(seq 120); do
    state=$(node_state)
    case $state in
      idle | mixed | allocated | completing) log "node $host is $state"; return ;;
      down* | drain*) scontrol update NodeName="$host" State=RESUME 2>/dev/null || true ;;
    esac
    sleep 0.5
  done
  log "the node did not become idle (last state: '${state:-none}'); daemon logs:"
  tail -n 5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
  exit 1
}

up() {
  install_packages
  mkdir -p "$dir"
  start_munge
  if alive "$dir/slurmctld.pid" || alive "$dir/slurmd.pid"; then
    log "already running (state in $dir)"
  else
    write_conf
  fi
  if ! alive "$dir/slurmctld.pid"; then
    log "starting slurmctld"
    slurmctld -f "$conf"
  fi
  if ! alive "$dir/slurmd.pid"; then
    log "starting slurmd"
    slurmd -f "$conf"
  fi
  wait_idle
  log "ready; point the Slurm commands at it with: export SLURM_CONF=$conf"
}

stop() {  # stop NAME: SIGTERM the daemon in $dir/NAME.pid, SIGKILL if it lingers
  local pidfile=$dir/$1.pid pid
  alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  pid=$(<"$pidfile")
  log "stopping $1 (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    alive "$pidfile" || break
    sleep 0.1
  done
  if alive "$pidfile"; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$pidfile"
}

down() {
  stop slurmd
  stop slurmctld
  stop munged
}

status() {
  local name
  if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then echo "munged: answering"
  else echo "munged: not answering"; fi
  for name in slurmctld slurmd; do
    if alive "$dir/$name.pid"; then echo "$name: running (pid $(<"$dir/$name.pid"))"
    else echo "$name: not running (from $dir)"; fi
  done
  if alive "$dir/slurmctld.pid"; then sinfo; fi
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) status ;;
  env) echo "export SLURM_CONF=$conf" ;;
  *) echo "usage: $0 up|down|status|env   (state in \$SPTK_SLURM_DIR, default /tmp/sptk-slurm)" >&2
     exit 2 ;;
esac
