/*===- ExampleBackend.c - An nnc backend plugin built out of tree ---------===*
 *
 * The smallest complete plugin, in plain C, to show that the ABI needs no
 * C++ and nothing from nnc but its installed header. It supports no ops;
 * backends/null/NullBackend.cpp is the commented skeleton to start from.
 *
 *===----------------------------------------------------------------------===*/

#include "nnc/PluginABI.h"

#include <stdlib.h>
#include <string.h>

/* The plugin decides what an error is; here, a copied message. */
struct nnc_error {
  char *message;
};

static nnc_error *makeError(const char *message) {
  nnc_error *error = malloc(sizeof(*error));
  if (!error)
    return NULL;
  error->message = strdup(message);
  if (!error->message) {
    free(error);
    return NULL;
  }
  return error;
}

static const char *const supportedOps[] = {NULL};

static nnc_status compile(nnc_compile_args *args, nnc_error **error) {
  (void)args;
  *error = makeError("the example backend supports no ops");
  return NNC_UNSUPPORTED;
}

static nnc_status getKernel(nnc_executable *executable, int64_t index,
                            nnc_kernel_info *info, nnc_error **error) {
  (void)executable;
  (void)index;
  (void)info;
  *error = makeError("the example backend has no kernels");
  return NNC_ERROR;
}

/* compile never makes one, so there is nothing to free. */
static void destroyExecutable(nnc_executable *executable) { (void)executable; }

static const char *errorMessage(const nnc_error *error) {
  return error->message;
}

static void destroyError(nnc_error *error) {
  free(error->message);
  free(error);
}

static const nnc_plugin_api api = {
    .struct_size = sizeof(nnc_plugin_api),
    .abi_major = NNC_PLUGIN_ABI_MAJOR,
    .abi_minor = NNC_PLUGIN_ABI_MINOR,
    .name = "example",
    .version = "0.1.0",
    .description =
        "an out-of-tree example plugin, built with find_package(nnc)",
    .extensions = NULL,
    .supported_ops = supportedOps,
    .compile = compile,
    .get_kernel = getKernel,
    .executable_destroy = destroyExecutable,
    .error_message = errorMessage,
    .error_destroy = destroyError,
};

const nnc_plugin_api *nnc_plugin_entry(void) { return &api; }
