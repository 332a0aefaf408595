#!/usr/bin/env bash
# test_nn_torch.sh — the NN layers against PyTorch: build/tests/unit/test_nn_layers dumps
# every layer case (PRC_NN_DUMP), tests/oracle/nn_torch_check.py recomputes it with
# torch.nn.functional + autograd in float64 (tolerance 2e-5 of max|torch| + 1e-6 per array).
# Skips when torch is not installed.
cd "$(dirname "$0")/../.." && . tests/cli/lib.sh
T=build/tests/unit/test_nn_layers
if ! /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null; then skip torch "python3-torch missing"; exit 0; fi
if [ ! -x "$T" ]; then fail dump "$T not built (make tests-bin)"; exit 0; fi
expect dump 0 'dumped [0-9]+ cases' -- env PRC_NN_DUMP="$TMP/nn" "$T"
expect torch_oracle 0 ', 0 failed, max scaled error' -- /usr/bin/python3 tests/oracle/nn_torch_check.py "$TMP/nn"
grep -E 'cases,' "$TMP/torch_oracle.out" >&2
