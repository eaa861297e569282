//===- Initializer.cpp - First values of parameters -----------------------===//

#include "runtime/Initializer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

namespace nnc::rt {
namespace {

uint64_t splitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// A uniform double in the open interval (0, 1) for draw `index` of the
/// stream `seed`; open so that log() in Box-Muller never sees 0.
double uniform01(uint64_t seed, uint64_t index) {
  uint64_t bits = splitMix64(splitMix64(seed) ^ index) >> 11; // 53 bits
  return (static_cast<double>(bits) + 0.5) * 0x1.0p-53;
}

/// A standard normal for element `index`: each element owns two uniform
/// draws, so elements are independent of how the tensor is traversed.
double standardNormal(uint64_t seed, uint64_t index) {
  double u1 = uniform01(seed, 2 * index);
  double u2 = uniform01(seed, 2 * index + 1);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

double argOr(const InitializerSpec &spec, const char *name, double fallback) {
  auto it = spec.args.find(name);
  return it == spec.args.end() ? fallback : it->second;
}

template <typename T, typename Fn> void fill(TensorView tensor, Fn valueAt) {
  T *data = tensor.data<T>();
  int64_t count = tensor.numElements();
  for (int64_t i = 0; i < count; ++i)
    data[i] = static_cast<T>(valueAt(static_cast<uint64_t>(i)));
}

std::string numberText(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.15g", value);
  return text;
}

/// The constant initializers of an integer tensor (an index table, a
/// counter); the others draw or compute fractions, which it cannot hold.
Error fillIntegers(TensorView tensor, const InitializerSpec &spec) {
  std::string type = typeToString(tensor.dtype(), tensor.shape());
  double value = 0;
  if (spec.kind == "ones")
    value = 1;
  else if (spec.kind == "constant")
    value = argOr(spec, "value", 0.0);
  else if (spec.kind != "zeros")
    return Error::failure("initializer '" + spec.kind +
                          "' needs a float tensor, got " + type +
                          " (an integer tensor takes zeros, ones or constant)");
  bool wide = tensor.dtype() == DType::I64;
  double limit = wide ? 0x1p63 : 0x1p31;
  if (value != std::trunc(value) || !(value >= -limit && value < limit))
    return Error::failure("initializer 'constant': " + type +
                          " cannot hold the value " + numberText(value));
  if (wide)
    fill<int64_t>(tensor, [&](uint64_t) { return value; });
  else if (tensor.dtype() == DType::I32)
    fill<int32_t>(tensor, [&](uint64_t) { return value; });
  else
    return Error::failure("no initializer fills " + type);
  return Error::success();
}

} // namespace

uint64_t mixSeeds(uint64_t parameterSeed, uint64_t runSeed) {
  if (runSeed == 0)
    return parameterSeed;
  return splitMix64(parameterSeed ^ splitMix64(runSeed));
}

void computeFans(const Shape &shape, double &fanIn, double &fanOut) {
  if (shape.empty()) {
    fanIn = fanOut = 1;
    return;
  }
  if (shape.size() == 1) {
    fanIn = fanOut = static_cast<double>(shape[0]);
    return;
  }
  if (shape.size() == 2) {
    // Our matrices are [in, out] (x @ w), the transpose of PyTorch's Linear.
    fanIn = static_cast<double>(shape[0]);
    fanOut = static_cast<double>(shape[1]);
    return;
  }
  double receptive = 1;
  for (size_t i = 2; i < shape.size(); ++i)
    receptive *= static_cast<double>(shape[i]);
  fanIn = static_cast<double>(shape[1]) * receptive;
  fanOut = static_cast<double>(shape[0]) * receptive;
}

Error initialize(TensorView tensor, const InitializerSpec &spec) {
  if (!isFloat(tensor.dtype()))
    return fillIntegers(tensor, spec);
  double fanIn = 1, fanOut = 1;
  computeFans(tensor.shape(), fanIn, fanOut);
  uint64_t seed = spec.seed;
  const std::string &kind = spec.kind;

  std::function<double(uint64_t)> valueAt;
  if (kind == "zeros") {
    valueAt = [](uint64_t) { return 0.0; };
  } else if (kind == "ones") {
    valueAt = [](uint64_t) { return 1.0; };
  } else if (kind == "constant") {
    double value = argOr(spec, "value", 0.0);
    valueAt = [value](uint64_t) { return value; };
  } else if (kind == "uniform" || kind == "glorot" || kind == "xavier") {
    double low = argOr(spec, "low", -0.05), high = argOr(spec, "high", 0.05);
    if (kind != "uniform") {
      double limit = std::sqrt(6.0 / std::max(1.0, fanIn + fanOut));
      low = -limit;
      high = limit;
    }
    if (!(low <= high))
      return Error::failure("initializer 'uniform' needs low <= high");
    valueAt = [=](uint64_t i) {
      return low + (high - low) * uniform01(seed, i);
    };
  } else if (kind == "normal" || kind == "he" || kind == "kaiming") {
    double mean = argOr(spec, "mean", 0.0), std = argOr(spec, "std", 0.05);
    if (kind != "normal") {
      mean = 0;
      std = std::sqrt(2.0 / std::max(1.0, fanIn));
    }
    if (!(std >= 0))
      return Error::failure("initializer 'normal' needs std >= 0");
    valueAt = [=](uint64_t i) { return mean + std * standardNormal(seed, i); };
  } else if (kind == "tril" || kind == "causal_mask") {
    if (tensor.rank() < 2)
      return Error::failure("initializer '" + kind +
                            "' needs a tensor of rank 2 or more, got " +
                            typeToString(tensor.dtype(), tensor.shape()));
    uint64_t columns = static_cast<uint64_t>(tensor.dim(tensor.rank() - 1));
    uint64_t rows = static_cast<uint64_t>(tensor.dim(tensor.rank() - 2));
    double below = kind == "tril" ? 1.0 : 0.0;
    double above = kind == "tril" ? 0.0 : -INFINITY;
    valueAt = [=](uint64_t i) {
      uint64_t column = i % columns, row = (i / columns) % rows;
      return column <= row ? below : above;
    };
  } else {
    return Error::failure("unknown initializer '" + kind + "'");
  }

  if (tensor.dtype() == DType::F32)
    fill<float>(tensor, valueAt);
  else
    fill<double>(tensor, valueAt);
  return Error::success();
}

} // namespace nnc::rt
