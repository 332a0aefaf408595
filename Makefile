# precursor — top-level Makefile.
#
#   make deps    install the Debian packages the build, tests and later stages need (idempotent)
#   make         build bin/precursor (and build/libprecursor.a)
#   make test    deps + build + the whole test suite (tests/run.sh), closing line "N passed, N failed"
#   make demo    deps + build + synth on the embedded default deck under mpirun -n 2 -> outputs/demo/
#   make bench   deps + build + benchmarks -> outputs/bench/ (summarised in docs/BENCHMARKS.md)
#   make bench-scaling   strong/weak scaling of synth, rst, vmd (docs/SCALING.md)
#   make clean   remove build/ and bin/
#   make fuzz    libFuzzer harnesses of the parsers -> build/fuzz/ (clang); tests/fuzz/run.sh SECONDS runs them
#   make test-sanitize  the whole suite under AddressSanitizer+UBSan, built in build-san/ (not part of
#                make test: it doubles the time); see docs/RELIABILITY.md
#
# Toggles: DEBUG=1 (-O0 -g3, PETSc-style extra checks), SANITIZE=1 (address+undefined),
# CI=true adds -Werror.  NP=<ranks> for demo.

SHELL := /bin/bash

# --- Debian packages -----------------------------------------------------------
# Build: MPI, PETSc (built on HDF5-openmpi/ScaLAPACK/FFTW-MPI/OpenBLAS), parallel HDF5,
# ScaLAPACK, FFTW3 + FFTW3-MPI, OpenBLAS, libpng, zlib.
# Later stages: libmseed (miniSEED), HDF4 (MODIS), libxml2 (QuakeML).
# Tests/benchmarks: hdf5-tools (h5diff, h5dump), python3-numpy/scipy/h5py/torch (oracles only),
# clang + libclang-rt-14-dev (libFuzzer harnesses, tests/fuzz/), slurm-wlm + munge (a real Slurm in the tests).
DEB_PACKAGES := build-essential pkg-config openmpi-bin libopenmpi-dev petsc-dev \
  libhdf5-openmpi-dev hdf5-tools libscalapack-openmpi-dev libfftw3-dev libfftw3-mpi-dev \
  libopenblas-dev libpng-dev zlib1g-dev libmseed-dev libhdf4-alt-dev libxml2-dev \
  python3-numpy python3-scipy python3-h5py python3-torch slurm-wlm munge \
  clang libclang-rt-14-dev valgrind

PKGS := petsc hdf5-openmpi scalapack-openmpi fftw3 libpng zlib mseed libxml-2.0

CC := mpicc
VERSION := $(shell git describe --always --dirty --tags 2>/dev/null || echo unknown)

ifeq ($(DEBUG),1)
  OPT := -O0 -g3
else
  OPT := -O2 -g
endif
ifeq ($(SANITIZE),1)
  OPT += -fsanitize=address,undefined -fno-omit-frame-pointer
  LDSAN := -fsanitize=address,undefined
endif

WARN := -Wall -Wextra -Wshadow -Wno-unused-parameter -Wstrict-prototypes
ifeq ($(CI),true)
  WARN += -Werror
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS  := -std=c11 -pthread -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(OPT) $(WARN) \
           -Iinclude -I/usr/include/hdf5/openmpi -I/usr/include/hdf $(PKG_CFLAGS) -DPRC_VERSION='"$(VERSION)"' -MMD -MP
# HDF4 (MODIS): Debian's -alt build, renamed so it can coexist with netCDF; no .pc file.
LDLIBS  := $(PKG_LIBS) -lmfhdfalt -ldfalt -lfftw3_mpi -lfftw3 -lopenblas -lm -pthread
LDFLAGS := $(LDSAN)

BUILD := build
BIN   := bin
LIB_SRC  := $(shell find src -name '*.c' ! -name main.c | sort)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/src/main.o
LIB      := $(BUILD)/libprecursor.a

TEST_SRC := $(sort $(wildcard tests/unit/test_*.c) $(wildcard tests/mpi/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_BIN := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/bench/bench_*.c))

.PHONY: all deps test demo bench bench-scaling clean check-deps tests-bin fuzz test-sanitize
.DEFAULT_GOAL := all

all: check-deps $(BIN)/precursor

check-deps:
	@[ -n "$(CHECKED)" ] || echo "precursor $(VERSION): CC=$(CC) ($$($(CC) -dumpversion 2>/dev/null)), pkg-config: $(PKGS) + fftw3_mpi, hdf4-alt, openblas$(if $(DEBUG), DEBUG)$(if $(SANITIZE), SANITIZE)$(if $(filter true,$(CI)), -Werror)"
	@pkg-config --exists $(PKGS) || { echo "precursor: missing build dependencies (pkg-config: $(PKGS)); run 'make deps' (as root)"; exit 1; }

# Installs only what dpkg says is missing; a no-op (well under a second) when all is present.
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
	   dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "precursor deps: installing:" $$missing; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends \
	    -o DPkg::Lock::Timeout=600 $$missing; \
	else echo "precursor deps: all $(words $(DEB_PACKAGES)) Debian packages present"; fi

# V=1 shows the full command lines.
Q := $(if $(V),,@)

$(BIN)/precursor: $(MAIN_OBJ) $(LIB)
	@mkdir -p $(@D)
	@echo "  LINK $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

