//===- CpuKernel.cpp - Running JIT-compiled kernels over a range ----------===//

#include "backends/cpu/CpuKernel.h"

#include "backends/cpu/CpuError.h"

#include "runtime/ArenaThreads.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>

namespace nnc::cpu {

namespace {

template <typename T>
bool checkValues(const DataCheck &check, const T *data, int64_t first,
                 int64_t last, std::string &message) {
  for (int64_t i = first; i < last; ++i) {
    T value = data[i];
    bool ok = true;
    switch (check.kind) {
    case DataCheck::Kind::IndexBelow:
      ok = (value >= 0 && value < static_cast<T>(check.bound)) ||
           (check.ignored && static_cast<int64_t>(value) == *check.ignored);
      break;
    case DataCheck::Kind::NonZero:
      ok = value != 0;
      break;
    case DataCheck::Kind::Probability:
      ok = value >= 0 && value <= 1;
      break;
    case DataCheck::Kind::AtLeastOne:
      ok = value >= 1;
      break;
    }
    if (ok)
      continue;
    switch (check.kind) {
    case DataCheck::Kind::IndexBelow:
      message = check.op + ": index " + std::to_string(value) +
                " is out of range [0, " + std::to_string(check.bound) + ")";
      break;
    case DataCheck::Kind::NonZero:
      message = check.op + ": integer division by zero";
      break;
    case DataCheck::Kind::Probability:
      message = check.op + ": probability " + std::to_string(value) +
                " is outside [0, 1]";
      break;
    case DataCheck::Kind::AtLeastOne:
      message = check.op + ": step " + std::to_string(value) + " is below 1";
      break;
    }
    return false;
  }
  return true;
}

bool runCheck(const DataCheck &check, const void *data, int64_t first,
              int64_t last, std::string &message) {
  switch (check.dtype) {
  case NNC_I32:
    return checkValues(check, static_cast<const int32_t *>(data), first, last,
                       message);
  case NNC_I64:
    return checkValues(check, static_cast<const int64_t *>(data), first, last,
                       message);
  case NNC_F32:
    return checkValues(check, static_cast<const float *>(data), first, last,
                       message);
  case NNC_F64:
    return checkValues(check, static_cast<const double *>(data), first, last,
                       message);
  case NNC_U8:
    return checkValues(check, static_cast<const uint8_t *>(data), first, last,
                       message);
  }
  return true;
}

} // namespace

namespace {

/// H for rows [first, last) of a head kept in per-thread scratch: a pointer
/// laid out as the whole H whose rows [first, last) are the scratch.
float *scratchRows(const ContractionHead &head, int64_t first, int64_t last) {
  thread_local std::vector<float> scratch;
  size_t need = static_cast<size_t>((last - first) * head.rowElements);
  if (scratch.size() < need)
    scratch.resize(need);
  // The rows before `first` are never touched; computed as an integer so no
  // out-of-object pointer is formed by arithmetic on a float pointer.
  return reinterpret_cast<float *>(
      reinterpret_cast<uintptr_t>(scratch.data()) -
      static_cast<uintptr_t>(first * head.rowElements) * sizeof(float));
}

/// Pointers to a compiled function's arguments: one per buffer, then the
/// first row. Small kernels are the common case, so up to 16 buffers live
/// on the stack.
class PackedArguments {
public:
  explicit PackedArguments(size_t count) : count(count) {
    if (count > kInline) {
      heapPointers.reset(new void *[count]);
      heapArgs.reset(new void *[count + 1]);
      pointers = heapPointers.get();
      args = heapArgs.get();
    }
    for (size_t i = 0; i < count; ++i)
      args[i] = &pointers[i];
    args[count] = &row;
  }
  // args holds the addresses of this object's own members.
  PackedArguments(const PackedArguments &) = delete;
  PackedArguments &operator=(const PackedArguments &) = delete;

