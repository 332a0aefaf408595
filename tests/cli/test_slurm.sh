# tests/cli/test_slurm.sh — the batch scripts on a real Slurm cluster on localhost
# (munged + slurmctld + slurmd started by tests/slurm/cluster.sh in a temp folder):
# slurm/stage.sbatch with srun --mpi=pmix and with mpirun, provenance of the job, train with
# --cpus-per-task 2 and -train_threads 2 under both launchers, a
# pipeline of dependent steps and a job array (jobs/submit.sh), and a failing step whose
# dependants never run.
. tests/cli/lib.sh

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  skip slurm_cluster "slurm-wlm/munge not installed (make deps installs them)"; exit 0
fi
export PRC_SLURMCTLD_PORT=$((20000 + RANDOM % 20000)) PRC_SLURMD_PORT=$((40001 + RANDOM % 20000))
if ! out=$(tests/slurm/cluster.sh start "$TMP/slurm" 2>&1); then fail slurm_cluster "$out"; exit 0; fi
eval "$out"
trap 'tests/slurm/cluster.sh stop "$TMP/slurm"; rm -rf "$TMP"' EXIT
ok slurm_cluster

# wait_jobs ID... : until none is PENDING/RUNNING/CONFIGURING (120 s at most); prints "id=state" lines
wait_jobs() {
  for _ in $(seq 600); do
    local busy=0
    for j in "$@"; do scontrol show job "$j" 2>/dev/null | grep -qE 'JobState=(PENDING|RUNNING|CONFIGURING|COMPLETING)' && busy=1; done
    [ $busy = 0 ] && break
    sleep 0.2
  done
  for j in "$@"; do scontrol show job "$j" | awk -v j="$j" '/JobId=/{id=$1} /JobState=/{for(i=1;i<=NF;i++) if($i ~ /^JobState=/) print id "=" substr($i,10)}'; done
}

# Slurm holds a requeued job ~2 min (BeginTime); the tests release it at once, but only after
# the node has finished killing the previous run: released earlier, slurmd refuses the launch
# ("Job N already killed, do not launch batch job") and the job ends FAILED
release_requeued() {
  for _ in $(seq 100); do sinfo -h -N -o %T | grep -qE 'completing|mixed|allocated' || break; sleep 0.2; done
  sleep 1
  scontrol update JobId="$1" StartTime=now 2>/dev/null
}

small=(-synth_nx 16 -synth_ny 12 -synth_res_km 4 -synth_days 120 -synth_stations 2 -synth_png false -quiet)
for launch in srun mpirun; do
  j=$(PRC_LAUNCH=$launch sbatch --parsable -n 2 -o "$TMP/job-%j.out" slurm/stage.sbatch selftest -out_dir "$TMP/st-$launch")
  st=$(wait_jobs "$j")
  if echo "$st" | grep -q COMPLETED && grep -q 'selftest: 6 PASSED, 0 FAILED' "$TMP/job-$j.out"; then ok "sbatch_selftest_$launch"
  else fail "sbatch_selftest_$launch" "$st" "$(tail -n 20 "$TMP/job-$j.out" 2>/dev/null)"; fi
  if h5dump -a /provenance/SLURM_JOB_ID "$TMP/st-$launch/selftest.h5" 2>/dev/null | grep -q "\"$j\""; then ok "provenance_job_id_$launch"
  else fail "provenance_job_id_$launch" "SLURM_JOB_ID $j not in /provenance"; fi
done

# ranks x threads: one task with 2 CPUs (--cpus-per-task) runs train -train_threads 2; the
# launcher must give the rank both CPUs (no binding warning; mpirun binds one core per rank
# unless told PE=2 — without it this fails; the test cluster has TaskPlugin=task/none, so srun
# does not bind here) and the model equals 1 x 1 thread
TT=(-options_file inputs/train_demo.opts -train_synthetic 512 -train_max_steps 12 -train_checkpoint_every 0 -train_png false -quiet)
for launch in srun mpirun; do
  j=$(PRC_LAUNCH=$launch sbatch --parsable -n 1 -c 2 -o "$TMP/th-%j.out" slurm/stage.sbatch train "${TT[@]}" -train_threads 2 -out_dir "$TMP/th-$launch")
  st=$(wait_jobs "$j")
  if echo "$st" | grep -q COMPLETED && grep -q 'x 2 thread' "$TMP/th-$j.out" && ! grep -q 'warning: -train_threads' "$TMP/th-$j.out"; then ok "sbatch_train_threads_$launch"
  else fail "sbatch_train_threads_$launch" "$st" "$(tail -n 12 "$TMP/th-$j.out" 2>/dev/null)"; fi
