//===- OutputWriter.cpp - Writing result tensors for the user -------------===//

#include "train/OutputWriter.h"

#include "runtime/Npy.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

namespace nnc::train {

double scalarValue(const rt::Tensor &tensor) {
  rt::ConstTensorView view = tensor.view();
  switch (view.dtype()) {
  case rt::DType::F32:
    return view.data<float>()[0];
  case rt::DType::F64:
    return view.data<double>()[0];
  case rt::DType::I32:
    return view.data<int32_t>()[0];
  case rt::DType::I64:
    return static_cast<double>(view.data<int64_t>()[0]);
  case rt::DType::U8:
    return view.data<uint8_t>()[0];
  }
  return 0;
}

rt::Expected<std::string> writeOutput(const std::string &dir,
                                      const std::string &name,
                                      const rt::Tensor &tensor) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return rt::Error::failure("cannot create '" + dir + "': " + ec.message());
  std::string path = dir + "/" + name + ".npy";
  if (rt::Error error = rt::writeNpy(path, tensor.view()); !error.ok())
    return error;
  rt::ConstTensorView view = tensor.view();
  std::string line;
  llvm::raw_string_ostream os(line);
  os << name << ": " << rt::typeToString(view.dtype(), view.shape());
  if (view.numElements() == 1)
    os << " = " << scalarValue(tensor);
  os << " -> " << path;
  return os.str();
}

} // namespace nnc::train
