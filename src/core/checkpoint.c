/* checkpoint.c — the stop flag set by SIGUSR1/SIGTERM, its collective poll, and the
 * fingerprint of the options a checkpoint belongs to. */
#include "precursor/checkpoint.h"

#include <signal.h>
#include <string.h>
#include <zlib.h>

static volatile sig_atomic_t stop_flag = 0;

static void on_signal(int sig) { stop_flag = 1; }

void prc_signals_install(void)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

void prc_request_stop(void) { stop_flag = 1; }

PetscErrorCode prc_stop_requested(MPI_Comm comm, PetscBool *stop)
{
  int f = stop_flag ? 1 : 0;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &f, 1, MPI_INT, MPI_MAX, comm));
  *stop = f ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

unsigned long prc_opts_fingerprint(const prc_opts *o) { return prc_opts_fingerprint_skip(o, NULL); }

unsigned long prc_opts_fingerprint_skip(const prc_opts *o, const char *const *skip)
{
  unsigned long crc = crc32(0L, Z_NULL, 0);
  for (int i = 0; i < o->n; i++) {
    const char *nm = o->spec[i]->name;
    int         out = !strcmp(nm, "out_dir") || !strcmp(nm, "progress_interval") || !strcmp(nm, "quiet") || strstr(nm, "_png") ||
              !strcmp(nm, "checkpoint_after_blocks");
    for (int k = 0; skip && skip[k] && !out; k++) out = !strcmp(nm, skip[k]);
    if (out) continue;
    crc = crc32(crc, (const unsigned char *)nm, (uInt)strlen(nm));
    crc = crc32(crc, (const unsigned char *)"=", 1);
    crc = crc32(crc, (const unsigned char *)o->text[i], (uInt)strlen(o->text[i]));
    crc = crc32(crc, (const unsigned char *)"\n", 1);
  }
  return crc;
}

void prc_checkpoint_path(const prc_ctx *ctx, char *buf, size_t len)
{
  snprintf(buf, len, "%s/%s.checkpoint.h5", prc_opts_string(ctx->opts, "out_dir"), ctx->stage);
}
