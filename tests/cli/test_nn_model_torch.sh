#!/usr/bin/env bash
# test_nn_model_torch.sh — every shipped model spec (inputs/models/*.model) against PyTorch:
# build/tests/unit/test_nn_model dumps each spec in train and eval mode (PRC_NN_MODEL_DUMP),
# tests/oracle/nn_model_torch.py parses the spec itself, rebuilds the network with
# torch.nn.functional in float64 and compares output, loss, all parameter gradients, the
# input gradient (models without a loss) and the running statistics
# (tolerance 2e-5 of max|torch| + 1e-6 per array). Skips when torch is not installed.
cd "$(dirname "$0")/../.." && . tests/cli/lib.sh
T=build/tests/unit/test_nn_model
if ! /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null; then skip torch "python3-torch missing"; exit 0; fi
if [ ! -x "$T" ]; then fail dump "$T not built (make tests-bin)"; exit 0; fi
expect dump 0 'dumped 14 model cases' -- env PRC_NN_MODEL_DUMP="$TMP/nnm" "$T"
expect torch_oracle 0 '14 cases, 0 failed, max scaled error' -- /usr/bin/python3 tests/oracle/nn_model_torch.py "$TMP/nnm"
grep -E 'cases,' "$TMP/torch_oracle.out" >&2
