//===- Initializer.h - First values of parameters ---------------*- C++ -*-===//
//
// Fills parameters from the initializers declared in the DSL (zeros, ones,
// constant, uniform, normal, glorot/xavier, he/kaiming). The random ones
// draw from a counter-based generator (SplitMix64 of seed and element index)
// and a Box-Muller transform written here, not from <random>'s
// distributions, whose output differs between standard libraries: the same
// model and seed give the same weights on every machine and thread count.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_INITIALIZER_H
#define NNC_RUNTIME_INITIALIZER_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <cstdint>
#include <map>
#include <string>

namespace nnc::rt {

/// An initializer as the compiler records it (the `nn.init` dictionary).
struct InitializerSpec {
  std::string kind = "zeros";
  std::map<std::string, double> args; ///< value, low, high, mean, std
  uint64_t seed = 0;
};

/// The seed a parameter is drawn with when the user passes `--seed`:
/// the parameter's own seed mixed with the run's, so that one run seed
/// still gives every parameter a distinct stream.
uint64_t mixSeeds(uint64_t parameterSeed, uint64_t runSeed);

/// fan_in and fan_out as PyTorch computes them: for a [in, out] matrix, in
/// and out; for [f, c, kh, kw], c*kh*kw and f*kh*kw; for a vector, its
/// length for both.
void computeFans(const Shape &shape, double &fanIn, double &fanOut);

/// Fills a tensor per `spec`: a float tensor by any initializer, an i32 or
/// i64 one by zeros, ones or an integer constant. Errors name the kind for
/// an unknown initializer, bad arguments (low > high, std < 0) or a tensor
/// the initializer cannot fill.
Error initialize(TensorView tensor, const InitializerSpec &spec);

} // namespace nnc::rt

#endif // NNC_RUNTIME_INITIALIZER_H
