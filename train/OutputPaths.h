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
#include <vector>

namespace nnc::train {

/// Fails when `path` cannot become a file: it is a folder, or the folder it
/// would go in cannot be made because a part of it is not a folder.
rt::Error checkFileTarget(const std::string &path);

/// Fails when `path` cannot become a folder: it is something else, or a
/// part of it is not a folder.
rt::Error checkFolderTarget(const std::string &path);

/// Fails when the file `output` would replace is one the command reads:
/// one of `files`, or the FILE of a NAME=FILE of `namedFiles` (the same
/// file by any path or link). Nothing to check for an empty `output`.
rt::Error checkNotAnInput(const std::string &output,
                          const std::vector<std::string> &files,
                          const std::vector<std::string> &namedFiles = {});

/// checkFileTarget and checkNotAnInput: `output` can become a file, and
/// is none of the command's inputs. Nothing to check for an empty one.
rt::Error checkOutputFile(const std::string &output,
                          const std::vector<std::string> &files,
                          const std::vector<std::string> &namedFiles = {});

/// A path a command writes, with the flag that names it ("--trace").
struct NamedOutput {
  std::string flag;
  std::string path;
};

/// Whether `a` and `b` name one file or folder: the same absolute spelling
/// without "." and ".." parts, or, for ones that exist, the same file
/// (links included).
bool samePlace(const std::string &a, const std::string &b);

/// Fails when two of `outputs` are one file or folder, by any path or
/// link: the later would replace the earlier. Empty paths are skipped.
rt::Error checkDistinctOutputs(const std::vector<NamedOutput> &outputs);

/// Fails when a file a run writes into `dir`, NAME.npy for each of
/// `names`, would replace an input (`files`, the FILE of each NAME=FILE of
/// `namedFiles`) or one of `others`, the command's other outputs, or when
/// one of `others` fails checkOutputFile. Nothing to check for an empty
/// `dir` (an output not asked for).
rt::Error checkOutputFolderFiles(const std::string &dir,
                                 const std::vector<std::string> &names,
                                 const std::vector<std::string> &files,
                                 const std::vector<std::string> &namedFiles,
                                 const std::vector<NamedOutput> &others);

/// Every path of `options` a run writes: --save, --checkpoint (folders),
/// --save-artifact, --plot, --trace and --report (files), none of them the
/// model or a data file, nor one another, nor is any NAME.npy of `saved`
/// (the parameters and buffers --save writes). Writes nothing.
rt::Error checkOutputPaths(const TrainOptions &options,
                           const std::vector<std::string> &saved);

} // namespace nnc::train

#endif // NNC_TRAIN_OUTPUTPATHS_H
