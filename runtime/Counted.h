//===- Counted.h - A count and its noun, in the right number ----*- C++ -*-===//
//
// Messages and reports say "1 input" and "2 inputs", never "1 inputs". Every
// noun nnc counts takes a plain -s plural.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_COUNTED_H
#define NNC_RUNTIME_COUNTED_H

#include <cstdint>
#include <string>
#include <string_view>

namespace nnc::rt {

/// "1 input", "0 inputs", "3 inputs".
inline std::string counted(int64_t count, std::string_view singular) {
  std::string text = std::to_string(count) + " ";
  text += singular;
  if (count != 1)
    text += 's';
  return text;
}

} // namespace nnc::rt

#endif // NNC_RUNTIME_COUNTED_H
