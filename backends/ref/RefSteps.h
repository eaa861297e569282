//===- RefSteps.h - The ref backend's table of steps ------------*- C++ -*-===//
//
// One row per op the interpreter runs. A row ties together everything the
// ref backend knows of an op: the op's name (which is also how a step is
// lowered from MLIR and how it is encoded in an artifact), how many
// operands and results it takes, how its attributes are read into the
// kernel's attribute struct, and the call of the nnc::ref kernel.
//
// A step carries its attributes as the op carried them, by their ODS name
// (RefAttrs.h), so lowering from MLIR and the serialized form are generic:
// neither has a case per op. Adding an op to ref is one row here and its
// kernel under kernels/.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_REF_REFSTEPS_H
#define NNC_BACKENDS_REF_REFSTEPS_H

#include "backends/ref/RefAttrs.h"
#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <any>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace nnc::ref {

using StepInputs = std::vector<rt::ConstTensorView>;
using StepOutputs = std::vector<rt::TensorView>;

/// How the interpreter runs one op.
struct StepRow {
  /// The op's full name ("nn.conv2d"); "copy" for the copies the compiler
  /// adds for results that are arguments or constants.
  std::string op;
  size_t minInputs = 0, maxInputs = 0, outputs = 0;
  /// Reads the attributes into what `run` takes. Called once per step,
  /// when a program is compiled or loaded, so a step whose attributes are
  /// missing or of the wrong kind is refused before anything runs.
  std::function<rt::Expected<std::any>(const StepAttrs &)> prepare;
  /// Calls the kernel; `attrs` is what `prepare` returned.
  std::function<rt::Error(const std::any &attrs, const StepInputs &,
                          const StepOutputs &)>
      run;
};

/// The row of op `name`, or null when the interpreter has none.
const StepRow *findStepRow(std::string_view name);

/// Copies `from` into `to`, which hold the same number of bytes (of any
/// dtypes); memmove, because a caller may pass one buffer for both.
rt::Error copyBytes(rt::ConstTensorView from, rt::TensorView to);

/// Every row, for tests and documentation.
const std::vector<StepRow> &allStepRows();

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_REFSTEPS_H
