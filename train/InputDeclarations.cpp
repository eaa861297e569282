//===- InputDeclarations.cpp - The inputs data is loaded for --------------===//

#include "train/InputDeclarations.h"

#include "train/ParameterStore.h"

#include <algorithm>

namespace nnc::train {

InputDeclarations inputDeclarations(const frontend::Program &program) {
  InputDeclarations inputs;
  for (const frontend::Argument &arg : program.arguments)
    if (arg.role == frontend::Argument::Role::Input)
      inputs.push_back(
          {arg.name, toRuntimeDType(arg.type.dtype), arg.type.shape});
  // Labels read straight from an input by a cross-entropy must name one of
  // its classes, which the data loaders check before training starts.
  for (const frontend::Node &node : program.nodes) {
    bool binary = node.op == "binary_cross_entropy";
    if ((node.op != "softmax_cross_entropy" && !binary) ||
        node.operands.size() < 2 ||
        node.operands[1].kind != frontend::ValueRef::Kind::Argument)
      continue;
    const frontend::Argument &labels =
        program.arguments[node.operands[1].index];
    auto input = std::find_if(inputs.begin(), inputs.end(),
                              [&](const InputDeclaration &declared) {
                                return declared.name == labels.name;
                              });
    if (input == inputs.end())
      continue;
    if (binary) {
      input->probabilities = true;
      continue;
    }
    const rt::Shape &logits = program.typeOf(node.operands[0]).shape;
    if (logits.empty() || logits.back() <= 0)
      continue;
    input->classes = logits.back();
    auto ignore = node.attrs.find("ignore_index");
    if (ignore != node.attrs.end())
      if (const int64_t *value = std::get_if<int64_t>(&ignore->second))
        input->ignoreIndex = *value;
  }
  return inputs;
}

rt::Expected<InputDeclarations>
inputDeclarations(const rt::Artifact &artifact) {
  InputDeclarations inputs;
  for (const rt::ArtifactPort &port : artifact.inputs) {
    if (port.dtype == rt::DType::U8)
      return rt::Error::failure("input '" + port.name +
                                "' is u8, which the data loader cannot feed");
    InputDeclaration input{port.name, port.dtype, port.shape};
    if (port.batched && !input.shape.empty())
      input.shape[0] = shape::kDynamic;
    inputs.push_back(std::move(input));
  }
  // The labels an argmax accuracy scores are the loss's: their classes
  // are the scored output's last extent.
  const std::optional<rt::ArtifactAccuracy> &accuracy = artifact.accuracy;
  if (accuracy && accuracy->threshold)
    for (InputDeclaration &input : inputs)
      if (input.name == accuracy->labelInput)
        input.probabilities = true;
  if (accuracy && !accuracy->threshold)
    for (const rt::ArtifactPort &port : artifact.outputs)
      if (port.name == accuracy->outputName && !port.shape.empty())
        for (InputDeclaration &input : inputs)
          if (input.name == accuracy->labelInput) {
            input.classes = port.shape.back();
            input.ignoreIndex = accuracy->ignoreIndex.value_or(-100);
          }
  return inputs;
}

const InputDeclaration *findInput(const InputDeclarations &inputs,
                                  const std::string &name) {
  for (const InputDeclaration &input : inputs)
    if (input.name == name)
      return &input;
  return nullptr;
}

} // namespace nnc::train
