#!/usr/bin/env bash
# test_study.sh — `precursor study` (walk-forward baselines, issue 10): an independent
# recomputation of the splits, climatology, logistic regression (scipy L-BFGS instead of
# Newton) and AUC (tests/oracle/study_oracle.py); the leakage test (permuting the labels and
# features of every row after the first test start minus the label horizon leaves the first
# split's forecasts bit-identical; permuting from 60 days earlier changes them); identical
# results on 1, 2 and 4 ranks; bad input; the real CENC catalog when ../shared/data is there.
cd "$(dirname "$0")/../.."
. tests/cli/lib.sh
O=tests/oracle/study_oracle.py
if ! /usr/bin/python3 -c 'import h5py, scipy' 2>/dev/null; then skip study "python3-h5py/python3-scipy missing"; exit 0; fi
/usr/bin/python3 $O make "$TMP/t.h5" 5 >/dev/null
S=(-study_input "$TMP/t.h5" -study_test_start 2006-01-01 -study_test_days 365 -study_boot 200 -study_models climatology,logistic,mlp -study_mlp_epochs 200)
expect np1 0 'logistic +AUC' 'climatology AUC' -- $PRC_MPIRUN -n 1 $P study "${S[@]}" -out_dir "$TMP/s1"
if out=$(/usr/bin/python3 $O check "$TMP/t.h5" "$TMP/s1/study.h5" 1 10 2>&1); then ok oracle; echo "  # $out"; else fail oracle "$out"; fi
for np in 2 4; do
  expect "np$np" 0 'logistic' -- $PRC_MPIRUN -n $np $P study "${S[@]}" -out_dir "$TMP/s$np"
  h5same "np1_vs_np$np" "$TMP/s1/study.h5" "$TMP/s$np/study.h5"
done
for f in STUDY.md study_roc.png study_molchan.png study_auc_splits.png; do [ -s "$TMP/s1/$f" ] || fail "output_$f" "missing"; done
grep -q '| logistic | 0\.' "$TMP/s1/STUDY.md" && ok report || fail report "$(head -n 12 "$TMP/s1/STUDY.md")"
# the MLP (NN core, full-batch Adam) learns the same structure as the logistic model: the
# labels are logistic in x1 and x3, so its pooled AUC must be near the logistic one and far
# above climatology's
if out=$(/usr/bin/python3 - "$TMP/s1/study.h5" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1]); n = f["models"].attrs["score_names"]; n = (n.decode() if isinstance(n, bytes) else n).split(", ")
auc = {m: f["models/%s/score_value" % m][n.index("auc")] for m in ("climatology", "logistic", "mlp")}
print(" ".join(f"{m} {v:.4f}" for m, v in auc.items()))
assert auc["mlp"] > auc["logistic"] - 0.03 and auc["mlp"] > auc["climatology"] + 0.03, auc
PY
); then ok mlp_learns; echo "  # AUC: $out"; else fail mlp_learns "$out"; fi
# the MLP is data-parallel: its micro-batches (8 by default, dealt to the ranks) average to the
# full-batch gradient, so one micro-batch gives the same model up to float rounding. Compared
# after 10 epochs: the rounding differences of the two summation orders grow with every Adam
# step (measured on an AMD EPYC: max |dp| 5e-8 after 10 epochs, 2e-6 after 50, 4e-4 after 200),
# while a wrong average moves it far more (measured: with the last of the 8 micro-batches'
# gradients dropped, max |dp| 2.8e-2 after 10 epochs).
for mb in 8 1; do
  expect "mlp_micro$mb" 0 'mlp' -- $P study "${S[@]}" -study_models mlp -study_boot 0 -study_mlp_epochs 10 -study_mlp_micro_batches $mb -out_dir "$TMP/m$mb"
