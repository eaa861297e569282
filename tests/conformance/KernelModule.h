//===- KernelModule.h - Test graphs as the plugin ABI wants them -*- C++
//-*-===//
//
// Turns the MLIR text of a test case (kernel functions `@kernel_<i>` over nn
// ops) into what crosses the plugin ABI: MLIR bytecode, plus what the suite
// needs to drive it (the nn ops used, for skipping, and each kernel's buffer
// types, for allocating). The only file of the suite that sees MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TESTS_CONFORMANCE_KERNELMODULE_H
#define NNC_TESTS_CONFORMANCE_KERNELMODULE_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <string>
#include <vector>

namespace nnc::conformance {

/// The static type of one kernel buffer.
struct BufferType {
  rt::DType dtype = rt::DType::F32;
  rt::Shape shape;
};

/// The buffers of one kernel function: its arguments, then its results.
struct KernelSignature {
  std::vector<BufferType> arguments;
  std::vector<BufferType> results;
};

/// A test graph ready to hand to a plugin.
struct KernelModule {
  /// MLIR bytecode of the module.
  std::string bytecode;
  /// Every op name in the kernel bodies (func.return excluded), sorted and
  /// unique; ops of unknown dialects are included.
  std::vector<std::string> opNames;
  /// kernels[i] describes `@kernel_<i>`.
  std::vector<KernelSignature> kernels;
};

/// Parses `mlirText` (functions at the top level, the module implied) with
/// the nn and func dialects; ops of other dialects parse as unregistered
/// ops, so tests can build graphs a backend cannot know. Fails with the
/// parser's diagnostics, or when a kernel function is missing, misnamed
/// or has an argument or result that is not a static tensor of a runtime
/// dtype.
rt::Expected<KernelModule> buildKernelModule(const std::string &mlirText);

} // namespace nnc::conformance

#endif // NNC_TESTS_CONFORMANCE_KERNELMODULE_H
