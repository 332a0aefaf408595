# tests/env.sh — environment for running precursor under Open MPI on a small machine as
# root (sourced by tests/run.sh, jobs/demo.sh, tests/bench.sh). See docs/CLUSTER.md.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1   # more ranks than cores (tests use 4 ranks on 2 cores)
export OMPI_MCA_mpi_yield_when_idle=1        # else busy polling makes oversubscribed runs ~9x slower
export OMPI_MCA_btl_vader_single_copy_mechanism=none  # no CMA in containers
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
export PRC_MPIRUN="${PRC_MPIRUN:-mpirun}"
