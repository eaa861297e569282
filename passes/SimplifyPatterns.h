//===- SimplifyPatterns.h - Algebraic rewrites of nn graphs -----*- C++ -*-===//
//
// The rewrites of the nn-simplify pass, exposed apart from it so that other
// passes and pipelines can apply them with their own patterns.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_SIMPLIFYPATTERNS_H
#define NNC_PASSES_SIMPLIFYPATTERNS_H

#include "mlir/IR/PatternMatch.h"

namespace nnc {

/// Adds nn-simplify's rewrites to `patterns`: a last-two-axes transpose
/// feeding nn.matmul becomes its transpose_lhs/transpose_rhs flag;
/// log(softmax(x)) becomes log_softmax(x); broadcast_to(broadcast_to(x))
/// becomes one broadcast_to, and a reshape that only adds or drops leading
/// unit axes before a broadcast_to is dropped; x * -1, -1 * x and x / -1
/// become neg(x); x + neg(y), neg(y) + x and x - neg(y) become x - y and
/// x + y. None fires where broadcasting would make the rewritten op's
/// result type differ from the original's. Only log_softmax changes values
/// (it is more accurate). The folders and canonicalisation patterns of the
/// ops are not included: run `canonicalize` for those.
void populateSimplifyPatterns(mlir::RewritePatternSet &patterns);

} // namespace nnc

#endif // NNC_PASSES_SIMPLIFYPATTERNS_H
