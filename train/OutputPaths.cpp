//===- OutputPaths.cpp - Where a training run will write, checked first ---===//

#include "train/OutputPaths.h"

#include "runtime/Checkpoint.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

namespace nnc::train {
namespace {

namespace fs = llvm::sys::fs;

/// Fails when the folders above `path` cannot be made: the nearest part of
/// it that exists must be a folder.
rt::Error checkParents(const std::string &path) {
  for (llvm::StringRef folder = llvm::sys::path::parent_path(path);
       !folder.empty(); folder = llvm::sys::path::parent_path(folder)) {
    if (!fs::exists(folder))
      continue;
    if (fs::is_directory(folder))
      return rt::Error::success();
    return rt::Error::failure("cannot write '" + path + "': '" + folder.str() +
                              "' is not a folder");
  }
  return rt::Error::success();
}

} // namespace

rt::Error checkFileTarget(const std::string &path) {
  if (fs::is_directory(path))
    return rt::Error::failure("cannot write '" + path + "': it is a folder");
  return checkParents(path);
}

rt::Error checkFolderTarget(const std::string &path) {
  if (fs::exists(path) && !fs::is_directory(path))
    return rt::Error::failure("cannot write into '" + path +
                              "': it is not a folder");
  return checkParents(path);
}

rt::Error checkNotAnInput(const std::string &output,
                          const std::vector<std::string> &files,
                          const std::vector<std::string> &namedFiles) {
  if (output.empty())
    return rt::Error::success();
  std::vector<std::string> inputs = files;
  for (const std::string &named : namedFiles)
    inputs.push_back(llvm::StringRef(named).split('=').second.str());
  for (const std::string &input : inputs) {
    bool same = false;
    if (!input.empty() && !fs::equivalent(output, input, same) && same)
      return rt::Error::failure("cannot write '" + output +
                                "': it is the input '" + input +
                                "', which the command reads");
  }
  return rt::Error::success();
}

rt::Error checkOutputFile(const std::string &output,
                          const std::vector<std::string> &files,
                          const std::vector<std::string> &namedFiles) {
  if (output.empty())
    return rt::Error::success();
  if (rt::Error error = checkFileTarget(output); !error.ok())
    return error;
  return checkNotAnInput(output, files, namedFiles);
}

rt::Error checkOutputPaths(const TrainOptions &options) {
  for (const std::string *folder : {&options.saveDir, &options.checkpointDir})
    if (!folder->empty())
      if (rt::Error error = checkFolderTarget(*folder); !error.ok())
        return error;
  // A checkpoint replaces only a checkpoint: refused now, not after the
  // first epoch.
  if (!options.checkpointDir.empty())
    if (rt::Error error = rt::checkCheckpointTarget(options.checkpointDir);
        !error.ok())
      return error;
  // The artifact resumed may be replaced by the one the run writes: it is
  // read whole before the first step.
  std::vector<std::string> data = options.data;
  data.insert(data.end(), options.evalData.begin(), options.evalData.end());
  for (const std::string *file :
       {&options.saveArtifact, &options.plotPath, &options.profile.tracePath,
        &options.reportPath})
    if (rt::Error error = checkOutputFile(*file, {options.modelPath}, data);
        !error.ok())
      return error;
  return rt::Error::success();
}

} // namespace nnc::train
