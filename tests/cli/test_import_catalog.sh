# tests/cli/test_import_catalog.sh — `precursor import-catalog`: real CENC/JMA files (skip
# if absent), generated ComCat/QuakeML files, several inputs, filters, option errors,
# file errors, 1 vs 2 ranks identical.
. tests/cli/lib.sh
D="${PRC_SHARED_DATA:-../shared/data}/catalogs"
CENC="$D/cenc_china_1970-2024.csv" JMA="$D/jma_japan_1926-2007.csv"
attr() { h5dump -a "/catalog/$2" "$1" 2>/dev/null | sed -n 's/^ *(0): *//p' | head -n1; }
col() { h5dump -A 0 -y -w 0 -m %.15g -d "/catalog/$2" "$1" 2>/dev/null | sed -n '/DATA {/,/}/p' | sed '1d;$d' | tr -d ' ,'; }

cat >"$TMP/cc.csv" <<'CSV'
time,latitude,longitude,depth,mag,magType,nst,gap,dmin,rms,net,id,updated,place,type,horizontalError,depthError,magError,magNst,status,locationSource,magSource
2024-01-01T07:10:09.476Z,37.4874,137.2710,10,7.5,mww,,33,1.16,0.7,us,us6000m0xl,2024-04-20T01:39:28.040Z,"Noto Peninsula, Japan",earthquake,5.9,1.8,0.032,94,reviewed,us,us
2024-01-02T03:04:05.000Z,34.1,-117.5,5.2,,ml,,,,,ci,ci1,2024-01-03T00:00:00.000Z,"5 km N of Somewhere, CA",earthquake,,,,,automatic,ci,ci
2024-01-02T04:00:00.250Z,46.9,-121.4,-1.5,1.2,md,10,90,0.01,0.1,uw,uw1,2024-01-03T00:00:00.000Z,"quarry, ""Big"" pit, WA",quarry blast,,,,,reviewed,uw,uw
2023-12-03T00:00:00Z,61.5,-150.0,,3.1,ml,,,,,ak,ak1,2024-01-03T00:00:00.000Z,"Alaska",earthquake,,,,,reviewed,ak,ak
CSV
cat >"$TMP/q.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<q:quakeml xmlns:q="http://quakeml.org/xmlns/quakeml/1.2" xmlns="http://quakeml.org/xmlns/bed/1.2">
<eventParameters publicID="smi:x/ep">
<event publicID="smi:x/e1"><preferredOriginID>smi:x/o2</preferredOriginID>
 <origin publicID="smi:x/o1"><time><value>2000-01-01T00:00:00Z</value></time><latitude><value>1</value></latitude><longitude><value>2</value></longitude></origin>
 <origin publicID="smi:x/o2"><time><value>2011-03-11T05:46:24Z</value></time><latitude><value>38.297</value></latitude><longitude><value>142.373</value></longitude><depth><value>29000</value></depth></origin>
 <magnitude publicID="smi:x/m1"><mag><value>9.1</value></mag><type>Mww</type></magnitude></event>
<event publicID="smi:x/e3"><type>not existing</type></event>
</eventParameters></q:quakeml>
XML

# ComCat + QuakeML together, on 1 and 2 ranks (files read by different ranks): identical
expect comcat_quakeml 0 '2 file\(s\), 6 rows, 3 events read; skipped: 1 not earthquakes, 1 without magnitude, 0 without origin, 1 .not existing.' \
  'kept 3 events' -- $P import-catalog -catalog_input "$TMP/cc.csv,$TMP/q.xml" -out_dir "$TMP/m1"
expect comcat_quakeml_np2 0 'kept 3 events' -- $PRC_MPIRUN -n 2 $P import-catalog -catalog_input "$TMP/cc.csv, $TMP/q.xml" -out_dir "$TMP/m2"
h5same merged_np1_np2 "$TMP/m1/catalog.h5" "$TMP/m2/catalog.h5"
[ "$(col "$TMP/m1/catalog.h5" lat | head -n1)" = 38.297 ] && [ "$(col "$TMP/m1/catalog.h5" time | wc -l)" = 3 ] \
  && ok merged_sorted_by_time || fail merged_sorted_by_time "$(col "$TMP/m1/catalog.h5" lat)"
