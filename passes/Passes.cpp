//===- Passes.cpp - Registration of nnc's passes --------------------------===//

#include "passes/Passes.h"

namespace {
#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"
} // namespace

void nnc::registerPasses() { registerNNCPasses(); }
