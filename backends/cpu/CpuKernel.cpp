//===- CpuKernel.cpp - Running JIT-compiled kernels over a range ----------===//

#include "backends/cpu/CpuKernel.h"

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

} // namespace

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

  size_t n = hasHead ? kernel.jitBuffers.size()
                     : static_cast<size_t>(kernel.numBuffers);
  // Small kernels are the common case: keep the argument arrays on the
  // stack.
  constexpr size_t kInline = 16;
  void *inlinePointers[kInline];
  void *inlineArgs[kInline + 1];
  std::unique_ptr<void *[]> heapPointers, heapArgs;
  void **pointers = inlinePointers, **args = inlineArgs;
  if (n > kInline) {
    heapPointers.reset(new void *[n]);
    heapArgs.reset(new void *[n + 1]);
    pointers = heapPointers.get();
    args = heapArgs.get();
  }
  int64_t row = 0;
  for (size_t i = 0; i < n; ++i)
    args[i] = &pointers[i];
  args[n] = &row;

  if (!hasHead) {
    if (kernel.range == 1) {
      for (size_t i = 0; i < n; ++i)
        pointers[i] = buffers[i];
      kernel.whole(args);
      return NNC_OK;
    }
    for (int64_t it = begin; it < end; ++it) {
      row = it * kernel.chunkRows;
      for (size_t i = 0; i < n; ++i)
        pointers[i] =
            static_cast<char *>(buffers[i]) + row * kernel.rowBytes[i];
      bool full = row + kernel.chunkRows <= kernel.rows;
      (full ? kernel.chunk : kernel.tail)(args);
    }
    return NNC_OK;
  }

  const ContractionHead &head = kernel.head;
  auto runRows = [&](int64_t first, int64_t last, PackedFn rest) {
    float *h = head.out >= 0 ? static_cast<float *>(buffers[head.out])
                             : scratchRows(head, first, last);
    const GemmKernels *gemm = kernel.gemm.get();
    int trialOf = -1;
    if (bLayoutMatters(head, *gemm, first, last)) {
      BLayoutChooser::Pick pick = kernel.bLayout.pick(*gemm);
      gemm = pick.kernels;
      trialOf = pick.trialOf;
    }
    if (trialOf < 0) {
      runContractionHead(head, *gemm, buffers, h, first, last);
    } else {
      auto start = std::chrono::steady_clock::now();
      runContractionHead(head, *gemm, buffers, h, first, last);
      kernel.bLayout.report(
          trialOf, std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::steady_clock::now() - start)
                       .count());
    }
    if (!rest)
      return;
    row = first;
    for (size_t i = 0; i < n; ++i) {
      int64_t buffer = kernel.jitBuffers[i];
      char *base = buffer < 0 ? reinterpret_cast<char *>(h)
                              : static_cast<char *>(buffers[buffer]);
      pointers[i] = base + first * kernel.rowBytes[i];
    }
    rest(args);
  };
  if (kernel.range == 1) {
    runRows(0, head.rows, kernel.whole);
    return NNC_OK;
  }
  for (int64_t it = begin; it < end; ++it) {
    int64_t first = it * kernel.chunkRows;
    int64_t last = std::min(kernel.rows, first + kernel.chunkRows);
    runRows(first, last,
            last - first == kernel.chunkRows ? kernel.chunk : kernel.tail);
  }
  return NNC_OK;
}

} // namespace nnc::cpu