if h5dump -a /provenance/inputs "$TMP/m1/catalog.h5" | grep -q "q.xml crc32=[0-9a-f]\{8\}"; then ok provenance_inputs; else fail provenance_inputs "no q.xml in /provenance/inputs"; fi
expect comcat_all_types 0 '0 not earthquakes, 1 without magnitude.*' 'kept 3 events' -- $P import-catalog -catalog_input "$TMP/cc.csv" -catalog_all_types true -catalog_png false -out_dir "$TMP/m3"
# filters
expect filter_box 0 'filtered out: 2 region box, 0 polygon, 0 time, 0 magnitude, 0 depth; kept 1 events' -- \
  $P import-catalog -catalog_input "$TMP/cc.csv,$TMP/q.xml" -catalog_lon_min 100 -catalog_lon_max 150 -catalog_lat_min 38 -out_dir "$TMP/f1"
expect filter_polygon 0 '1 polygon, 0 time, 0 magnitude, 0 depth; kept 1 events' -- \
  $P import-catalog -catalog_input "$TMP/cc.csv,$TMP/q.xml" -catalog_lon_min 100 -catalog_polygon "136 36,139 36,139 39,136 39" -out_dir "$TMP/f2"
expect filter_time_mag 0 '1 time, 1 magnitude, 0 depth; kept 1 events' -- \
  $P import-catalog -catalog_input "$TMP/cc.csv,$TMP/q.xml" -catalog_start 2012-01-01 -catalog_end 2025-01-01 -catalog_mag_min 5 -out_dir "$TMP/f3"
expect filter_depth 0 '2 depth; kept 1 events' -- \
  $P import-catalog -catalog_input "$TMP/cc.csv,$TMP/q.xml" -catalog_depth_min 20 -catalog_keep_unknown_depth false -out_dir "$TMP/f4"
# option errors: all reported, exit 2, no output
expect bad_options 2 'empty region: -catalog_lat_min 10 >= -catalog_lat_max 5' '-catalog_depth_min 50 > -catalog_depth_max 10' \
  'empty time span' '-catalog_polygon: polygon' '-catalog_format: unknown catalog format .csv.' '-catalog_utc_offset_h x' \
  '-catalog_mc_method' -- $P import-catalog -catalog_input "$TMP/cc.csv" -catalog_lat_min 10 -catalog_lat_max 5 -catalog_depth_min 50 \
  -catalog_depth_max 10 -catalog_start 2020-01-01 -catalog_end 2019-01-01 -catalog_polygon "1 2,3" -catalog_format csv \
  -catalog_utc_offset_h x -catalog_mc_method best -out_dir "$TMP/bad"
expect missing_input_option 2 '-catalog_input is required' -- $P import-catalog -out_dir "$TMP/bad"
[ -e "$TMP/bad" ] && fail no_output_on_bad_options "$TMP/bad exists" || ok no_output_on_bad_options
# file errors: file:line and field, exit 1 on every rank, no catalog.h5
printf 'Time,Latitude,Longitude,Magnitude,Depth,None\n2008-05-12T14:28:04,95.00,103.40,8.00,14.00,0.00\n' >"$TMP/bad.csv"
expect bad_latitude 1 "bad.csv:2: field Latitude: expected a latitude in \[-90, 90\], found '95.00'" -- \
  $PRC_MPIRUN -n 2 $P import-catalog -catalog_input "$TMP/cc.csv,$TMP/bad.csv" -out_dir "$TMP/e1"
