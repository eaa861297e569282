//===- ExternalData.h - Initializers stored beside the model ----*- C++ -*-===//
//
// ONNX lets an initializer keep its bytes in a file beside the model: a
// location relative to the model's folder, an offset and a length. Large
// models keep every weight in one shared file, so each file is opened once
// and each tensor reads only its own range of it. The bytes are raw, never
// compressed.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_ONNX_EXTERNALDATA_H
#define NNC_ONNX_EXTERNALDATA_H

#include "runtime/Status.h"

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

namespace nnc::onnx {

/// Moves the bytes of every initializer of `graph` stored outside the
/// model into the model, so the rest of the importer reads one kind of
/// tensor. Locations must be relative paths inside `modelFolder` (none is
/// allowed when it is empty: a model held in memory has no folder) naming
/// regular files, and each tensor's range must lie within its file.
/// Appends each file read to `files`, once, as "FOLDER/LOCATION". Every
/// error is one line starting with `displayName` and naming the
/// initializer.
rt::Error readExternalData(::onnx::GraphProto &graph,
                           const std::string &displayName,
                           const std::string &modelFolder,
                           std::vector<std::string> &files);

} // namespace nnc::onnx

#endif // NNC_ONNX_EXTERNALDATA_H
