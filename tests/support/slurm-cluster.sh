#!/usr/bin/env bash
# Single-node Slurm cluster whose whole state lives in one directory, for the
# executor tests (tests/e2e/lib.sh: start_slurm; docs/executors.md). Measured
# recipe, notes and pitfalls: the design folder's reference/slurm-single-node.md.
# Tested on Debian 12 with slurm-wlm 22.05.8 and munge 0.5.15.
#
# Packages:  apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge
#   (where policy-rc.d denies service starts, as in most containers, the packages
#    start nothing). No file under /etc/slurm or /etc/munge is read or changed.
#
# Usage:
#   slurm-cluster.sh start  DIR   # create DIR, start munged, slurmctld, slurmd, wait for an idle node;
#                                     # prints "export SLURM_CONF=DIR/slurm.conf"
#   slurm-cluster.sh stop   DIR   # cancel all jobs, stop the daemons by their PIDs
#   slurm-cluster.sh status DIR
#   slurm-cluster.sh env    DIR   # prints "export SLURM_CONF=DIR/slurm.conf"
#   slurm-cluster.sh kill   DIR NAME [SIG]  # SIG (default KILL) to one daemon (slurmctld,
#                                     # slurmd) by its pid; waits until it is gone
#   slurm-cluster.sh restart DIR NAME # starts that daemon again with the same config
# or source this file and call slurm_sn_start / slurm_sn_stop / slurm_sn_status DIR,
# slurm_sn_kill / slurm_sn_restart DIR NAME
# (slurm_sn_start then also exports SLURM_CONF in the calling shell).
#
# A daemon killed and restarted (the fault tests, tests/e2e/slurm_faults.sh):
#   slurmd     its jobs run on meanwhile under their slurmstepd; a job that ends
#              while slurmd is away stays COMPLETING until it is back; the restarted
#              slurmd finds its running jobs again. Away longer than SlurmdTimeout
#              (300 s), the node would be set DOWN and its jobs end NODE_FAIL.
#   slurmctld  it recovers its jobs from StateSaveLocation (spool/ctld) and its
#              clients retry meanwhile (squeue fails after about 18 s, sbatch after
#              9 s). Killed in the few seconds between a job's start and the next
#              save of its state (spool/ctld/job_state), it comes back believing the
#              job pending: the node still runs it, so it drains the node
#              ("Duplicate jobid") and holds the job ("launch failed requeued held").
#
# Clients (sbatch, srun, squeue, scontrol, scancel, sinfo) need SLURM_CONF=DIR/slurm.conf.
# Started as root: daemons run as root and any local user can submit.
# Started as another user: daemons run as that user and only that user's jobs can run
# (another user's batch job ends "launch failed requeued held").
#
# Settings (environment):
#   SLURM_SN_AUTH=munge|none  default munge. "none" runs no munged, but then any
#                             local process can claim any uid to Slurm.
#   SLURM_SN_MIN_JOB_AGE=5    MinJobAge: a finished job stays in squeue/scontrol for at
#                             least this many seconds (purged within about 60 s more).
#                             At <= 5, `sbatch --wait` polls every 2 s; above, it backs off
#                             (Slurm's default 300 gives returns at 2, 10, 42, 74... s).
#   SLURM_SN_OVERSUBSCRIBE=N  let N jobs share each core (OverSubscribe=FORCE:N). Default
#                             off: one job per core, about 2 trivial jobs per second on
#                             2 cores; with 4, 7 to 10 per second.
#   SLURM_SN_TIMEOUT=30       seconds allowed for each start/stop step.
#   SLURM_SN_MESSAGE_TIMEOUT=N  MessageTimeout (Slurm's default 10). Also how long clients
#                             try to reach a controller that is away: squeue gives up
#                             after about 18 s at 10, 3 s at 4; sbatch after 9 s, 3 s.
#
# DIR afterwards: slurm.conf, jobcomp.txt (a line per finished job, with ExitCode=),
#   log/slurmctld.log, log/slurmd.log, munge/ (key, socket, munged.log), spool/, *.pid.
# DIR must be at most 80 characters long (munge socket path limit) and its parent
# directories must not be writable by group/others unless sticky (munged checks this).

