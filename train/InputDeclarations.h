//===- InputDeclarations.h - The inputs data is loaded for -----*- C++ -*-===//
//
// The data loaders (DataArguments.h) adapt files and arrays to a model's
// inputs: their names, dtypes and shapes, the leading extent dynamic for
// an input that takes samples. A model's program declares them, and so
// does a compiled artifact's list of ports, which has no program.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_INPUTDECLARATIONS_H
#define NNC_TRAIN_INPUTDECLARATIONS_H

#include "frontend/Program.h"
#include "runtime/Artifact.h"
#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <string>
#include <vector>

namespace nnc::train {

struct InputDeclaration {
  std::string name;
  rt::DType dtype = rt::DType::F32;
  /// shape::kDynamic first for an input that takes samples (the batch).
  rt::Shape shape;
  /// The labels of a softmax cross-entropy over this many classes: every
  /// value lies in [0, classes) or is `ignoreIndex`. 0: no such rule.
  int64_t classes = 0;
  int64_t ignoreIndex = -100;
  /// The targets of a binary cross-entropy: probabilities, every value in
  /// [0, 1], as PyTorch's BCELoss requires.
  bool probabilities = false;

  /// True when the input takes samples: its leading dimension is the batch.
  bool batched() const { return !shape.empty() && shape[0] == shape::kDynamic; }
};

using InputDeclarations = std::vector<InputDeclaration>;

/// The inputs `program` declares, in order.
InputDeclarations inputDeclarations(const frontend::Program &program);

/// The inputs of a compiled artifact, from its ports (the batch extent made
/// dynamic again); an input the loaders cannot feed is an error.
rt::Expected<InputDeclarations> inputDeclarations(const rt::Artifact &artifact);

/// The input called `name`, or null.
const InputDeclaration *findInput(const InputDeclarations &inputs,
                                  const std::string &name);

} // namespace nnc::train

#endif // NNC_TRAIN_INPUTDECLARATIONS_H
