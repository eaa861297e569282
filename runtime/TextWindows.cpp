//===- TextWindows.cpp - Byte-level language-model data from text ---------===//

#include "runtime/TextWindows.h"

#include "runtime/FileIO.h"

namespace nnc::rt {

namespace {

template <typename T>
void fillWindows(const std::string &text, int64_t windows, int64_t context,
                 int64_t stride, Tensor &ids, Tensor &targets) {
  T *idsOut = ids.data<T>();
  T *targetsOut = targets.data<T>();
  for (int64_t w = 0; w < windows; ++w) {
    const auto *bytes =
        reinterpret_cast<const unsigned char *>(text.data()) + w * stride;
    for (int64_t t = 0; t < context; ++t) {
      idsOut[w * context + t] = static_cast<T>(bytes[t]);
      targetsOut[w * context + t] = static_cast<T>(bytes[t + 1]);
    }
  }
}

} // namespace

Expected<TextWindows> textWindows(const std::string &text,
                                  const std::string &name, int64_t context,
                                  int64_t stride, DType dtype) {
  if (context < 1 || stride < 1)
    return Error::failure(name + ": windows need a context and a stride of "
                                 "at least 1");
  if (dtype != DType::I32 && dtype != DType::I64)
    return Error::failure(name + ": byte ids need an i32 or i64 input, not " +
                          dtypeName(dtype));
  int64_t size = static_cast<int64_t>(text.size());
  if (size < context + 1)
    return Error::failure(
        name + ": " + std::to_string(size) + " bytes of text, fewer than one "
        "window of " + std::to_string(context + 1) + " (the context of " +
        std::to_string(context) + " and the byte after it)");
  int64_t windows = (size - context - 1) / stride + 1;
  Shape shape = {windows, context};
  Expected<Tensor> ids = Tensor::create(dtype, shape);
  if (!ids.ok())
    return ids.takeError();
  Expected<Tensor> targets = Tensor::create(dtype, shape);
  if (!targets.ok())
    return targets.takeError();
  if (dtype == DType::I32)
    fillWindows<int32_t>(text, windows, context, stride, *ids, *targets);
  else
    fillWindows<int64_t>(text, windows, context, stride, *ids, *targets);
  return TextWindows{std::move(*ids), std::move(*targets)};
}

Expected<TextWindows> loadTextWindows(const std::string &path, int64_t context,
                                      int64_t stride, DType dtype) {
  Expected<InputFile> file = InputFile::open(path);
  if (!file.ok())
    return file.takeError();
  Expected<std::string> text = file->readAll(kMaxTextBytes);
  if (!text.ok())
    return text.takeError();
  return textWindows(*text, path, context, stride, dtype);
}

} // namespace nnc::rt
