//===- CpuSerializer.h - cpu executables to bytes and back ------*- C++ -*-===//
//
// The cpu backend's half of NNC_EXTENSION_SERIALIZE, as plain data: kernels
// (their calling conventions, splits, heads and data checks) plus, per
// target CPU, the linked shared objects their entry points live in. The
// format is an FNV-1a digest of the rest, then the FlatBuffers schema
// cpu_executable.fbs. Reading checks the digest (the code runs as it is, so
// damaged bytes must never reach the loader), runs the FlatBuffers
// verifier, then checks every enum, index, count and extent; loading the
// code is CodeLoader.h's job.
// No MLIR or LLVM here.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_SERIAL_CPUSERIALIZER_H
#define NNC_BACKENDS_CPU_SERIAL_CPUSERIALIZER_H

#include "backends/cpu/CpuCode.h"
#include "backends/cpu/CpuKernel.h"

#include "runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nnc::cpu {

/// The version of the byte format serializeExecutable writes. Format 2
/// adds attention layouts (AttentionShape.layouts), which a format-1
/// reader would ignore and so misread; format 1 files still load.
inline constexpr uint32_t kCpuFormatVersion = 2;
/// The oldest format deserializeExecutable reads.
inline constexpr uint32_t kCpuOldestFormatVersion = 1;

/// The machine code for one target CPU, linked.
struct LinkedTarget {
  CodeTarget target;
  /// One shared object per compiled module.
  std::vector<std::string> modules;
  /// The GEMM micro-kernels (empty when no kernel has a native head), of
  /// the ISA `gemmIsa` ("avx512") with an mr x nr tile.
  std::string gemm;
  std::string gemmIsa;
  int gemmMr = 0, gemmNr = 0;
};

/// An executable as bytes hold it. Kernels carry no code yet: their entry
/// points are symbols (CpuKernel::wholeSymbol, ...) in module moduleOf[i]
/// (-1: the kernel has none) of whichever target runs.
struct SerializedExecutable {
  std::vector<std::shared_ptr<CpuKernel>> kernels;
  std::vector<int64_t> moduleOf;
  /// Best first: the loader runs the first the host supports.
  std::vector<LinkedTarget> targets;
};

/// `kernels` (their entry points in modules moduleOf[i]) and `targets`
/// as bytes.
std::string serializeExecutable(const std::vector<const CpuKernel *> &kernels,
                                const std::vector<int64_t> &moduleOf,
                                const std::vector<LinkedTarget> &targets);

/// The executable `bytes` hold, checked: the digest, the FlatBuffers
/// verifier, the format version, every enum, buffer index, count, extent
/// and entry point. Fails with a one-line message on bytes
/// serializeExecutable did not write.
rt::Expected<SerializedExecutable> deserializeExecutable(const void *bytes,
                                                         size_t size);

/// Checks that `kernel` takes exactly `numBuffers` buffers whose byte
/// sizes `bufferBytes` (the host's plan) hold what its head, its row split
/// and its data checks read and write.
rt::Error checkKernelBuffers(const CpuKernel &kernel,
                             const uint64_t *bufferBytes, int64_t numBuffers);

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_SERIAL_CPUSERIALIZER_H
