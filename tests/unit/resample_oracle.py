#!/usr/bin/python3
"""Oracle for tests/unit/test_resample.c: scipy.signal.resample_poly and firwin.
usage: resample_oracle.py X.f64 H.f64 UP DOWN OUT.f64 FIRWIN.f64 NTAPS CUTOFF BETA
Writes resample_poly(x, up, down, window=h) and firwin(ntaps, cutoff, window=('kaiser', beta))."""
import sys
import numpy as np
from scipy.signal import resample_poly, firwin

x = np.fromfile(sys.argv[1], dtype='<f8')
h = np.fromfile(sys.argv[2], dtype='<f8')
up, down = int(sys.argv[3]), int(sys.argv[4])
resample_poly(x, up, down, window=h).astype('<f8').tofile(sys.argv[5])
firwin(int(sys.argv[7]), float(sys.argv[8]), window=('kaiser', float(sys.argv[9]))).astype('<f8').tofile(sys.argv[6])
