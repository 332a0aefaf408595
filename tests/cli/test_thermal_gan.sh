#!/usr/bin/env bash
# test_thermal_gan.sh — `precursor thermal-gan` (DCGAN augmentation of paper 001, issue 8) on
# small models: generator, discriminator, generated images and history bitwise identical on
# 1, 2 and 4 ranks; the GAN learns the pre-earthquake images (the mean generated image peaks
# near the crop centre as the real one does, the spread of generated images against the real
# mean is within a factor 2 of the real images' own); the plain (no fusion) discriminator
# runs; the written models load back; augmented.h5 trains; checkpoints are complete; the
# paper-size specs (256 x 256) train at scaled-down widths; bad input.
cd "$(dirname "$0")/../.."
. tests/cli/lib.sh
PY=/usr/bin/python3
expect synth 0 'catalog' -- $PRC_MPIRUN -n 2 $P synth -seed 21 -synth_nx 40 -synth_ny 32 -synth_res_km 8 -synth_days 800 -synth_stations 0 -synth_rate 2 -synth_anom_mmin 4.5 -synth_png false -quiet -out_dir "$TMP/s"
expect samples 0 'N = 5 days' -- $PRC_MPIRUN -n 2 $P thermal-samples -thermal_input "$TMP/s/lst.h5" -thermal_catalog "$TMP/s/catalog.h5" -thermal_mmin 4.5 -thermal_size 11 -thermal_days 5 -thermal_png false -quiet -out_dir "$TMP/x"
SM=NZ=16,G1=32,G2=16,G3=8,G4=8,D1=8,D2=16,D3=32,D4=32,D5=64
G=(-gan_data "$TMP/x/thermal_N5_train.h5" -gan_defines $SM -gan_batch 16 -gan_micro_batch 4 -gan_generate 64 -quiet)
for np in 1 2 4; do
  expect "np$np" 0 'validity: sd against the real mean' -- $PRC_MPIRUN -n $np $P thermal-gan "${G[@]}" -gan_steps 12 -gan_checkpoint_every 5 -gan_png false -out_dir "$TMP/g$np"
done
for f in generator discriminator generated gan_history checkpoints/gan_000000010; do
  h5same "np1_vs_np2_${f##*/}" "$TMP/g1/$f.h5" "$TMP/g2/$f.h5"
  h5same "np1_vs_np4_${f##*/}" "$TMP/g1/$f.h5" "$TMP/g4/$f.h5"
