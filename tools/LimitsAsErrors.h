//===- LimitsAsErrors.h - Resource limits as errors -------------*- C++ -*-===//
//
// llvm::InitLLVM turns two resource limits into crashes: its new-handler
// aborts with a stack dump on any failed allocation (nothrow ones
// included), and its handler of SIGXFSZ prints "PLEASE submit a bug
// report" and a stack dump, then dies, when a write passes the file-size
// limit (`ulimit -f`, as a filling quota does). Both are the user's
// limits, not bugs: a command reports them as errors, as it does any other.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TOOLS_LIMITSASERRORS_H
#define NNC_TOOLS_LIMITSASERRORS_H

namespace nnc::tools {

/// After InitLLVM: a failed allocation returns null or throws as the
/// language says (rt::Tensor::create's nothrow new then makes a model too
/// big for memory an error), and a write past the file-size limit fails
/// with EFBIG ("file too large"), which the writer reports, where SIGXFSZ
/// would end the process before a --save or a checkpoint could be written.
void reportLimitsAsErrors();

} // namespace nnc::tools

#endif // NNC_TOOLS_LIMITSASERRORS_H
