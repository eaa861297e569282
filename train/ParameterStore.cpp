//===- ParameterStore.cpp - A model's parameters and buffers --------------===//

#include "train/ParameterStore.h"

#include "train/OutputPaths.h"

#include "runtime/FileIO.h"
#include "runtime/Initializer.h"
#include "runtime/NonFinite.h"
#include "runtime/Npy.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

namespace nnc::train {

rt::DType toRuntimeDType(frontend::DType dtype) {
  switch (dtype) {
  case frontend::DType::F32:
    return rt::DType::F32;
  case frontend::DType::F64:
    return rt::DType::F64;
  case frontend::DType::I32:
    return rt::DType::I32;
  case frontend::DType::I64:
    return rt::DType::I64;
  }
  return rt::DType::F32;
}

namespace {

/// Fails unless `dir` is a folder (following links): a mistyped path would
/// otherwise read as a folder that lacks every file, and run on the
/// initializers' values with one note per parameter.
rt::Error checkParameterFolder(const std::string &dir) {
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(dir, status))
    return rt::Error::failure(
        "'" + dir +
        "' is not a folder of NAME.npy files: " + rt::errnoMessage(ec.value()));
  if (!llvm::sys::fs::is_directory(status))
    return rt::Error::failure("'" + dir +
                              "' is not a folder of NAME.npy files");
  return rt::Error::success();
}

} // namespace

rt::Error checkParameterFinite(rt::ConstTensorView value,
                               const std::string &name, bool infinityAllowed) {
  // Caught where a value comes in, a bad one names itself; caught in
  // training, it reads as a diverging loss and a learning rate to lower,
  // and in evaluation as a NaN loss.
  std::optional<rt::NonFiniteElement> bad =
      rt::firstNonFinite(value, infinityAllowed);
  if (!bad)
    return rt::Error::success();
  return rt::Error::failure(
      "parameter '" + name + "': element " + std::to_string(bad->index) +
      " holds " + (bad->isNaN ? "NaN" : "an infinity") +
      (infinityAllowed ? "; only a buffer may hold infinities, and not NaN"
                       : "; parameters must be finite"));
}

rt::Error ParameterStore::initialize(const frontend::Program &program,
                                     const std::string &dir, uint64_t runSeed) {
  notFound.clear();
  unused.clear();
  if (!dir.empty())
    if (rt::Error error = checkParameterFolder(dir); !error.ok())
      return error;
  if (!dir.empty()) {
    std::set<std::string> names;
    for (const frontend::Argument &arg : program.arguments)
      names.insert(arg.name + ".npy");
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(dir, ec), end; !ec && it != end;
         it.increment(ec)) {
      std::string file = llvm::sys::path::filename(it->path()).str();
      if (llvm::StringRef(file).ends_with(".npy") && !names.count(file))
        unused.push_back(file);
    }
    std::sort(unused.begin(), unused.end());
  }
  parameters.clear();
  for (const frontend::Argument &arg : program.arguments) {
    if (arg.role == frontend::Argument::Role::Input)
      continue;
    if (arg.role == frontend::Argument::Role::Param)
      parameters.insert(arg.name);
    rt::DType dtype = toRuntimeDType(arg.type.dtype);
    std::string path = dir + "/" + arg.name + ".npy";
    if (!dir.empty() && llvm::sys::fs::exists(path)) {
      rt::Expected<rt::Tensor> loaded = rt::readNpy(path);
      if (!loaded.ok())
        return loaded.takeError();
      rt::Error matches = rt::checkTensorType("parameter '" + arg.name + "'",
                                              loaded->view(), dtype,
                                              arg.type.shape);
      if (!matches.ok())
        return std::move(matches).withContext(path);
      if (rt::Error finite = checkParameterFinite(
              *loaded, arg.name, arg.role == frontend::Argument::Role::Buffer);
          !finite.ok())
        return std::move(finite).withContext(path);
      tensors.insert_or_assign(arg.name, std::move(*loaded));
      continue;
    }
    if (!dir.empty())
      notFound.push_back(arg.name);
    rt::Expected<rt::Tensor> tensor = rt::Tensor::create(dtype, arg.type.shape);
    if (!tensor.ok())
      return tensor.takeError().withContext("parameter '" + arg.name + "'");
    if (arg.init.values) {
      if (arg.init.values->size() != tensor->byteSize())
        return rt::Error::failure("parameter '" + arg.name +
                                  "': the imported values do not fill its "
                                  "shape");
      std::memcpy(tensor->rawData(), arg.init.values->data(),
                  arg.init.values->size());
      tensors.insert_or_assign(arg.name, std::move(*tensor));
      continue;
    }
    rt::InitializerSpec spec;
    spec.kind = arg.init.kind;
    spec.args = arg.init.args;
    spec.seed = rt::mixSeeds(static_cast<uint64_t>(arg.init.seed), runSeed);
    if (rt::Error error = rt::initialize(tensor->view(), spec); !error.ok())
      return std::move(error).withContext("parameter '" + arg.name + "'");
    tensors.insert_or_assign(arg.name, std::move(*tensor));
  }
  return rt::Error::success();
}

