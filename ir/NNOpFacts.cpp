//===- NNOpFacts.cpp - What passes and backends know of an op -------------===//

#include "ir/NNOpFacts.h"

#include "mlir/IR/Operation.h"

#include <algorithm>
#include <cstring>
#include <iterator>

namespace nnc::nn {
namespace {

// kOpFacts and kCompiledOpNames, generated from ir/NNOps.td.
#include "ir/NNOpFacts.cpp.inc"

const OpFacts kForeignOp = {
    "",    FusionKind::Opaque,   false,   -1, false, 0, false,
    false, GradcheckDomain::Any, nullptr, 0};

} // namespace

const OpFacts *lookupOpFacts(llvm::StringRef name) {
  const OpFacts *end = std::end(kOpFacts);
  const OpFacts *found =
      std::lower_bound(std::begin(kOpFacts), end, name,
                       [](const OpFacts &facts, llvm::StringRef key) {
                         return key > facts.name;
                       });
  return found != end && name == found->name ? found : nullptr;
}

const OpFacts &opFacts(mlir::Operation *op) {
  const OpFacts *facts = lookupOpFacts(op->getName().getStringRef());
  return facts ? *facts : kForeignOp;
}

llvm::ArrayRef<OpFacts> allOpFacts() { return kOpFacts; }

const char *const *compiledOpNames() { return kCompiledOpNames; }

} // namespace nnc::nn
