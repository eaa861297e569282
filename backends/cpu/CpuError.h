//===- CpuError.h - The cpu plugin's error object ---------------*- C++ -*-===//
//
// What the plugin's nnc_error handles point to. The runtime half creates
// them (a kernel's data check fails) as well as the plugin table, so the
// type lives here rather than in CpuPlugin.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_CPUERROR_H
#define NNC_BACKENDS_CPU_CPUERROR_H

#include "nnc/PluginABI.h"

#include <string>

struct nnc_error {
  std::string message;
};

namespace nnc::cpu {

/// An error for the host carrying `message`; null when out of memory,
/// which the host reports as a kernel failure without a message.
nnc_error *makeCpuError(const std::string &message);

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_CPUERROR_H
