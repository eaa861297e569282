//===- VectorMathLibrary.cpp - Vector variants of math calls --------------===//

#include "backends/cpu/compiler/VectorMathLibrary.h"

#include "backends/cpu/VectorMath.h"

#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/Target/TargetMachine.h"

#include <deque>
#include <string>
#include <vector>

using namespace llvm;

namespace {

/// One width of libmvec: its letter in the vector ABI's mangling (b: SSE,
/// d: AVX2, e: AVX-512), the feature it needs, and its doubles per vector.
struct VectorIsa {
  char letter;
  const char *feature;
  unsigned doubles;
};

constexpr VectorIsa kIsas[] = {
    {'b', "+sse4.2", 2}, {'d', "+avx2", 4}, {'e', "+avx512f", 8}};

/// The functions both libmvec (glibc 2.35 and later) and our kernels have,
/// by their libm names, and their argument counts. LLVM spells exp, log and
/// pow as intrinsics too. Without pow, `pow(x, p)` of two tensors ran
/// libm's scalar pow per element (3.5 times PyTorch's time).
struct MathFunction {
  const char *name;
  unsigned arguments;
};
constexpr MathFunction kFunctions[] = {{"exp", 1},  {"log", 1},   {"erf", 1},
                                       {"tanh", 1}, {"log1p", 1}, {"expm1", 1},
                                       {"pow", 2}};

bool hasIntrinsic(StringRef function) {
  return function == "exp" || function == "log" || function == "pow";
}

/// libmvec's functions for `isa`. VecDesc holds StringRefs, so the names
/// live in a deque that never moves them, for the life of the process.
std::vector<VecDesc> functionsFor(const VectorIsa &isa) {
  static std::deque<std::string> names;
  std::vector<VecDesc> descs;
  auto name = [&](std::string text) -> StringRef {
    names.push_back(std::move(text));
    return names.back();
  };
  for (auto [function, arguments] : kFunctions) {
    // One 'v' per vector argument, in the name and in the ABI prefix.
    const std::string parameters(arguments, 'v');
    auto add = [&](std::string scalar, const std::string &vector,
                   unsigned lanes) {
      descs.emplace_back(
          name(std::move(scalar)), name(vector), ElementCount::getFixed(lanes),
          /*Masked=*/false,
          name("_ZGV_LLVM_N" + std::to_string(lanes) + parameters));
    };
    std::string prefix = std::string("_ZGV") + isa.letter + "N";
    std::string f64 =
        prefix + std::to_string(isa.doubles) + parameters + "_" + function;
    std::string f32 = prefix + std::to_string(2 * isa.doubles) + parameters +
                      "_" + function + "f";
    add(function, f64, isa.doubles);
    add(std::string(function) + "f", f32, 2 * isa.doubles);
    if (hasIntrinsic(function)) {
      add("llvm." + std::string(function) + ".f64", f64, isa.doubles);
      add("llvm." + std::string(function) + ".f32", f32, 2 * isa.doubles);
    }
  }
  return descs;
}

} // namespace

void nnc::cpu::addVectorMathFunctions(TargetLibraryInfoImpl &library,
                                      const TargetMachine &machine) {
  if (!vectorMathLoaded())
    return;
  static const std::vector<std::vector<VecDesc>> *perIsa = [] {
    auto *all = new std::vector<std::vector<VecDesc>>;
    for (const VectorIsa &isa : kIsas)
      all->push_back(functionsFor(isa));
    return all;
  }();
  const MCSubtargetInfo *subtarget = machine.getMCSubtargetInfo();
  for (size_t i = 0; i < std::size(kIsas); ++i)
    if (subtarget->checkFeatures(kIsas[i].feature))
      library.addVectorizableFunctions((*perIsa)[i]);
}
