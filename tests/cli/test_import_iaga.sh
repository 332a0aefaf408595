# tests/cli/test_import_iaga.sh — `precursor import-iaga` on the real IAGA-2002 files
# (skipped when ../shared/data is absent) and on files with missing values and errors made
# here. Oracle: an independent parse of the text with /usr/bin/python3.
. tests/cli/lib.sh
D="${PRC_SHARED_DATA:-../shared/data}/geomag"
CBI="$D/cbi_2011-03_1min.iaga2002" MMB="$D/mmb_2011-03_1min.iaga2002"
PY=/usr/bin/python3

# compare NAME H5 TEXT CODE [TEXT2 ...]: stations.h5 equals the text files (concatenated)
# exactly: values (tolerance 0 against float64 of the printed decimals), NaN exactly where
# 99999/88888 is, times, header position, gaps list.
compare() {
  local name="$1" h5="$2" code="$3"; shift 3
  local out
  if out=$($PY - "$h5" "$code" "$@" 2>&1 <<'EOF'
import sys, subprocess, math, calendar, re
h5, code, files = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = {}; hdr = {}
for fn in files:
    for line in open(fn):
        if line.startswith(' ') and line.rstrip().endswith('|'):
            if not line.startswith(' #'): hdr[line[1:24].strip()] = line[24:69].strip()
            continue
        if line.startswith('DATE'): continue
        t = calendar.timegm((int(line[0:4]), int(line[5:7]), int(line[8:10]), int(line[11:13]), int(line[14:16]), int(line[17:19])))
        rows[t] = [float(x) for x in line[27:].split()]
ts = sorted(rows); t0, dt = ts[0], ts[1] - ts[0]
n = (ts[-1] - t0) // dt + 1
def dump(path):
    r = subprocess.run(['h5dump', '-w', '0', '-m', '%.17g', '-d', path, h5], capture_output=True, text=True, check=True).stdout
    body = r[r.index('DATA {') + 6:]
    body = body[:body.index('}')]
    return [x for x in re.split(r'[\s,]+', re.sub(r'\(\d+(,\d+)?\):', ' ', body)) if x]
def attr(path):
    r = subprocess.run(['h5dump', '-m', '%.17g', '-a', path, h5], capture_output=True, text=True, check=True).stdout
    return r[r.index('DATA {') + 6:].split(':', 1)[1].split('}')[0].strip()
codes = dump('/station_table/code')
i = codes.index('"%s"' % code)
lat = float(dump('/station_table/lat')[i]); lon = float(dump('/station_table/lon')[i])
assert lat == float(hdr['Geodetic Latitude']) and lon == float(hdr['Geodetic Longitude']), (lat, lon)
assert float(dump('/station_table/elevation_m')[i]) == float(hdr['Elevation'])
nnan = 0
for c, ch in enumerate(hdr['Reported']):
    g = '/series/%s/%s' % (code, ch)
    assert float(attr(g + '/start_time')) == t0 and float(attr(g + '/dt')) == dt
    v = [float(x) for x in dump(g + '/values')]
    assert len(v) == n, (len(v), n)
    for k in range(n):
        want = rows.get(t0 + k * dt, [99999.0] * 4)[c]
        if want in (99999.0, 88888.0):
            assert math.isnan(v[k]), (ch, k, v[k]); nnan += 1
        else:
            assert v[k] == want, (ch, k, v[k], want)
    gaps = [int(x) for x in dump(g + '/gaps')] if int(attr(g + '/n_gaps')) else []
    assert sum(gaps[1::2]) == sum(math.isnan(x) for x in v)
print("nan", nnan)
EOF
  ); then ok "$name"; echo "  $name: $out" >&2; else fail "$name" "$out"; fi
}

