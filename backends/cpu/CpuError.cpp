//===- CpuError.cpp - The cpu plugin's error object -----------------------===//

#include "backends/cpu/CpuError.h"

#include <new>

nnc_error *nnc::cpu::makeCpuError(const std::string &message) {
  nnc_error *error = new (std::nothrow) nnc_error;
  if (error)
    error->message = message;
  return error;
}
