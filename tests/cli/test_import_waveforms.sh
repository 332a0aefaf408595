# tests/cli/test_import_waveforms.sh — `precursor import-mseed` on the real miniSEED files
# of ../shared/data/waveforms (skipped when absent): grouping, counts, gaps, resampling
# recorded, 1 vs 2 ranks identical, quicklooks; malformed inputs are named errors.
. tests/cli/lib.sh
W="${PRC_SHARED_DATA:-../shared/data}/waveforms"
HELL=$W/BK.HELL.00.BH_2014-08-24_southnapa_40Hz.mseed KW1=$W/BW.KW1..EHZ_2011-03-31_noise_100Hz.mseed
COLA=$W/IU.COLA.00.LHZ_2010-02-27_maule_1Hz.mseed GAPS=$W/gaps_example.mseed
if [ ! -r "$HELL" ] || [ ! -r "$KW1" ] || [ ! -r "$COLA" ] || [ ! -r "$GAPS" ]; then
  skip mseed_real "miniSEED files not found in $W"; exit 0
fi
IN="$HELL,$KW1,$COLA,$GAPS"
expect mseed_import 0 'BK.HELL.00.BH +BHE,BHN,BHZ +40 Hz +48000 samples from 2014-08-24T10:15:00Z, 0 gap' \
  'BW.KW1..EHZ +EHZ +100 Hz +936001 samples from 2011-03-31T00:00:00Z' 'IU.COLA.00.LHZ +LHZ +1 Hz +4200 samples' \
  'BW.BGLD..EHE +EHE +200 Hz +54376 samples .* 3 gap' '6 channel\(s\) -> 4 set\(s\) \(1 three-component, 3 one-component\)' \
  'no resampling' -- $P import-mseed -mseed_input "$IN" -out_dir "$TMP/a"
d=$(h5dump -H -d /waveforms/BK.HELL.00.BH "$TMP/a/waveforms.h5" 2>&1 | grep DATASPACE)
[[ "$d" == *"( 48000, 3 )"* ]] && ok hell_shape || fail hell_shape "$d"
g=$(h5dump -d /gaps/count "$TMP/a/waveforms.h5" | grep -o '(0): .*')
[ "$g" = "(0): 412, 412, 824" ] && ok gap_lengths || fail gap_lengths "gap counts: $g"
[ -s "$TMP/a/waveform_BK.HELL.00.BH.png" ] && [ -s "$TMP/a/waveform_BW.BGLD..EHE.png" ] && ok pngs || fail pngs "quicklooks missing"
h5dump -A -d /waveforms/BK.HELL.00.BH "$TMP/a/waveforms.h5" | grep -q resample_filter && fail no_resample_attr "resample attribute without resampling" || ok no_resample_attr
# resampling to 100 Hz: printed, recorded, and the same file on 1 and 2 ranks
expect mseed_resample 0 'resampled BK.HELL.00.BH 40 Hz -> 100 Hz: polyphase FIR, up 5 / down 2, Kaiser' \
  'resampled IU.COLA.00.LHZ 1 Hz -> 100 Hz' 'BK.HELL.00.BH +BHE,BHN,BHZ +100 Hz \(resampled\) +119998 samples' \
  -- $P import-mseed -mseed_input "$IN" -mseed_rate 100 -mseed_png false -out_dir "$TMP/r1"
expect mseed_resample_np2 0 'output' -- $PRC_MPIRUN -n 2 $P import-mseed -mseed_input "$IN" -mseed_rate 100 -mseed_png false -out_dir "$TMP/r2"
h5same mseed_np1_vs_np2 "$TMP/r1/waveforms.h5" "$TMP/r2/waveforms.h5"
h5dump -A -d /waveforms/BK.HELL.00.BH "$TMP/r1/waveforms.h5" | grep -q 'stop band from 20 Hz with >= 80 dB' && ok resample_attr || fail resample_attr "no resample_filter attribute"
expect mseed_np2_noresample 0 'output' -- $PRC_MPIRUN -n 2 $P import-mseed -mseed_input "$IN" -mseed_png false -out_dir "$TMP/a2"
h5same mseed_np1_vs_np2_raw "$TMP/a/waveforms.h5" "$TMP/a2/waveforms.h5"
# malformed inputs
printf 'not miniSEED at all\n%.0s' $(seq 1 300) >"$TMP/text.mseed"
expect bad_text 1 "text.mseed': record 1 \(byte 0\)" -- $P import-mseed -mseed_input "$TMP/text.mseed" -out_dir "$TMP/bad"
: >"$TMP/empty.mseed"
expect bad_empty 1 "empty.mseed' is empty" -- $P import-mseed -mseed_input "$TMP/empty.mseed" -out_dir "$TMP/bad"
head -c 10000 "$KW1" >"$TMP/trunc.mseed"
expect bad_truncated 1 "trunc.mseed': record 3 \(byte 8192\): truncated" -- $PRC_MPIRUN -n 2 $P import-mseed -mseed_input "$HELL,$TMP/trunc.mseed" -out_dir "$TMP/bad"
{ dd if="$KW1" bs=4096 count=1 status=none; dd if="$KW1" bs=4096 skip=2 count=1 status=none; dd if="$KW1" bs=4096 skip=1 count=1 status=none; } >"$TMP/back.mseed"
expect bad_backwards 1 "back.mseed': record 3 .*BW.KW1..EHZ.*goes backwards" -- $P import-mseed -mseed_input "$TMP/back.mseed" -out_dir "$TMP/bad"
expect bad_missing 1 "cannot read input '$TMP/nope.mseed'" -- $P import-mseed -mseed_input "$TMP/nope.mseed" -out_dir "$TMP/bad"
expect bad_rate_absurd 2 '-mseed_rate 1e-05 Hz is absurd' -- $P import-mseed -mseed_input "$KW1" -mseed_rate 1e-5 -out_dir "$TMP/bad"
expect bad_rate_range 2 'mseed_rate' -- $P import-mseed -mseed_input "$KW1" -mseed_rate -100 -out_dir "$TMP/bad"
expect bad_rate_irrational 1 'cannot resample 100 Hz to -mseed_rate 3.14159265' -- $P import-mseed -mseed_input "$KW1" -mseed_rate 3.14159265 -out_dir "$TMP/bad"
expect bad_no_input 2 'mseed_input' -- $P import-mseed -out_dir "$TMP/bad"
[ -e "$TMP/bad/waveforms.h5" ] && fail no_output_after_errors "$TMP/bad/waveforms.h5 exists" || ok no_output_after_errors