if [ -r "$CBI" ] && [ -r "$MMB" ]; then
  for f in "$CBI" "$MMB"; do
    rows=$(grep -cE '^[0-9]{4}-' "$f")
    [ "$rows" -eq 44640 ] && ok "rows_$(basename "$f" .iaga2002)" || fail "rows_$(basename "$f")" "$rows data rows, expected 44640"
  done
  expect real_1rank 0 'CBI \(Chichijima\) 27.096 N 142.185 E 155 m, DHZF' '44640 samples at 60 s' 'MMB \(Memambetsu\) 43.910 N 144.189 E' \
    '2 station\(s\) from 2 file' -- $P import-iaga -iaga_input "$CBI,$MMB" -out_dir "$TMP/r1"
  expect real_2ranks 0 '2 station' -- $PRC_MPIRUN -n 2 $P import-iaga -iaga_input "$MMB,$CBI" -out_dir "$TMP/r2" -iaga_png false
  h5same real_1_vs_2_ranks "$TMP/r1/stations.h5" "$TMP/r2/stations.h5"
  for c in CBI MMB; do
    [ -s "$TMP/r1/iaga_$c.png" ] && [ "$(head -c 4 "$TMP/r1/iaga_$c.png" | od -An -tx1 | tr -d ' ')" = 89504e47 ] && ok "png_$c" || fail "png_$c" "no PNG"
  done
  # NaN count = sentinel count, counted independently with awk
  nsent=$(awk '/^[0-9]{4}-/{for(i=4;i<=7;i++) if($i=="99999.00"||$i=="88888.00") n++} END{print n+0}' "$CBI")
  compare real_cbi_roundtrip "$TMP/r1/stations.h5" CBI "$CBI"
  compare real_mmb_roundtrip "$TMP/r1/stations.h5" MMB "$MMB"
  nnan=$(grep -oE 'CBI/[DHZF] \[[a-zT]+\]: .* ([0-9]+) NaN' "$TMP/real_1rank.out" | grep -oE '[0-9]+ NaN' | awk '{s+=$1} END{print s+0}')
  [ "$nnan" -eq "$nsent" ] && ok real_nan_equals_sentinels || fail real_nan_equals_sentinels "NaN $nnan, sentinels $nsent"
  # the file split in two halves (each with the header) = the whole file
  head -n 15 "$CBI" >"$TMP/h1.iaga"; cp "$TMP/h1.iaga" "$TMP/h2.iaga"
  sed -n '16,22335p' "$CBI" >>"$TMP/h1.iaga"; sed -n '22336,$p' "$CBI" >>"$TMP/h2.iaga"
  expect split_halves 0 'CBI .* 2 file\(s\).* 44640 samples' -- $PRC_MPIRUN -n 2 $P import-iaga -iaga_input "$TMP/h2.iaga,$TMP/h1.iaga" -out_dir "$TMP/s" -iaga_png false
  expect split_whole 0 '' -- $P import-iaga -iaga_input "$CBI" -out_dir "$TMP/w" -iaga_png false
  h5same split_equals_whole "$TMP/s/stations.h5" "$TMP/w/stations.h5"
  # overlapping halves (100 lines in both) de-duplicated
  head -n 15 "$CBI" >"$TMP/o2.iaga"; sed -n '22236,$p' "$CBI" >>"$TMP/o2.iaga"
  expect overlap_equal 0 'overlap 100 samples' -- $P import-iaga -iaga_input "$TMP/h1.iaga,$TMP/o2.iaga" -out_dir "$TMP/o" -iaga_png false
  h5same overlap_equals_whole "$TMP/o/stations.h5" "$TMP/w/stations.h5"
  # conflicting overlap: one value changed in the second file
  sed '50s/^\(.\{31\}\).\{9\}/\1 -999.99/' "$TMP/o2.iaga" >"$TMP/o3.iaga"
  expect overlap_conflict 1 "h1.iaga and .*o3.iaga overlap with different values at 2011-03-16T.*channel D" -- \
    $PRC_MPIRUN -n 2 $P import-iaga -iaga_input "$TMP/h1.iaga,$TMP/o3.iaga" -out_dir "$TMP/oc"
  [ -e "$TMP/oc/stations.h5" ] && fail no_output_after_conflict "exists" || ok no_output_after_conflict
  # resampled to the 2 h grid: 372 blocks, each the mean of its 120 minutes (python oracle)
  expect resample_2h 0 'CBI/H \[nT\]: .* written 372 samples at 7200 s' -- $P import-iaga -iaga_input "$CBI" -iaga_resample_s 7200 -out_dir "$TMP/rs" -iaga_png false
  if out=$($PY - "$CBI" "$TMP/rs/stations.h5" 2>&1 <<'EOF'
import sys, subprocess, re
v = [float(l[27:].split()[1]) for l in open(sys.argv[1]) if l[:1].isdigit()]
r = subprocess.run(['h5dump', '-w', '0', '-m', '%.17g', '-d', '/series/CBI/H/values', sys.argv[2]], capture_output=True, text=True).stdout
body = r[r.index('DATA {') + 6:]; body = body[:body.index('}')]
h = [float(x) for x in re.split(r'[\s,]+', re.sub(r'\(\d+\):', ' ', body)) if x]
assert len(h) == 372
for b in range(372):
    m = sum(v[120 * b:120 * b + 120]) / 120
    assert abs(h[b] - m) <= 1e-9 * abs(m), (b, h[b], m)
EOF
  ); then ok resample_values; else fail resample_values "$out"; fi
