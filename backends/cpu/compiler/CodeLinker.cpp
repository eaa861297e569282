//===- CodeLinker.cpp - An executable's code as shared objects ------------===//

#include "backends/cpu/compiler/CodeLinker.h"

#include "backends/cpu/gemm/GemmJit.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <set>

using namespace llvm;

namespace nnc::cpu {

namespace {

Error failure(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

Expected<std::string> findLinker() {
  if (const char *chosen = std::getenv("NNC_LINKER"); chosen && *chosen) {
    // A path is taken as it is; a bare name is looked up on PATH.
    if (StringRef(chosen).contains('/')) {
      if (sys::fs::exists(chosen) && sys::fs::can_execute(chosen))
        return std::string(chosen);
    } else if (ErrorOr<std::string> found = sys::findProgramByName(chosen)) {
      return *found;
    }
    return failure("NNC_LINKER names '" + Twine(chosen) +
                   "', which is not an executable");
  }
  for (const char *name : {"ld.lld-19", "ld.lld", "ld"})
    if (ErrorOr<std::string> found = sys::findProgramByName(name))
      return *found;
  return failure("no linker found (install binutils or lld, or set "
                 "NNC_LINKER) to make a shared object of the cpu code");
}

Error writeFile(StringRef path, StringRef bytes) {
  std::error_code ec;
  raw_fd_ostream os(path, ec, sys::fs::OF_None);
  if (ec)
    return failure("cannot write " + path + ": " + ec.message());
  os << bytes;
  os.close();
  if (os.has_error())
    return failure("cannot write " + path);
  return Error::success();
}

} // namespace

Expected<std::string> linkSharedObject(ArrayRef<std::string> objects) {
  Expected<std::string> linker = findLinker();
  if (!linker)
    return linker.takeError();
  SmallString<128> dir;
  if (std::error_code ec = sys::fs::createUniqueDirectory("nnc-link", dir))
    return failure("cannot make a folder to link in: " + ec.message());
  auto cleanup = make_scope_exit([&] { sys::fs::remove_directories(dir); });

  std::vector<std::string> paths;
  for (size_t i = 0; i < objects.size(); ++i) {
    SmallString<128> path(dir);
    sys::path::append(path, "module" + std::to_string(i) + ".o");
    if (Error error = writeFile(path, objects[i]))
      return std::move(error);
    paths.push_back(path.str().str());
  }
  SmallString<128> output(dir), log(dir);
  sys::path::append(output, "code.so");
  sys::path::append(log, "linker.log");
  // No default libraries: what the code calls (libm, libc) is already in
  // every process that loads it.
  // A kernel's entry points are named after a hash of its source (see
  // CpuCompiler.cpp), so two objects that define one name define the same
  // code: two graphs compiled without the in-process cache each compile a
  // kernel they share. Either definition will do.
  std::vector<StringRef> args = {*linker,
                                 "-shared",
                                 "-o",
                                 output,
                                 "-z",
                                 "noexecstack",
                                 "--hash-style=gnu",
                                 "--allow-multiple-definition",
                                 "-O1"};
  for (const std::string &path : paths)
    args.push_back(path);
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(log),
                                          StringRef(log)};
  std::string message;
  int status = sys::ExecuteAndWait(*linker, args, std::nullopt, redirects, 0,
                                   0, &message);
  if (status != 0) {
    std::string detail = message;
    if (auto text = MemoryBuffer::getFile(log))
      detail = (*text)->getBuffer().split('\n').first.str();
    return failure(*linker + " failed to link the cpu code" +
                   (detail.empty() ? "" : ": " + detail));
  }
  auto linked = MemoryBuffer::getFile(output, /*IsText=*/false,
                                      /*RequiresNullTerminator=*/false);
  if (!linked)
    return failure("cannot read the linked cpu code: " +
                   linked.getError().message());
  return (*linked)->getBuffer().str();
}

namespace {

/// The GEMM micro-kernels for one target, linked.
struct LinkedGemm {
  std::string sharedObject, isa;
  int mr = 0, nr = 0;
};

/// The GEMM of `target`, compiled and linked once per process: every graph
/// of an artifact carries the same one.
Expected<const LinkedGemm *> linkedGemm(const CodeTarget &target) {
  static std::mutex mutex;
  static std::map<std::string, LinkedGemm> linked;
  std::string key = target.cpu + "|" + join(target.llvmFeatures, ",") + "|" +
                    std::to_string(static_cast<int>(target.gemmIsa));
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = linked.find(key); it != linked.end())
    return &it->second;
  MicroKernelObject gemm;
  std::string error;
  if (!compileMicroKernelObject(target.gemmIsa, target.cpu,
                                target.llvmFeatures, gemm, &error))
    return failure("cannot compile the GEMM for " + target.cpu + ": " + error);
  Expected<std::string> so = linkSharedObject({gemm.object});
  if (!so)
    return so.takeError();
  LinkedGemm &entry = linked[key];
  entry.sharedObject = std::move(*so);
  entry.isa = gemm.isa;
  entry.mr = gemm.mr;
  entry.nr = gemm.nr;
  return &entry;
}

} // namespace

Expected<std::vector<LinkedTarget>>
linkExecutableCode(const std::vector<const CpuKernel *> &kernels,
                   const std::vector<CodeTarget> &targets, size_t firstTarget,
                   std::vector<int64_t> &moduleOf) {
  // One shared object per target holds every module (linking costs a
  // linker process each, and loading a dlopen each); kernels share
  // modules, each linked once, in the order kernels first use them.
  std::set<const ModuleCode *> seen;
  std::vector<const ModuleCode *> modules;
  bool needsGemm = false;
  moduleOf.clear();
  for (const CpuKernel *kernel : kernels) {
    needsGemm |= kernel->head.kind != ContractionHead::Kind::None;
    moduleOf.push_back(kernel->module ? 0 : -1);
    if (!kernel->module)
      continue;
    if (kernel->module->perTarget.size() != targets.size())
      return failure("a kernel was compiled for other targets");
    if (seen.insert(kernel->module.get()).second)
      modules.push_back(kernel->module.get());
  }

  std::vector<LinkedTarget> linked;
  for (size_t t = firstTarget; t < targets.size(); ++t) {
    LinkedTarget target;
    target.target = targets[t];
    if (!modules.empty()) {
      std::vector<std::string> objects;
      for (const ModuleCode *module : modules)
        objects.push_back(module->perTarget[t]);
      Expected<std::string> so = linkSharedObject(objects);
      if (!so)
        return so.takeError();
      target.modules.push_back(std::move(*so));
    }
    if (needsGemm) {
      Expected<const LinkedGemm *> gemm = linkedGemm(targets[t]);
      if (!gemm)
        return gemm.takeError();
      target.gemm = (*gemm)->sharedObject;
      target.gemmIsa = (*gemm)->isa;
      target.gemmMr = (*gemm)->mr;
      target.gemmNr = (*gemm)->nr;
    }
    linked.push_back(std::move(target));
  }
  return linked;
}

} // namespace nnc::cpu