_sn_log() { echo "slurm-single-node: $*" >&2; }

# N distinct TCP ports in 10000-31999 (below the ephemeral range) that nothing has bound.
_sn_free_ports() {
    local n=$1 used p i out=()
    # Local ports in hex, as listed in /proc/net/tcp*; read with awk, since bash's
    # read builtin goes byte by byte and that file is slow to reread.
    used=" $(awk 'FNR > 1 {split($2, a, ":"); printf "%s ", a[2]}' /proc/net/tcp /proc/net/tcp6 2>/dev/null)"
    for ((i = 0; i < 1000 && ${#out[@]} < n; i++)); do
        p=$((10000 + RANDOM % 22000))
        [[ $used == *" $(printf %04X "$p") "* ]] && continue
        used+="$(printf %04X "$p") "
        out+=("$p")
    done
    [ "${#out[@]}" -eq "$n" ] && echo "${out[*]}"
}

_sn_alive() {  # process exists and is not a zombie
    local st
    st=$(sed -n 's/.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ]
}

_sn_descendants() {  # PIDs of all descendants of $1
    ps -eo pid=,ppid= | awk -v root="$1" '
        { parent[$1] = $2 }
        END { for (p in parent) { q = p
                  while (q in parent && q != root && q > 1) q = parent[q]
                  if (q == root && p != root) print p } }'
}

_sn_dead() { ! _sn_alive "$1"; }

# PID of a daemon of DIR: from its pid file, else from DIR/pids; only if alive with that name.
_sn_pid() {
    local dir=$1 name=$2 pidfile pid=""
    case $name in
        munged) pidfile=$dir/munge/munged.pid ;;
        *) pidfile=$dir/$name.pid ;;
    esac
    [ -s "$pidfile" ] && pid=$(cat "$pidfile")
    [ -z "$pid" ] && [ -s "$dir/pids" ] && pid=$(awk -v n="$name" '$1 == n {print $2}' "$dir/pids")
    [ -n "$pid" ] && _sn_alive "$pid" || return 1
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] || return 1
    echo "$pid"
}

_sn_wait() {  # _sn_wait SECONDS CMD... : 0 as soon as CMD succeeds, 1 on timeout
    local end=$(($(date +%s) + $1))
    shift
    until "$@"; do
        [ "$(date +%s)" -ge "$end" ] && return 1
        sleep 0.1
    done
}

_sn_queue_empty() { [ -z "$(squeue -h -o %A 2>/dev/null)" ]; }

_sn_scheduler_ran() {  # _sn_scheduler_ran DIR: slurmctld has run its first scheduling pass
    local n
    n=$(SLURM_CONF="$1/slurm.conf" sdiag 2>/dev/null |
        awk '/Main schedule statistics/ {m = 1} m && /Total cycles:/ {print $3; exit}')
    [ "${n:-0}" -ge 1 ]
}

_sn_node_idle() {  # _sn_node_idle DIR NODE
    [ "$(SLURM_CONF="$1/slurm.conf" sinfo -h -n "$2" -o %T 2>/dev/null)" = idle ]
}

# _sn_start_daemon DIR NAME: starts slurmctld or slurmd with DIR's configuration
# (slurmctld recovers the state it saved in DIR, if any), waits for its pid file
# and records its pid in DIR/pids.
_sn_start_daemon() {
    local dir=$1 b=$2 tmo=${SLURM_SN_TIMEOUT:-30}
    rm -f "$dir/$b.pid"
    # Both fork into the background and write their pid files.
    case $b in
        slurmctld) slurmctld -f "$dir/slurm.conf" ;;
        slurmd) slurmd -f "$dir/slurm.conf" -N "$(hostname -s)" ;;
        *) _sn_log "cannot start $b"; return 1 ;;
    esac || { _sn_log "$b failed, see $dir/log/$b.log"; return 1; }
    _sn_wait "$tmo" test -s "$dir/$b.pid" || { _sn_log "$b wrote no pid file, see $dir/log/$b.log"; return 1; }
    if [ -f "$dir/pids" ]; then
        awk -v n="$b" '$1 != n' "$dir/pids" > "$dir/pids.new" && mv "$dir/pids.new" "$dir/pids"
    fi
    echo "$b $(cat "$dir/$b.pid")" >> "$dir/pids"
}

