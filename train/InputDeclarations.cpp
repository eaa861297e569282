//===- InputDeclarations.cpp - The inputs data is loaded for --------------===//

#include "train/InputDeclarations.h"

#include "train/ParameterStore.h"

namespace nnc::train {

InputDeclarations inputDeclarations(const frontend::Program &program) {
  InputDeclarations inputs;
  for (const frontend::Argument &arg : program.arguments)
    if (arg.role == frontend::Argument::Role::Input)
      inputs.push_back(
          {arg.name, toRuntimeDType(arg.type.dtype), arg.type.shape});
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
