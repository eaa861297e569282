//===- Program.cpp - A checked, fully elaborated DSL program --------------===//

#include "frontend/Program.h"

namespace nnc::frontend {

const char *toString(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "f32";
  case DType::F64:
    return "f64";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  }
  return "?";
}

} // namespace nnc::frontend