done
# stop after 6 steps, resume to 12 on another rank count: the same models as the uninterrupted run
expect stop6 0 'validity' -- $P thermal-gan "${G[@]}" -gan_steps 6 -gan_checkpoint_every 5 -gan_png false -out_dir "$TMP/r"
expect resume12 0 'resumed from .*gan_000000006.h5 \(step 6\)' -- $PRC_MPIRUN -n 2 $P thermal-gan "${G[@]}" -gan_steps 12 -gan_checkpoint_every 5 -gan_png false -out_dir "$TMP/r"
for f in generator discriminator generated gan_history; do h5same "resume_$f" "$TMP/g1/$f.h5" "$TMP/r/$f.h5"; done
# a stop request (as SIGUSR1 from Slurm; here -checkpoint_after_blocks = steps) checkpoints and exits 99; the rerun continues
expect stop_request 99 'checkpoint written at step 7 of 12' -- $PRC_MPIRUN -n 2 $P thermal-gan "${G[@]}" -gan_steps 12 -gan_png false -checkpoint_after_blocks 7 -out_dir "$TMP/q"
[ -e "$TMP/q/generator.h5" ] && fail stop_no_final "generator.h5 written by a stopped run" || ok stop_no_final
expect stop_continue 0 'resumed from .*gan_000000007.h5' -- $P thermal-gan "${G[@]}" -gan_steps 12 -gan_png false -out_dir "$TMP/q"
h5same stop_resume_generator "$TMP/g1/generator.h5" "$TMP/q/generator.h5"
expect resume_beyond 1 'beyond -gan_steps 4' -- $P thermal-gan "${G[@]}" -gan_steps 4 -gan_png false -out_dir "$TMP/r"
expect learn 0 'D dcgan_d:' -- $PRC_MPIRUN -n 2 $P thermal-gan "${G[@]}" -gan_batch 32 -gan_micro_batch 8 -gan_steps 300 -gan_generate 256 -gan_augment true -out_dir "$TMP/l"
expect plain 0 'D dcgan_d_plain:' -- $PRC_MPIRUN -n 2 $P thermal-gan "${G[@]}" -gan_discriminator inputs/models/dcgan_d_plain.model -gan_steps 20 -out_dir "$TMP/p"
grep '^\[thermal-gan\] validity' "$TMP/learn.out" "$TMP/plain.out" | sed 's/^/  # /'
for p in gan_samples.png gan_means.png gan_rst.png gan_loss.png augmented.h5; do [ -s "$TMP/l/$p" ] && ok "out_$p" || fail "out_$p" "missing $p"; done
if out=$($PY - "$TMP/l" "$TMP/x/thermal_N5_train.h5" <<'PY'
import sys, h5py, numpy as np
d, tr = sys.argv[1], sys.argv[2]
x = h5py.File(tr, "r"); real = x["x"][:][x["y"][:] == 1, 0]
g = h5py.File(f"{d}/generated.h5", "r"); gen = g["x"][:, 0]; assert (g["y"][:] == 1).all()
S = real.shape[1]; c = S // 2
mr, mg = real.mean(0), gen.mean(0)
pr, pg = np.unravel_index(mr.argmax(), mr.shape), np.unravel_index(mg.argmax(), mg.shape)
assert abs(pr[0] - c) <= 1 and abs(pr[1] - c) <= 1, f"real mean peaks at {pr}, not at the centre"
assert abs(pg[0] - c) <= 2 and abs(pg[1] - c) <= 2, f"generated mean peaks at {pg}, far from the centre {c}"
def sd(a):
    m = mr != 0
    return np.sqrt(((a - mr)[:, m] ** 2).mean(1))
h = h5py.File(f"{d}/gan_history.h5", "r")
vr, vg = h.attrs["validity_real"], h.attrs["validity_generated"]
assert abs(sd(real).mean() - vr[0]) < 1e-6 * max(1, vr[0]) and abs(sd(gen).mean() - vg[0]) < 1e-5 * max(1, vg[0]), (sd(real).mean(), vr, sd(gen).mean(), vg)
assert 0.5 * vr[0] < vg[0] < 2 * vr[0], f"generated spread {vg[0]:.3f} vs real {vr[0]:.3f}"
hist = h["history"][:]; assert np.isfinite(hist).all() and hist.shape == (300, 4)
a = h5py.File(f"{d}/augmented.h5", "r"); assert a["x"].shape[0] == x["x"].shape[0] + gen.shape[0]
# RST-style check recomputed: background = the other class, R = (x - mu) / sigma >= 2
bg = x["x"][:][x["y"][:] != 1, 0]; mu, sg = bg.mean(0), bg.std(0)
F = [((im - mu) / np.where(sg > 0, sg, np.inf) >= 2).mean(0) for im in (real, gen)]
corr = np.corrcoef(F[0].ravel(), F[1].ravel())[0, 1]
rr, cc = np.mgrid[0:S, 0:S]
cen = [np.array([(f * rr).sum(), (f * cc).sum()]) / f.sum() for f in F]
dist = np.hypot(*(cen[0] - cen[1]))
rc = h.attrs["rst_check"]
assert abs(rc[0] - corr) < 1e-6 and abs(rc[1] - dist) < 1e-6 and rc[4] == len(bg), (rc, corr, dist)
assert np.allclose(h["rst_anomaly_frequency"][:], F, atol=1e-12)
assert corr > 0.5 and dist <= 2, f"generated anomalies not where the real ones are: corr {corr:.3f}, centroid distance {dist:.2f} px"
print(f"mean peaks real {pr} generated {pg}; sd vs real mean: real {vr[0]:.3f}, generated {vg[0]:.3f}; anomaly near centre real {vr[3]:.2f} generated {vg[3]:.2f}; RST maps corr {corr:.3f}, centroids {dist:.2f} px apart")
PY
); then ok learns_precursor; echo "  # $out"; else fail learns_precursor "$out"; fi
# checkpoints: complete, with both models and optimiser states
if out=$($PY -c "
import h5py, sys
f = h5py.File('$TMP/g1/checkpoints/gan_000000012.h5', 'r'); a = f.attrs
assert a['complete'] == 1 and int(a['step']) == 12 and a['magic'] in (b'precursor-checkpoint', 'precursor-checkpoint')
for g in ('generator', 'discriminator'): assert 'params' in f[g] and 'optim_m' in f[g] and 'optim_v' in f[g]
print('ok')" 2>&1); then ok checkpoint_complete; else fail checkpoint_complete "$out"; fi
# the augmented set trains; the generator file loads back as a model (thermal-forecast would refuse a non-model)
expect train_augmented 0 'done: [0-9]+ steps' -- $PRC_MPIRUN -n 2 $P train -train_model inputs/models/drsn_cw.model -train_defines SIZE=11 -train_data "$TMP/l/augmented.h5" -train_val none -train_max_steps 4 -train_batch 16 -train_png false -quiet -out_dir "$TMP/ta"
# the paper-size pair (dcgan_g256 / dcgan_d256: 256 x 256 images, 5 x 5 kernels) at scaled-down
# widths on 256 x 256 crops: trains on 1 and 2 ranks with the same bits, and the generated images
# have the crops' size
expect synth256 0 'catalog' -- $PRC_MPIRUN -n 2 $P synth -seed 21 -synth_nx 264 -synth_ny 264 -synth_res_km 2 -synth_days 200 -synth_stations 0 \
  -synth_rate 0.02 -synth_scenario 2010-03-01/5.5,2010-05-10/5.8 -synth_png false -quiet -out_dir "$TMP/s256"
expect samples256 0 'N = 3 days' -- $PRC_MPIRUN -n 2 $P thermal-samples -thermal_input "$TMP/s256/lst.h5" -thermal_catalog "$TMP/s256/catalog.h5" \
  -thermal_mmin 5 -thermal_size 256 -thermal_days 3 -thermal_png false -quiet -out_dir "$TMP/x256"
G256=(-gan_data "$TMP/x256/thermal_N3_train.h5" -gan_generator inputs/models/dcgan_g256.model -gan_discriminator inputs/models/dcgan_d256.model
      -gan_defines NZ=8,G0=8,G1=8,G2=4,G3=4,G4=4,D1=4,D2=4,D3=8,D4=8,D5=8 -gan_steps 3 -gan_batch 2 -gan_micro_batch 1 -gan_generate 4 -gan_png false -quiet)
for np in 1 2; do
  expect "paper_size_np$np" 0 '3 steps on 2 real images of class 1 \(256x256\), D dcgan_d256' -- $PRC_MPIRUN -n $np $P thermal-gan "${G256[@]}" -out_dir "$TMP/g256_$np"
done
h5same paper_size_np1_vs_np2 "$TMP/g256_1/generator.h5" "$TMP/g256_2/generator.h5"
if out=$($PY -c "import h5py,sys; d=h5py.File(sys.argv[1])['x'].shape; assert d[1:]==(1,256,256), d; print(d)" "$TMP/g256_1/generated.h5" 2>&1); then ok paper_size_images; echo "  # generated $out"; else fail paper_size_images "$out"; fi
# bad input
expect bad_micro 2 'must divide -gan_batch' -- $P thermal-gan "${G[@]}" -gan_micro_batch 5 -out_dir "$TMP/b1"
expect bad_missing 1 'nope.h5' -- $P thermal-gan "${G[@]}" -gan_data "$TMP/nope.h5" -out_dir "$TMP/b2"
expect samples8 0 'N = 5 days' -- $P thermal-samples -thermal_input "$TMP/s/lst.h5" -thermal_catalog "$TMP/s/catalog.h5" -thermal_mmin 4.5 -thermal_size 8 -thermal_days 5 -thermal_png false -quiet -out_dir "$TMP/x8"
expect bad_size 1 'must be \(n, 1, 11, 11\)' -- $P thermal-gan "${G[@]}" -gan_data "$TMP/x8/thermal_N5_train.h5" -out_dir "$TMP/b3"
expect bad_class 1 'images of class 7' -- $P thermal-gan "${G[@]}" -gan_class 7 -out_dir "$TMP/b4"
expect bad_kind 1 'not a trainset' -- $P thermal-gan "${G[@]}" -gan_data "$TMP/s/lst.h5" -out_dir "$TMP/b5"
if ls "$TMP"/b[1-5]/generator.h5* >/dev/null 2>&1; then fail no_output "$(ls "$TMP"/b[1-5])"; else ok no_output; fi
