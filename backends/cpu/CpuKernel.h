//===- CpuKernel.h - The runtime half of the cpu backend --------*- C++ -*-===//
//
// A compiled kernel as the runtime half sees it: JIT-compiled functions of
// packed arguments (one pointer per buffer, then the first row), how its
// iteration range maps to rows of its buffers, and the data checks that
// must pass before it runs. No MLIR or LLVM type appears here: the JIT
// session is held through an opaque shared pointer.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_CPUKERNEL_H
#define NNC_BACKENDS_CPU_CPUKERNEL_H

#include "nnc/PluginABI.h"

#include "backends/cpu/BLayoutChooser.h"
#include "backends/cpu/CpuCode.h"
#include "backends/cpu/gemm/Attention.h"
#include "backends/cpu/gemm/Conv2d.h"
#include "backends/cpu/gemm/Gemm.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nnc::cpu {

/// A JIT-compiled function taking a pointer to each argument: the buffers
/// (bare pointers) and then the int64 index of the first row.
using PackedFn = void (*)(void **);

/// A check on a buffer's contents made before the kernel runs; a failure is
/// the kernel's NNC_ERROR (ref reports the same conditions).
struct DataCheck {
  enum class Kind {
    /// Every element in [0, bound): gather indices, class labels.
    IndexBelow,
    /// No element is zero: integer divisors.
    NonZero,
    /// Every element in [0, 1] (NaN fails): probabilities.
    Probability,
    /// The scalar is at least 1: adam's step.
    AtLeastOne,
  };
  Kind kind = Kind::IndexBelow;
  /// Which buffer, its dtype and element count.
  int64_t buffer = 0;
  nnc_dtype dtype = NNC_I32;
  int64_t count = 0;
  int64_t bound = 0;
  /// What the op is called in messages ("gather").
  std::string op;
  /// IndexBelow: a value accepted outside [0, bound), which the op skips
  /// (softmax_cross_entropy's ignore_index).
  std::optional<int64_t> ignored;
};

/// A matmul or convolution at the head of a kernel, run natively through
/// the GEMM of gemm/Gemm.h instead of JIT-compiled loops. It computes the
/// rows [first, last) of its result H (leading dimension: matmul rows, or
/// the first batch dimension of a batched matmul; images of conv2d and
/// conv2d_grad_input; filters of conv2d_grad_weight) from whole buffers, so
/// every split gives bitwise the same H. f32 max_pool2d (x in lhs) and
/// max_pool2d_grad (x, dy) run the same way, by images, through gemm/Pool2d.h
/// with their window in `conv`; scaled_dot_product_attention and its
/// gradient by heads, through gemm/Attention.h, with their buffers in
/// `attentionBuffers` (the gradient's three results among them).
struct ContractionHead {
  enum class Kind {
    None,
    Matmul,
    Conv2d,
    Conv2dGradInput,
    Conv2dGradWeight,
    MaxPool2d,
    MaxPool2dGrad,
    Attention,
    AttentionGrad
  };
  Kind kind = Kind::None;
  /// Kernel buffers of the operands (matmul lhs/rhs; conv x/w; grad input
  /// dy/w; grad weight x/dy) and of the conv bias (-1: none).
  int64_t lhs = 0, rhs = 0, bias = -1;
  /// Kernel buffer H is written to, or -1 for per-thread scratch (H is then
  /// only read by the kernel's tail).
  int64_t out = -1;
  /// Leading extent of H and its elements per leading row.
  int64_t rows = 0, rowElements = 0;
  /// A one-row matmul split by the columns of H instead: `rows` is then n,
  /// `rowElements` 1, and [first, last) are columns.
  bool columns = false;
  /// A one-row matmul whose B is too large for one core's cache: H is the
  /// sum of `kParts` partial products over consecutive blocks of k, run in
  /// parallel inside the kernel (OneRowBlocks.h). The kernel's own range
  /// stays 1 and the blocks depend only on the shape, so results do not
  /// depend on the thread count.
  int64_t kParts = 1;
  static constexpr int64_t kMaxKParts = 8;
  /// A matmul of several rows whose B is large and wider than the rows are
  /// many (KernelPlan.cpp, wantsSplitInside): one call computes every row,
  /// the threads splitting the work inside it. With few rows for each of
  /// the arena's threads they split H's columns, so each reads only its
  /// columns of B, where splitting the rows would have every thread read
  /// all of B; with enough rows each (CpuKernel.cpp,
  /// kMinRowsPerThreadToSplitRows) they split the rows. The executor calls
  /// the kernel once; its rest then runs chunk by chunk in parallel. The
  /// split changes no bits.
  bool splitsInside = false;
  /// Matmul: one product's op(A) [m, k] x op(B) [k, n], the leading
  /// dimensions as stored, and per leading row of H `matrices` products;
  /// matrix i of H reads lhs matrix lhsIndex[i] and rhs matrix rhsIndex[i]
  /// (broadcast batch dimensions repeat indices).
  bool transA = false, transB = false;
  int64_t m = 0, n = 0, k = 0, lda = 0, ldb = 0;
  int64_t matrices = 1;
  std::vector<int64_t> lhsIndex, rhsIndex;
  /// Convolutions.
  Conv2dShape conv;
  /// Attention: rows are heads. Kernel buffers of q, k, v and the mask (-1:
  /// none), then for the gradient of out, dout, dq, dk and dv; the
  /// forward's result is H.
  AttentionShape attention;
  std::vector<int64_t> attentionBuffers;
  enum AttentionBuffer : size_t { Q, K, V, Mask, Out, DOut, DQ, DK, DV };
};

