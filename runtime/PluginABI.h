/*===- PluginABI.h - The backend plugin C ABI ---------------------*- C -*-===*
 *
 * The whole contract between the nnc host and a backend plugin. A plugin is a
 * shared library exporting one C function, `nnc_plugin_entry`, which returns
 * a table of function pointers. Nothing but C crosses the boundary: the graph
 * goes in as MLIR bytecode, kernels come out as plain C function pointers
 * over buffers and an iteration range, errors as opaque handles.
 *
 * Versioning (after PJRT's C API, but never crashing on a mismatch):
 *  - NNC_PLUGIN_ABI_MAJOR changes on any incompatible change. The host
 *    refuses a plugin whose major differs, with a message naming both.
 *  - NNC_PLUGIN_ABI_MINOR grows when fields are appended to a struct. Every
 *    struct starts with `struct_size`; a reader only touches fields that lie
 *    within the size the writer set, so either side may be newer.
 *  - Optional capabilities hang off `extensions`, a chain of structs that
 *    each start with nnc_extension_base; unknown types are skipped.
 *
 * Ownership: whoever creates an object destroys it, through the table that
 * made it. Strings the plugin returns live as long as the object that
 * returned them (the table's own strings: as long as the library is loaded).
 *
 *===----------------------------------------------------------------------===*/

#ifndef NNC_RUNTIME_PLUGINABI_H
#define NNC_RUNTIME_PLUGINABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NNC_PLUGIN_ABI_MAJOR 1
#define NNC_PLUGIN_ABI_MINOR 6

/** The symbol every plugin exports. */
#define NNC_PLUGIN_ENTRY_SYMBOL "nnc_plugin_entry"

/** Marks a symbol as exported from a plugin built with hidden visibility
 *  (as nnc_add_plugin builds them). The declaration of nnc_plugin_entry
 *  below carries it, so a plugin that includes this header and defines the
 *  entry point exports it without writing the attribute itself. */
#if defined(_WIN32)
#define NNC_PLUGIN_EXPORT __declspec(dllexport)
#else
#define NNC_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/** Size of a struct up to and including `field`: what `struct_size` must at
 *  least be for the reader to touch `field`. */
#define NNC_STRUCT_SIZE_UNTIL(type, field)                                     \
  (offsetof(type, field) + sizeof(((type *)0)->field))

typedef enum nnc_status {
  NNC_OK = 0,
  NNC_ERROR = 1,       /**< Details in the nnc_error returned alongside. */
  NNC_UNSUPPORTED = 2, /**< The backend does not implement what was asked. */
} nnc_status;

/** Element types of buffers; the values are part of the ABI. */
typedef enum nnc_dtype {
  NNC_F32 = 0,
  NNC_F64 = 1,
  NNC_I32 = 2,
  NNC_I64 = 3,
  NNC_U8 = 4,
} nnc_dtype;

/** An error made by the plugin; read with error_message, free with
 *  error_destroy. */
typedef struct nnc_error nnc_error;

/** A compiled graph, owned by the plugin. */
typedef struct nnc_executable nnc_executable;

/** Head of every extension struct. */
typedef struct nnc_extension_base {
  size_t struct_size;
  uint32_t type; /**< One of nnc_extension_type. */
  const struct nnc_extension_base *next;
} nnc_extension_base;

typedef enum nnc_extension_type {
  NNC_EXTENSION_NONE = 0,
  /** nnc_serialize_extension (ABI 1.1): executables to bytes and back. */
  NNC_EXTENSION_SERIALIZE = 1,
  /** nnc_targets_extension (ABI 1.2): in nnc_compile_args.extensions, the
   *  CPUs serialized machine code must run on. */
  NNC_EXTENSION_TARGETS = 2,
  /** nnc_compile_options_extension (ABI 1.4): in
   *  nnc_compile_args.extensions, the user's compile options. */
  NNC_EXTENSION_COMPILE_OPTIONS = 3,
  /** nnc_profile_extension (ABI 1.4, optional): in the plugin's extensions,
   *  what the backend tells the host's profiler about its kernels. */
  NNC_EXTENSION_PROFILE = 4,
} nnc_extension_type;

/** One kernel: computes iterations [begin, end) of its range, reading and
 *  writing `buffers` in the order the graph's kernel function lists its
 *  operands and then its results. Iterations must be independent and each
 *  output element must be written by exactly one iteration, so the host may
 *  split the range across threads in any way and still get bitwise the same
 *  result. On failure (a data-dependent error such as an index out of range)
 *  it returns NNC_ERROR and sets *error. */
typedef nnc_status (*nnc_kernel_fn)(void *state, void *const *buffers,
                                    int64_t begin, int64_t end,
                                    nnc_error **error);

