//===- OutputPaths.cpp - Where a training run will write, checked first ---===//

#include "train/OutputPaths.h"

#include "runtime/Checkpoint.h"
#include "runtime/FileIO.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <filesystem>

namespace nnc::train {
namespace {

namespace fs = llvm::sys::fs;

/// Fails when nothing can be made in the folder `folder` (a read-only
/// mount, no permission), where `path` is to be written.
rt::Error checkWritable(const std::string &path, llvm::StringRef folder) {
  if (std::error_code ec = fs::access(folder, fs::AccessMode::Write))
    return rt::Error::failure("cannot write '" + path + "': '" + folder.str() +
                              "' is not writable (" + ec.message() + ")");
  return rt::Error::success();
}

/// Fails when the folders above `path` cannot be made, or `path` be made
/// in them: the nearest part of it that exists must be a folder one may
/// write in. Found before a run rather than after it.
rt::Error checkParents(const std::string &path) {
  for (llvm::StringRef folder = llvm::sys::path::parent_path(path);
       !folder.empty(); folder = llvm::sys::path::parent_path(folder)) {
    if (!fs::exists(folder))
      continue;
    if (fs::is_directory(folder))
      return checkWritable(path, folder);
    return rt::Error::failure("cannot write '" + path + "': '" + folder.str() +
                              "' is not a folder");
  }
  return checkWritable(path, ".");
}

/// Where `path` leads: its longest existing part through its links (a
/// `..` after a link leads above the link's target, as the system takes
/// it), the rest as spelled without "." and "..". Two spellings of one
/// place compare equal, made or not, and so do a path and the paths below
/// it (`link/ck/params` lies in `real/ck`).
std::string canonicalSpelling(const std::string &path) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (ec)
    return path;
  std::filesystem::path resolved =
      std::filesystem::weakly_canonical(absolute, ec);
  std::string spelled = (ec ? absolute.lexically_normal() : resolved).string();
  while (spelled.size() > 1 && spelled.back() == '/')
    spelled.pop_back();
  return spelled;
}

/// Fails when one of `outputs` lies inside the --checkpoint folder
/// `checkpointDir`: each checkpoint replaces that folder whole, and
/// refuses to while it holds files of its own (rt::writeCheckpoint).
rt::Error
checkNothingInsideCheckpoint(const std::string &checkpointDir,
                             const std::vector<NamedOutput> &outputs) {
  if (checkpointDir.empty())
    return rt::Error::success();
  std::string folder =
      canonicalSpelling(rt::checkpointFolder(checkpointDir)) + "/";
  for (const NamedOutput &output : outputs) {
    if (output.flag == "--checkpoint" || output.path.empty())
      continue;
    // Where the write lands: through a link, even one to a file not made
    // yet, as the writes follow it.
    rt::Expected<std::string> target = rt::followSymlinks(output.path);
    if (llvm::StringRef(canonicalSpelling(target.ok() ? *target : output.path))
            .starts_with(folder))
      return rt::Error::failure(
          "cannot write " + output.flag + " to '" + output.path +
          "': it is inside the --checkpoint folder '" + checkpointDir +
          "', which each checkpoint replaces whole");
  }
  return rt::Error::success();
}

} // namespace

bool samePlace(const std::string &a, const std::string &b) {
  if (canonicalSpelling(a) == canonicalSpelling(b))
    return true;
  bool same = false;
  return !fs::equivalent(a, b, same) && same;
}

rt::Error checkDistinctOutputs(const std::vector<NamedOutput> &outputs) {
  for (size_t i = 0; i < outputs.size(); ++i)
    for (size_t j = i + 1; j < outputs.size(); ++j)
      if (!outputs[i].path.empty() && !outputs[j].path.empty() &&
          samePlace(outputs[i].path, outputs[j].path))
        return rt::Error::failure(
            "cannot write both " + outputs[i].flag + " and " + outputs[j].flag +
            " to '" + outputs[j].path + "': the one would replace the other");
  return rt::Error::success();
}

rt::Error checkOutputFolderFiles(const std::string &dir,
                                 const std::vector<std::string> &names,
                                 const std::vector<std::string> &files,
                                 const std::vector<std::string> &namedFiles,
                                 const std::vector<NamedOutput> &others) {
  if (dir.empty())
    return rt::Error::success();
  for (const NamedOutput &other : others)
    if (rt::Error error = checkOutputFile(other.path, files, namedFiles);
        !error.ok())
      return error;
  for (const std::string &name : names) {
    llvm::SmallString<256> file(dir);
    llvm::sys::path::append(file, name + ".npy");
    std::string path = file.str().str();
    if (rt::Error error = checkNotAnInput(path, files, namedFiles); !error.ok())
      return error;
    if (fs::is_directory(path))
      return rt::Error::failure("cannot write '" + path + "': it is a folder");
    for (const NamedOutput &other : others)
      if (!other.path.empty() && samePlace(path, other.path))
        return rt::Error::failure("cannot write output '" + name + "' to '" +
                                  path + "': it is where " + other.flag +
                                  " writes");
  }
  return rt::Error::success();
}

rt::Error checkFileTarget(const std::string &path) {
  if (fs::is_directory(path))
    return rt::Error::failure("cannot write '" + path + "': it is a folder");
  // A device or a pipe (/dev/stdout) is written straight through.
  if (fs::exists(path) && !fs::is_regular_file(path))
    return rt::Error::success();
  // Through a link the write lands beside the link's target.
  rt::Expected<std::string> target = rt::followSymlinks(path);
  if (!target.ok())
    return target.takeError();
  return checkParents(*target);
}

rt::Error checkFolderTarget(const std::string &path) {
  if (fs::exists(path) && !fs::is_directory(path))
    return rt::Error::failure("cannot write into '" + path +
                              "': it is not a folder");
  rt::Expected<std::string> target = rt::followSymlinks(path);
  if (!target.ok())
    return target.takeError();
  return fs::is_directory(*target) ? checkWritable(path, *target)
                                   : checkParents(*target);
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

rt::Error checkOutputPaths(const TrainOptions &options,
                           const std::vector<std::string> &saved) {
  for (const std::string *folder : {&options.saveDir, &options.checkpointDir})
    if (!folder->empty())
      if (rt::Error error = checkFolderTarget(*folder); !error.ok())
        return error;
  // A checkpoint replaces only a checkpoint, and is renamed into place
  // from beside it: refused now, not after the first epoch.
  if (!options.checkpointDir.empty()) {
    if (rt::Error error = rt::checkCheckpointTarget(options.checkpointDir);
        !error.ok())
      return error;
    if (rt::Error error =
            checkParents(rt::checkpointFolder(options.checkpointDir));
        !error.ok())
      return error;
  }
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
  std::vector<NamedOutput> files = {{"--save-artifact", options.saveArtifact},
                                    {"--plot", options.plotPath},
                                    {"--trace", options.profile.tracePath},
                                    {"--report", options.reportPath}};
  if (!options.saveDir.empty())
    if (rt::Error error = checkOutputFolderFiles(
            options.saveDir, saved, {options.modelPath}, data, files);
        !error.ok())
      return error;
  files.insert(files.begin(), {{"--save", options.saveDir},
                               {"--checkpoint", options.checkpointDir}});
  if (rt::Error error =
          checkNothingInsideCheckpoint(options.checkpointDir, files);
      !error.ok())
    return error;
  return checkDistinctOutputs(files);
}

} // namespace nnc::train