_sn_start() {
    local dir=$1 auth=${SLURM_SN_AUTH:-munge} tmo=${SLURM_SN_TIMEOUT:-30}
    local user host nodeline ports ctld_port d_port oversub b
    user=$(id -un)
    host=$(hostname -s)

    mkdir -p "$dir"/log "$dir"/spool/ctld "$dir"/spool/d "$dir"/munge || return 1
    # munged requires every directory above its socket to be executable by all.
    chmod 755 "$dir" "$dir/munge"
    : > "$dir/pids"

    if [ "$auth" = munge ]; then
        if [ ! -s "$dir/munge/munge.key" ]; then
            if command -v mungekey >/dev/null; then
                mungekey -c -k "$dir/munge/munge.key" || return 1
            else
                dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none || return 1
            fi
        fi
        chmod 600 "$dir/munge/munge.key"
        rm -f "$dir/munge/munge.socket" "$dir/munge/munge.socket.lock"
        munged --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
            --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
            --seed-file="$dir/munge/munged.seed" ||
            { _sn_log "munged failed, see $dir/munge/munged.log"; return 1; }
        _sn_wait "$tmo" test -S "$dir/munge/munge.socket" || { _sn_log "no munge socket"; return 1; }
        _sn_wait "$tmo" test -s "$dir/munge/munged.pid" || { _sn_log "munged wrote no pid file"; return 1; }
        echo "munged $(cat "$dir/munge/munged.pid")" >> "$dir/pids"
    fi

    # Hardware as slurmd sees it; a node defined with more CPUs or memory would be drained.
    nodeline=$(slurmd -C 2>/dev/null | head -n1)
    case $nodeline in NodeName=*) ;; *) _sn_log "slurmd -C failed"; return 1 ;; esac
    nodeline="NodeName=$host ${nodeline#* }"
    ports=$(_sn_free_ports 2) || { _sn_log "no free TCP port found"; return 1; }
    read -r ctld_port d_port <<< "$ports"
    oversub=NO
    [ -n "${SLURM_SN_OVERSUBSCRIBE:-}" ] && oversub=FORCE:$SLURM_SN_OVERSUBSCRIBE

    : > "$dir/plugstack.conf"
    {
        echo "ClusterName=single"
        echo "SlurmctldHost=$host(127.0.0.1)"
        echo "SlurmctldPort=$ctld_port"
        echo "SlurmdPort=$d_port"
        echo "SlurmUser=$user"
        echo "SlurmdUser=$user"
        if [ "$auth" = munge ]; then
            echo "AuthType=auth/munge"
            echo "CredType=cred/munge"
            echo "AuthInfo=socket=$dir/munge/munge.socket"
        else
            echo "AuthType=auth/none"
            echo "CredType=cred/none"
        fi
        echo "StateSaveLocation=$dir/spool/ctld"
        echo "SlurmdSpoolDir=$dir/spool/d"
        echo "SlurmctldPidFile=$dir/slurmctld.pid"
        echo "SlurmdPidFile=$dir/slurmd.pid"
        echo "SlurmctldLogFile=$dir/log/slurmctld.log"
        echo "SlurmdLogFile=$dir/log/slurmd.log"
        echo "PlugStackConfig=$dir/plugstack.conf"
        echo "ProctrackType=proctrack/linuxproc"
        echo "TaskPlugin=task/none"
        echo "SelectType=select/cons_tres"
        echo "SelectTypeParameters=CR_Core"
        echo "SchedulerType=sched/backfill"
        # Default 3: a job submitted < 3 s after the previous scheduling pass waits up to 3 s.
        echo "SchedulerParameters=batch_sched_delay=0"
        echo "JobAcctGatherType=jobacct_gather/none"
        echo "AccountingStorageType=accounting_storage/none"
        echo "JobCompType=jobcomp/filetxt"
        echo "JobCompLoc=$dir/jobcomp.txt"
        echo "MinJobAge=${SLURM_SN_MIN_JOB_AGE:-5}"
        echo "KillWait=5"
        [ -n "${SLURM_SN_MESSAGE_TIMEOUT:-}" ] && echo "MessageTimeout=$SLURM_SN_MESSAGE_TIMEOUT"
        echo "MpiDefault=none"
        echo "MailProg=/bin/true"
        echo "ReturnToService=2"
        echo "$nodeline NodeAddr=127.0.0.1 State=UNKNOWN"
        echo "PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=$oversub"
    } > "$dir/slurm.conf"
    chmod 644 "$dir/slurm.conf"

    export SLURM_CONF=$dir/slurm.conf
    for b in slurmctld slurmd; do
        _sn_start_daemon "$dir" $b || return 1
    done

    if ! _sn_wait "$tmo" _sn_node_idle "$dir" "$host"; then
        _sn_log "node not idle after ${tmo} s"
        sinfo -N -o '%N %T %E' >&2
        tail -n 5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2
        return 1
    fi
    # The first scheduling pass comes about 3 s after slurmctld starts (batch_sched_delay
    # is only read then); waiting for it here keeps the first batch job from waiting.
    _sn_wait "$tmo" _sn_scheduler_ran "$dir" || { _sn_log "no scheduling pass after ${tmo} s"; return 1; }
}

