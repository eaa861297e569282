//===- OutputWriter.cpp - Writing result tensors for the user -------------===//

#include "train/OutputWriter.h"
#include "train/OutputPaths.h"

#include "runtime/FileIO.h"
#include "runtime/Npy.h"

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

std::vector<OutputTensor>
outputsOf(const std::vector<CompiledGraph::Result> &results) {
  std::vector<OutputTensor> outputs;
  for (const CompiledGraph::Result &result : results)
    outputs.push_back({result.name, &result.tensor});
  return outputs;
}

std::vector<OutputTensor> outputsOf(const ArtifactRun &run) {
  std::vector<OutputTensor> outputs;
  for (size_t i = 0; i < run.results.size(); ++i)
    outputs.push_back({run.graph->plan.outputs[i].name, &run.results[i]});
  return outputs;
}

rt::Expected<std::vector<std::string>>
writeOutputs(const std::string &dir, const std::vector<OutputTensor> &outputs,
             const std::vector<std::string> &files,
             const std::vector<std::string> &namedFiles) {
  if (rt::Error error = rt::makeFolders(dir); !error.ok())
    return error;
  std::vector<rt::NpyFile> npyFiles;
  std::vector<std::string> lines;
  for (const OutputTensor &output : outputs) {
    std::string path = dir + "/" + output.name + ".npy";
    if (rt::Error error = checkNotAnInput(path, files, namedFiles); !error.ok())
      return error;
    rt::ConstTensorView view = output.tensor->view();
    npyFiles.push_back({path, view});
    std::string line;
    llvm::raw_string_ostream os(line);
    os << output.name << ": " << rt::typeToString(view.dtype(), view.shape());
    if (view.numElements() == 1)
      os << " = " << scalarValue(*output.tensor);
    os << " -> " << path;
    lines.push_back(os.str());
  }
  if (rt::Error error = rt::writeNpyFiles(npyFiles); !error.ok())
    return error;
  return lines;
}

} // namespace nnc::train
