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
/// result type differ from the original's. Only log_softmax (more accurate)
/// and attention change values. Attention written out by hand becomes one
/// op (populateAttentionFusionPatterns). The folders and canonicalisation
/// patterns of the ops are not included: run `canonicalize` for those.
void populateSimplifyPatterns(mlir::RewritePatternSet &patterns);

/// Adds the rewrite (passes/AttentionFusion.cpp) of
/// `matmul(softmax(q @ kT * c + mask), v)` into
/// `nn.scaled_dot_product_attention %q, %k, %v, %mask scale c`: the factor
/// may be left out (scale 1), written `c * s` or `s / c` with c a splat
/// float constant, and the mask left out or added on either side; k is the
/// scores matmul's rhs as it is with transpose_rhs, else a new transpose of
/// its last two axes (canonicalize merges it into the transpose before).
/// It fires only where nothing else uses the scores, scaled or masked
/// scores or probabilities, the softmax runs over the last axis, q, k and v
/// have one rank and the same leading dimensions, and the mask depends on
/// no trainable parameter (the fused op gives it no gradient; inputs count
/// as data). `causal` stays false. Values change by rounding, and in a row
/// every key of which is masked with -inf: NaN written out, 0 fused.
void populateAttentionFusionPatterns(mlir::RewritePatternSet &patterns);

} // namespace nnc

#endif // NNC_PASSES_SIMPLIFYPATTERNS_H
