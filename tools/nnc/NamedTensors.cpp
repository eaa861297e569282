//===- NamedTensors.cpp - NAME=FILE.npy arguments -------------------------===//

#include "tools/nnc/NamedTensors.h"

#include "runtime/Npy.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

namespace nnc::cli {

train::ExitCode readNamedTensors(const std::vector<std::string> &arguments,
                                 const char *flag,
                                 std::map<std::string, rt::Tensor> &tensors) {
  for (const std::string &argument : arguments) {
    auto [name, path] = llvm::StringRef(argument).split('=');
    if (name.empty() || path.empty()) {
      llvm::errs() << "error: " << flag << " expects NAME=FILE, got '"
                   << argument << "'\n";
      return train::UsageError;
    }
    rt::Expected<rt::Tensor> tensor = rt::readNpy(path.str());
    if (!tensor.ok())
      return train::reportError(tensor.takeError());
    tensors.insert_or_assign(name.str(), std::move(*tensor));
  }
  return train::Success;
}

} // namespace nnc::cli
