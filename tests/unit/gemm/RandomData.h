//===- RandomData.h - Seeded test operands for the GEMM tests ---*- C++ -*-===//

#ifndef NNC_TESTS_UNIT_GEMM_RANDOMDATA_H
#define NNC_TESTS_UNIT_GEMM_RANDOMDATA_H

#include <cstdint>
#include <random>
#include <vector>

namespace nnc::cpu::test_data {

/// `size` floats uniform in [-1, 1), the same for the same seed.
inline std::vector<float> randomFloats(int64_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> values(static_cast<size_t>(size));
  for (float &x : values)
    x = dist(rng);
  return values;
}

} // namespace nnc::cpu::test_data

#endif // NNC_TESTS_UNIT_GEMM_RANDOMDATA_H
