//===- NullBackend.cpp - A backend plugin that compiles nothing -----------===//
//
// The skeleton a backend author copies. It implements the whole plugin C ABI
// (runtime/PluginABI.h) and supports no ops, so the host loads it, lists it
// in `nnc backends`, and gets a clean NNC_UNSUPPORTED from compile. To start
// a backend: copy this folder, rename the plugin, list the ops you support,
// and fill in compile and get_kernel. docs/plugins.md walks through it.
//
// The file is C++, but nothing C++ crosses the boundary: the host may have
// been built by another compiler, with another standard library, so only C
// types, plain function pointers and opaque handles go through the table.
//
//===----------------------------------------------------------------------===//

// The installed path, the same in this tree and outside it, so a copy of this
// folder builds unchanged against find_package(nnc).
#include "nnc/PluginABI.h"

#include <new>
#include <string>

// The C ABI declares nnc_error and nnc_executable but leaves them to each
// plugin: the host only ever holds pointers to them and hands them back
// through this plugin's table, so a backend is free to put anything inside.
struct nnc_error {
  std::string message;
};

struct nnc_executable {
  // A real backend keeps its compiled kernels here, and whatever state
  // (constants, JIT sessions) they need to stay alive.
  int64_t numKernels = 0;
};

namespace {

// Errors are allocated without exceptions: an exception thrown through a C
// function pointer into the host is undefined behaviour. If even this
// allocation fails, returning a null error still tells the host the status.
nnc_error *makeError(const char *message) {
  nnc_error *error = new (std::nothrow) nnc_error;
  if (error)
    error->message = message;
  return error;
}

// Ops this backend compiles, by their nn dialect names ("nn.matmul", ...),
// ended by NULL. The host refuses graphs with other ops before calling
// compile, and the conformance suite marks the rest unsupported, so listing
// an op here is a promise. The null backend makes none.
const char *const kSupportedOps[] = {nullptr};

nnc_status compile(nnc_compile_args *args, nnc_error **error) {
  // A real backend deserializes args->bytecode (an MLIR module with one
  // func.func per kernel), compiles each function, and sets
  // args->executable and args->num_kernels. It must read only fields that
  // lie within args->struct_size: an older host passes a shorter struct.
  (void)args;
  *error = makeError("the null backend compiles nothing; it is a skeleton "
                     "to copy (see docs/plugins.md)");
  return NNC_UNSUPPORTED;
}

nnc_status getKernel(nnc_executable *executable, int64_t index,
                     nnc_kernel_info *info, nnc_error **error) {
  // Unreachable here, since compile never makes an executable; a real
  // backend fills *info (fn, state, range, min_grain) for kernel `index`,
  // writing only fields within info->struct_size.
  (void)executable;
  (void)index;
  (void)info;
  *error = makeError("the null backend has no kernels");
  return NNC_ERROR;
}

// Whatever compile created is destroyed here, by the plugin that made it:
// host and plugin may not share an allocator.
void destroyExecutable(nnc_executable *executable) { delete executable; }

const char *errorMessage(const nnc_error *error) {
  return error->message.c_str();
}

void destroyError(nnc_error *error) { delete error; }

// What `nnc backends` shows: one line, lower-case, no final period.
const char kDescription[] =
    "a skeleton backend that compiles nothing; copy it to start a new one";

// One table for the life of the library: the host keeps the pointer and
// reads the strings for as long as the plugin stays loaded. Designated
// initialisers would read better but are C++20; the field order is the
// ABI's.
const nnc_plugin_api kApi = {
    /*struct_size=*/sizeof(nnc_plugin_api),
    /*abi_major=*/NNC_PLUGIN_ABI_MAJOR,
    /*abi_minor=*/NNC_PLUGIN_ABI_MINOR,
    /*name=*/"null",
    /*version=*/"0.1.0",
    /*description=*/kDescription,
    /*extensions=*/nullptr,
    /*supported_ops=*/kSupportedOps,
    /*compile=*/compile,
    /*get_kernel=*/getKernel,
    /*executable_destroy=*/destroyExecutable,
    /*error_message=*/errorMessage,
    /*error_destroy=*/destroyError,
};

} // namespace

// The only exported symbol (PluginABI.h declares it with NNC_PLUGIN_EXPORT;
// nnc_add_plugin hides everything else). The host calls it once per load and
// checks the version before reading anything else.
extern "C" const nnc_plugin_api *nnc_plugin_entry(void) { return &kApi; }
