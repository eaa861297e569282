//===- CheckpointLockTest.cpp - One run per checkpoint folder -------------===//

#include "runtime/CheckpointLock.h"

#include "TempDir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

using namespace nnc::rt;

namespace {

TEST(CheckpointLockTest, ASecondHolderIsRefusedUntilTheFirstLetsGo) {
  TempDir tmp;
  std::string dir = tmp.path("runs/ck");
  Expected<CheckpointLock> first = CheckpointLock::acquire(dir);
  ASSERT_TRUE(first.ok()) << first.message();
  // The parent was made, the lock file lies beside the folder, and the
  // folder itself is left for the first checkpoint to make.
  EXPECT_EQ(first->path(), tmp.path("runs/.ck.nnc-lock"));
  EXPECT_TRUE(std::filesystem::exists(first->path()));
  EXPECT_FALSE(std::filesystem::exists(dir));

  // flock locks belong to an open file, so a second acquire in this
  // process conflicts as another process's would.
  Expected<CheckpointLock> second = CheckpointLock::acquire(dir + "/");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.message(),
            dir + "/: another run is writing its checkpoints there (process " +
                std::to_string(::getpid()) +
                "); give this run another checkpoint folder");

  // Another folder beside it is another lock.
  EXPECT_TRUE(CheckpointLock::acquire(tmp.path("runs/ck2")).ok());

  { CheckpointLock released = std::move(*first); }
  EXPECT_TRUE(CheckpointLock::acquire(dir).ok());
}

TEST(CheckpointLockTest, ALockFileWithoutAPidStillLocks) {
  TempDir tmp;
  std::string dir = tmp.path("ck");
  Expected<CheckpointLock> first = CheckpointLock::acquire(dir);
  ASSERT_TRUE(first.ok()) << first.message();
  std::ofstream(first->path(), std::ios::trunc) << "not a pid";
  Expected<CheckpointLock> second = CheckpointLock::acquire(dir);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.message(), dir + ": another run is writing its checkpoints "
                                    "there; give this run another "
                                    "checkpoint folder");
}

} // namespace