done
expect train_threads_reference 0 '' -- $P train "${TT[@]}" -out_dir "$TMP/th-ref"
h5same sbatch_train_threads_model_equals_1_thread "$TMP/th-ref/model.h5" "$TMP/th-srun/model.h5"

# a pipeline: generate -> analyse, and an array of generators in their own folders
cat >"$TMP/t.pipeline" <<PIPE
# test pipeline
step gen   ntasks=2 time=00:05:00                       -- synth ${small[*]} -out_dir {out}/gen/data
step rst   ntasks=2 time=00:05:00 after=gen            -- rst -rst_input {out}/gen/data/lst.h5 -rst_min_samples 2 -rst_png false -quiet -out_dir {out}/rst/data
step ens   ntasks=1 time=00:05:00 after=gen array=0-2  -- synth ${small[*]} -synth_stations 0 -seed 7{task} -out_dir {out}/ens/task-{task}
PIPE
if sub=$(jobs/submit.sh "$TMP/t.pipeline" "$TMP/p" 2>&1); then ok pipeline_submitted; else fail pipeline_submitted "$sub"; fi
ids=$(echo "$sub" | awk 'NR>1 && $2 ~ /^[0-9]/ {sub(/\[.*/, "", $2); print $2}')
st=$(wait_jobs $ids)
arr=$(echo "$sub" | awk '$1=="ens"{sub(/\[.*/, "", $2); print $2}')
if [ "$(echo "$st" | grep -c COMPLETED)" -ge 3 ] && ! echo "$st" | grep -qvE '=COMPLETED$'; then ok pipeline_completed; else fail pipeline_completed "$st"; fi
[ -s "$TMP/p/rst/data/rst.h5" ] && ok dependent_step_output || fail dependent_step_output "no $TMP/p/rst/data/rst.h5"
for t in 0 1 2; do
  f="$TMP/p/ens/task-$t/lst.h5"
  if h5dump -a /provenance/SLURM_ARRAY_TASK_ID "$f" 2>/dev/null | grep -q "\"$t\""; then ok "array_task_$t"
  else fail "array_task_$t" "$f missing or without SLURM_ARRAY_TASK_ID $t"; fi
done
if ! h5diff -q --exclude-path /provenance "$TMP/p/ens/task-0/lst.h5" "$TMP/p/ens/task-1/lst.h5" >/dev/null 2>&1; then ok array_tasks_differ
else fail array_tasks_differ "tasks with different seeds wrote identical data"; fi
# rst started only after gen ended
g=$(echo "$sub" | awk '$1=="gen"{print $2}'); r=$(echo "$sub" | awk '$1=="rst"{print $2}')
ge=$(scontrol show job "$g" | grep -o 'EndTime=[^ ]*' | cut -d= -f2); rs=$(scontrol show job "$r" | grep -o 'StartTime=[^ ]*' | cut -d= -f2)
[[ "$rs" > "$ge" || "$rs" == "$ge" ]] && ok dependency_order || fail dependency_order "rst started $rs before gen ended $ge"

# a failing step: its dependant never runs and the failure is visible
cat >"$TMP/f.pipeline" <<PIPE
step bad  ntasks=1 time=00:02:00            -- synth -synth_nx -5 -out_dir {out}/bad
step next ntasks=1 time=00:02:00 after=bad  -- selftest -out_dir {out}/next
PIPE
sub=$(jobs/submit.sh "$TMP/f.pipeline" "$TMP/f" 2>&1)
ids=$(echo "$sub" | awk 'NR>1 && $2 ~ /^[0-9]/ {print $2}')
st=$(wait_jobs $ids)
b=$(echo "$sub" | awk '$1=="bad"{print $2}'); n=$(echo "$sub" | awk '$1=="next"{print $2}')
echo "$st" | grep -q "JobId=$b=FAILED" && ok failing_step_failed || fail failing_step_failed "$st"
echo "$st" | grep -qE "JobId=$n=(CANCELLED|FAILED)" && [ ! -e "$TMP/f/next/selftest.h5" ] && ok dependant_never_ran || fail dependant_never_ran "$st"
# under load the job's log may still be flushed after the job is reported FAILED: wait up to 20 s
for _ in $(seq 100); do grep -qs 'out of range' "$TMP"/f/bad/slurm-*.out && break; sleep 0.2; done
grep -qs 'out of range' "$TMP"/f/bad/slurm-*.out && ok failure_message_in_log || fail failure_message_in_log "no option error in the job log: $(ls "$TMP"/f/bad/ 2>&1; tail -n 5 "$TMP"/f/bad/slurm-*.out 2>&1)"

