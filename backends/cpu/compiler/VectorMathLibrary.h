//===- VectorMathLibrary.h - Vector variants of math calls ------*- C++ -*-===//
//
// Tells LLVM's loop vectoriser which of glibc's libmvec functions compute a
// scalar math call on a vector, for the ISA of the target it compiles for
// (see backends/cpu/VectorMath.h). LLVM's own libmvec table lacks erf, tanh,
// log1p and the AVX-512 variants, which the kernels of gelu, tanh,
// softplus, softmax and the losses spend their time in.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_COMPILER_VECTORMATHLIBRARY_H
#define NNC_BACKENDS_CPU_COMPILER_VECTORMATHLIBRARY_H

namespace llvm {
class TargetLibraryInfoImpl;
class TargetMachine;
} // namespace llvm

namespace nnc::cpu {

/// Adds to `library` the libmvec variants that `machine`'s CPU can run.
/// Does nothing when libmvec cannot be loaded in this process.
void addVectorMathFunctions(llvm::TargetLibraryInfoImpl &library,
                            const llvm::TargetMachine &machine);

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_COMPILER_VECTORMATHLIBRARY_H