typedef struct nnc_kernel_info {
  size_t struct_size;
  nnc_kernel_fn fn;
  void *state;   /**< Passed back to fn; owned by the executable. */
  int64_t range; /**< Iterations; 1 means "not splittable". */
  /** Iterations below which splitting does not pay; a hint, >= 1. */
  int64_t min_grain;
  /** ABI 1.5: nnc_kernel_flag bits; hints, results must not depend on them. */
  uint32_t flags;
} nnc_kernel_info;

/** nnc_kernel_info.flags (ABI 1.5). */
typedef enum nnc_kernel_flag {
  /** A call does work once that serves all of its iterations (the cpu
   *  backend's GEMM packs its B operand once per call), so the host gives
   *  each thread one contiguous run of the range rather than many small
   *  calls. */
  NNC_KERNEL_ONE_RUN_PER_THREAD = 1u << 0,
  /** ABI 1.6: a call spreads its work over the threads of the task arena
   *  it is called in, with a parallel loop of its own (the cpu backend's
   *  matmuls split by columns or by blocks of k inside one call), so a
   *  profile counts its time on each of those threads, not on the calling
   *  thread alone. */
  NNC_KERNEL_USES_THE_ARENAS_THREADS = 1u << 1,
} nnc_kernel_flag;

typedef struct nnc_compile_args {
  size_t struct_size;
  /** MLIR bytecode of a module holding one func.func per kernel, in the
   *  order the host will ask for them (see docs/plugins.md). */
  const void *bytecode;
  size_t bytecode_size;
  const nnc_extension_base *extensions;
  /** Out: the compiled graph. */
  nnc_executable *executable;
  /** Out: how many kernels `executable` holds. */
  int64_t num_kernels;
} nnc_compile_args;

/** NNC_EXTENSION_TARGETS (ABI 1.2), passed by the host in
 *  nnc_compile_args.extensions: the CPUs the executable's serialized machine
 *  code must carry code for, best first, as LLVM CPU names ("host" for the
 *  compiling machine's own CPU, "x86-64-v3", "x86-64-v4"). A plugin that
 *  makes machine code either honours every entry or fails compile naming
 *  the one it cannot; one without machine code ignores the extension. The
 *  strings need only live for the call. */
typedef struct nnc_targets_extension {
  nnc_extension_base base; /**< type NNC_EXTENSION_TARGETS. */
  const char *const *cpus;
  size_t num_cpus;
} nnc_targets_extension;

/** NNC_EXTENSION_COMPILE_OPTIONS (ABI 1.4), passed by the host in
 *  nnc_compile_args.extensions: the options the user gave for this compile,
 *  which a backend must honour where they apply to it. The host always
 *  passes it; a host before ABI 1.4 does not, and a backend then takes the
 *  defaults shown. */
typedef struct nnc_compile_options_extension {
  nnc_extension_base base; /**< type NNC_EXTENSION_COMPILE_OPTIONS. */
  /** 1 (the default): the backend may read and write its own cache of
   *  compiled code outside the process (on disk); 0: it must neither read
   *  nor write one (`--no-cache`). Caches within the process, which a
   *  user cannot observe but as speed, are the backend's affair. */
  int32_t kernel_cache;
} nnc_compile_options_extension;

/** What a backend says of one kernel of an executable. */
typedef struct nnc_kernel_description {
  size_t struct_size;
  /** Out: one line saying how the backend runs the kernel, for people
   *  reading a profile ("matmul+add+relu (native, 2 k blocks)"); NULL or
   *  empty when it has nothing to add. Lives as long as the executable. */
  const char *summary;
} nnc_kernel_description;

/** NNC_EXTENSION_PROFILE (ABI 1.4, optional), in the plugin's extensions.
 *  The host times every kernel itself (its executor calls them), so a
 *  backend needs no timing of its own to be profiled; this is what only
 *  the backend knows and the host's table shows beside the times. */
typedef struct nnc_profile_extension {
  nnc_extension_base base; /**< type NNC_EXTENSION_PROFILE. */
  /** Fills `description` for kernel `index` of `executable`, compiled or
   *  deserialized; fails for an index out of range. */
  nnc_status (*describe_kernel)(const nnc_executable *executable, int64_t index,
                                nnc_kernel_description *description,
                                nnc_error **error);
} nnc_profile_extension;

/** One target CPU a serialized executable carries machine code for. */
typedef struct nnc_code_target {
  size_t struct_size;
  /** Out: the LLVM CPU name ("x86-64-v4", "sapphirerapids"). */
  const char *cpu;
  /** Out: the CPU features the code needs, comma-separated, named as in
   *  docs/artifact.md ("avx2,fma,avx512f"); empty when it needs none. */
  const char *features;
} nnc_code_target;

/** One shared object of machine code that serialized bytes carry, as
 *  nnc_serialize_extension.code_objects reports it. Every pointer lives
 *  only for the call that reports it. */
