#!/usr/bin/env bash
# jobs/em_snr.sh — result 1 of paper 000 (docs/EM.md "Result 1"): accuracy of the multi-scale
# residual CNN vs SNR, with and without VMD denoising of the samples. For every SNR: em-samples
# (inputs/em_samples.opts) without and with -em_vmd, train (inputs/em_train.opts) on each, then
# em-eval predicts every test set with its model and draws the curves.
# Usage: jobs/em_snr.sh [NRANKS] [OUT]   (defaults 2, outputs/em_snr)
# Environment: BASE (station set of the base records; default: run synth with inputs/demo.opts),
#   SNRS ("-20 -10 0 10 20"), PER_CLASS (200), EPOCHS (30), SAMPLES_ARGS / TRAIN_ARGS (extra options),
#   INDEP_PER_CLASS (40): an independent test set per SNR (other seed: other class records, segments and
#   noise; the validation samples share their class records with the training samples), REUSE=1: keep
#   models already trained in OUT (only the test sets and the evaluation are redone).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/env.sh
np="${1:-2}"
out="${2:-outputs/em_snr}"
SNRS="${SNRS:--20 -10 0 10 20}"
PER_CLASS="${PER_CLASS:-200}"
EPOCHS="${EPOCHS:-30}"
mkdir -p "$out"
run() { local log="$1"; shift; $PRC_MPIRUN -n "$np" bin/precursor "$@" >"$out/$log.log" 2>&1 || { tail -n 20 "$out/$log.log"; exit 1; }; }
if [ -z "${BASE:-}" ]; then
  echo "== synth (base records: the first station of inputs/demo.opts)"
  run synth synth -options_file inputs/demo.opts -synth_png false -out_dir "$out/synth"
  BASE="$out/synth/stations.h5"
fi
models=() data=() xs=() series=()
t0=$(date +%s)
for snr in $SNRS; do
  for v in false true; do
    tag="snr${snr}_vmd${v}"
    echo "== SNR $snr dB, VMD $v: em-samples, train ($(( $(date +%s) - t0 )) s so far)"
    if [ "${REUSE:-0}" != 1 ] || [ ! -s "$out/$tag/train/model.h5" ]; then
    run "samples_$tag" em-samples -options_file inputs/em_samples.opts -em_input "$BASE" -em_snr_db "$snr" -em_vmd "$v" \
      -em_per_class "$PER_CLASS" ${SAMPLES_ARGS:-} -out_dir "$out/$tag"
    run "train_$tag" train -options_file inputs/em_train.opts -train_data "$out/$tag/trainset.h5" -train_val "$out/$tag/valset.h5" \
      -train_epochs "$EPOCHS" -train_png false ${TRAIN_ARGS:-} -out_dir "$out/$tag/train"
    fi
    grep -E '^\[train\] done' "$out/train_$tag.log" | sed 's/^/   /'
    run "indep_$tag" em-samples -options_file inputs/em_samples.opts -em_input "$BASE" -em_snr_db "$snr" -em_vmd "$v" \
      -em_per_class "${INDEP_PER_CLASS:-40}" -em_val_fraction 0 -seed 4242 -em_png false ${SAMPLES_ARGS:-} -out_dir "$out/$tag/indep"
    s="$([ "$v" = true ] && echo with_VMD || echo without_VMD)"
    models+=("$out/$tag/train/model.h5" "$out/$tag/train/model.h5"); data+=("$out/$tag/valset.h5" "$out/$tag/indep/trainset.h5")
    xs+=("$snr" "$snr"); series+=("$s" "${s}_independent_test")
  done
done
join() { local IFS=,; echo "$*"; }
echo "== em-eval"
run eval em-eval -em_eval_models "$(join "${models[@]}")" -em_eval_data "$(join "${data[@]}")" -em_eval_x "$(join "${xs[@]}")" \
  -em_eval_series "$(join "${series[@]}")" -em_eval_xlabel "SNR (dB)" \
  -em_eval_title "paper 000 result 1: test accuracy vs SNR ($PER_CLASS samples/class, $EPOCHS epochs)" -out_dir "$out"
grep '^\[em-eval\]' "$out/eval.log"
first=$(echo $SNRS | awk '{print $1}')
{
  echo "# Paper 000, result 1: accuracy vs SNR with and without VMD"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), version $(bin/precursor -version | awk '{print $2}'), $np MPI ranks, $(( $(date +%s) - t0 )) s."
  echo "Samples: \`inputs/em_samples.opts\` ($PER_CLASS per class, base \`$BASE\`); training: \`inputs/em_train.opts\` ($EPOCHS epochs);"
  echo "accuracy: \`precursor em-eval\` (the trained model applied to the validation set of its SNR). Discussion: docs/EM.md."
  echo
  cat "$out/em_eval.md"
  echo
  echo "![accuracy vs SNR](em_accuracy.png)"
  echo
  echo "Samples at the lowest SNR ($first dB), with VMD:"
  echo
  echo "![sample](snr${first}_vmdtrue/em_sample.png)"
  echo
  echo "![classes](snr${first}_vmdtrue/em_classes.png)"
  echo
  echo "VMD statistics per SNR:"
  echo '```'
  grep -h 'VMD of' "$out"/samples_*vmdtrue.log || true
  echo '```'
} >"$out/REPORT.md"
echo "== report: $out/REPORT.md"