# pipeline file errors (no submission)
printf 'step a ntasks=1 -- selftest\nstep b after=zzz -- selftest\n' >"$TMP/e.pipeline"
expect pipeline_unknown_dependency 2 "after unknown step 'zzz'" -- jobs/submit.sh --dry-run "$TMP/e.pipeline" "$TMP/e"
printf 'step a ntasks=1 selftest\n' >"$TMP/e2.pipeline"
expect pipeline_missing_separator 2 "unknown key 'selftest'" -- jobs/submit.sh --dry-run "$TMP/e2.pipeline" "$TMP/e"

# near the time limit: USR1 to the batch shell (as --signal=B:USR1@N does) -> forwarded to the
# ranks -> checkpoint, exit 99 -> scontrol requeue -> the job runs again and resumes
B=(-synth_nx 300 -synth_ny 300 -synth_days 400 -synth_block_days 8 -synth_stations 0 -synth_png false)
j=$(sbatch --parsable -n 2 -o "$TMP/rq-%j.out" slurm/stage.sbatch synth "${B[@]}" -out_dir "$TMP/rq")
for _ in $(seq 600); do ls "$TMP"/rq/lst.h5.tmp-* >/dev/null 2>&1 && break; sleep 0.1; done
scancel --signal=USR1 --batch "$j"
for _ in $(seq 300); do scontrol show job "$j" | grep -q 'Restarts=1' && scontrol show job "$j" | grep -q 'JobState=PENDING' && break; sleep 0.2; done
release_requeued "$j"
st=$(wait_jobs "$j")
if echo "$st" | grep -q COMPLETED && grep -q 'checkpoint written; requeueing' "$TMP/rq-$j.out" && grep -q 'resuming from the checkpoint' "$TMP/rq-$j.out"; then
  ok requeue_and_resume
  expect requeue_reference 0 'outputs in' -- $P synth "${B[@]}" -quiet -out_dir "$TMP/rqref"
  h5same requeued_result_equals_uninterrupted "$TMP/rqref/lst.h5" "$TMP/rq/lst.h5"
else fail requeue_and_resume "$st" "$(grep -v 'LST grid' "$TMP/rq-$j.out" | tail -n 12)"; fi

# the same mid-training (issue 11): `train` receives the time-limit signal after its first
# checkpoint, writes a checkpoint at the next step, exits 99, is requeued, resumes and ends
# with the same model as an uninterrupted run
T=(-options_file inputs/train_demo.opts -train_epochs 30 -train_checkpoint_every 16 -quiet)
j=$(sbatch --parsable -n 2 -o "$TMP/tq-%j.out" slurm/stage.sbatch train "${T[@]}" -out_dir "$TMP/tq")
for _ in $(seq 1200); do ls "$TMP"/tq/checkpoints/ckpt_*.h5 >/dev/null 2>&1 && break; sleep 0.1; done
scancel --signal=USR1 --batch "$j"
for _ in $(seq 300); do scontrol show job "$j" | grep -q 'Restarts=1' && scontrol show job "$j" | grep -q 'JobState=PENDING' && break; sleep 0.2; done
release_requeued "$j"
st=$(wait_jobs "$j")
if echo "$st" | grep -q COMPLETED && grep -q 'checkpoint written; requeueing' "$TMP/tq-$j.out" && grep -q 'resuming from the checkpoint' "$TMP/tq-$j.out"; then
  ok train_requeue_and_resume
  grep -E 'resuming from|checkpoint written' "$TMP/tq-$j.out" | head -n 3 | sed 's/^/  # /'
  expect train_reference 0 '' -- $PRC_MPIRUN -n 2 $P train "${T[@]}" -out_dir "$TMP/tqref"
  h5same train_requeued_model_equals_uninterrupted "$TMP/tqref/model.h5" "$TMP/tq/model.h5"
else fail train_requeue_and_resume "$st" "$(tail -n 12 "$TMP/tq-$j.out")"; fi
