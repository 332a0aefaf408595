#!/usr/bin/python3
"""tests/oracle/stead_make.py DIR — small STEAD-style HDF5 + CSV files for the error and
corner cases of tests/cli/test_import_stead.sh (h5py; deterministic)."""
import os, sys
import numpy as np, h5py

D = sys.argv[1]
os.makedirs(D, exist_ok=True)
HDR = 'trace_name,network,station,trace_start_time,sampling_rate_hz,npts,channels,p_arrival_sample,s_arrival_sample,trace_category'
rng = np.random.default_rng(7)

def trace(n=100, ncol=3, single=False):
    x = rng.normal(size=(n, ncol)).astype(np.float32) * 100
    if single: x[:, :2] = 0
    return x

def h5(name, traces):
    with h5py.File(os.path.join(D, name + '.h5'), 'w') as f:
        g = f.create_group('data')
        for k, x in traces.items():
            ds = g.create_dataset(k, data=x)
            ds.attrs['network'] = 'XX'
            ds.attrs['station'] = k[:4]
            ds.attrs['sampling_rate_hz'] = 100.0

def csvf(name, lines, header=HDR):
    with open(os.path.join(D, name + '.csv'), 'w') as f:
        if header is not None: f.write(header + '\n')
        for l in lines: f.write(l + '\n')

def row(name, p=30, s=60, rate='100.0', npts=100, ch='HHE_HHN_HHZ'):
    return f'{name},XX,{name[:4]},2020-01-02T03:04:05.00,{rate},{npts},{ch},{p},{s},earthquake_local'

good = {'AAA1': trace(), 'BBB2': trace(single=True), 'CCC3': trace()}
rows = [row('AAA1'), row('BBB2', ch='EHZ'), row('CCC3')]
# good set with an extra HDF5 trace not in the CSV
h5('good', dict(good, ZZZ9=trace()))
csvf('good', rows)
# malformed CSVs (against good.h5)
csvf('no_name', [','.join(r.split(',')[1:]) for r in rows], header=','.join(HDR.split(',')[1:]))
csvf('no_p', [','.join(x for j, x in enumerate(r.split(',')) if j != 7) for r in rows],
     header=','.join(x for j, x in enumerate(HDR.split(',')) if j != 7))
csvf('missing_trace', rows + [row('NOPE7')])
csvf('p_range', [rows[0], row('BBB2', p=500, s=600, ch='EHZ')])
csvf('s_before_p', [row('AAA1', p=50, s=40)])
csvf('empty', [], header=None)
csvf('header_only', [])
csvf('p_text', [row('AAA1', p='abc')])
csvf('rate_zero', [row('AAA1', rate='0')])
csvf('rate_neg', [row('AAA1', rate='-100')])
csvf('dup', [rows[0], rows[2], rows[0]])
csvf('unlabelled', [row('AAA1', p='', s=''), rows[2]])
csvf('npts_wrong', [row('AAA1', npts=99)])
csvf('single_but_3', [row('AAA1', ch='EHZ')])
csvf('fields', [rows[0], 'CCC3,XX,CCC3'])
# malformed HDF5 files
h5('shape2', {'AAA1': trace(ncol=2)}); csvf('shape2', [rows[0]])
h5('rank1', {'AAA1': trace()[:, 0].copy()}); csvf('rank1', [rows[0]])
x = trace(); x[7, 1] = np.nan
h5('nan', {'AAA1': x}); csvf('nan', [rows[0]])
with h5py.File(os.path.join(D, 'attr_p.h5'), 'w') as f:
    ds = f.create_group('data').create_dataset('AAA1', data=trace())
    ds.attrs['p_arrival_sample'] = np.int64(31)
csvf('attr_p', [rows[0]])
with open(os.path.join(D, 'text.h5'), 'w') as f: f.write('this is not HDF5\n' * 100)
# standard STEAD column names, no rate anywhere (-stead_rate default), event metadata, float sample indices
SH = ('network_code,receiver_code,receiver_type,receiver_latitude,receiver_longitude,p_arrival_sample,p_status,'
      's_arrival_sample,source_origin_time,source_latitude,source_longitude,source_depth_km,source_magnitude,'
      'source_magnitude_type,trace_start_time,trace_category,trace_name')
with h5py.File(os.path.join(D, 'std.h5'), 'w') as f:
    g = f.create_group('data')
    g.create_dataset('ST01.XX_20150101_EV', data=trace())
    g.create_dataset('ST02.XX_20150101_NO', data=trace())
csvf('std', ['XX,ST01,HH,35.1,-117.2,30.0,manual,61.0,2015-01-01 00:00:10.5,35.5,-117.5,8.2,3.1,ml,2015-01-01 00:00:12.00,earthquake_local,ST01.XX_20150101_EV',
             'XX,ST02,BH,35.2,-117.3,,,,,,,,,,2015-01-01 01:00:00.00,noise,ST02.XX_20150101_NO'], header=SH)