  size_t size() const { return count; }
  void *&operator[](size_t i) { return pointers[i]; }
  void call(PackedFn fn, int64_t firstRow) {
    row = firstRow;
    fn(args);
  }

private:
  static constexpr size_t kInline = 16;
  size_t count;
  int64_t row = 0;
  void *inlinePointers[kInline];
  void *inlineArgs[kInline + 1];
  std::unique_ptr<void *[]> heapPointers, heapArgs;
  void **pointers = inlinePointers, **args = inlineArgs;
};

/// Runs a kernel's compiled rest `rest` (null: none) on the rows from
/// `from`: its arguments at that row, H (`h`, laid out as the whole H)
/// among them.
void runRest(const CpuKernel &kernel, void *const *buffers, float *h,
             PackedArguments &args, int64_t from, PackedFn rest) {
  if (!rest)
    return;
  for (size_t i = 0; i < args.size(); ++i) {
    int64_t buffer = kernel.jitBuffers[i];
    char *base = buffer < 0 ? reinterpret_cast<char *>(h)
                            : static_cast<char *>(buffers[buffer]);
    args[i] = base + from * kernel.rowBytes[i];
  }
  args.call(rest, from);
}

/// The compiled rest for the chunk of rows that starts at `from`.
PackedFn restFrom(const CpuKernel &kernel, int64_t from) {
  if (kernel.range == 1)
    return kernel.whole;
  return kernel.rows - from >= kernel.chunkRows ? kernel.chunk : kernel.tail;
}

/// Runs rows [first, last) of a kernel with a native head: the head over
/// all of them, then the compiled rest chunk by chunk, with the code
/// compiled for each chunk's size.
void runHeadRows(const CpuKernel &kernel, void *const *buffers, int64_t first,
                 int64_t last) {
  const ContractionHead &head = kernel.head;
  float *h = head.out >= 0 ? static_cast<float *>(buffers[head.out])
                           : scratchRows(head, first, last);
  const GemmKernels *gemm = kernel.gemm.get();
  int trialOf = -1;
  if (bLayoutMatters(head, *gemm, first, last)) {
    BLayoutChooser::Pick pick = kernel.bLayout.pick(*gemm);
    gemm = pick.kernels;
    trialOf = pick.trialOf;
  }
  // A head over blocks of k alternates the order of each thread's blocks.
  bool backwards =
      head.kParts > 1 &&
      (kernel.blockCalls.fetch_add(1, std::memory_order_relaxed) & 1);
  if (trialOf < 0) {
    runContractionHead(head, *gemm, buffers, h, first, last, backwards);
  } else {
    auto start = std::chrono::steady_clock::now();
    runContractionHead(head, *gemm, buffers, h, first, last);
    kernel.bLayout.report(trialOf,
                          std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::steady_clock::now() - start)
                              .count());
  }

  PackedArguments args(kernel.jitBuffers.size());
  if (kernel.range == 1) {
    runRest(kernel, buffers, h, args, 0, kernel.whole);
    return;
  }
  for (int64_t from = first; from < last; from += kernel.chunkRows)
    runRest(kernel, buffers, h, args, from, restFrom(kernel, from));
}

/// The rows of a kernel that splits inside, in one contiguous run of whole
/// chunks per thread, each run's head and then its rest chunk by chunk
/// (runHeadRows), in parallel.
void runRowsInParallel(const CpuKernel &kernel, void *const *buffers,
                       int64_t threads) {
  tbb::parallel_for(
      tbb::blocked_range<int64_t>(0, threads, 1),
      [&](const tbb::blocked_range<int64_t> &runs) {
        for (int64_t run = runs.begin(); run < runs.end(); ++run) {
          int64_t firstChunk = kernel.range * run / threads;
          int64_t lastChunk = kernel.range * (run + 1) / threads;
          runHeadRows(kernel, buffers, firstChunk * kernel.chunkRows,
                      std::min(kernel.rows, lastChunk * kernel.chunkRows));
        }
      },
      tbb::static_partitioner());
}

/// The head by blocks of whole panels of H's columns, one per thread, then
/// the rest by its chunks, both in parallel.
void runColumnsInParallel(const CpuKernel &kernel, void *const *buffers,
                          int64_t threads) {
  const ContractionHead &head = kernel.head;
  float *h = head.out >= 0 ? static_cast<float *>(buffers[head.out])
                           : scratchRows(head, 0, head.rows);
  const GemmKernels &gemm = *kernel.gemm;
  const int64_t nr = gemm.kernels.nr;
  const int64_t panels = (head.n + nr - 1) / nr;
  const int64_t blocks = std::clamp<int64_t>(threads, 1, panels);
  const int64_t blockColumns = (panels + blocks - 1) / blocks * nr;
  const int64_t chunks = std::max<int64_t>(1, kernel.range);
  tbb::parallel_for(
      tbb::blocked_range<int64_t>(0, blocks, 1),
      [&](const tbb::blocked_range<int64_t> &range) {
        for (int64_t b = range.begin(); b < range.end(); ++b)
          runMatmulColumns(head, gemm, buffers, h,
                           std::min(head.n, b * blockColumns),
                           std::min(head.n, (b + 1) * blockColumns));
      },
      tbb::static_partitioner());
  tbb::parallel_for(
      tbb::blocked_range<int64_t>(0, chunks, 1),
      [&](const tbb::blocked_range<int64_t> &range) {
        PackedArguments args(kernel.jitBuffers.size());
        for (int64_t c = range.begin(); c < range.end(); ++c) {
          int64_t from = c * kernel.chunkRows;
          runRest(kernel, buffers, h, args, from, restFrom(kernel, from));
        }
      },
      tbb::static_partitioner());
}

/// All rows of a kernel that splits its work across the threads inside
/// one call (ContractionHead::splitsInside): by rows or by H's columns, as
/// splitsRowsInside says for the arena's threads. Either split changes no
/// bits. A static_partitioner gives a thread the same rows or columns on
/// every call, so they are still in its cache. Isolated: while it waits,
/// this thread runs only these parts, never another kernel, which could
/// reuse the per-thread scratch H may live in and would run inside this
/// kernel's call in a profile.
void runSplitInside(const CpuKernel &kernel, void *const *buffers) {
  const int64_t threads = rt::arenaThreads();
  tbb::this_task_arena::isolate([&] {
    if (splitsRowsInside(kernel, threads))
      runRowsInParallel(kernel, buffers, threads);
    else
      runColumnsInParallel(kernel, buffers, threads);
  });
}

/// Rows per GEMM call in a run of `rows` rows of a kernel that
/// wantsOneRunPerThread. Where the GEMM would pack B for one chunk, all of
/// them: one packing of B for the whole run. Where it reads B in place for
/// blocks of a few row tiles, there is no packing to share, and the run
/// goes in the largest such blocks, in whole chunks.
int64_t headBlockRows(const CpuKernel &kernel, int64_t rows) {
  const ContractionHead &head = kernel.head;
  // A weight gradient builds col^T on every call: the whole run in one.
  if (head.kind != ContractionHead::Kind::Matmul)
    return rows;
  const GemmKernels &gemm = *kernel.gemm;
  auto inPlace = [&](int64_t blockRows) {
    return readsBInPlace(gemm, head.transB, head.k, head.n, head.ldb,
                         blockRows, gemm.bInPlaceRowTiles);
  };
  int64_t blockRows = 0;
  while (blockRows + kernel.chunkRows <= rows &&
         inPlace(blockRows + kernel.chunkRows))
    blockRows += kernel.chunkRows;
  return blockRows == 0 ? rows : blockRows;
}

} // namespace

