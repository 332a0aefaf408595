#!/usr/bin/env bash
# jobs/em_online.sh — results 2 and 3 of paper 000 (docs/EM.md "Online learning"):
#   2. accuracy and training time vs online samples for the initial model, the incremental tree and
#      retraining from scratch (inputs/online.opts);
#   3. forgetting: accuracy on the old test set after each increment when the leaf is only
#      fine-tuned (-online_alpha 0 -online_beta 1), with and without the KD and less-forgetting terms.
# Data: the initial set = inputs/em_samples.opts at -em_snr_db (0); the stream = the same simulation on
# another station's base records with another anomaly band (-em_seg_smooth 3 instead of 12) and seed:
# a changed anomaly pattern.
# Usage: jobs/em_online.sh [NRANKS] [OUT]   (defaults 2, outputs/em_online)
# Environment: BASE (station set, default: synth with inputs/demo.opts), SNR (0), PER_CLASS (200),
#   STREAM_PER_CLASS (240: 1200 training samples), ONLINE_ARGS (extra options of every online run).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/env.sh
np="${1:-2}"
out="${2:-outputs/em_online}"
SNR="${SNR:-0}"
PER_CLASS="${PER_CLASS:-200}"
STREAM_PER_CLASS="${STREAM_PER_CLASS:-240}"
mkdir -p "$out"
run() { local log="$1"; shift; $PRC_MPIRUN -n "$np" bin/precursor "$@" >"$out/$log.log" 2>&1 || { tail -n 20 "$out/$log.log"; exit 1; }; }
t0=$(date +%s)
if [ -z "${BASE:-}" ]; then
  echo "== synth (base records: inputs/demo.opts)"
  run synth synth -options_file inputs/demo.opts -synth_png false -out_dir "$out/synth"
  BASE="$out/synth/stations.h5"
fi
echo "== em-samples: initial set and the stream (changed pattern)"
run samples_init em-samples -options_file inputs/em_samples.opts -em_input "$BASE" -em_snr_db "$SNR" -em_per_class "$PER_CLASS" -out_dir "$out/init"
run samples_stream em-samples -options_file inputs/em_samples.opts -em_input "$BASE" -em_snr_db "$SNR" -em_per_class "$STREAM_PER_CLASS" \
  -em_station S002 -em_seg_smooth 3 -seed 777 -out_dir "$out/stream"
D=(-online_init "$out/init/trainset.h5" -online_init_test "$out/init/valset.h5" -online_stream "$out/stream/trainset.h5"
   -online_stream_test "$out/stream/valset.h5" -online_resume false)
echo "== online: the tree, the initial model and retraining from scratch ($(( $(date +%s) - t0 )) s so far)"
run online_tree online -options_file inputs/online.opts "${D[@]}" ${ONLINE_ARGS:-} -out_dir "$out/tree"
grep -E '^\[online\] ' "$out/online_tree.log" | grep -v outputs
echo "== online: fine-tuning only, with KD + less-forgetting, and without ($(( $(date +%s) - t0 )) s so far)"
run online_ft_kd online -options_file inputs/online.opts "${D[@]}" -online_alpha 0 -online_beta 1 -online_compare false ${ONLINE_ARGS:-} -out_dir "$out/ft_kd"
run online_ft_plain online -options_file inputs/online.opts "${D[@]}" -online_alpha 0 -online_beta 1 -online_lambda1 0 -online_lambda2 0 \
  -online_compare false ${ONLINE_ARGS:-} -out_dir "$out/ft_plain"
run tree tree -tree_input "$out/tree/online_tree.h5,$out/ft_kd/online_tree.h5,$out/ft_plain/online_tree.h5" -tree_labels "tree,fine-tune+KD+LF,fine-tune (CE only)" \
  -tree_title "paper 000 result 3: accuracy on old and new test sets vs online samples" -out_dir "$out"
cp "$out/tree/online_accuracy.png" "$out/tree/online_time.png" "$out/"
{
  echo "# Paper 000, results 2 and 3: online learning"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), version $(bin/precursor -version | awk '{print $2}'), $np MPI ranks, $(( $(date +%s) - t0 )) s."
  echo "Initial set: \`inputs/em_samples.opts\` at $SNR dB ($PER_CLASS per class); stream: the same on station S002 with \`-em_seg_smooth 3\`"
  echo "($STREAM_PER_CLASS per class). Online runs: \`inputs/online.opts\`. Discussion: docs/EM.md."
  echo
  echo "## Result 2: initial model, incremental tree, retraining from scratch"
  echo
  echo '```'
  grep -E '^\[tree\] ' "$out/tree.log" | sed -n '/tree\/online_tree.h5/,/ft_kd/p' | grep -v ft_kd
  echo '```'
  echo
  echo "![accuracy](tree/online_accuracy.png)"
  echo
  echo "![time](tree/online_time.png)"
  echo
  echo "## Result 3: forgetting"
  echo
  echo '```'
  grep -E '^\[tree\] .*\| ' "$out/tree.log"
  echo '```'
  echo
  echo "![forgetting](tree_compare.png)"
  echo
  echo "![old test set](tree/online_old.png)"
} >"$out/REPORT.md"
echo "== report: $out/REPORT.md ($(( $(date +%s) - t0 )) s)"
