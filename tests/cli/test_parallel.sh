# tests/cli/test_parallel.sh — `precursor synth` on 1, 2 and 4 ranks gives bitwise-identical
# data; outputs are atomic (a killed run never leaves a file that looks complete and never
# damages the previous one); an I/O error stops every rank; ROMIO vs Open MPI's default MPI-IO.
. tests/cli/lib.sh

# odd sizes so that tiles are ragged; blocks that do not divide the span; gaps and events
args=(-synth_nx 37 -synth_ny 29 -synth_res_km 3 -synth_days 75 -synth_block_days 7 -synth_stations 5
      -synth_gaps_per_year 40 -synth_scenario 2010-02-10/6.1 -synth_png false -quiet)
for np in 1 2 4; do
  expect "synth_np$np" 0 'outputs in' -- $PRC_MPIRUN -n $np $P synth "${args[@]}" -out_dir "$TMP/np$np"
done
for f in lst catalog stations truth; do
  h5same "${f}_np1_vs_np2" "$TMP/np1/$f.h5" "$TMP/np2/$f.h5"
  h5same "${f}_np1_vs_np4" "$TMP/np1/$f.h5" "$TMP/np4/$f.h5"
done
# the MPI-IO layer: ROMIO by default (OMPIO not even loaded), Open MPI's default with
# PRC_MPIIO=native; both write the same data; a bad value stops the run
if $PRC_MPIRUN -n 1 env OMPI_MCA_io_base_verbose=10 $P selftest -out_dir "$TMP/io1" 2>&1 | grep -q 'found loaded component ompio'; then
  fail mpiio_romio_default "OMPIO was loaded without PRC_MPIIO=native"
else ok mpiio_romio_default; fi
expect synth_np4_native_io 0 'outputs in' -- env PRC_MPIIO=native $PRC_MPIRUN -n 4 $P synth "${args[@]}" -out_dir "$TMP/np4n"
h5same lst_romio_vs_native_io "$TMP/np4/lst.h5" "$TMP/np4n/lst.h5"
expect bad_prc_mpiio 2 "PRC_MPIIO='bogus': expected romio" -- env PRC_MPIIO=bogus $P synth "${args[@]}" -out_dir "$TMP/bad_io"
# a different seed must give different data (the comparison above can fail)
expect synth_seed2 0 'outputs in' -- $P synth "${args[@]}" -seed 7 -out_dir "$TMP/seed7"
if h5diff -q --exclude-path /provenance "$TMP/np1/lst.h5" "$TMP/seed7/lst.h5" >/dev/null 2>&1; then
  fail seed_changes_data "a different seed gave identical lst.h5"; else ok seed_changes_data; fi
# provenance records the rank count
if h5dump -a /provenance/nranks "$TMP/np4/lst.h5" | grep -q '(0): 4'; then ok provenance_nranks; else fail provenance_nranks "nranks != 4"; fi
ls "$TMP"/np*/*.tmp-* >/dev/null 2>&1 && fail no_temp_files_left "temporary files left: $(ls "$TMP"/np*/*.tmp-*)" || ok no_temp_files_left

# atomicity: kill a long run while it writes lst.h5 into a folder that holds a complete one
cp -r "$TMP/np1" "$TMP/kill"
before=$(md5sum <"$TMP/kill/lst.h5")
( timeout -s KILL 2 $P synth -synth_nx 600 -synth_ny 600 -synth_days 400 -synth_stations 0 -synth_png false -quiet \
  -out_dir "$TMP/kill" >/dev/null 2>&1 ) 2>/dev/null; rc=$?
if [ $rc -eq 0 ]; then skip killed_run_leaves_old_output "the run finished within 2 s; nothing was killed"
else
  after=$(md5sum <"$TMP/kill/lst.h5")
  if [ "$before" = "$after" ] && h5dump -H "$TMP/kill/lst.h5" >/dev/null 2>&1; then ok killed_run_leaves_old_output
  else fail killed_run_leaves_old_output "lst.h5 changed or unreadable after a killed run"; fi
fi

# an output folder that cannot be created: clear message, every rank exits
touch "$TMP/afile"
expect unwritable_out_dir 1 "cannot create output folder '$TMP/afile/x'" -- $PRC_MPIRUN -n 2 $P synth "${args[@]}" -out_dir "$TMP/afile/x/y"

# the binary's known-answer mode on 1, 2 and 4 ranks
for np in 1 2 4; do
  expect "selftest_np$np" 0 'selftest: 6 PASSED, 0 FAILED' -- $PRC_MPIRUN -n $np $P selftest -out_dir "$TMP/st$np"
done
expect selftest_prime_fft 0 'N=997.*PASSED' -- $PRC_MPIRUN -n 2 $P selftest -selftest_fft_n 997 -selftest_n 31 -selftest_nb 4 -out_dir "$TMP/stp"
