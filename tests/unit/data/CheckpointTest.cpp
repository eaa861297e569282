//===- CheckpointTest.cpp - Atomic checkpoint folders ---------------------===//

#include "runtime/Checkpoint.h"
#include "runtime/BatchIterator.h"
#include "runtime/Npy.h"

#include "TempDir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

using namespace nnc::rt;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  Tensor weight = Tensor::fromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor bias = Tensor::fromVector<double>({3}, {0.5, -0.5, 0.25});
  Tensor moment = Tensor::fromVector<int64_t>({}, {42});

  std::vector<NamedTensorView> tensors() const {
    return {
        {"layer1.weight", weight}, {"layer1.bias", bias}, {"adam.t", moment}};
  }
};

JsonObject trainingState(int64_t step) {
  JsonObject state;
  state.setInteger("step", step);
  state.setNumber("lr", 0.001);
  state.setString("optimizer", "adam");
  saveIteratorState(state, {3, 128, 7});
  return state;
}

/// Names in `dir` (files or folders) starting with `prefix`.
std::vector<std::string> entriesStartingWith(const std::string &dir,
                                             const std::string &prefix) {
  std::vector<std::string> names;
  for (const auto &entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0)
      names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

} // namespace

TEST(CheckpointTest, RoundTrip) {
  TempDir tmp;
  Fixture f;
  std::string dir = tmp.path("ckpt");
  ASSERT_TRUE(writeCheckpoint(dir, f.tensors(), trainingState(10)).ok());
  EXPECT_TRUE(fs::exists(dir + "/layer1.weight.npy"));
  EXPECT_TRUE(fs::exists(dir + "/state.json"));
  // Each tensor is a plain .npy file.
  Expected<Tensor> direct = readNpy(dir + "/layer1.bias.npy");
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(direct->at<double>(2), 0.25);

  Expected<Checkpoint> loaded = readCheckpoint(dir + "/");
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  ASSERT_EQ(loaded->tensors.size(), 3u);
  EXPECT_EQ(loaded->tensors[0].first, "layer1.weight");
  EXPECT_EQ(loaded->tensors[2].first, "adam.t");
  const Tensor *weight = loaded->tensor("layer1.weight");
  ASSERT_NE(weight, nullptr);
  EXPECT_EQ(weight->shape(), (Shape{2, 3}));
  EXPECT_EQ(weight->at<float>(5), 6.0f);
  EXPECT_EQ(loaded->tensor("adam.t")->at<int64_t>(0), 42);
  EXPECT_EQ(loaded->tensor("nope"), nullptr);
  EXPECT_EQ(loaded->state, trainingState(10));
  Expected<BatchIteratorState> data = loadIteratorState(loaded->state);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*data, (BatchIteratorState{3, 128, 7}));

  // Overwriting replaces the checkpoint and leaves nothing behind.
  ASSERT_TRUE(writeCheckpoint(dir, {{"w", f.weight}}, trainingState(20)).ok());
  loaded = readCheckpoint(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  EXPECT_EQ(loaded->tensors.size(), 1u);
  EXPECT_EQ(*loaded->state.getInteger("step"), 20);
  EXPECT_FALSE(fs::exists(dir + "/layer1.weight.npy"));
  EXPECT_EQ(entriesStartingWith(tmp.str(), "ckpt"),
            std::vector<std::string>{"ckpt"});
}

TEST(CheckpointTest, RejectsBadNamesAndReservedKeys) {
  TempDir tmp;
  Fixture f;
  std::string dir = tmp.path("ckpt");
  for (const char *name : {"", "../x", "a/b", ".hidden", "a,b"})
    EXPECT_FALSE(writeCheckpoint(dir, {{name, f.weight}}, {}).ok()) << name;
  EXPECT_EQ(
      writeCheckpoint(dir, {{"w", f.weight}, {"w", f.bias}}, {}).message(),
      dir + ": duplicate tensor name 'w'");
  JsonObject reserved;
  reserved.setInteger("nnc.format", 2);
  EXPECT_EQ(writeCheckpoint(dir, {}, reserved).message(),
            dir + ": state key 'nnc.format' uses the reserved prefix 'nnc.'");
  EXPECT_FALSE(fs::exists(dir));
}

TEST(CheckpointTest, NeverReplacesAFolderThatIsNotACheckpoint) {
  TempDir tmp;
  Fixture f;
  std::string dir = tmp.path("home");
  fs::create_directory(dir);
  tmp.write("home/notes.txt", "precious");
  EXPECT_EQ(writeCheckpoint(dir, {{"w", f.weight}}, {}).message(),
            dir + ": exists and is not a checkpoint; refusing to replace it");
  EXPECT_EQ(readText(dir + "/notes.txt"), "precious");
  EXPECT_FALSE(
      writeCheckpoint(tmp.write("file", "x"), {{"w", f.weight}}, {}).ok());
  // An empty folder is fine.
  fs::create_directory(tmp.path("empty"));
  EXPECT_TRUE(writeCheckpoint(tmp.path("empty"), {{"w", f.weight}}, {}).ok());
}

