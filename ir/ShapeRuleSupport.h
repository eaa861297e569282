//===- ShapeRuleSupport.h - What the shape rules share ----------*- C++ -*-===//
//
// The operand checks and message helpers that the forward rules
// (ShapeRules.cpp) define and the backward ones (TrainingShapeRules.cpp)
// reuse. Internal to the two: ShapeRules.h is the interface.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_IR_SHAPERULESUPPORT_H
#define NNC_IR_SHAPERULESUPPORT_H

#include "ir/ShapeRules.h"

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace nnc::shape {

/// True for the extent kDynamic.
bool isDyn(int64_t d);

/// An attribute list as "[-1, 4]": unlike toString, -1 prints as itself.
std::string list(const std::vector<int64_t> &v);

/// Why `shape` is not a well-formed shape (a rank above kMaxRank, an extent
/// below 0 or above 2^40, or more than 2^40 elements), or an empty string
/// when it is.
std::string validate(const Shape &shape);

/// Why a tensor of `rank` axes is too large ("rank 40 exceeds the limit of
/// 32"), or an empty string when it is not. Names no shape, which could be
/// thousands of axes long.
std::string validateRank(size_t rank);

/// validate over each shape of `shapes`, null ones skipped: the first
/// error, or an empty string.
std::string validateAll(std::initializer_list<const Shape *> shapes);

} // namespace nnc::shape

#endif // NNC_IR_SHAPERULESUPPORT_H
