#!/usr/bin/env bash
# test_kill.sh — kill injection (docs/RELIABILITY.md). SIGKILL at random moments:
#  (a) synth rewriting a folder that holds a complete output: every file under its final name
#      is afterwards the old file (unchanged) or a complete new one (same data), never partial;
#  (b) synth with checkpoints every 6 blocks, killed at random and re-run until it finishes:
#      every checkpoint left is readable, every re-run resumes or starts over, and the final
#      data equal an uninterrupted run's;
#  (c) one rank of a 2-rank job killed: the whole job exits (non-zero) within a bound.
# PRC_KILL_TRIALS (a, default 10), PRC_KILL_CKPT_TRIALS (b, default 5), PRC_KILL_RANK_TRIALS
# (c, default 3); tests/bench.sh runs more.
cd "$(dirname "$0")/../.." && . tests/cli/lib.sh
N=${PRC_KILL_TRIALS:-10}
NB=${PRC_KILL_CKPT_TRIALS:-5}
NC=${PRC_KILL_RANK_TRIALS:-3}
A=(-synth_nx 200 -synth_ny 200 -synth_days 200 -synth_block_days 8 -synth_stations 2 -synth_png false -quiet)
FILES="catalog lst stations truth"
log="$TMP/kill.log"
t0=$(date +%s.%N)
if ! $P synth "${A[@]}" -out_dir "$TMP/ref" >"$TMP/ref.out" 2>&1; then fail reference "$(tail -n 5 "$TMP/ref.out")"; exit 0; fi
dur=$(echo "$(date +%s.%N) - $t0" | bc)
# rdelay: a random delay in [0.05, 1.2 x the uninterrupted run time] s
rdelay() { awk -v d="$dur" -v r=$RANDOM 'BEGIN { printf "%.3f", 0.05 + (r / 32767.0) * 1.2 * d }'; }

# run_killed DELAY OUT ARGS... : run synth (one process, no mpirun) and SIGKILL it after DELAY s;
# returns its exit status (137 if killed)
run_killed() {
  local d="$1" out="$2"; shift 2
  { $P synth "$@" -out_dir "$out" >>"$log" 2>&1; } 2>/dev/null &
  local pid=$!
  ( sleep "$d"; kill -KILL $pid 2>/dev/null ) &
  local k=$!
  wait $pid; local rc=$?
  kill $k 2>/dev/null; wait $k 2>/dev/null
  # the run must be gone before anything else touches $out: if the SIGKILL reached only a
  # job-control subshell, its synth would go on writing beside the next run (two writers break
  # the check, not the product). Seen once under full-suite load (2026-12-07, cause unconfirmed):
  # any such survivor is killed and counted in the summary.
  local n=0
  while pgrep -f -- "-out_dir $out\$" >/dev/null && [ $n -lt 50 ]; do
    [ $n -eq 0 ] && echo "survivor: a synth of $out outlived its kill" >>"$TMP/summary"
    pkill -KILL -f -- "-out_dir $out\$"; n=$((n + 1)); sleep 0.1
  done
  return $rc
}

# (a) overwrite a complete folder
killed=0 bad=()
for i in $(seq "$N"); do
  rm -rf "$TMP/a"; cp -r "$TMP/ref" "$TMP/a"
  declare -A sum=()
  for f in $FILES; do sum[$f]=$(md5sum <"$TMP/a/$f.h5"); done
  d=$(rdelay)
  run_killed "$d" "$TMP/a" "${A[@]}"; rc=$?
  [ $rc -eq 137 ] && killed=$((killed + 1))
  for f in $FILES; do
    g="$TMP/a/$f.h5"
    if [ ! -f "$g" ]; then bad+=("trial $i (kill at $d s): $f.h5 missing"); continue; fi
    [ "$(md5sum <"$g")" = "${sum[$f]}" ] && continue
    h5dump -H "$g" >/dev/null 2>&1 && h5diff -q --exclude-path /provenance "$TMP/ref/$f.h5" "$g" >/dev/null 2>&1 ||
      bad+=("trial $i (kill at $d s, rc $rc): $f.h5 changed and is not a complete new file")
  done
