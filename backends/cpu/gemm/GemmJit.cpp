//===- GemmJit.cpp - GEMM kernels JIT-compiled for this process -----------===//

#include "backends/cpu/gemm/GemmJit.h"

#include "backends/cpu/gemm/GemmAutotune.h"
#include "backends/cpu/gemm/MicroKernel.h"

namespace nnc::cpu {

using namespace detail;

namespace detail {

std::shared_ptr<const GemmKernels>
createTunedGemmKernels(GemmIsa isa, const GemmTuning &tuning,
                       std::string *error) {
  if (isa == GemmIsa::Portable)
    return assembleGemmKernels(portableMicroKernels(), "portable C++", tuning);
  MicroKernelSet set;
  std::shared_ptr<void> owner;
  std::string target;
  if (!jitMicroKernels(isa, tuning, set, owner, target, error))
    return nullptr;
  std::shared_ptr<GemmKernels> kernels =
      assembleGemmKernels(set, target, tuning);
  kernels->owner = std::move(owner);
  return kernels;
}

} // namespace detail

std::shared_ptr<const GemmKernels> createGemmKernels(GemmIsa isa,
                                                     std::string *error) {
  return createTunedGemmKernels(isa, GemmTuning(), error);
}

const GemmKernels &hostGemm() {
  // Built once and never destroyed: the JIT's code must outlive every
  // thread that may still call it while the process exits.
  static const GemmKernels *host = [] {
    std::string error;
    std::shared_ptr<const GemmKernels> kernels =
        createGemmKernels(GemmIsa::Host, &error);
    if (!kernels) {
      auto fallback = std::make_shared<GemmKernels>(
          *createGemmKernels(GemmIsa::Portable, nullptr));
      fallback->description += " (the JIT failed: " + error + ")";
      kernels = fallback;
    }
    return new GemmKernels(*kernels);
  }();
  return *host;
}

const GemmKernels &tunedHostGemm(bool diskCache) {
  // Never destroyed, as hostGemm()'s; it shares that code.
  static const GemmKernels *tuned = [&] {
    auto *kernels = new GemmKernels(hostGemm());
    tuneForHost(*kernels, diskCache);
    return kernels;
  }();
  return *tuned;
}

} // namespace nnc::cpu
