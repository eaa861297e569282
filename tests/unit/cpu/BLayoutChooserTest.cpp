//===- BLayoutChooserTest.cpp - B in place or packed, per kernel ----------===//
//
// Which matmul blocks the choice concerns, and that a kernel keeps the way
// its timed calls found faster (in place by a margin), from any thread.
// That both ways give the same bits is
// GemmAutotuneTest.EveryThresholdGivesTheSameBits.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/BLayoutChooser.h"

#include "backends/cpu/CpuKernel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <vector>

using namespace nnc::cpu;

namespace {

/// A 12 x 32 tile reading B in place for up to 8 row tiles, as the autotune
/// records on both of the project's CPU models.
GemmKernels tunedKernels() {
  GemmKernels kernels;
  kernels.kernels.mr = 12;
  kernels.kernels.nr = 32;
  kernels.bInPlaceRowTiles = 8;
  kernels.bInPlaceElements = 4096;
  return kernels;
}

/// x [rows, 784] @ w [784, 512]: a first layer's product, B rows 2 KiB apart.
ContractionHead layerProduct(int64_t rows) {
  ContractionHead head;
  head.kind = ContractionHead::Kind::Matmul;
  head.rows = rows;
  head.rowElements = 512;
  head.m = rows;
  head.k = 784;
  head.n = 512;
  head.lda = 784;
  head.ldb = 512;
  return head;
}

/// Picks and reports until the chooser decides, the packed way taking
/// `packedNs` and the other `inPlaceNs`; returns the ways tried, in order.
std::vector<int> decide(BLayoutChooser &chooser, const GemmKernels &tuned,
                        int64_t inPlaceNs, int64_t packedNs) {
  std::vector<int> tried;
  for (int call = 0; call < 100 && chooser.chosen() < 0; ++call) {
    BLayoutChooser::Pick pick = chooser.pick(tuned);
    if (pick.trialOf < 0)
      continue;
    EXPECT_EQ(pick.kernels == &tuned, pick.trialOf == BLayoutChooser::InPlace);
    tried.push_back(pick.trialOf);
    chooser.report(pick.trialOf, pick.trialOf == BLayoutChooser::Packed
                                     ? packedNs
                                     : inPlaceNs);
  }
  return tried;
}

TEST(BLayoutChooserTest, ConcernsBlocksBetweenThreeTilesAndTheThreshold) {
  GemmKernels kernels = tunedKernels();
  ContractionHead head = layerProduct(128);
  EXPECT_FALSE(bLayoutMatters(head, kernels, 0, 24)) << "2 tiles: in place";
  EXPECT_TRUE(bLayoutMatters(head, kernels, 0, 25)) << "3 tiles";
  EXPECT_TRUE(bLayoutMatters(head, kernels, 0, 64)) << "6 tiles";
  EXPECT_TRUE(bLayoutMatters(head, kernels, 32, 128)) << "8 tiles";
  EXPECT_FALSE(bLayoutMatters(head, kernels, 0, 97)) << "9 tiles: packed";
}

TEST(BLayoutChooserTest, ConcernsARunOfAKernelThatSplitsInsideByRows) {
  GemmKernels kernels = tunedKernels();
  ContractionHead head = layerProduct(128);
  head.splitsInside = true;
  EXPECT_TRUE(bLayoutMatters(head, kernels, 64, 128)) << "a thread's run";
}

TEST(BLayoutChooserTest, LeavesOutWhatAlwaysPacksOrNeverDoes) {
  GemmKernels kernels = tunedKernels();
  ContractionHead transposed = layerProduct(64);
  transposed.transB = true;
  EXPECT_FALSE(bLayoutMatters(transposed, kernels, 0, 64));
  ContractionHead farRows = layerProduct(64);
  farRows.n = farRows.ldb = 1024;
  EXPECT_FALSE(bLayoutMatters(farRows, kernels, 0, 64)) << "rows 4 KiB apart";
  ContractionHead smallB = layerProduct(64);
  smallB.k = 32;
  smallB.n = smallB.ldb = 64;
  EXPECT_FALSE(bLayoutMatters(smallB, kernels, 0, 64)) << "B fits L1";
  ContractionHead batched = layerProduct(64);
  batched.lhsIndex = {0};
  batched.rhsIndex = {0};
  EXPECT_FALSE(bLayoutMatters(batched, kernels, 0, 64));
  ContractionHead conv = layerProduct(64);
  conv.kind = ContractionHead::Kind::Conv2d;
  EXPECT_FALSE(bLayoutMatters(conv, kernels, 0, 64));
}

TEST(BLayoutChooserTest, KeepsPackingWhenItWasFaster) {
  GemmKernels tuned = tunedKernels();
  BLayoutChooser chooser;
  std::vector<int> tried = decide(chooser, tuned, 500, 400);
  ASSERT_EQ(chooser.chosen(), BLayoutChooser::Packed);
  EXPECT_EQ(tried.size(), 2u * BLayoutChooser::kTrialsPerWay);
  EXPECT_EQ(std::count(tried.begin(), tried.end(), BLayoutChooser::Packed),
            BLayoutChooser::kTrialsPerWay);
  for (int call = 0; call < 4; ++call) {
    BLayoutChooser::Pick pick = chooser.pick(tuned);
    EXPECT_EQ(pick.trialOf, -1);
    EXPECT_NE(pick.kernels, &tuned);
    EXPECT_EQ(pick.kernels->bInPlaceRowTiles, 2);
    EXPECT_EQ(pick.kernels->kc, tuned.kc);
  }
}

TEST(BLayoutChooserTest, KeepsReadingInPlaceWhenItWasFaster) {
  GemmKernels tuned = tunedKernels();
  BLayoutChooser chooser;
  decide(chooser, tuned, 300, 400);
  ASSERT_EQ(chooser.chosen(), BLayoutChooser::InPlace);
  EXPECT_EQ(chooser.pick(tuned).kernels, &tuned);
}

TEST(BLayoutChooserTest, ReadsInPlaceOnlyWhenClearlyFaster) {
  GemmKernels tuned = tunedKernels();
  BLayoutChooser slightly;
  decide(slightly, tuned, 370, 400);
  EXPECT_EQ(slightly.chosen(), BLayoutChooser::Packed) << "in place 7% faster";
  BLayoutChooser clearly;
  decide(clearly, tuned, 355, 400);
  EXPECT_EQ(clearly.chosen(), BLayoutChooser::InPlace) << "11% faster";
}

TEST(BLayoutChooserTest, JudgesEachWayByItsFastestCall) {
  GemmKernels tuned = tunedKernels();
  BLayoutChooser chooser;
  // Packing is faster but for one call of it that met another process.
  bool slowOnce = true;
  for (int call = 0; call < 100 && chooser.chosen() < 0; ++call) {
    BLayoutChooser::Pick pick = chooser.pick(tuned);
    if (pick.trialOf < 0)
      continue;
    int64_t ns = pick.trialOf == BLayoutChooser::Packed ? 400 : 500;
    if (pick.trialOf == BLayoutChooser::Packed && slowOnce) {
      ns = 90000;
      slowOnce = false;
    }
    chooser.report(pick.trialOf, ns);
  }
  EXPECT_EQ(chooser.chosen(), BLayoutChooser::Packed);
}

TEST(BLayoutChooserTest, DecidesOnceWhenThreadsRaceThroughTheTrials) {
  GemmKernels tuned = tunedKernels();
  BLayoutChooser chooser;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int call = 0; call < 200; ++call) {
        BLayoutChooser::Pick pick = chooser.pick(tuned);
        if (pick.trialOf >= 0)
          chooser.report(pick.trialOf,
                         pick.trialOf == BLayoutChooser::Packed ? 100 : 200);
      }
    });
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(chooser.chosen(), BLayoutChooser::Packed);
}

} // namespace
