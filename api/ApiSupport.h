//===- ApiSupport.h - Between the public API and the runtime ----*- C++ -*-===//
//
// What the API's sources share and its users never see: the storage of a
// Tensor (a runtime tensor), and the conversions of dtypes and views.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_API_APISUPPORT_H
#define NNC_API_APISUPPORT_H

#include "api/nnc.h"

#include "runtime/Tensor.h"

#include <map>
#include <string>

namespace nnc {

struct Tensor::Storage {
  rt::Tensor tensor;
  /// The shape in the API's type, kept so shape() can return a reference.
  std::vector<int64_t> shape{0};
};

struct TensorAccess {
  static Tensor wrap(rt::Tensor tensor);
  /// Checks a caller's view before anything reads it: a dtype of the enum,
  /// no negative extent ("input 'x': negative extent -3 in shape [-3,
  /// 64]"), a size that fits in memory's addresses, and data unless it has
  /// no elements ("input 'x' has no data"). `what` names the view.
  static Status check(const std::string &what, const TensorView &view);
  /// The runtime's view of `view`, which check() accepted.
  static rt::ConstTensorView view(const TensorView &view);
};

/// Empties a call's `results` when it leaves without keep(): a caller that
/// reads the map rather than the Status finds no earlier call's results.
/// Emptied on the way out, never on entry: the inputs may be views of the
/// last results.
class ResultsKeptOnSuccess {
public:
  explicit ResultsKeptOnSuccess(std::map<std::string, Tensor> &results)
      : results(results) {}
  ~ResultsKeptOnSuccess() {
    if (!kept)
      results.clear();
  }
  ResultsKeptOnSuccess(const ResultsKeptOnSuccess &) = delete;
  ResultsKeptOnSuccess &operator=(const ResultsKeptOnSuccess &) = delete;
  /// The call succeeded: its results stay.
  void keep() { kept = true; }

private:
  std::map<std::string, Tensor> &results;
  bool kept = false;
};

/// A failure as nnc.h promises it: one line (each control character a
/// space) of at most kMaxMessageBytes, whatever name or path of the
/// caller's it quotes ("bad\nname", a 5 MB name).
Status failureLine(const std::string &message);

/// `error` as a Status: a rendered diagnostic of the compiler's (file,
/// line and column, its source line and caret) keeps its lines, cut to a
/// bound; any other error is failureLine's one line.
Status failureOf(const rt::Error &error);

DType toApi(rt::DType dtype);
/// The runtime's dtype for `dtype`, or "unknown dtype 77" for a value
/// outside the enum (an integer cast to DType), which would otherwise run
/// as some other dtype.
rt::Expected<rt::DType> toRuntime(DType dtype);

} // namespace nnc

#endif // NNC_API_APISUPPORT_H