bool splitsRowsInside(const CpuKernel &kernel, int64_t threads) {
  // Runs are whole chunks: the smallest a thread gets is its share of the
  // chunks, rounded down.
  if (kernel.range < 2 || kernel.range < threads)
    return false;
  int64_t fewestChunks = kernel.range / threads;
  return std::min(kernel.rows, fewestChunks * kernel.chunkRows) >=
         kMinRowsPerThreadToSplitRows;
}

bool wantsOneRunPerThread(const CpuKernel &kernel) {
  if (kernel.range <= 1)
    return false;
  // Every call builds col^T for the whole batch, whatever its filters.
  if (kernel.head.kind == ContractionHead::Kind::Conv2dGradWeight)
    return true;
  return isRowSplitGemm(kernel.head) && !kernel.chunk && !kernel.tail;
}

nnc_status runCpuKernel(void *state, void *const *buffers, int64_t begin,
                        int64_t end, nnc_error **error) {
  const CpuKernel &kernel = *static_cast<const CpuKernel *>(state);
  if (kernel.viewOnly)
    return NNC_OK;
  bool hasHead = kernel.head.kind != ContractionHead::Kind::None;
  int64_t firstRow = kernel.range == 1 ? 0 : begin * kernel.chunkRows;
  int64_t lastRow = kernel.range == 1
                        ? kernel.rows
                        : std::min(kernel.rows, end * kernel.chunkRows);
  for (const DataCheck &check : kernel.checks) {
    int64_t first = 0, last = check.count;
    size_t index = static_cast<size_t>(check.buffer);
    if (!hasHead && kernel.range != 1 && kernel.rowBytes[index] != 0) {
      int64_t perRow = check.count / kernel.rows;
      first = firstRow * perRow;
      last = lastRow * perRow;
    }
    std::string message;
    if (!runCheck(check, buffers[check.buffer], first, last, message)) {
      *error = makeCpuError(message);
      return NNC_ERROR;
    }
  }

  if (hasHead) {
    if (kernel.head.splitsInside) {
      runSplitInside(kernel, buffers);
      return NNC_OK;
    }
    if (kernel.range == 1) {
      runHeadRows(kernel, buffers, 0, kernel.head.rows);
    } else if (wantsOneRunPerThread(kernel)) {
      const int64_t blockRows = headBlockRows(kernel, lastRow - firstRow);
      for (int64_t row = firstRow; row < lastRow; row += blockRows)
        runHeadRows(kernel, buffers, row, std::min(lastRow, row + blockRows));
    } else {
      // Chunk by chunk, so that H is still in cache for each chunk's rest.
      for (int64_t it = begin; it < end; ++it)
        runHeadRows(kernel, buffers, it * kernel.chunkRows,
                    std::min(kernel.rows, (it + 1) * kernel.chunkRows));
    }
    return NNC_OK;
  }

  PackedArguments args(static_cast<size_t>(kernel.numBuffers));
  if (kernel.range == 1) {
    for (size_t i = 0; i < args.size(); ++i)
      args[i] = buffers[i];
    args.call(kernel.whole, 0);
    return NNC_OK;
  }
  for (int64_t it = begin; it < end; ++it) {
    int64_t row = it * kernel.chunkRows;
    for (size_t i = 0; i < args.size(); ++i)
      args[i] = static_cast<char *>(buffers[i]) + row * kernel.rowBytes[i];
    bool full = row + kernel.chunkRows <= kernel.rows;
    args.call(full ? kernel.chunk : kernel.tail, row);
  }
  return NNC_OK;
}

} // namespace nnc::cpu