[ -e "$TMP/e1/catalog.h5" ] && fail no_output_on_bad_file "catalog.h5 written" || ok no_output_on_bad_file
expect missing_file 1 "cannot read input '$TMP/nope.csv'" -- $P import-catalog -catalog_input "$TMP/nope.csv" -out_dir "$TMP/e2"
expect wrong_format 1 "cc.csv:1: header: expected 'Time,Latitude" -- $P import-catalog -catalog_input "$TMP/cc.csv" -catalog_format cenc -out_dir "$TMP/e3"
printf '<?xml version="1.0"?>\n<q:quakeml xmlns:q="http://quakeml.org/xmlns/quakeml/1.2"><eventParameters>\n</q:quakeml>\n' >"$TMP/bad.xml"
expect xml_not_well_formed 1 "bad.xml:4: XML not well-formed" -- $P import-catalog -catalog_input "$TMP/bad.xml" -out_dir "$TMP/e4"
# header only: a valid empty catalog (0 events, Mc NaN)
head -n1 "$TMP/cc.csv" >"$TMP/empty.csv"
expect header_only 0 'kept 0 events' -- $P import-catalog -catalog_input "$TMP/empty.csv" -out_dir "$TMP/e5"
[ "$(attr "$TMP/e5/catalog.h5" n_events)" = 0 ] && ok header_only_n_events || fail header_only_n_events "$(h5dump -A "$TMP/e5/catalog.h5" | head)"

# real catalogs
if [ -r "$CENC" ]; then
  expect cenc 0 '1 file\(s\), 40618 rows, 40618 events read' '10 duplicates dropped; .* kept 40608 events' \
    'span 1970-01-04T12:50:00Z \.\. 2024-05-08T08:40:44Z; magnitude 1.50 \.\. 8.80' 'Mc 6.00 \(gof' -- \
    $P import-catalog -catalog_input "$CENC" -out_dir "$TMP/cenc1"
  expect cenc_np2 0 'kept 40608 events' -- $PRC_MPIRUN -n 2 $P import-catalog -catalog_input "$CENC" -out_dir "$TMP/cenc2"
  h5same cenc_np1_np2 "$TMP/cenc1/catalog.h5" "$TMP/cenc2/catalog.h5"
  [ -s "$TMP/cenc1/fmd.png" ] && ok cenc_png || fail cenc_png "no fmd.png"
  b=$(attr "$TMP/cenc1/catalog.h5" b_value); mc=$(attr "$TMP/cenc1/catalog.h5" mc)
  awk -v b="$b" -v m="$mc" 'BEGIN{exit !(b > 0.6 && b < 1.2 && m == 6)}' && ok cenc_mc_b_attrs || fail cenc_mc_b_attrs "mc=$mc b=$b"
  expect cenc_no_dedup 0 '0 duplicates dropped; .* kept 40618 events' -- \
    $P import-catalog -catalog_input "$CENC" -catalog_dedup false -catalog_png false -out_dir "$TMP/cenc3"
  # Wenchuan: CENC 2008-05-12 14:28:04 Beijing = 06:28:04 UTC (1210573684 s)
  expect cenc_wenchuan 0 'kept 1 events' -- $P import-catalog -catalog_input "$CENC" -catalog_mag_min 7.9 -catalog_start 2008-05-01 \
    -catalog_end 2008-06-01 -catalog_png false -out_dir "$TMP/wen"
  [ "$(col "$TMP/wen/catalog.h5" time)" = 1210573684 ] && ok wenchuan_utc || fail wenchuan_utc "$(col "$TMP/wen/catalog.h5" time)"
else skip cenc "no $CENC"; fi
if [ -r "$JMA" ]; then
  expect jma 0 '13724 events read' 'kept 13724 events' -- $P import-catalog -catalog_input "$JMA" -catalog_png false -out_dir "$TMP/jma"
  bad=$(col "$TMP/jma/catalog.h5" depth_km | awk '$1 < 0' | wc -l)
  [ "$bad" = 0 ] && ok jma_depth_positive || fail jma_depth_positive "$bad negative depths"
else skip jma "no $JMA"; fi