TEST(CheckpointTest, NeverReplacesFilesItsCheckpointDoesNotList) {
  TempDir tmp;
  Fixture f;
  std::string dir = tmp.path("ck");
  ASSERT_TRUE(writeCheckpoint(dir, f.tensors(), trainingState(1)).ok());
  // A .npy the user put in a checkpoint's folder (its data, or parameters
  // saved there) is not the checkpoint's, whatever its extension.
  tmp.write("ck/data.npy", "precious");
  EXPECT_EQ(writeCheckpoint(dir, f.tensors(), trainingState(2)).message(),
            dir + ": holds data.npy, which is not part of its checkpoint; "
                  "refusing to replace the folder (move data.npy out of it, "
                  "or checkpoint elsewhere)");
  EXPECT_EQ(readText(dir + "/data.npy"), "precious");
  fs::remove(dir + "/data.npy");
  EXPECT_TRUE(writeCheckpoint(dir, f.tensors(), trainingState(2)).ok());
  // .npy files beside no state.json are parameters saved there, not a
  // checkpoint.
  std::string saved = tmp.path("saved");
  fs::create_directory(saved);
  tmp.write("saved/w.npy", "precious");
  EXPECT_EQ(writeCheckpoint(saved, f.tensors(), trainingState(1)).message(),
            saved + ": exists and is not a checkpoint; refusing to replace it");
  EXPECT_EQ(readText(saved + "/w.npy"), "precious");
}

TEST(CheckpointTest, ALinkToACheckpointFolderIsFollowedAndKept) {
  TempDir tmp;
  Fixture f;
  std::string target = tmp.path("runs-ck"), link = tmp.path("ck");
  ASSERT_TRUE(writeCheckpoint(target, f.tensors(), trainingState(1)).ok());
  fs::create_directory_symlink("runs-ck", link);
  ASSERT_TRUE(checkCheckpointTarget(link).ok());
  Error written = writeCheckpoint(link, f.tensors(), trainingState(2));
  ASSERT_TRUE(written.ok()) << written.message();
  EXPECT_TRUE(fs::is_symlink(link));
  Expected<Checkpoint> read = readCheckpoint(target);
  ASSERT_TRUE(read.ok()) << read.message();
  EXPECT_EQ(*read->state.getInteger("step"), 2);
  // A crash between the renames leaves the link dangling and the folder
  // under its old-checkpoint name: read through the link all the same.
  fs::rename(target, target + ".nnc-old-abc123");
  read = readCheckpoint(link);
  ASSERT_TRUE(read.ok()) << read.message();
  EXPECT_EQ(*read->state.getInteger("step"), 2);
  EXPECT_EQ(checkpointFolder(link), fs::weakly_canonical(target).string());
}

TEST(CheckpointTest, CorruptOrMissingFilesAreReported) {
  TempDir tmp;
  Fixture f;
  std::string dir = tmp.path("ckpt");
  auto fresh = [&] {
    ASSERT_TRUE(writeCheckpoint(dir, f.tensors(), trainingState(1)).ok());
  };

  fresh();
  std::string weight = dir + "/layer1.weight.npy";
  std::string bytes = readText(weight);
  bytes[bytes.size() - 1] ^= 0x01; // one bit of the last float
  tmp.write("ckpt/layer1.weight.npy", bytes);
  EXPECT_EQ(readCheckpoint(dir).message(),
            weight + ": checksum mismatch (corrupt file)");

  fresh();
  tmp.write("ckpt/layer1.weight.npy", bytes.substr(0, 100));
  EXPECT_EQ(readCheckpoint(dir).message(),
            weight + ": size differs from the " + std::to_string(bytes.size()) +
                " bytes recorded (truncated or corrupt file)");

  fresh();
  fs::remove(dir + "/layer1.bias.npy");
  EXPECT_EQ(readCheckpoint(dir).message(),
            dir + "/layer1.bias.npy: missing (listed in state.json)");

  fresh();
  std::string state = readText(dir + "/state.json");
  tmp.write("ckpt/state.json", state.substr(0, state.size() / 2));
  Expected<Checkpoint> cut = readCheckpoint(dir);
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.message().rfind(dir + "/state.json:", 0), 0u) << cut.message();

  fs::remove(dir + "/state.json");
  EXPECT_EQ(
      readCheckpoint(dir).message().rfind(dir + "/state.json: missing", 0), 0u);
  tmp.write("ckpt/state.json", "{\"step\": 1}\n");
  EXPECT_EQ(readCheckpoint(dir).message(),
            dir + "/state.json: not a checkpoint: missing key 'nnc.format'");
  EXPECT_EQ(readCheckpoint(tmp.path("absent")).message(),
            tmp.path("absent") + ": no checkpoint (no such folder)");
}