typedef struct nnc_code_object {
  size_t struct_size;
  /** The target CPU the code is for, as nnc_code_target.cpu. */
  const char *cpu;
  /** The object's file name within its target ("module0.so", "gemm.so"). */
  const char *name;
  /** The linked shared object, as the loader maps it. */
  const void *bytes;
  size_t size;
} nnc_code_object;

/** Receives one code object; `context` is what the caller passed along. */
typedef void (*nnc_code_object_visitor)(void *context,
                                        const nnc_code_object *object);

/** NNC_EXTENSION_SERIALIZE (ABI 1.1, optional): turns an executable into
 *  bytes a compiled artifact (.nnx) carries, and those bytes back into an
 *  executable without compiling, so a deployed artifact needs no compiler.
 *  A plugin without it can compile and run but cannot make or load
 *  artifacts; the host then says so. The bytes are the plugin's own format:
 *  it must version them itself and reject, with an error, any bytes it did
 *  not write (truncated, corrupt, hand-crafted), never crash on them. */
typedef struct nnc_serialize_extension {
  nnc_extension_base base; /**< type NNC_EXTENSION_SERIALIZE. */
  /** Serializes `executable` into *bytes (size *size), which the host
   *  frees with free_bytes. */
  nnc_status (*serialize)(const nnc_executable *executable, void **bytes,
                          size_t *size, nnc_error **error);
  /** Frees bytes returned by serialize; NULL is allowed. */
  void (*free_bytes)(void *bytes);
  /** Makes an executable of `num_kernels` kernels from bytes serialize
   *  wrote (maybe by another process, another build of the same backend
   *  version). The bytes need only live for the call. */
  nnc_status (*deserialize)(const void *bytes, size_t size,
                            nnc_executable **executable, int64_t *num_kernels,
                            nnc_error **error);
  /** Optional (may be NULL): checks that kernel `index` expects exactly
   *  `num_buffers` buffers of `buffer_bytes[i]` bytes each, the sizes the
   *  host's plan gives them. The host calls it for every kernel of a
   *  deserialized executable before running it, so that bytes which are
   *  consistent in themselves but disagree with the plan are an error
   *  rather than an out-of-bounds access. */
  nnc_status (*check_kernel_buffers)(const nnc_executable *executable,
                                     int64_t index,
                                     const uint64_t *buffer_bytes,
                                     int64_t num_buffers, nnc_error **error);
  /** Optional (ABI 1.2; may be NULL, and absent when struct_size ends
   *  before it): for a backend whose serialized bytes hold machine code,
   *  fills `target` with the index-th target CPU they carry code for (best
   *  first) and returns NNC_OK; returns NNC_UNSUPPORTED past the last one.
   *  A backend without it makes portable bytes. The strings live as long
   *  as the executable. */
  nnc_status (*code_target)(const nnc_executable *executable, int64_t index,
                            nnc_code_target *target, nnc_error **error);
  /** Optional (ABI 1.3; may be NULL, and absent when struct_size ends
   *  before it): calls `visit` once per shared object of machine code the
   *  serialized `bytes` carry, for every target, best target first, without
   *  loading any of it, so that code for a CPU other than the host's can be
   *  examined. Rejects bytes it did not write as deserialize does. */
  nnc_status (*code_objects)(const void *bytes, size_t size,
                             nnc_code_object_visitor visit, void *context,
                             nnc_error **error);
} nnc_serialize_extension;

/** The table a plugin hands the host. The first three fields keep their
 *  place in every ABI version, so the host can always read the version of
 *  a plugin it cannot otherwise use and refuse it with a clear message.
 *  Every field of version 1.0 is required except `version`,
 *  `description` and `extensions`, which may be NULL. */
typedef struct nnc_plugin_api {
  size_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
  const char *name;        /**< Short, unique: "ref", "cpu". */
  const char *version;     /**< The backend's own version. */
  const char *description; /**< One line. */
  const nnc_extension_base *extensions;

  /** A NULL-terminated list of the nn op names (e.g. "nn.matmul") this
   *  backend can compile; the host rejects other graphs before compiling
   *  and test suites mark other ops unsupported. */
  const char *const *supported_ops;

  nnc_status (*compile)(nnc_compile_args *args, nnc_error **error);
  nnc_status (*get_kernel)(nnc_executable *executable, int64_t index,
                           nnc_kernel_info *info, nnc_error **error);
  void (*executable_destroy)(nnc_executable *executable);

  const char *(*error_message)(const nnc_error *error);
  void (*error_destroy)(nnc_error *error);
} nnc_plugin_api;

/** The one exported function. Returns a table that lives as long as the
 *  library stays loaded; never NULL. */
typedef const nnc_plugin_api *(*nnc_plugin_entry_fn)(void);

/** The entry point a plugin defines (the host looks it up by name and never
 *  calls this declaration). Declared here so that its export attribute and
 *  its signature are checked where the plugin defines it. */
NNC_PLUGIN_EXPORT const nnc_plugin_api *nnc_plugin_entry(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NNC_RUNTIME_PLUGINABI_H */
