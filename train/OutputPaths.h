//===- OutputPaths.h - Where a run writes, checked first --------*- C++ -*-===//
//
// A run writes its parameters, artifact, chart, trace and report at its
// end, after what may be hours of training. A path that cannot be written
// (a folder under a regular file, a file where a folder goes) is found
// here, before the first step, rather than there.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_OUTPUTPATHS_H
#define NNC_TRAIN_OUTPUTPATHS_H

#include "train/TrainOptions.h"

#include "runtime/Status.h"

#include <string>

namespace nnc::train {

/// Fails when `path` cannot become a file: it is a folder, or the folder it
/// would go in cannot be made because a part of it is not a folder.
rt::Error checkFileTarget(const std::string &path);

/// Fails when `path` cannot become a folder: it is something else, or a
/// part of it is not a folder.
rt::Error checkFolderTarget(const std::string &path);

/// Every path of `options` a run writes: --save, --checkpoint (folders),
/// --save-artifact, --plot, --trace and --report (files). Writes nothing.
rt::Error checkOutputPaths(const TrainOptions &options);

} // namespace nnc::train

#endif // NNC_TRAIN_OUTPUTPATHS_H