TEST(CheckpointTest, CrashLeftoversAreIgnoredAndCleanedUp) {
  TempDir tmp;
  Fixture f;
  std::string dir = tmp.path("ckpt");
  ASSERT_TRUE(writeCheckpoint(dir, f.tensors(), trainingState(1)).ok());

  // A crash while writing the next one: a half-written temporary folder.
  fs::create_directory(dir + ".nnc-tmp-abc123");
  tmp.write("ckpt.nnc-tmp-abc123/layer1.weight.npy", "garbage");
  Expected<Checkpoint> loaded = readCheckpoint(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  EXPECT_EQ(*loaded->state.getInteger("step"), 1);
  EXPECT_EQ(loaded->path, dir);

  // The next successful write removes the leftover.
  ASSERT_TRUE(writeCheckpoint(dir, f.tensors(), trainingState(2)).ok());
  EXPECT_EQ(entriesStartingWith(tmp.str(), "ckpt"),
            std::vector<std::string>{"ckpt"});
}

TEST(CheckpointTest, CrashBetweenTheRenamesFallsBackToTheOldCheckpoint) {
  TempDir tmp;
  Fixture f;
  std::string dir = tmp.path("ckpt");
  ASSERT_TRUE(writeCheckpoint(dir, f.tensors(), trainingState(5)).ok());
  // The state a crash leaves after "DIR -> DIR.nnc-old-*" and before
  // "DIR.nnc-tmp-* -> DIR": no DIR, the old checkpoint under
  // DIR.nnc-old-*.
  fs::rename(dir, dir + ".nnc-old-XyZ123");
  fs::create_directory(dir + ".nnc-tmp-QwE456");
  Expected<Checkpoint> loaded = readCheckpoint(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  EXPECT_EQ(*loaded->state.getInteger("step"), 5);
  EXPECT_EQ(loaded->path, dir + ".nnc-old-XyZ123");

  ASSERT_TRUE(writeCheckpoint(dir, f.tensors(), trainingState(6)).ok());
  EXPECT_EQ(entriesStartingWith(tmp.str(), "ckpt"),
            std::vector<std::string>{"ckpt"});
  EXPECT_EQ(*readCheckpoint(dir)->state.getInteger("step"), 6);
}

TEST(CheckpointTest, TheUsersOwnFilesBesideItAreNeverLeftovers) {
  TempDir tmp;
  Fixture f;
  std::string dir = tmp.path("ckpt");
  ASSERT_TRUE(writeCheckpoint(dir, f.tensors(), trainingState(1)).ok());
  // A copy kept by hand, notes, a folder of the user's: names like the
  // leftovers', but not made by writeCheckpoint, which it would have
  // deleted, and a crash's fallback would have resumed from the copy.
  fs::copy(dir, dir + ".old-best");
  fs::copy(dir, dir + ".old-backup");
  tmp.write("ckpt.old-notes.txt", "notes");
  fs::create_directory(dir + ".tmp-mine12");
  tmp.write("ckpt.tmp-mine12/plan.txt", "mine");
  ASSERT_TRUE(writeCheckpoint(dir, f.tensors(), trainingState(2)).ok());
  EXPECT_EQ(
      entriesStartingWith(tmp.str(), "ckpt"),
      (std::vector<std::string>{"ckpt", "ckpt.old-backup", "ckpt.old-best",
                                "ckpt.old-notes.txt", "ckpt.tmp-mine12"}));
  fs::remove_all(dir);
  EXPECT_FALSE(readCheckpoint(dir).ok());
}

TEST(CheckpointTest, FailedWriteKeepsTheOldCheckpoint) {
  TempDir tmp;
  Fixture f;
  std::string dir = tmp.path("ckpt");
  ASSERT_TRUE(writeCheckpoint(dir, f.tensors(), trainingState(1)).ok());
  // A name that cannot be written fails before anything is replaced.
  EXPECT_FALSE(
      writeCheckpoint(dir, {{"w", f.weight}, {"w", f.bias}}, trainingState(2))
          .ok());
  Expected<Checkpoint> loaded = readCheckpoint(dir);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(*loaded->state.getInteger("step"), 1);
  EXPECT_EQ(loaded->tensors.size(), 3u);
}
