//===- LimitsAsErrors.cpp - Resource limits end in errors, not crashes ----===//

#include "tools/LimitsAsErrors.h"

#include <csignal>
#include <new>

namespace nnc::tools {

void reportLimitsAsErrors() {
  std::set_new_handler(nullptr);
  std::signal(SIGXFSZ, SIG_IGN);
}

} // namespace nnc::tools
