#!/usr/bin/env bash
# jobs/submit.sh — submit a pipeline of precursor stages (jobs/*.pipeline) to Slurm as
# chained sbatch jobs: `--dependency=afterok:` between steps, job arrays for steps that
# run per task, one output folder per step (and per array task). Prints the job ids and
# where the outputs will be.
#
#   jobs/submit.sh jobs/demo.pipeline [OUT_DIR]      (default OUT_DIR: outputs/<name>-<UTC time>)
#   jobs/submit.sh --dry-run jobs/demo.pipeline      print the sbatch commands only
#
# Pipeline file: one step per line, '#' comments, fields separated by spaces:
#   step NAME [ntasks=N] [time=HH:MM:SS] [after=STEP[,STEP]] [array=0-3] [launch=srun|mpirun] -- STAGE ARGS...
# In ARGS, {out} is OUT_DIR and {task} the array index (substituted inside the job).
set -euo pipefail
dry=0
[ "${1:-}" = "--dry-run" ] && { dry=1; shift; }
pipe="${1:?usage: jobs/submit.sh [--dry-run] PIPELINE [OUT_DIR]}"
[ -r "$pipe" ] || { echo "submit: cannot read pipeline '$pipe'" >&2; exit 2; }
cd "$(dirname "$0")/.."
name=$(basename "$pipe" .pipeline)
out="${2:-outputs/$name-$(date -u +%Y%m%dT%H%M%SZ)}"
declare -A jid
ln=0; nsteps=0
printf '%-12s %-10s %-14s %s\n' STEP JOBID DEPENDS OUTPUT
while IFS= read -r line || [ -n "$line" ]; do
  ln=$((ln + 1))
  line="${line%%#*}"; [ -z "${line// }" ] && continue
  read -r -a w <<<"$line"
  [ "${w[0]}" = step ] && [ "${#w[@]}" -ge 4 ] || { echo "submit: $pipe:$ln: expected 'step NAME [key=value...] -- STAGE ARGS'" >&2; exit 2; }
  step="${w[1]}"; ntasks=1; tlim=01:00:00; after=""; array=""; launch=srun; i=2
  [[ "$step" =~ ^[A-Za-z0-9_-]+$ ]] || { echo "submit: $pipe:$ln: bad step name '$step'" >&2; exit 2; }
  [ -z "${jid[$step]:-}" ] || { echo "submit: $pipe:$ln: step '$step' defined twice" >&2; exit 2; }
  while [ $i -lt ${#w[@]} ] && [ "${w[$i]}" != "--" ]; do
    case "${w[$i]}" in
      ntasks=*) ntasks="${w[$i]#ntasks=}" ;;
      time=*) tlim="${w[$i]#time=}" ;;
      after=*) after="${w[$i]#after=}" ;;
      array=*) array="${w[$i]#array=}" ;;
      launch=*) launch="${w[$i]#launch=}" ;;
      *) echo "submit: $pipe:$ln: unknown key '${w[$i]}'" >&2; exit 2 ;;
    esac
    i=$((i + 1))
  done
  [ $i -lt ${#w[@]} ] || { echo "submit: $pipe:$ln: missing '-- STAGE ARGS'" >&2; exit 2; }
  args=("${w[@]:$((i + 1))}")
  [ ${#args[@]} -gt 0 ] || { echo "submit: $pipe:$ln: no stage after '--'" >&2; exit 2; }
  for k in "${!args[@]}"; do args[$k]="${args[$k]//\{out\}/$out}"; done
  dep=""; deps=""
  if [ -n "$after" ]; then
    for a in ${after//,/ }; do
      [ -n "${jid[$a]:-}" ] || { echo "submit: $pipe:$ln: step '$step' is after unknown step '$a'" >&2; exit 2; }
      deps="$deps:${jid[$a]}"
    done
    dep="--dependency=afterok$deps"
  fi
  mkdir -p "$out/$step"
  logs="$out/$step/slurm-%j.out"; [ -n "$array" ] && logs="$out/$step/slurm-%A_%a.out"
  cmd=(sbatch --parsable --job-name="$name-$step" -n "$ntasks" -t "$tlim" -o "$logs" ${array:+--array=$array} ${dep:+$dep}
       --export=ALL,PRC_LAUNCH=$launch slurm/stage.sbatch "${args[@]}")
  if [ $dry = 1 ]; then id="DRY$ln"; echo "${cmd[*]}" >&2; else id=$("${cmd[@]}"); id="${id%%;*}"; fi
  jid[$step]="$id"; nsteps=$((nsteps + 1))
  printf '%-12s %-10s %-14s %s\n' "$step" "$id${array:+[$array]}" "${deps#:}" "$out/$step/"
done <"$pipe"
[ $nsteps -gt 0 ] || { echo "submit: $pipe has no steps" >&2; exit 2; }
echo "outputs: $out/   (squeue -u $(id -un); scontrol show job ID)"