/// Whether a run of `head`'s rows is one GEMM over them: a matmul that is
/// not batched, not one row, and not split by columns or over blocks of k.
/// A head that splits inside qualifies: when it splits its rows, each
/// thread's run is such a GEMM.
bool runsRowsAsOneGemm(const ContractionHead &head);

/// Whether `head` is one GEMM over its rows (runsRowsAsOneGemm) whose calls
/// are the executor's chunks, not a split inside. Each call of such a head
/// packs B once, however many rows it covers.
bool isRowSplitGemm(const ContractionHead &head);

/// Computes rows [first, last) of `head`'s H into `out` (laid out as the
/// whole H) from `buffers`, with the GEMM `gemm`.
/// `backwards`: a head reduced over blocks of k (kParts) runs each
/// thread's blocks last to first, which changes no bits.
void runContractionHead(const ContractionHead &head, const GemmKernels &gemm,
                        void *const *buffers, float *out, int64_t first,
                        int64_t last, bool backwards = false);

/// Computes columns [colBegin, colEnd) of every row of a matmul head's H
/// (2-D, not one row) into `out`, with the GEMM `gemm`.
void runMatmulColumns(const ContractionHead &head, const GemmKernels &gemm,
                      void *const *buffers, float *out, int64_t colBegin,
                      int64_t colEnd);

