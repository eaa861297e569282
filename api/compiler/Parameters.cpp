//===- Parameters.cpp - A compiled model's parameters and their files -----===//
//
// The values live in the model's ParameterStore, which every graph reads in
// place. The files are the folder of NAME.npy that `nnc train --save`
// writes and `--params` reads. They are read here rather than by the
// store's initialize(), which falls back on initializers for missing files:
// a load takes every file or changes nothing.
//
//===----------------------------------------------------------------------===//

#include "api/compiler/CompiledModelImpl.h"

#include "runtime/Npy.h"

#include <cstring>

using namespace nnc;

namespace {

Status noParameter(const std::string &name) {
  return failureLine("the model has no parameter '" + name + "'");
}

/// Fails as `--params` does for a value that holds NaN, or an infinity
/// where a buffer (a mask's -inf) would not allow it.
rt::Error checkFinite(const frontend::Program &program, const std::string &name,
                      rt::ConstTensorView value) {
  bool buffer = false;
  for (const frontend::Argument &arg : program.arguments)
    if (arg.name == name)
      buffer = arg.role == frontend::Argument::Role::Buffer;
  return train::checkParameterFinite(value, name, /*infinityAllowed=*/buffer);
}

} // namespace

std::vector<std::string> CompiledModel::parameterNames() const {
  // The names do not change while train() holds the model: its callbacks
  // may read them without the turn.
  std::unique_lock<std::mutex> turn(impl->turn, std::defer_lock);
  if (impl->checkNotInTrain("parameterNames"))
    turn.lock();
  std::vector<std::string> names;
  for (const auto &[name, tensor] : impl->params.values())
    names.push_back(name);
  return names;
}

Status CompiledModel::parameter(const std::string &name, Tensor &value) const {
  if (Status reentered = impl->checkNotInTrain("parameter"); !reentered)
    return reentered;
  std::lock_guard<std::mutex> turn(impl->turn);
  const rt::Tensor *own = impl->params.find(name);
  if (!own)
    return noParameter(name);
  rt::Expected<rt::Tensor> copy = own->clone();
  if (!copy.ok())
    return failureLine(copy.message());
  value = TensorAccess::wrap(std::move(*copy));
  return Status();
}

Status CompiledModel::setParameter(const std::string &name,
                                   const TensorView &value) {
  if (Status reentered = impl->checkNotInTrain("setParameter"); !reentered)
    return reentered;
  std::lock_guard<std::mutex> turn(impl->turn);
  rt::Tensor *own = impl->params.find(name);
  if (!own)
    return noParameter(name);
  if (Status checked = TensorAccess::check("parameter '" + name + "'", value);
      !checked)
    return checked;
  rt::ConstTensorView view = TensorAccess::view(value);
  if (rt::Error error = rt::checkTensorType("parameter '" + name + "'", view,
                                            own->dtype(), own->shape());
      !error.ok())
    return failureLine(error.message());
  if (rt::Error error = checkFinite(impl->session->program(), name, view);
      !error.ok())
    return failureLine(error.message());
  // memmove: the caller may hand back a view of this very tensor.
  if (own->byteSize() != 0)
    std::memmove(own->rawData(), value.data, own->byteSize());
  return Status();
}

Status CompiledModel::saveParameters(const std::string &dir) const {
  if (Status reentered = impl->checkNotInTrain("saveParameters"); !reentered)
    return reentered;
  std::lock_guard<std::mutex> turn(impl->turn);
  if (rt::Error error = impl->params.save(dir); !error.ok())
    return failureLine(error.message());
  return Status();
}

Status CompiledModel::loadParameters(const std::string &dir) {
  if (Status reentered = impl->checkNotInTrain("loadParameters"); !reentered)
    return reentered;
  std::lock_guard<std::mutex> turn(impl->turn);
  // Every file is read and checked before any value changes.
  std::map<std::string, rt::Tensor> loaded;
  for (const auto &[name, own] : impl->params.values()) {
    std::string path = dir + "/" + name + ".npy";
    rt::Expected<rt::Tensor> read = rt::readNpy(path);
    if (!read.ok())
      return failureLine(read.message());
    if (rt::Error error = rt::checkTensorType(
            "parameter '" + name + "'", read->view(), own.dtype(), own.shape());
        !error.ok())
      return failureLine(path + ": " + error.message());
    if (rt::Error error = checkFinite(impl->session->program(), name, *read);
        !error.ok())
      return failureLine(path + ": " + error.message());
    loaded.emplace(name, std::move(*read));
  }
  // Copied into the tensors the graphs read, which stay where they are.
  for (auto &[name, own] : impl->params.values())
    if (own.byteSize() != 0)
      std::memcpy(own.rawData(), loaded.at(name).rawData(), own.byteSize());
  return Status();
}
