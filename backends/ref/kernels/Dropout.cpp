//===- Dropout.cpp - Reference dropout ------------------------------------===//

#include "backends/ref/kernels/Dropout.h"

#include "backends/ref/kernels/KernelSupport.h"

namespace nnc::ref {

using namespace detail;

namespace {

/// The splitmix64 finaliser: a bijection that mixes every input bit into
/// every output bit.
uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// Shared by dropout and dropout_grad: the gradient of x -> x * mask * scale
/// is the same map applied to dy.
Error applyMask(const char *op, ConstTensorView x, const DropoutAttrs &attrs,
                TensorView out) {
  if (Error e = checkDType(op, "output", out, x.dtype()); !e.ok())
    return e;
  if (Error e = checkShape(op, "output", out, x.shape()); !e.ok())
    return e;
  // Written so that NaN fails too.
  if (!(attrs.rate >= 0.0 && attrs.rate <= 1.0))
    return opError(op,
                   "rate " + formatNumber(attrs.rate) + " is outside [0, 1]");
  return dispatchFloat(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *in = x.data<T>();
    T *result = out.data<T>();
    int64_t count = x.numElements();
    if (!attrs.training || attrs.rate == 0.0) {
      for (int64_t i = 0; i < count; ++i)
        result[i] = in[i];
      return Error::success();
    }
    double scale = attrs.rate < 1.0 ? 1.0 / (1.0 - attrs.rate) : 0.0;
    for (int64_t i = 0; i < count; ++i) {
      bool keep = dropoutKeeps(attrs.seed, attrs.step, static_cast<uint64_t>(i),
                               attrs.rate);
      result[i] =
          keep ? static_cast<T>(static_cast<double>(in[i]) * scale) : T(0);
    }
    return Error::success();
  });
}

} // namespace

bool dropoutKeeps(uint64_t seed, uint64_t step, uint64_t index, double rate) {
  // Chaining the hash (rather than XOR-ing the inputs) keeps (seed, step,
  // index) triples from colliding in a structured way.
  uint64_t bits = splitmix64(splitmix64(splitmix64(seed) ^ step) ^ index);
  // The top 53 bits give a double uniform in [0, 1) exactly.
  double uniform = static_cast<double>(bits >> 11) * 0x1.0p-53;
  return uniform >= rate;
}

Error dropout(ConstTensorView x, const DropoutAttrs &attrs, TensorView out) {
  return applyMask("dropout", x, attrs, out);
}

Error dropoutGrad(ConstTensorView dy, const DropoutAttrs &attrs,
                  TensorView out) {
  return applyMask("dropout_grad", dy, attrs, out);
}

} // namespace nnc::ref
