//===- NamedTensors.h - NAME=FILE.npy arguments -----------------*- C++ -*-===//
//
// The flags that name tensors on the command line (--input, --param of the
// commands that run a model) take NAME=FILE.npy.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TOOLS_NAMEDTENSORS_H
#define NNC_TOOLS_NAMEDTENSORS_H

#include "train/ExitCode.h"

#include "runtime/Tensor.h"

#include <map>
#include <string>
#include <vector>

namespace nnc::cli {

/// Reads `NAME=FILE.npy` arguments of `flag` into `tensors`. A malformed
/// argument is a usage error; an unreadable file a user error.
train::ExitCode readNamedTensors(const std::vector<std::string> &arguments,
                                 const char *flag,
                                 std::map<std::string, rt::Tensor> &tensors);

} // namespace nnc::cli

#endif // NNC_TOOLS_NAMEDTENSORS_H
