//===- DataArguments.h - Datasets from --data arguments ---------*- C++ -*-===//
//
// `--data NAME=FILE` names a model input and the file that holds its
// samples. The format is recognised by content: `.npy`, an IDX file
// (MNIST, plain or gzipped), or else CSV, where `--data x,labels=FILE.csv`
// puts every field but the last in `x` and the last, an integer, in
// `labels`. Columns are adapted to the model: a float column becomes the
// input's float type, an integer column its integer type, and a sample
// whose element count matches the input's (an MNIST [n, 28, 28] for an
// input [N, 1, 28, 28]) is reshaped.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_DATAARGUMENTS_H
#define NNC_TRAIN_DATAARGUMENTS_H

#include "train/ExitCode.h"
#include "train/InputDeclarations.h"

#include "runtime/Dataset.h"

#include <map>
#include <string>
#include <vector>

namespace nnc::train {

/// Options for CSV files given with --data.
struct CsvArguments {
  bool header = false;
};

/// Loads `--data` arguments into one dataset whose columns are the model's
/// inputs, adapted to their types. A malformed argument (named after
/// `flag`) is a usage error, a file that does not fit a user error.
CodedError loadDataArguments(const std::vector<std::string> &arguments,
                             const char *flag, const InputDeclarations &inputs,
                             const CsvArguments &csv, rt::Dataset &dataset);

/// Adds `tensors` (samples by input name, in memory) to `dataset` as
/// loadDataArguments adds files: adapted to the inputs' types, copied, so
/// the caller's tensors stay as they are. Messages name the input as
/// "`kind` 'NAME'" ("data 'x'", "eval data 'x'") where a file's would name
/// the file.
rt::Error loadDataTensors(const std::string &kind,
                          const std::map<std::string, rt::Tensor> &tensors,
                          const InputDeclarations &inputs,
                          rt::Dataset &dataset);

/// Fails when the float `column` of input `name` holds NaN, or, when the
/// input is `batched`, an infinity (an input without the batch dimension,
/// a mask, may hold -inf): "x: sample 2 holds NaN; training and evaluation
/// data must be finite". Integer columns always pass. The check of every
/// dataset loaded here, and of the data the C++ API evaluates.
rt::Error checkFiniteData(rt::ConstTensorView column, const std::string &name,
                          bool batched);

/// Fails when an integer `column` of labels for `input`'s cross-entropy
/// holds one outside its classes that is not its ignore_index: "labels:
/// sample 3 holds 11, outside the classes [0, 10) of the model's
/// cross-entropy". Other inputs always pass. The check of every dataset
/// loaded here, and of the data the C++ API evaluates.
rt::Error checkLabels(rt::ConstTensorView column,
                      const InputDeclaration &input);

} // namespace nnc::train

#endif // NNC_TRAIN_DATAARGUMENTS_H