# The RST kernels: -O3 for the vectoriser and -fno-trapping-math so gcc if-converts the
# branch-free selects (it changes no result: no reassociation, no contraction; the unit
# test compares them bitwise with the scalar _ref kernels). Not with DEBUG=1.
ifneq ($(DEBUG),1)
$(BUILD)/src/thermal/rst.o: CFLAGS += -O3 -fno-trapping-math
# The VMD hot loops (docs/VMD.md "Speed"): full vectorisation (the -O2 cost model leaves them scalar).
$(BUILD)/src/signal/vmd.o: CFLAGS += -O3
# The NN layers (docs/NN.md "Speed"): element-wise loops with selects (relu masks, pooling)
# stay scalar and branchy at -O2; -fno-trapping-math lets gcc if-convert them (no result changes).
$(BUILD)/src/nn/%.o: CFLAGS += -O3 -fno-trapping-math
endif

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC   $<"
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/tests/%: tests/%.c $(LIB) tests/ptest.h
	@mkdir -p $(@D)
	@echo "  TEST $@"
	$(Q)$(CC) $(CFLAGS) -Itests $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

tests-bin: $(TEST_BIN)

test: deps
	@$(MAKE) --no-print-directory all tests-bin
	@./tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@./jobs/demo.sh $(NP)

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@./tests/bench.sh

# strong/weak scaling of synth, rst, vmd, train on RANKS (default 1 2 4) -> outputs/bench/scaling-*.txt + PNGs
bench-scaling: deps
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@./tests/bench_scaling.sh

# --- libFuzzer harnesses: the parser kernels compiled directly with clang (no MPI), except the
# deck harness, which needs PETSc's options reader (built through mpicc with OMPI_CC=clang).
FUZZ_CC    := clang
FUZZ_FLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
              -fno-sanitize-recover=undefined -Iinclude -Wall -Wno-unused-parameter
FUZZ_CORE  := src/core/error.c src/core/text.c src/core/timeutil.c
FUZZ_CAT   := src/io/read_catalog_csv.c src/seismo/catalog_ops.c src/io/read_quakeml.c
FUZZ_BIN   := $(addprefix $(BUILD)/fuzz/fuzz_,catalog_csv quakeml iaga2002 mseed stead_csv deck)

fuzz: $(FUZZ_BIN)

$(BUILD)/fuzz/fuzz_catalog_csv: tests/fuzz/fuzz_catalog_csv.c tests/fuzz/fuzz_common.h $(FUZZ_CORE) $(FUZZ_CAT)
	@mkdir -p $(@D); echo "  FUZZ $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) $(shell pkg-config --cflags libxml-2.0) -o $@ $(filter %.c,$^) $(shell pkg-config --libs libxml-2.0) -lm
$(BUILD)/fuzz/fuzz_quakeml: tests/fuzz/fuzz_quakeml.c tests/fuzz/fuzz_common.h $(FUZZ_CORE) $(FUZZ_CAT)
	@mkdir -p $(@D); echo "  FUZZ $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) $(shell pkg-config --cflags libxml-2.0) -o $@ $(filter %.c,$^) $(shell pkg-config --libs libxml-2.0) -lm
$(BUILD)/fuzz/fuzz_iaga2002: tests/fuzz/fuzz_iaga2002.c tests/fuzz/fuzz_common.h $(FUZZ_CORE) src/io/read_iaga2002.c
	@mkdir -p $(@D); echo "  FUZZ $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(filter %.c,$^) -lm
$(BUILD)/fuzz/fuzz_mseed: tests/fuzz/fuzz_mseed.c tests/fuzz/fuzz_common.h $(FUZZ_CORE) src/io/read_mseed.c
	@mkdir -p $(@D); echo "  FUZZ $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(filter %.c,$^) -lmseed -lm
$(BUILD)/fuzz/fuzz_stead_csv: tests/fuzz/fuzz_stead_csv.c tests/fuzz/fuzz_common.h $(FUZZ_CORE) $(FUZZ_CAT) src/io/read_stead_csv.c
	@mkdir -p $(@D); echo "  FUZZ $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) $(shell pkg-config --cflags libxml-2.0) -o $@ $(filter %.c,$^) $(shell pkg-config --libs libxml-2.0) -lm
$(BUILD)/fuzz/fuzz_deck: tests/fuzz/fuzz_deck.c tests/fuzz/fuzz_common.h src/core/options.c $(FUZZ_CORE)
	@mkdir -p $(@D); echo "  FUZZ $@"
	$(Q)OMPI_CC=$(FUZZ_CC) mpicc $(FUZZ_FLAGS) $(shell pkg-config --cflags petsc) -o $@ $(filter %.c,$^) $(shell pkg-config --libs petsc) -lm

# --- the whole suite under ASan+UBSan in its own build tree (build-san/, binary build-san/bin/).
test-sanitize: deps
	@$(MAKE) --no-print-directory SANITIZE=1 BUILD=build-san BIN=build-san/bin all tests-bin
	@PRC_BUILD=build-san PRC_BIN=build-san/bin/precursor ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 \
	  UBSAN_OPTIONS=print_stacktrace=1 ./tests/run.sh

clean:
	rm -rf $(BUILD) bin build-san

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d)
