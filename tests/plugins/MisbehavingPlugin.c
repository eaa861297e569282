/*===- MisbehavingPlugin.c - A loadable plugin that breaks the contract ---===*
 *
 * Unlike BadPlugin.c, this plugin passes every loading check and compiles;
 * what it hands back then breaks the kernel contract in the way the
 * environment variable NNC_TEST_MISBEHAVE names, so the host's checks of
 * compiled executables can be tested through `nnc run`:
 *
 *   range0             kernel ranges of 0
 *   extra_kernel       one kernel more than the graph has, which
 *                      get_kernel then fails to give
 *   multiline          a kernel error of several lines, with a tab
 *   long               a kernel error of 100000 characters
 *   compile_multiline  compile fails with an error of several lines
 *
 * It counts the graph's kernels by the names `kernel_N` in the bytecode's
 * string table, and supports the few ops the tests' models use. Its kernels
 * compute nothing: the tests only look at the failures.
 *
 *===----------------------------------------------------------------------===*/

#include "nnc/PluginABI.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nnc_error {
  char *message;
};

struct nnc_executable {
  /* The graph's kernels; compile may report more. */
  int64_t num_kernels;
};

static const char *const supportedOps[] = {"nn.relu", "nn.add", "nn.mul", NULL};

static int misbehaves(const char *mode) {
  const char *value = getenv("NNC_TEST_MISBEHAVE");
  return value && strcmp(value, mode) == 0;
}

static nnc_error *makeError(const char *message) {
  nnc_error *error = malloc(sizeof(nnc_error));
  if (!error)
    return NULL;
  error->message = strdup(message);
  return error;
}

static int contains(const void *bytes, size_t size, const char *text) {
  size_t length = strlen(text);
  for (size_t i = 0; i + length <= size; ++i)
    if (memcmp((const char *)bytes + i, text, length) == 0)
      return 1;
  return 0;
}

/* The graph's kernels: `kernel_0`, `kernel_1`, ... up to the first name
 * missing from the bytecode. */
static int64_t countKernels(const void *bytecode, size_t size) {
  int64_t count = 0;
  for (;;) {
    char name[32];
    snprintf(name, sizeof(name), "kernel_%lld", (long long)count);
    if (!contains(bytecode, size, name))
      return count;
    ++count;
  }
}

static nnc_status compile(nnc_compile_args *args, nnc_error **error) {
  *error = NULL;
  if (misbehaves("compile_multiline")) {
    *error = makeError("compile failed\non two lines\n");
    return NNC_ERROR;
  }
  nnc_executable *executable = malloc(sizeof(nnc_executable));
  if (!executable)
    return NNC_ERROR;
  executable->num_kernels = countKernels(args->bytecode, args->bytecode_size);
  args->executable = executable;
  args->num_kernels =
      executable->num_kernels + (misbehaves("extra_kernel") ? 1 : 0);
  return NNC_OK;
}

static nnc_status runKernel(void *state, void *const *buffers, int64_t begin,
                            int64_t end, nnc_error **error) {
  (void)state;
  (void)buffers;
  (void)begin;
  (void)end;
  *error = NULL;
  if (misbehaves("multiline")) {
    *error = makeError("first line\nsecond line\r\n\tthird line\n");
    return NNC_ERROR;
  }
  if (misbehaves("long")) {
    char *text = malloc(100001);
    if (!text)
      return NNC_ERROR;
    memset(text, 'x', 100000);
    text[100000] = '\0';
    *error = makeError(text);
    free(text);
    return NNC_ERROR;
  }
  return NNC_OK;
}

static nnc_status getKernel(nnc_executable *executable, int64_t index,
                            nnc_kernel_info *info, nnc_error **error) {
  *error = NULL;
  if (index < 0 || index >= executable->num_kernels) {
    *error = makeError("no such kernel");
    return NNC_ERROR;
  }
  info->fn = runKernel;
  info->state = NULL;
  info->range = misbehaves("range0") ? 0 : 1;
  return NNC_OK;
}

static void destroyExecutable(nnc_executable *executable) { free(executable); }

static const char *errorMessage(const nnc_error *error) {
  return error->message;
}

static void destroyError(nnc_error *error) {
  if (!error)
    return;
  free(error->message);
  free(error);
}

static const nnc_plugin_api api = {
    .struct_size = sizeof(nnc_plugin_api),
    .abi_major = NNC_PLUGIN_ABI_MAJOR,
    .abi_minor = NNC_PLUGIN_ABI_MINOR,
    .name = "misbehaving",
    .version = "0.0.0",
    .description = "a plugin whose executables break the kernel contract",
    .supported_ops = supportedOps,
    .compile = compile,
    .get_kernel = getKernel,
    .executable_destroy = destroyExecutable,
    .error_message = errorMessage,
    .error_destroy = destroyError,
};

const nnc_plugin_api *nnc_plugin_entry(void) { return &api; }
