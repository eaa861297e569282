//===- Checkpoint.h - Atomic training checkpoints ---------------*- C++ -*-===//
//
// A checkpoint is a folder:
//   DIR/NAME.npy     one per tensor saved (parameters, buffers, optimizer
//                    state), readable by NumPy;
//   DIR/state.json   a flat JSON object (see FlatJson.h): the caller's
//                    entries (step, epoch, batch position, shuffle seed, ...)
//                    plus reserved "nnc.*" entries: the format version, the
//                    tensor names in order, and each file's size and CRC-32.
//
// Writing is atomic for the folder as a whole. Every file is written into
// a fresh DIR.nnc-tmp-XXXXXX and fsynced, then that folder is fsynced; only
// then is the old DIR renamed to DIR.nnc-old-XXXXXX, the new folder renamed to
// DIR, the parent fsynced, and the old folder removed. The crash-safety
// argument, step by step:
//   - before the first rename, DIR is untouched; a leftover DIR.nnc-tmp-* is
//     ignored by readers and removed by the next successful write;
//   - renames are atomic, and everything renamed was fsynced first, so
//     whichever name a crash leaves points to a complete folder;
//   - between the two renames DIR is missing, but DIR.nnc-old-* is the
//     complete previous checkpoint, and readCheckpoint falls back to it;
//   - after the second rename DIR is the complete new checkpoint; a
//     leftover DIR.nnc-old-* is removed by the next successful write.
// A torn or bit-flipped file (a disk fault, a copy cut short) is caught on
// loading by the sizes and checksums in state.json. One writer per DIR at a
// time: a second concurrent writer may delete the first one's temporary
// folder.
//
// For safety, an existing DIR is replaced only when it is a checkpoint (it
// holds a state.json written by us) or empty; anything else is an error,
// so a mistyped path never deletes a user's folder.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_CHECKPOINT_H
#define NNC_RUNTIME_CHECKPOINT_H

#include "runtime/FlatJson.h"
#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <string>
#include <utility>
#include <vector>

namespace nnc::rt {

/// A tensor to save under a name. The name becomes the file name NAME.npy:
/// it must be non-empty, use only letters, digits, '_', '-' and '.', and
/// not start with '.'.
using NamedTensorView = std::pair<std::string, ConstTensorView>;

/// What readCheckpoint returns.
struct Checkpoint {
  /// The tensors, in the order they were saved.
  std::vector<std::pair<std::string, Tensor>> tensors;
  /// The caller's entries of state.json (the reserved "nnc.*" ones are
  /// removed).
  JsonObject state;
  /// The folder actually read: DIR, or DIR.nnc-old-XXXXXX when a crash left
  /// only that one (see above).
  std::string path;

  /// The tensor saved as `name`, or null.
  const Tensor *tensor(const std::string &name) const;
};

/// Writes `tensors` and `state` to the checkpoint folder `dir` atomically,
/// replacing a previous checkpoint there. Fails on an invalid or duplicate
/// name, a state key starting with "nnc.", an existing `dir` that is not a
/// checkpoint, and any I/O error (the previous checkpoint then stays).
Error writeCheckpoint(const std::string &dir,
                      const std::vector<NamedTensorView> &tensors,
                      const JsonObject &state);

/// Fails where writeCheckpoint would refuse `dir`: it exists and is not a
/// folder, or it is a folder that is not empty and not a checkpoint. A
/// caller checks this before the work whose checkpoints go there.
Error checkCheckpointTarget(const std::string &dir);

/// Reads the checkpoint in `dir`, verifying state.json and every tensor
/// file it lists (present, right size, right CRC-32, valid .npy). Errors
/// name the file: "ckpt/w.npy: checksum mismatch (corrupt file)".
Expected<Checkpoint> readCheckpoint(const std::string &dir);

/// Whether `dir` holds a checkpoint's state file, read or not: a folder
/// writeCheckpoint wrote, or one damaged since.
bool holdsCheckpointState(const std::string &dir);

/// The folder a checkpoint named `path` is: `path` itself, or, through a
/// symbolic link, the folder it points at, which is replaced while the
/// link is kept. Followed even when the folder is gone, as a crash between
/// the renames of a write leaves it. writeCheckpoint, readCheckpoint,
/// checkCheckpointTarget and CheckpointLock all name the folder by it.
std::string checkpointFolder(const std::string &path);

} // namespace nnc::rt

#endif // NNC_RUNTIME_CHECKPOINT_H
