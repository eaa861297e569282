//===- Passes.cpp - Registration of nnc's passes --------------------------===//

#include "passes/Passes.h"

// The generated registration calls the passes' create functions unqualified,
// so it must sit in their namespace.
namespace nnc {
namespace {
#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"
} // namespace
} // namespace nnc

void nnc::registerPasses() {
  // Once per process: the CLI and the Python module both call it.
  static const bool registered = [] {
    registerNNCPasses();
    return true;
  }();
  (void)registered;
}
