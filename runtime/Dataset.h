//===- Dataset.h - Named columns of samples and their loaders ---*- C++ -*-===//
//
// A Dataset is a set of named columns, each a Tensor whose leading extent
// is the number of samples; every column has the same sample count. A
// sample i is row i of every column (for a [n, 28, 28] image column, one
// 28x28 image). Shared columns are tensors without a sample dimension that
// every batch gets whole: a model input without the batch dimension (a
// mask, a table), given once for all samples.
//
// Loaders, all returning errors that start with the offending file:
//   - .npy: one file per column (loadNpyColumns);
//   - MNIST IDX: unsigned-byte image files [n, rows, cols] (magic 0x803)
//     and label files [n] (magic 0x801), big-endian sizes, read plain or
//     gzipped (detected by the gzip magic, not the file name);
//   - CSV of numbers: all fields become an f32 [n, k] feature column, or
//     one field is the label (an i32 [n] column) and the rest the features.
// Truncated, corrupt or oversized inputs are errors, never a crash.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_DATASET_H
#define NNC_RUNTIME_DATASET_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace nnc::rt {

/// Named columns with a common sample count. Move-only (it owns tensors).
class Dataset {
public:
  Dataset() = default;
  Dataset(Dataset &&) = default;
  Dataset &operator=(Dataset &&) = default;

  /// Adds `column` under `name`. Fails when `name` is empty or already
  /// used, when `column` is a scalar (it has no sample dimension), and when
  /// its leading extent differs from the other columns':
  ///   "column 'y' has 9 samples, but column 'x' has 10".
  Error addColumn(std::string name, Tensor column);

  /// Adds `tensor` under `name` as a shared column: not split into samples,
  /// every batch gets it whole. Fails when `name` is empty or already used.
  Error addSharedColumn(std::string name, Tensor tensor);

  /// Samples per column; 0 for a dataset without columns.
  int64_t numSamples() const;
  size_t numColumns() const { return columns.size(); }

  /// The column named `name`, or null when there is none; shared columns
  /// included.
  const Tensor *column(const std::string &name) const;
  /// The shared column named `name`, or null.
  const Tensor *sharedColumn(const std::string &name) const;
  size_t numSharedColumns() const { return sharedColumns.size(); }
  const Tensor &sharedColumn(size_t index) const {
    return sharedColumns[index];
  }
  const std::string &sharedColumnName(size_t index) const {
    return sharedNames[index];
  }
  /// The column at `index` (< numColumns(), asserted), in insertion order.
  const Tensor &column(size_t index) const;
  const std::string &columnName(size_t index) const;

private:
  bool hasName(const std::string &name) const;

  std::vector<std::string> names;
  std::vector<Tensor> columns;
  std::vector<std::string> sharedNames;
  std::vector<Tensor> sharedColumns;
};

/// A column to load: its name in the dataset and the file holding it.
struct ColumnFile {
  std::string name;
  std::string path;
};

/// Reads one .npy file per column. Errors name the file, including a sample
/// count that differs from the first column's.
Expected<Dataset> loadNpyColumns(const std::vector<ColumnFile> &files);

/// How IDX images are returned.
enum class IdxPixels {
  /// u8 values 0..255, as stored.
  U8,
  /// f32 values scaled to [0, 1] (value / 255).
  F32Scaled,
};

/// Reads an IDX image file (magic 0x00000803: unsigned bytes, 3
/// dimensions) as [n, rows, cols]; gzipped files are decompressed. Fails on
/// a wrong magic, a truncated file, trailing bytes and sizes that overflow.
Expected<Tensor> readIdxImages(const std::string &path,
                               IdxPixels pixels = IdxPixels::U8);

/// Reads an IDX label file (magic 0x00000801: unsigned bytes, 1 dimension)
/// as an i32 [n] tensor, the label type of the losses; gzip as above.
Expected<Tensor> readIdxLabels(const std::string &path);

/// Options of loadMnist.
struct MnistOptions {
  IdxPixels pixels = IdxPixels::F32Scaled;
  std::string imageColumn = "x";
  std::string labelColumn = "y";
};

/// Reads an MNIST-style pair of IDX files (e.g. train-images-idx3-ubyte.gz
/// and train-labels-idx1-ubyte.gz) into two columns; fails when their
/// sample counts differ.
Expected<Dataset> loadMnist(const std::string &imagesPath,
                            const std::string &labelsPath,
                            const MnistOptions &options = {});

/// Options of loadCsv.
struct CsvOptions {
  /// The first non-empty line names the fields and is not data.
  bool hasHeader = false;
  /// The 0-based field holding the label, or -1 for no label (every field
  /// is a feature).
  int64_t labelField = -1;
  /// The label is the last field, whatever the field count (overrides
  /// labelField).
  bool labelLast = false;
  /// When non-empty, the label is the field with this header name
  /// (requires hasHeader) and labelField is ignored.
  std::string labelFieldName;
  char delimiter = ',';
  /// Names of the resulting columns.
  std::string featureColumn = "x";
  std::string labelColumn = "y";
};

/// Reads a CSV file of numbers (gzipped or not) into a feature column f32
/// [n, k] and, when a label field is chosen, a label column i32 [n] (the
/// label must be an integer in i32 range; "3.0" is accepted). Fields may be
/// padded with spaces; empty lines and CR line ends are accepted. A row
/// with the wrong field count or a field that is not a number is an error
/// with the file and line: "data.csv:7: field 3 ('abc') is not a number".
Expected<Dataset> loadCsv(const std::string &path,
                          const CsvOptions &options = {});

/// Parses CSV text already in memory; `name` stands for the file in
/// messages. The parser behind loadCsv, exposed for tests and fuzzing.
Expected<Dataset> parseCsv(const std::string &text, const std::string &name,
                           const CsvOptions &options = {});

} // namespace nnc::rt

#endif // NNC_RUNTIME_DATASET_H