done
if out=$(/usr/bin/python3 - "$TMP/m8/study.h5" "$TMP/m1/study.h5" <<'PY' 2>&1
import sys, h5py, numpy as np
a, b = (h5py.File(x, "r")["models/mlp/probability"][:] for x in sys.argv[1:3])
k = np.isfinite(a); d = np.abs(a[k] - b[k]).max()
assert np.array_equal(k, np.isfinite(b)) and d < 1e-6, f"8 vs 1 micro-batches after 10 epochs: max |dp| {d:.3g}"
print(f"8 vs 1 micro-batches after 10 epochs: max |dp| {d:.2e} over {k.sum()} test rows")
PY
); then ok mlp_micro_batches; echo "  # $out"; else fail mlp_micro_batches "$out"; fi
# leakage: first test 2006-01-01 (1136073600 s) .. 2007-01-01 (1167609600 s), horizon 45 d ->
# label cut 1132185600. The first split's forecasts may depend on the training rows (labels up
# to the cut, features up to the test start) and on each test row's own features only.
split0() { /usr/bin/python3 - "$1" <<'PY'
import sys, h5py, hashlib, numpy as np
f = h5py.File(sys.argv[1]); s = f["rows/split"][:] == 0
print(hashlib.sha256(np.concatenate([f["models/%s/probability" % m][:][s] for m in ("climatology", "logistic", "mlp")]).tobytes()).hexdigest())
PY
}
/usr/bin/python3 $O shuffle "$TMP/t.h5" "$TMP/future.h5" 1132185600 1167609599 >/dev/null
/usr/bin/python3 $O shuffle "$TMP/t.h5" "$TMP/past.h5" $((1132185600 - 60 * 86400)) 1167609599 >/dev/null
expect leak_future 0 'logistic' -- $P study "${S[@]}" -study_input "$TMP/future.h5" -out_dir "$TMP/lf"
expect leak_past 0 'logistic' -- $P study "${S[@]}" -study_input "$TMP/past.h5" -out_dir "$TMP/lp"
a=$(split0 "$TMP/s1/study.h5"); b=$(split0 "$TMP/lf/study.h5"); c=$(split0 "$TMP/lp/study.h5")
[ -n "$a" ] && [ "$a" = "$b" ] && ok no_leakage || fail no_leakage "split-0 forecasts changed when only labels after the label cut and features after the test were permuted"
[ "$a" != "$c" ] && ok leakage_detectable || fail leakage_detectable "permuting training labels did not change the forecasts: the test cannot fail"
# external models (-study_external): a copy of the logistic model's own test forecasts, read back
# as an external table, must score exactly as the logistic model (same rows, same bits); an
# external table covering half of the test rows limits every model's test rows to those
/usr/bin/python3 - "$TMP/s1/study.h5" "$TMP/ext_copy.h5" "$TMP/ext_half.h5" "$TMP/ext_nan.h5" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r"); p = f["models/logistic/probability"][:]; c = f["rows/cell"][:]; t = f["rows/time"][:]
k = np.isfinite(p)
def write(path, sel, score):
    with h5py.File(path, "w") as g:
        g.attrs["precursor_kind"] = np.bytes_("forecast"); q = g.create_group("forecast")
        q["cell"], q["time"], q["score"] = c[sel], t[sel], score[sel]
write(sys.argv[2], k, p)
half = k & (np.arange(len(p)) % 2 == 0); write(sys.argv[3], half, p)
bad = p.copy(); bad[np.where(k)[0][3]] = np.nan; write(sys.argv[4], k, bad)
PY
expect ext_copy 0 'external model' 'copy .*AUC' -- $PRC_MPIRUN -n 2 $P study "${S[@]}" -study_external "copy=$TMP/ext_copy.h5" -out_dir "$TMP/x1"
expect ext_half 0 'limited to the' -- $P study "${S[@]}" -study_external "half=$TMP/ext_half.h5" -out_dir "$TMP/x2"
if out=$(/usr/bin/python3 - "$TMP/s1/study.h5" "$TMP/x1/study.h5" "$TMP/x2/study.h5" <<'PY' 2>&1
import sys, h5py, numpy as np
a, b, h = (h5py.File(x, "r") for x in sys.argv[1:4])
for g in ("score_value", "score_ci_low", "score_ci_high"):
    assert np.array_equal(b["models/copy/" + g][:], b["models/logistic/" + g][:], equal_nan=True), "copy differs from logistic: " + g
    assert np.array_equal(b["models/logistic/" + g][:], a["models/logistic/" + g][:], equal_nan=True), "logistic changed by the external: " + g
assert b["models/copy"].attrs["external_source"]
pa, ph = a["models/logistic/probability"][:], h["models/half/probability"][:]
want = np.isfinite(pa) & (np.arange(len(pa)) % 2 == 0)
assert np.array_equal(np.isfinite(ph), want), "half: tested rows are not the intersection"
assert np.array_equal(np.isfinite(h["models/climatology/probability"][:]), want), "half: climatology not on the same rows"
print(f"copy == logistic bitwise; half: {int(want.sum())} of {int(np.isfinite(pa).sum())} test rows")
PY
); then ok ext_scores; echo "  # $out"; else fail ext_scores "$out"; fi
expect bad_ext_syntax 2 "expected NAME=FILE" -- $P study "${S[@]}" -study_external "$TMP/ext_copy.h5" -out_dir "$TMP/b8"
expect bad_ext_name 2 "is a built-in model" -- $P study "${S[@]}" -study_external "logistic=$TMP/ext_copy.h5" -out_dir "$TMP/b9"
expect bad_ext_missing 1 'nope.h5' -- $P study "${S[@]}" -study_external "x=$TMP/nope.h5" -out_dir "$TMP/b10"
expect bad_ext_kind 1 "expected precursor_kind 'forecast'" -- $P study "${S[@]}" -study_external "x=$TMP/s1/study.h5" -out_dir "$TMP/b11"
expect bad_ext_nan 1 'score = nan is not finite' -- $P study "${S[@]}" -study_external "x=$TMP/ext_nan.h5" -out_dir "$TMP/b12"
if ls "$TMP"/b{8,9,10,11,12}/study.h5* >/dev/null 2>&1; then fail ext_no_output "$(ls "$TMP"/b*)"; else ok ext_no_output; fi
# bad input: clear message, non-zero exit, no output
expect bad_model 2 "unknown model 'lstm'" -- $P study "${S[@]}" -study_models climatology,lstm -out_dir "$TMP/b1"
expect bad_feature 1 "has no column /forecast/nope" -- $P study "${S[@]}" -study_features x1,nope -out_dir "$TMP/b2"
expect bad_start 1 'must leave training rows' -- $PRC_MPIRUN -n 2 $P study "${S[@]}" -study_test_start 1990-01-01 -out_dir "$TMP/b3"
expect bad_date 2 "study_test_start 'soon'" -- $P study "${S[@]}" -study_test_start soon -out_dir "$TMP/b4"
expect bad_kind 1 "expected precursor_kind 'forecast'" -- $P study -study_input "$TMP/s1/study.h5" -out_dir "$TMP/b5"
/usr/bin/python3 - "$TMP/t.h5" "$TMP/nohz.h5" "$TMP/lab.h5" <<'PY'
import sys, shutil, h5py
shutil.copy(sys.argv[1], sys.argv[2]); shutil.copy(sys.argv[1], sys.argv[3])
with h5py.File(sys.argv[2], "r+") as f: del f["forecast"].attrs["horizon_days"]
with h5py.File(sys.argv[3], "r+") as f: f["forecast/observed"][17] = 2
for name, fn in (("inf", lambda f: f["forecast/x2"].__setitem__(40, float("inf"))),
                 ("cellfrac", lambda f: f["forecast/cell"].__setitem__(5, 2.5)),
                 ("noobs", lambda f: f["forecast"].__delitem__("observed"))):
    p = sys.argv[2].replace("nohz", name); shutil.copy(sys.argv[1], p)
    with h5py.File(p, "r+") as f: fn(f)
