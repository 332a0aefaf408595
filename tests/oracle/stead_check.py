#!/usr/bin/python3
"""tests/oracle/stead_check.py SRC.h5 SRC.csv OUT.h5 — independent check of
`precursor import-stead` on a STEAD-style file (h5py + csv, no code shared with the C
reader). Prints one line per check: "ok NAME detail" or "FAIL NAME detail"."""
import csv, sys, datetime
import numpy as np, h5py

src, csvp, outp = sys.argv[1:4]
rows = list(csv.DictReader(open(csvp, newline='')))
S, O = h5py.File(src, 'r'), h5py.File(outp, 'r')
res = []
def check(name, cond, detail=''):
    res.append(name); print(('ok ' if cond else 'FAIL ') + name, detail)

names = [r['trace_name'] for r in rows]
tt = O['trace_table']
tnames = [x.decode() for x in tt['name'][:]]
check('stead_count', len(O['waveforms']) == len(rows) == len(tnames), f"{len(O['waveforms'])} datasets, {len(rows)} CSV rows")
check('stead_order', tnames == names, 'trace_table in CSV order')
bad_ps = bad_data = bad_shape = bad_time = 0
single_src = single_out = 0
for i, r in enumerate(rows):
    x = S['data'][r['trace_name']][:]
    y = O['waveforms'][r['trace_name']]
    d = y[:]
    nzcols = [c for c in range(x.shape[1]) if np.any(x[:, c] != 0)]
    if len(nzcols) == 1: single_src += 1
    if d.shape[1] == 1: single_out += 1
    if d.shape[0] != x.shape[0] or d.shape[1] not in (1, 3): bad_shape += 1
    if int(y.attrs['p_sample']) != int(float(r['p_arrival_sample'])) or int(y.attrs['s_sample']) != int(float(r['s_arrival_sample'])) \
       or tt['p_sample'][i] != int(float(r['p_arrival_sample'])) or tt['s_sample'][i] != int(float(r['s_arrival_sample'])):
        bad_ps += 1
    if d.shape[1] == 3:
        ok = np.array_equal(d, x) and int(y.attrs['n_components_present']) == len(nzcols)
    else:
        comp = y.attrs['components']
        comp = comp.decode() if isinstance(comp, bytes) else comp
        ok = len(nzcols) == 1 and np.array_equal(d[:, 0], x[:, nzcols[0]]) and int(y.attrs['n_components_present']) == 1 \
             and comp == r['channels']
    bad_data += not ok
    t = datetime.datetime.fromisoformat(r['trace_start_time']).replace(tzinfo=datetime.timezone.utc).timestamp()
    if abs(float(y.attrs['start_time']) - t) > 1e-6 or abs(tt['start_time'][i] - t) > 1e-6: bad_time += 1
check('stead_shapes', bad_shape == 0, f'{bad_shape} bad')
check('stead_ps_equal_csv', bad_ps == 0, f'{bad_ps} of {len(rows)} traces differ')
check('stead_samples_exact', bad_data == 0, f'{bad_data} traces differ')
check('stead_single_component', single_src == single_out and int(np.sum(tt['n_components'][:] == 1)) == single_src,
      f'{single_src} single-component in the source (python), {single_out} stored with one column')
check('stead_start_times', bad_time == 0, f'{bad_time} differ')
print('single_component_count', single_src)
