/*===- BadPlugin.c - Plugins with one flaw each, for the host's checks ----===*
 *
 * Built once per flaw (NNC_TEST_FLAW, see CMakeLists.txt). Each variant is
 * a real shared library exporting nnc_plugin_entry, so the only thing wrong
 * with it is the flaw under test.
 *
 *===----------------------------------------------------------------------===*/

#include "nnc/PluginABI.h"

#include <stddef.h>

#define FLAW_WRONG_ABI 1
#define FLAW_NULL_TABLE 2
#define FLAW_TRUNCATED 3
#define FLAW_MISSING_FUNCTION 4
#define FLAW_BAD_NAME 5

static const char *const supportedOps[] = {NULL};

static nnc_status compile(nnc_compile_args *args, nnc_error **error) {
  (void)args;
  *error = NULL;
  return NNC_UNSUPPORTED;
}

static nnc_status getKernel(nnc_executable *executable, int64_t index,
                            nnc_kernel_info *info, nnc_error **error) {
  (void)executable;
  (void)index;
  (void)info;
  *error = NULL;
  return NNC_ERROR;
}

static void destroyExecutable(nnc_executable *executable) { (void)executable; }

static const char *errorMessage(const nnc_error *error) {
  (void)error;
  return "";
}

static void destroyError(nnc_error *error) { (void)error; }

static nnc_plugin_api api = {
    .struct_size = sizeof(nnc_plugin_api),
    .abi_major = NNC_PLUGIN_ABI_MAJOR,
    .abi_minor = NNC_PLUGIN_ABI_MINOR,
    .name = "bad",
    .version = "0.0.0",
    .description = "a plugin with one flaw",
    .supported_ops = supportedOps,
    .compile = compile,
    .get_kernel = getKernel,
    .executable_destroy = destroyExecutable,
    .error_message = errorMessage,
    .error_destroy = destroyError,
};

const nnc_plugin_api *nnc_plugin_entry(void) {
#if NNC_TEST_FLAW == FLAW_WRONG_ABI
  api.abi_major = 99;
  api.abi_minor = 3;
#elif NNC_TEST_FLAW == FLAW_NULL_TABLE
  return NULL;
#elif NNC_TEST_FLAW == FLAW_TRUNCATED
  /* As a plugin of ABI 1.0 that stopped after `compile`. */
  api.struct_size = NNC_STRUCT_SIZE_UNTIL(nnc_plugin_api, compile);
#elif NNC_TEST_FLAW == FLAW_MISSING_FUNCTION
  api.get_kernel = NULL;
#elif NNC_TEST_FLAW == FLAW_BAD_NAME
  api.name = "two words\nand a second line";
#else
#error "NNC_TEST_FLAW must name a flaw"
#endif
  return &api;
}