PY
expect bad_horizon 1 'no positive horizon_days' -- $P study -study_input "$TMP/nohz.h5" -out_dir "$TMP/b6"
expect bad_label 1 'row 17: observed = 2' -- $PRC_MPIRUN -n 2 $P study -study_input "$TMP/lab.h5" -out_dir "$TMP/b7"
expect bad_inf 1 'x2\[40\] = inf' -- $P study -study_input "$TMP/inf.h5" -out_dir "$TMP/b8"
expect bad_cell 1 'row 5: cell = 2.5 is not an index' -- $P study -study_input "$TMP/cellfrac.h5" -out_dir "$TMP/b9"
expect bad_no_observed 1 'no column /forecast/observed' -- $PRC_MPIRUN -n 2 $P study -study_input "$TMP/noobs.h5" -out_dir "$TMP/b10"
if ls "$TMP"/b[1-9]/study.h5* "$TMP"/b[1-9]/STUDY.md "$TMP"/b10/study.h5* >/dev/null 2>&1; then fail no_output "$(ls "$TMP"/b[1-9] "$TMP"/b10)"; else ok no_output; fi
# real data: CENC (China), indicators every 91 days 1990-2020, label M >= 5 within 30 days
C="${PRC_SHARED_DATA:-../shared/data}/catalogs/cenc_china_1970-2024.csv"
if [ ! -f "$C" ]; then skip cenc "no $C"; else
  expect cenc_import 0 'events' -- $P import-catalog -catalog_input "$C" -catalog_png false -out_dir "$TMP/cenc"
  expect cenc_indicators 0 'rows' -- $PRC_MPIRUN -n 2 $P indicators -options_file inputs/indicators_cenc.opts -ind_catalog "$TMP/cenc/catalog.h5" -ind_png false -out_dir "$TMP/ci"
  expect cenc_study 0 'mlp' -- $PRC_MPIRUN -n 2 $P study -options_file inputs/study_cenc.opts -study_input "$TMP/ci/indicators.h5" -study_boot 200 -out_dir "$TMP/cs"
  grep '^\[study\] ' "$TMP/cenc_study.out" | sed 's/^/  # /'
  if out=$(/usr/bin/python3 $O check "$TMP/ci/indicators.h5" "$TMP/cs/study.h5" 1 10 2>&1); then ok cenc_oracle; echo "  # $out"; else fail cenc_oracle "$out"; fi
fi