done
echo "a: $N trials, $killed killed mid-run" >>"$TMP/summary"
if [ ${#bad[@]} -eq 0 ]; then ok "overwrite_${N}_trials_${killed}_killed"; else fail overwrite "${bad[@]}"; fi

# (b) checkpoint every 2 blocks, kill at random, re-run until done
bad=() kills=0 ckpts=0 runs=0
for i in $(seq "$NB"); do
  rm -rf "$TMP/b"; rc=1 k=0
  while [ $rc -ne 0 ] && [ $k -lt 40 ]; do
    k=$((k + 1)); runs=$((runs + 1))
    if [ $((k % 3)) -eq 0 ]; then run_killed 30 "$TMP/b" "${A[@]}" -checkpoint_after_blocks 6; rc=$? # one undisturbed run in 3
    else d=$(rdelay); run_killed "$d" "$TMP/b" "${A[@]}" -checkpoint_after_blocks 6; rc=$?; fi
    case $rc in
      0) ;;
      99) ckpts=$((ckpts + 1)) ;;
      137) kills=$((kills + 1)) ;;
      *) bad+=("trial $i run $k: exit status $rc: $(tail -n 3 "$log" | tr '\n' ' ')"); break ;;
    esac
    if [ -e "$TMP/b/synth.checkpoint.h5" ] && ! h5dump -a /next_day "$TMP/b/synth.checkpoint.h5" >/dev/null 2>&1; then
      bad+=("trial $i run $k: checkpoint unreadable after exit $rc"); break
    fi
  done
  if [ $rc -eq 0 ]; then
    for f in $FILES; do
      h5diff -q --exclude-path /provenance "$TMP/ref/$f.h5" "$TMP/b/$f.h5" >/dev/null 2>&1 || bad+=("trial $i: $f.h5 differs from the uninterrupted run")
    done
    [ -e "$TMP/b/synth.checkpoint.h5" ] && bad+=("trial $i: checkpoint left after the run finished")
  elif [ ${#bad[@]} -eq 0 ]; then bad+=("trial $i: not finished after $k runs"); fi
done
echo "b: $NB trials, $runs runs, $kills killed, $ckpts checkpoints" >>"$TMP/summary"
if [ ${#bad[@]} -eq 0 ]; then ok "checkpoint_${NB}_trials_${runs}_runs_${kills}_killed"; else fail checkpoint "${bad[@]}"; fi

# (c) kill one rank of a 2-rank job: the job must end, non-zero, within 30 s
bad=()
for i in $(seq "$NC"); do
  $PRC_MPIRUN -n 2 $P synth "${A[@]}" -synth_days 2000 -out_dir "$TMP/c$i" >"$TMP/c$i.out" 2>&1 &
  mp=$!
  ranks=""
  for _ in $(seq 100); do ranks=$(pgrep -P $mp -f "$P synth"); [ "$(echo "$ranks" | wc -w)" -ge 2 ] && break; sleep 0.05; done
  sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.3 + r / 32767.0 }')"
  victim=$(echo "$ranks" | shuf -n 1)
  [ -n "$victim" ] || { bad+=("trial $i: rank processes not found"); kill -KILL $mp; wait $mp; continue; }
  ts=$(date +%s.%N)
  kill -KILL "$victim"
  ( sleep 30; kill -KILL $mp $ranks 2>/dev/null ) & w=$!
  wait $mp; rc=$?
  el=$(echo "$(date +%s.%N) - $ts" | bc)
  kill $w 2>/dev/null; wait $w 2>/dev/null
  for _ in $(seq 50); do left=$(for r in $ranks; do [ -d /proc/$r ] && ! grep -q '^State:.*Z' /proc/$r/status && echo $r; done); [ -z "$left" ] && break; sleep 0.1; done
  left=$(for r in $ranks; do [ -d /proc/$r ] && ! grep -q '^State:.*Z' /proc/$r/status 2>/dev/null && echo $r; done)
  echo "c: trial $i: mpirun exit $rc after ${el}s, ranks left: ${left:-none}" >>"$TMP/summary"
  if [ $rc -eq 0 ] || [ -n "$left" ] || (( $(echo "$el > 29" | bc) )); then bad+=("trial $i: exit $rc after ${el}s, ranks left: ${left:-none}")
  elif [ -e "$TMP/c$i/lst.h5" ]; then bad+=("trial $i: lst.h5 exists after a failed job"); fi
done
if [ ${#bad[@]} -eq 0 ]; then ok "one_rank_killed_job_exits_${NC}_trials"; else fail one_rank_killed "${bad[@]}"; fi
cat "$TMP/summary" >&2
