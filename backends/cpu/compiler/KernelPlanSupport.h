//===- KernelPlanSupport.h - What the head planners share -------*- C++ -*-===//
//
// The operand tests of KernelPlan.cpp's head planners, which the attention
// head's planner (AttentionHeadPlan.cpp) uses too, and that planner, which
// planHead dispatches to. Internal to the two: KernelPlan.h is the
// interface.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_COMPILER_KERNELPLANSUPPORT_H
#define NNC_BACKENDS_CPU_COMPILER_KERNELPLANSUPPORT_H

#include "backends/cpu/compiler/KernelPlan.h"

#include "mlir/IR/Value.h"

#include <cstdint>
#include <optional>

namespace nnc::cpu {

/// True for a tensor of f32 with a static shape.
bool isF32(mlir::Value value);

/// The argument number of `value`, or -1 when it is not an argument.
int64_t argumentOf(mlir::Value value);

/// The head of kind `kind` (Attention or AttentionGrad) that runs `op`, an
/// nn::ScaledDotProductAttentionOp or its gradient op, natively; nullopt
/// when its operands do not allow it.
template <typename AttentionOp>
std::optional<HeadPlan> planAttention(AttentionOp op,
                                      ContractionHead::Kind kind);

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_COMPILER_KERNELPLANSUPPORT_H
