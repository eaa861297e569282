//===- CodeLoader.cpp - Running a serialized executable's code ------------===//

#include "backends/cpu/serial/CodeLoader.h"

#include "backends/cpu/VectorMath.h"
#include "backends/cpu/gemm/MicroKernel.h"
#include "backends/cpu/serial/MemoryLibrary.h"

#include "runtime/Artifact.h"

namespace nnc::cpu {

namespace {

/// The first target this CPU runs, or why none does.
rt::Expected<size_t> pickTarget(const SerializedExecutable &executable) {
  std::string reasons;
  for (size_t i = 0; i < executable.targets.size(); ++i) {
    const CodeTarget &target = executable.targets[i].target;
    rt::Error error = rt::checkCpuFeatures(target.features);
    if (error.ok())
      return i;
    reasons += (reasons.empty() ? "" : "; ") + target.cpu + " " +
               error.message();
  }
  return rt::Error::failure("no code in it runs on this CPU: " + reasons);
}

} // namespace

rt::Expected<size_t> loadExecutableCode(SerializedExecutable &executable) {
  rt::Expected<size_t> picked = pickTarget(executable);
  if (!picked.ok())
    return picked.takeError();
  const LinkedTarget &target = executable.targets[*picked];

  // The code calls vector math (VectorMath.h) through the global scope.
  vectorMathLoaded();
  using Libraries = std::vector<std::shared_ptr<MemoryLibrary>>;
  auto libraries = std::make_shared<Libraries>();
  for (size_t m = 0; m < target.modules.size(); ++m) {
    auto library = MemoryLibrary::load(target.modules[m],
                                       "nnc-cpu-module-" + std::to_string(m));
    if (!library.ok())
      return library.takeError();
    libraries->push_back(std::move(*library));
  }
  std::shared_ptr<void> owner = libraries;

  std::shared_ptr<const GemmKernels> gemm;
  if (!target.gemm.empty()) {
    auto library = MemoryLibrary::load(target.gemm, "nnc-cpu-gemm");
    if (!library.ok())
      return library.takeError();
    std::shared_ptr<MemoryLibrary> gemmLibrary = *library;
    std::string error;
    gemm = detail::gemmKernelsFromSymbols(
        target.gemmIsa + " (" + target.target.cpu + ")", target.gemmMr,
        target.gemmNr,
        [&](const std::string &name) { return gemmLibrary->symbol(name); },
        gemmLibrary, &error);
    if (!gemm)
      return rt::Error::failure("the GEMM code: " + error);
  }

  for (size_t i = 0; i < executable.kernels.size(); ++i) {
    CpuKernel &kernel = *executable.kernels[i];
    if (kernel.head.kind != ContractionHead::Kind::None)
      kernel.gemm = gemm;
    int64_t module = executable.moduleOf[i];
    if (module < 0)
      continue;
    const MemoryLibrary &library = *(*libraries)[static_cast<size_t>(module)];
    for (auto [symbol, fn] : {std::pair{&kernel.wholeSymbol, &kernel.whole},
                              std::pair{&kernel.chunkSymbol, &kernel.chunk},
                              std::pair{&kernel.tailSymbol, &kernel.tail}}) {
      if (symbol->empty())
        continue;
      void *address = library.symbol(*symbol);
      if (!address)
        return rt::Error::failure("module " + std::to_string(module) +
                                  " has no symbol " + *symbol);
      *fn = reinterpret_cast<PackedFn>(address);
    }
    kernel.code = owner;
  }
  return *picked;
}

} // namespace nnc::cpu
