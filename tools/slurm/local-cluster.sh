#!/usr/bin/env bash
# A one-node Slurm cluster on localhost, for the pipeline's Slurm tests and for trying `--slurm` by hand.
#
#   sudo bash tools/slurm/local-cluster.sh          # start (idempotent: a running cluster is left alone)
#   sudo bash tools/slurm/local-cluster.sh stop     # stop slurmd, slurmctld and munged
#
# Needs Debian's slurm-wlm and munge (`apt-get install -y slurm-wlm munge`) and root. It creates a
# munge key if there is none, starts munged, writes a minimal /etc/slurm/slurm.conf (only if there is
# none, or the one there was written by this script), starts slurmctld and slurmd, and waits until
# `sinfo` shows the node idle. Jobs run as the submitting user on this machine; every daemon logs
# to /var/log/slurm/.
set -euo pipefail

CONF=/etc/slurm/slurm.conf
MARKER='# written by tools/slurm/local-cluster.sh'
NODE=localhost

die() { echo "local-cluster: $*" >&2; exit 1; }
say() { echo "local-cluster: $*" >&2; }

[[ $(id -u) -eq 0 ]] || die "must run as root (it starts munged, slurmctld and slurmd)"
for bin in munged slurmctld slurmd sinfo; do
  command -v "$bin" >/dev/null || die "$bin not found: apt-get install -y slurm-wlm munge"
done

pidfile() { case $1 in munged) echo /run/munge/munged.pid ;; *) echo "/run/$1.pid" ;; esac; }
# Whether the daemon of that pid file is alive (a killed one may linger as a zombie, or leave its pid file).
running() {
  local f pid
  f=$(pidfile "$1")
  [[ -s $f ]] || return 1
  pid=$(cat "$f")
  [[ -r /proc/$pid/stat ]] || return 1
  [[ $(awk '{ print $3 }' "/proc/$pid/stat") != Z ]] && [[ $(cat "/proc/$pid/comm") == "$1" ]]
}
munge_ok() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }
# Stops a daemon by the pid in its pid file (never by name: other processes may share it).
stop_daemon() {
  local f pid
  f=$(pidfile "$1")
  [[ -s $f ]] || return 0
  pid=$(cat "$f")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  say "stopped $1 ($pid)"
}

if [[ ${1:-start} == stop ]]; then
  for d in slurmd slurmctld munged; do stop_daemon "$d"; done
  exit 0
fi
[[ ${1:-start} == start ]] || die "usage: local-cluster.sh [start|stop]"

# munge: a key, its directories, the daemon.
install -d -o munge -g munge -m 0700 /etc/munge /var/log/munge /var/lib/munge
install -d -o munge -g munge -m 0755 /run/munge
if [[ ! -s /etc/munge/munge.key ]]; then
  say "creating /etc/munge/munge.key"
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
  chown munge:munge /etc/munge/munge.key
  chmod 0400 /etc/munge/munge.key
fi
if ! munge_ok; then
  # --force: a munged killed earlier leaves its socket and lock behind.
  su -s /bin/sh munge -c 'munged --force' 2>/dev/null || munged --force
  for _ in $(seq 50); do munge_ok && break; sleep 0.1; done
fi
munge_ok || die "munge does not work (see /var/log/munge/munged.log)"

# slurm.conf, sized to this machine.
cpus=$(nproc)
mem_mb=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
if [[ -f $CONF ]] && ! grep -qF "$MARKER" "$CONF"; then
  say "$CONF exists and was not written by this script; using it as it is"
else
  mkdir -p /etc/slurm
  cat >"$CONF.tmp" <<EOF
$MARKER
ClusterName=local
SlurmctldHost=$NODE
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
MinJobAge=3600
KillWait=5
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
  if ! cmp -s "$CONF.tmp" "$CONF"; then
    mv "$CONF.tmp" "$CONF"
    say "wrote $CONF ($cpus CPUs, ${mem_mb} MB)"
    # A changed config needs the daemons restarted.
    for d in slurmd slurmctld; do stop_daemon "$d"; done
  else
    rm -f "$CONF.tmp"
  fi
fi
mkdir -p /var/spool/slurmctld /var/spool/slurmd /var/log/slurm

running slurmctld || slurmctld || die "slurmctld did not start (see /var/log/slurm/slurmctld.log)"
running slurmd || slurmd -N "$NODE" || die "slurmd did not start (see /var/log/slurm/slurmd.log)"

# Wait for the node to be idle (a node left down by an earlier run is resumed).
for i in $(seq 120); do
  state=$(sinfo -h -n "$NODE" -o '%T' 2>/dev/null | head -1 || true)
  case $state in
    idle | mixed | allocated)
      say "node $NODE is $state: $(sinfo -h -o '%P %D nodes, %c CPUs' | head -1)"
      exit 0
      ;;
    down* | drain* | drained* | fail*)
      scontrol update nodename="$NODE" state=resume 2>/dev/null || true
      ;;
  esac
  sleep 0.5
done
die "the node did not become idle within 60 s (state: ${state:-none}); see /var/log/slurm/slurmctld.log and slurmd.log"