rt::Error ParameterStore::loadInPlace(const std::string &dir,
                                      std::vector<std::string> &missing) {
  if (rt::Error error = checkParameterFolder(dir); !error.ok())
    return error;
  std::map<std::string, rt::Tensor> loaded;
  for (const auto &[name, tensor] : tensors) {
    std::string path = dir + "/" + name + ".npy";
    if (!llvm::sys::fs::exists(path)) {
      missing.push_back(name);
      continue;
    }
    rt::Expected<rt::Tensor> value = rt::readNpy(path);
    if (!value.ok())
      return value.takeError();
    if (rt::Error replaceable = checkReplacement(name, value->view());
        !replaceable.ok())
      return std::move(replaceable).withContext(path);
    loaded.emplace(name, std::move(*value));
  }
  for (auto &[name, value] : loaded) {
    rt::Tensor &target = tensors.at(name);
    if (target.byteSize() != 0)
      std::memcpy(target.rawData(), value.rawData(), target.byteSize());
  }
  return rt::Error::success();
}

rt::Error
ParameterStore::save(const std::string &dir,
                     const std::vector<std::string> &files,
                     const std::vector<std::string> &namedFiles) const {
  if (rt::Error error = rt::makeFolders(dir); !error.ok())
    return error;
  // One write for the folder: never some parameters new and some old.
  std::vector<rt::NpyFile> npyFiles;
  for (const auto &[name, tensor] : tensors) {
    std::string path = dir + "/" + name + ".npy";
    if (rt::Error error = checkNotAnInput(path, files, namedFiles); !error.ok())
      return error;
    npyFiles.push_back({path, tensor.view()});
  }
  return rt::writeNpyFiles(npyFiles);
}

std::vector<std::string> ParameterStore::names() const {
  std::vector<std::string> result;
  for (const auto &[name, tensor] : tensors)
    result.push_back(name);
  return result;
}

rt::Error ParameterStore::checkReplacement(const std::string &name,
                                           rt::ConstTensorView value) const {
  const rt::Tensor &tensor = tensors.at(name);
  if (rt::Error matches = rt::checkTensorType("parameter '" + name + "'", value,
                                              tensor.dtype(), tensor.shape());
      !matches.ok())
    return matches;
  // A buffer's mask may hold infinities; a parameter may not. A store
  // filled without a program knows no roles: only NaN is refused there.
  return checkParameterFinite(value, name,
                              /*infinityAllowed=*/!parameters.count(name));
}

const rt::Tensor *ParameterStore::find(const std::string &name) const {
  auto it = tensors.find(name);
  return it == tensors.end() ? nullptr : &it->second;
}

rt::Tensor *ParameterStore::find(const std::string &name) {
  auto it = tensors.find(name);
  return it == tensors.end() ? nullptr : &it->second;
}

} // namespace nnc::train
