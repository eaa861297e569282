//===- SplitMix64.cpp - The runtime's seeded random generator -------------===//

#include "runtime/SplitMix64.h"

#include <cassert>

namespace nnc::rt {

uint64_t SplitMix64::nextBelow(uint64_t bound) {
  assert(bound > 0 && "nextBelow needs a positive bound");
  // Values below `threshold` would make some results more likely than
  // others; 2^64 mod bound of them are rejected.
  uint64_t threshold = (0 - bound) % bound;
  while (true) {
    uint64_t value = next();
    if (value >= threshold)
      return value % bound;
  }
}

} // namespace nnc::rt