else
  skip real_files "no $CBI or $MMB"
fi

# --- a small file with missing values (made here) --------------------------------------
hdr() { printf ' %-23s%-45s|\n' "Format" "IAGA-2002" "Source of Data" "test" "Station Name" "Testville" "IAGA CODE" "${1:-TST}" \
  "Geodetic Latitude" "${2:-10.5}" "Geodetic Longitude" "${3:-350.25}" "Elevation" "12" "Reported" "XYZF" \
  "Data Interval Type" "1-minute (00:15-01:45)" "Data Type" "variation"
  echo "DATE       TIME         DOY     ${1:-TST}X      ${1:-TST}Y      ${1:-TST}Z      ${1:-TST}F   |"; }
{ hdr; for i in 0 1 2 3 4 5 6 7 8 9; do
  v4=" 45000.00"; [ $i -ge 6 ] && v4=" 88888.00"; v1=" 30000.0$i"; [ $i = 2 ] || [ $i = 3 ] && v1=" 99999.00"
  printf '2012-01-01 00:0%d:00.000 001 %s   -100.00  20000.00 %s\n' $i "$v1" "$v4"; done; } >"$TMP/m.iaga"
expect missing_values 0 'TST/X \[nT\]: 2 missing .* 2 NaN in 1 gaps' 'TST/F \[nT\]: 0 missing \(99999\), 4 not recorded \(88888\).* 4 NaN in 1 gaps' -- \
  $P import-iaga -iaga_input "$TMP/m.iaga" -out_dir "$TMP/m"
compare missing_roundtrip "$TMP/m/stations.h5" TST "$TMP/m.iaga"
g=$(h5dump -w 0 -d /series/TST/X/gaps "$TMP/m/stations.h5" | grep -oE '\(0,0\): [0-9]+, [0-9]+')
[ "$g" = "(0,0): 2, 2" ] && ok missing_gap_list || fail missing_gap_list "gaps '$g', expected (0,0): 2, 2"

# --- errors through the binary: file:line: field, exit 1 on every rank, no output ------
{ hdr; printf '2012-01-01 00:00:00.000 001  1 2 3 4\n2012-01-01 00:01:00.000 001  1 2 three 4\n'; } >"$TMP/bad.iaga"
expect bad_value_2ranks 1 "bad.iaga:13: value 3 \(Z\): expected a decimal number .*found 'three'" -- \
  $PRC_MPIRUN -n 2 $P import-iaga -iaga_input "$TMP/m.iaga,$TMP/bad.iaga" -out_dir "$TMP/e"
hdr TST 95 >"$TMP/lat.iaga"; echo '2012-01-01 00:00:00.000 001  1 2 3 4' >>"$TMP/lat.iaga"
expect bad_latitude 1 "lat.iaga:5: header field 'Geodetic Latitude': expected degrees in \[-90, 90\], found '95'" -- $P import-iaga -iaga_input "$TMP/lat.iaga" -out_dir "$TMP/e"
: >"$TMP/empty.iaga"
expect empty_file 1 "empty.iaga:1: file is empty" -- $P import-iaga -iaga_input "$TMP/empty.iaga" -out_dir "$TMP/e"
expect missing_file 1 "cannot read input '$TMP/nope.iaga'" -- $P import-iaga -iaga_input "$TMP/nope.iaga" -out_dir "$TMP/e"
[ -e "$TMP/e/stations.h5" ] && fail no_output_after_error "$TMP/e/stations.h5 exists" || ok no_output_after_error
expect no_input 2 'iaga_input' -- $P import-iaga -out_dir "$TMP/e"
expect empty_entry 2 'no empty entries' -- $P import-iaga -iaga_input "$TMP/m.iaga,,x" -out_dir "$TMP/e"
expect resample_not_multiple 1 'iaga_resample_s 90 for station TST: block mean: block of 90000 ms is not a positive multiple of the 60000 ms' -- \
  $P import-iaga -iaga_input "$TMP/m.iaga" -iaga_resample_s 90 -out_dir "$TMP/e"
