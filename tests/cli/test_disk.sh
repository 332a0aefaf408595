#!/usr/bin/env bash
# test_disk.sh — disk full, unwritable output folder, read-only input (docs/RELIABILITY.md).
# Needs root and mount(2) for the tmpfs cases (skipped otherwise).
cd "$(dirname "$0")/../.." && . tests/cli/lib.sh
A=(-synth_nx 200 -synth_ny 200 -synth_days 60 -synth_stations 2 -synth_png false -quiet)   # lst.h5 ~12 MB
expect reference 0 'outputs in' -- $P synth "${A[@]}" -out_dir "$TMP/ref"
before=$(cat "$TMP"/ref/*.h5 | md5sum)
mnt="$TMP/full"; mkdir -p "$mnt"
if ! mount -t tmpfs -o size=2m tmpfs "$mnt" 2>/dev/null; then
  skip disk_full "cannot mount a tmpfs here (not root or no CAP_SYS_ADMIN)"
else
  trap 'umount "$mnt" 2>/dev/null; umount "$TMP/ro" 2>/dev/null; rm -rf "$TMP"' EXIT
  for np in 1 2; do
    expect "disk_full_np$np" 1 "$mnt/o$np/lst.h5.tmp" 'disk full|failed|cannot' 'stopping all' -- $PRC_MPIRUN -n $np $P synth "${A[@]}" -out_dir "$mnt/o$np"
    ls "$mnt/o$np"/lst.h5 >/dev/null 2>&1 && fail "disk_full_np${np}_no_final_output" "lst.h5 exists" || ok "disk_full_np${np}_no_final_output"
    rm -rf "$mnt/o$np"
  done
  [ "$(cat "$TMP"/ref/*.h5 | md5sum)" = "$before" ] && ok disk_full_other_outputs_intact || fail disk_full_other_outputs_intact "ref changed"
  # rst on a full disk: its input is the reference lst.h5
  expect rst_disk_full 1 "$mnt/rst" -- $PRC_MPIRUN -n 2 $P rst -rst_input "$TMP/ref/lst.h5" -rst_png false -quiet -out_dir "$mnt/rst"
  ls "$mnt"/rst/*.h5 >/dev/null 2>&1 && fail rst_disk_full_no_final_output "$(ls "$mnt/rst")" || ok rst_disk_full_no_final_output
  # read-only output folder (root ignores permission bits: a read-only mount)
  mkdir -p "$TMP/ro"
  if mount -t tmpfs -o size=1m,ro tmpfs "$TMP/ro" 2>/dev/null; then
    expect readonly_out_dir 1 "$TMP/ro" 'Read-only|read-only|cannot' -- $PRC_MPIRUN -n 2 $P synth "${A[@]}" -out_dir "$TMP/ro/x"
    umount "$TMP/ro"
    # read-only input: a read-only bind mount of the reference folder still serves as input
    if mount --bind "$TMP/ref" "$TMP/ro" 2>/dev/null && mount -o remount,bind,ro "$TMP/ro" 2>/dev/null; then
      expect readonly_input_is_read 0 'outputs in' -- $PRC_MPIRUN -n 2 $P rst -rst_input "$TMP/ro/lst.h5" -rst_png false -quiet -out_dir "$TMP/rstout"
      umount "$TMP/ro"
    else skip readonly_input_is_read "bind/remount not permitted"; fi
  else skip readonly_out_dir "read-only tmpfs not permitted"; fi
  umount "$mnt"
fi
# an output "folder" below a regular file (works without root)
touch "$TMP/afile"
expect out_dir_below_a_file 1 "$TMP/afile" -- $PRC_MPIRUN -n 2 $P synth "${A[@]}" -out_dir "$TMP/afile/x"