slurm_sn_start() {
    local dir=${1:?usage: slurm_sn_start DIR} b
    for b in slurmctld slurmd sbatch sinfo squeue scancel sdiag; do
        command -v "$b" >/dev/null ||
            { _sn_log "$b not found (apt-get install slurmctld slurmd slurm-client munge)"; return 1; }
    done
    if [ "${SLURM_SN_AUTH:-munge}" = munge ] && ! command -v munged >/dev/null; then
        _sn_log "munged not found (apt-get install munge)"; return 1
    fi
    mkdir -p "$dir" || return 1
    dir=$(cd "$dir" && pwd) || return 1
    [ ${#dir} -le 80 ] || { _sn_log "DIR path too long (${#dir} > 80 characters)"; return 1; }
    for b in munged slurmctld slurmd; do
        if _sn_pid "$dir" $b >/dev/null; then
            _sn_log "$b already runs for $dir; stop it first"; return 1
        fi
    done
    if ! _sn_start "$dir"; then
        slurm_sn_stop "$dir" >/dev/null 2>&1
        return 1
    fi
    echo "export SLURM_CONF=$dir/slurm.conf"
}

slurm_sn_stop() {
    local dir=${1:?usage: slurm_sn_stop DIR} tmo=${SLURM_SN_TIMEOUT:-30} name pid p jobs
    dir=$(cd "$dir" 2>/dev/null && pwd) || { _sn_log "no such directory: $1"; return 1; }
    local SLURM_CONF=$dir/slurm.conf
    export SLURM_CONF

    # Jobs first: their slurmstepd and processes survive slurmd otherwise.
    if _sn_pid "$dir" slurmctld >/dev/null; then
        jobs=$(squeue -h -o %A 2>/dev/null | sort -u)
        if [ -n "$jobs" ]; then
            # shellcheck disable=SC2086
            scancel $jobs 2>/dev/null
            _sn_wait "$tmo" _sn_queue_empty ||
                _sn_log "jobs still listed after $tmo s"
        fi
    fi

    for name in slurmd slurmctld munged; do
        pid=$(_sn_pid "$dir" $name) || continue
        kill -TERM "$pid" 2>/dev/null
        if ! _sn_wait "$tmo" _sn_dead "$pid"; then
            _sn_log "$name ($pid) still alive after SIGTERM; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null
        fi
    done

    # A slurmstepd left from this cluster (slurmd gone before its jobs) carries our
    # SLURM_CONF in its environment; kill it with all its descendants.
    for p in /proc/[0-9]*; do
        [ "$(cat "$p/comm" 2>/dev/null)" = slurmstepd ] || continue
        _sn_alive "${p#/proc/}" || continue
        tr '\0' '\n' 2>/dev/null < "$p/environ" | grep -qxF "SLURM_CONF=$dir/slurm.conf" || continue
        pid=${p#/proc/}
        _sn_log "killing leftover slurmstepd $pid and its descendants"
        # shellcheck disable=SC2046
        kill -KILL "$pid" $(_sn_descendants "$pid") 2>/dev/null
    done
    rm -f "$dir/pids"
}

# slurm_sn_kill DIR NAME [SIGNAL]: sends SIGNAL (default KILL) to the daemon NAME
# (slurmctld, slurmd) of DIR, by the pid it wrote, and waits until it is gone.
slurm_sn_kill() {
    local dir=${1:?usage: slurm_sn_kill DIR NAME [SIGNAL]} name=${2:?NAME} sig=${3:-KILL}
    local tmo=${SLURM_SN_TIMEOUT:-30} pid
    case $name in slurmctld | slurmd) ;; *) _sn_log "cannot kill $name"; return 1 ;; esac
    dir=$(cd "$dir" 2>/dev/null && pwd) || { _sn_log "no such directory: $1"; return 1; }
    pid=$(_sn_pid "$dir" "$name") || { _sn_log "$name does not run for $dir"; return 1; }
    kill -"$sig" "$pid" || return 1
    _sn_wait "$tmo" _sn_dead "$pid" || { _sn_log "$name ($pid) still alive after SIG$sig"; return 1; }
}

# slurm_sn_restart DIR NAME: starts the daemon NAME (slurmctld, slurmd) of DIR again,
# with the same configuration, and waits until it answers: for slurmctld, until
# sinfo does; for slurmd, until the controller has its node back (not down or
# unknown). Refused while it still runs.
slurm_sn_restart() {
    local dir=${1:?usage: slurm_sn_restart DIR NAME} name=${2:?NAME}
    local tmo=${SLURM_SN_TIMEOUT:-30} host
    case $name in slurmctld | slurmd) ;; *) _sn_log "cannot restart $name"; return 1 ;; esac
    dir=$(cd "$dir" 2>/dev/null && pwd) || { _sn_log "no such directory: $1"; return 1; }
    if _sn_pid "$dir" "$name" >/dev/null; then
        _sn_log "$name already runs for $dir"; return 1
    fi
    _sn_start_daemon "$dir" "$name" || return 1
    host=$(hostname -s)
    if [ "$name" = slurmctld ]; then
        _sn_wait "$tmo" _sn_ctld_answers "$dir" || { _sn_log "slurmctld does not answer after ${tmo} s"; return 1; }
    else
        _sn_wait "$tmo" _sn_node_back "$dir" "$host" || { _sn_log "node $host not back after ${tmo} s"; return 1; }
    fi
}

