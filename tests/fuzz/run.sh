#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS [RESULTS] — run every libFuzzer harness (build/fuzz/fuzz_*, `make fuzz`)
# for SECONDS each from a small seed corpus, and append one line per harness to RESULTS
# (default build/fuzz/results.txt): "harness executions=N crashes=N seconds=S".
# Seeds: small valid files written here, plus the heads of the real files in
# $PRC_SHARED_DATA (../shared/data) copied into a temporary corpus (never committed).
# A crash leaves its input as build/fuzz/crash-<harness>-*; exit status 1 if any crashed.
set -uo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-10}"; results="${2:-build/fuzz/results.txt}"
data="${PRC_SHARED_DATA:-$(cd .. && pwd)/shared/data}"
mkdir -p build/fuzz "$(dirname "$results")"
work=$(mktemp -d /tmp/precursor-fuzz.XXXXXX); trap 'rm -rf "$work"' EXIT
for h in catalog_csv quakeml iaga2002 mseed stead_csv deck; do mkdir -p "$work/seed_$h"; done

# seed FILE PREFIX-BYTE CONTENT-FILE: a seed whose first byte selects the harness' mode
seed() { { printf "$2"; cat "$3"; } >"$1"; }
t=$work/t
printf 'Time,Latitude,Longitude,Magnitude,Depth,None\n2008-05-12T14:28:01,31.00,103.40,8.00,14.00,0.00\n2008-05-12T14:43:15,31.20,103.60,5.10,10.00,0.00\n' >$t
seed "$work/seed_catalog_csv/cenc" '\x01' $t; seed "$work/seed_catalog_csv/cenc_auto" '\x00' $t
printf '"date","time","long","lat","mag","depth"\n"1926-01-08","00:00:00",142.5345,39.3433,4.6,0\n"1926-01-10","17:57:43",141.5225,35.8435,5.6,-24\n' >$t
seed "$work/seed_catalog_csv/jma" '\x02' $t
printf 'time,latitude,longitude,depth,mag,magType,nst,gap,dmin,rms,net,id,updated,place,type,horizontalError,depthError,magError,magNst,status,locationSource,magSource\n2011-03-11T05:46:24.120Z,38.297,142.373,29,9.1,mww,541,9.5,2.404,1.16,official,official20110311054624120_30,2022-08-04T19:43:35.811Z,"2011 Great Tohoku Earthquake, Japan",earthquake,,,,,reviewed,official,official\n' >$t
seed "$work/seed_catalog_csv/comcat" '\x03' $t
cat >"$work/seed_quakeml/q.xml" <<'X'
<?xml version="1.0" encoding="UTF-8"?>
<q:quakeml xmlns:q="http://quakeml.org/xmlns/quakeml/1.2" xmlns="http://quakeml.org/xmlns/bed/1.2">
<eventParameters publicID="smi:x/ep">
<event publicID="smi:x/e1"><preferredOriginID>smi:x/o1</preferredOriginID><preferredMagnitudeID>smi:x/m1</preferredMagnitudeID>
<type>earthquake</type>
<origin publicID="smi:x/o1"><time><value>2011-03-11T05:46:24.12Z</value></time><latitude><value>38.297</value></latitude><longitude><value>142.373</value></longitude><depth><value>29000</value></depth></origin>
<magnitude publicID="smi:x/m1"><mag><value>9.1</value></mag><type>Mw</type></magnitude></event>
</eventParameters>
</q:quakeml>
X
cat >"$work/seed_iaga2002/small.iaga2002" <<'X'
 Format                 IAGA-2002                                    |
 Source of Data         Test                                         |
 Station Name           Test                                         |
 IAGA CODE              TST                                          |
 Geodetic Latitude      27.096                                       |
 Geodetic Longitude     142.185                                      |
 Elevation              155                                          |
 Reported               XYZF                                         |
 Sensor Orientation     XYZF                                         |
 Digital Sampling       1 second                                     |
 Data Interval Type     1-minute                                     |
 Data Type              Definitive                                   |
DATE       TIME         DOY     TSTX      TSTY      TSTZ      TSTF   |
2011-03-01 00:00:00.000 060     32744.90  -2370.70  22208.30  39635.12
2011-03-01 00:01:00.000 060     32744.90  -2370.60  22208.30  99999.00
2011-03-01 00:03:00.000 060     32744.80  88888.00  22208.30  39635.09
X
for f in inputs/*.opts; do cp "$f" "$work/seed_deck/"; done
printf -- '-out_dir /tmp/x\n-k_int 3 # comment\n-alpha 1e3\n-flag\n-start 2011-03-11\n-name abc\n' >"$work/seed_deck/typed.opts"
printf 'trace_name,network,station,trace_start_time,sampling_rate_hz,npts,channels,p_arrival_sample,s_arrival_sample\nA_1,NC,MEM,2017-10-07T09:28:26.92,100.0,9001,EHE_EHN_EHZ,3000,3287\n' >$t
seed "$work/seed_stead_csv/s1" '\x01' $t
# heads of the real files (if present)
if [ -d "$data" ]; then
  for f in "$data"/catalogs/*.csv; do [ -f "$f" ] && { head -n 40 "$f" >$t; seed "$work/seed_catalog_csv/$(basename "$f")" '\x00' $t; }; done
  for f in "$data"/geomag/*.iaga2002; do [ -f "$f" ] && head -n 200 "$f" >"$work/seed_iaga2002/$(basename "$f")"; done
  for f in "$data"/waveforms/*.mseed; do [ -f "$f" ] && head -c 16384 "$f" >"$work/seed_mseed/$(basename "$f")"; done
  for f in "$data"/waveforms/*.csv; do [ -f "$f" ] && { head -n 12 "$f" >$t; seed "$work/seed_stead_csv/$(basename "$f")" '\x01' $t; }; done
fi
[ -n "$(ls "$work/seed_mseed")" ] || printf 'not a miniSEED file' >"$work/seed_mseed/junk"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
status=0
for h in catalog_csv quakeml iaga2002 mseed stead_csv deck; do
  bin=build/fuzz/fuzz_$h
  if [ ! -x "$bin" ]; then echo "fuzz_$h: not built (make fuzz)"; status=1; continue; fi
  mkdir -p "$work/corpus_$h"
  log=build/fuzz/fuzz_$h.log
  # deck: Open MPI start-up and PETSc 3.18's PetscOptionsInsertFile (its read buffer on the error
  # path) leak outside our code, so leak detection is off for that harness only.
  leaks=1; [ "$h" = deck ] && leaks=0
  ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=$leaks" "$bin" -detect_leaks=$leaks -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="build/fuzz/crash-$h-" "$work/corpus_$h" "$work/seed_$h" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
  crashes=$(grep -c '^==[0-9]*==ERROR\|^SUMMARY: \|deadly signal\|ERROR: libFuzzer' "$log")
  [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ] && crashes=1
  echo "fuzz_$h executions=${execs:-0} crashes=$crashes seconds=$secs date=$(date -u +%F)" | tee -a "$results"
  if [ "$crashes" -ne 0 ]; then status=1; grep -m 5 'ERROR\|SUMMARY\|Test unit written' "$log"; fi
done
exit $status
