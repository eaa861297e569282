//===- SplitMix64.h - The runtime's seeded random generator -----*- C++ -*-===//

#ifndef NNC_RUNTIME_SPLITMIX64_H
#define NNC_RUNTIME_SPLITMIX64_H

#include <cstdint>

namespace nnc::rt {

/// SplitMix64 (Steele, Lea and Flood 2014): a tiny 64-bit generator whose
/// output depends only on its seed, with good enough statistics for
/// shuffling and sampling, and the same on every platform and standard
/// library (std::mt19937's distributions are not).
class SplitMix64 {
public:
  explicit SplitMix64(uint64_t seed) : state(seed) {}

  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  /// A uniform integer in [0, bound) without modulo bias (rejection
  /// sampling); `bound` must be positive (asserted).
  uint64_t nextBelow(uint64_t bound);

  /// A double uniform in [0, 1) from the top 53 bits of the next value.
  double nextUnit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

private:
  uint64_t state;
};

} // namespace nnc::rt

#endif // NNC_RUNTIME_SPLITMIX64_H