_sn_ctld_answers() { SLURM_CONF="$1/slurm.conf" sinfo -h -o %P >/dev/null 2>&1; }

_sn_node_back() {  # _sn_node_back DIR NODE: its state is neither down nor unknown
    local st
    st=$(SLURM_CONF="$1/slurm.conf" sinfo -h -n "$2" -o %T 2>/dev/null) || return 1
    case $st in "" | down* | unk* | *'*') return 1 ;; esac
}

slurm_sn_status() {
    local dir=${1:?usage: slurm_sn_status DIR} name pid rc=0
    dir=$(cd "$dir" 2>/dev/null && pwd) || { _sn_log "no such directory: $1"; return 1; }
    for name in munged slurmctld slurmd; do
        if pid=$(_sn_pid "$dir" $name); then
            echo "$name running, pid $pid"
        else
            echo "$name not running"
            [ $name = munged ] || rc=1
        fi
    done
    [ $rc = 0 ] && SLURM_CONF=$dir/slurm.conf sinfo
    return $rc
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    case ${1:-} in
        start) slurm_sn_start "${2:?DIR}" ;;
        stop) slurm_sn_stop "${2:?DIR}" ;;
        status) slurm_sn_status "${2:?DIR}" ;;
        env) echo "export SLURM_CONF=$(cd "${2:?DIR}" && pwd)/slurm.conf" ;;
        kill) slurm_sn_kill "${2:?DIR}" "${3:?NAME}" "${4:-KILL}" ;;
        restart) slurm_sn_restart "${2:?DIR}" "${3:?NAME}" ;;
        *) echo "usage: $0 start|stop|status|env DIR | kill DIR NAME [SIG] | restart DIR NAME" >&2; exit 2 ;;
    esac
fi