/// One kernel's code and calling convention.
struct CpuKernel {
  int64_t numBuffers = 0;
  /// The byte size of each buffer the code was compiled for.
  std::vector<int64_t> bufferBytes;
  /// A reshape the plan computes in place (its result is its argument's
  /// bytes under another shape): there is no code and nothing to run.
  bool viewOnly = false;
  /// Iterations; 1 when the kernel does not split.
  int64_t range = 1;
  /// For a split kernel: rows of the leading dimension in all, and per
  /// iteration (the last iteration may have fewer).
  int64_t rows = 0;
  int64_t chunkRows = 0;
  /// Unsplit code (range 1), code for a full chunk, code for the last,
  /// shorter chunk (null when rows divide evenly).
  PackedFn whole = nullptr;
  PackedFn chunk = nullptr;
  PackedFn tail = nullptr;
  /// Bytes per leading row of each buffer that a split moves along; 0 for a
  /// buffer every iteration reads whole.
  std::vector<int64_t> rowBytes;
  std::vector<DataCheck> checks;
  /// A native head; with one, the JIT-compiled code (if any) is the rest of
  /// the kernel and takes the buffers `jitBuffers` names: kernel buffer
  /// indices, -1 for H. `rowBytes` then describes those buffers.
  ContractionHead head;
  std::vector<int64_t> jitBuffers;
  /// The kernel's ops and how they run ("matmul+add+relu (native)"), for
  /// profiles (NNC_EXTENSION_PROFILE).
  std::string label;
  /// Keeps the code alive: a JIT session, or shared objects loaded from an
  /// artifact.
  std::shared_ptr<void> code;
  /// The GEMM a native head runs (set whenever `head` is).
  std::shared_ptr<const GemmKernels> gemm;
  /// For a matmul head: whether its blocks read B in place or pack it,
  /// timed on its first calls; runs only update it.
  mutable BLayoutChooser bLayout;
  /// Calls of a head reduced over blocks of k (kParts), whose parity sets
  /// the order each thread runs its blocks in (oneRowProductByBlocks).
  mutable std::atomic<uint64_t> blockCalls{0};
  /// The machine code `whole`, `chunk` and `tail` live in, and their
  /// symbols there (empty for absent entry points): what serializing the
  /// kernel writes.
  std::shared_ptr<const ModuleCode> module;
  std::string wholeSymbol, chunkSymbol, tailSymbol;
};

/// Rows each thread must get for a kernel that splits inside
/// (ContractionHead::splitsInside) to split its rows rather than H's
/// columns. Split by rows, each thread reads all of B for its rows; by
/// columns, all of A for its columns, packed by 16 x 16 transposes. On 2
/// threads, the benchmark MLP's training step at batch 128 (64 rows a
/// thread) took 1.30-1.41 ms by rows against 1.42-1.50 by columns (four
/// alternating pairs) and its forward 0.37-0.38 against 0.48-0.50 ms; at
/// batch 64 (32 rows a thread) columns were level or faster, 0.84-0.93
/// against 0.87-0.96 ms, and at batch 32 faster, 0.47-0.51 against
/// 0.52-0.60 (AMD EPYC family 26 model 2). On a Xeon (family 6 model 167)
/// the batch-128 forward product took 423 µs by rows against 477 by
/// columns, and the batch-32 step 0.52-0.55 ms by columns against 0.73-0.75
/// by rows.
inline constexpr int64_t kMinRowsPerThreadToSplitRows = 64;

/// Whether a kernel that splits inside, run on `threads` threads, splits
/// its rows (one run of whole chunks per thread, the smallest run at least
/// kMinRowsPerThreadToSplitRows rows) rather than H's columns.
bool splitsRowsInside(const CpuKernel &kernel, int64_t threads);

/// Whether `kernel` asks the host for one run of chunks per thread
/// (NNC_KERNEL_ONE_RUN_PER_THREAD): a split kernel that is nothing but a
/// row-split GEMM head, which packs B once per call. Each thread then
/// packs B once, where per chunk it would pack it once per chunk. A kernel
/// with a rest is left to run chunk by chunk: its rest reads H while it is
/// still in cache, and a training step's kernels balance better over
/// smaller calls. A convolution's weight gradient asks too, rest or not:
/// each call builds col^T for the whole batch, which on one thread cost
/// more than the rest's cache.
bool wantsOneRunPerThread(const CpuKernel &kernel);

/// Runs iterations [begin, end) of `kernel` (an nnc_kernel_fn with the
/// kernel as state).
nnc_status runCpuKernel(void *kernel, void *const *buffers, int64_t begin,
                        int64_t end, nnc_error **error);

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_CPUKERNEL_H
