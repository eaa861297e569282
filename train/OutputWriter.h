//===- OutputWriter.h - Writing result tensors for the user -----*- C++ -*-===//

#ifndef NNC_TRAIN_OUTPUTWRITER_H
#define NNC_TRAIN_OUTPUTWRITER_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <string>

namespace nnc::train {

/// Writes `tensor` to `dir`/`name`.npy (creating `dir`) and returns a
/// one-line summary for the user: "name: f32[359, 10] -> dir/name.npy",
/// with the value for a scalar.
rt::Expected<std::string> writeOutput(const std::string &dir,
                                      const std::string &name,
                                      const rt::Tensor &tensor);

/// The value of a one-element float tensor, as a double.
double scalarValue(const rt::Tensor &tensor);

} // namespace nnc::train

#endif // NNC_TRAIN_OUTPUTWRITER_H
