//===- CacheModelTest.cpp - GEMM blocking chosen from described CPUs ------===//
//
// Pins the tuning model of backends/cpu/gemm/CacheModel.h: the blocking it
// picks for CPUs given as cache descriptions, whatever CPU runs the test.

#include "backends/cpu/gemm/CacheModel.h"

#include <gtest/gtest.h>

using namespace nnc::cpu;

namespace {

constexpr int64_t KiB = 1024, MiB = 1024 * 1024;

CpuCaches described(int64_t l1d, int64_t l2, int64_t l3, int l3SharedBy) {
  CpuCaches caches;
  caches.l1dBytes = l1d;
  caches.l2Bytes = l2;
  caches.l3Bytes = l3;
  caches.l3SharedBy = l3SharedBy;
  caches.source = "test";
  return caches;
}

void expectBlocking(const GemmBlocking &got, int64_t mc, int64_t kc,
                    int64_t nc) {
  EXPECT_EQ(got.mc, mc);
  EXPECT_EQ(got.kc, kc);
  EXPECT_EQ(got.nc, nc);
}

// The AVX-512 tile is 12 x 32, the AVX2 one 6 x 16 (MicroKernelJit.cpp).
TEST(CacheModelTest, SapphireRapidsKeepsTheBlockingMeasuredThere) {
  // 48 KiB L1d, 2 MiB L2, 105 MiB L3 over 56 cores (112 threads).
  CpuCaches spr = described(48 * KiB, 2 * MiB, 105 * MiB, 112);
  expectBlocking(gemmBlockingFor(spr, 12, 32), 384, 256, 2048);
  // A third of the L1d: a 64 x 64 B is read in place, a 128 x 64 one not.
  EXPECT_EQ(gemmBlockingFor(spr, 12, 32).bInPlaceElements, 4096);
}

TEST(CacheModelTest, Zen5HalvesTheBlocksOfItsSmallerL2) {
  // 48 KiB L1d, 1 MiB L2, 32 MiB L3 per 8-core CCD.
  CpuCaches zen5 = described(48 * KiB, 1 * MiB, 32 * MiB, 16);
  expectBlocking(gemmBlockingFor(zen5, 12, 32), 192, 256, 1024);
}

TEST(CacheModelTest, HaswellsSmallL1ShortensKAndItsL2TheBlocks) {
  // 32 KiB L1d, 256 KiB L2: AVX2 only.
  CpuCaches haswell = described(32 * KiB, 256 * KiB, 30 * MiB, 24);
  // kc: 32 KiB / (4 * (12 + 32)) = 186 -> 128; mc: 48 KiB / 512 = 96;
  // nc: 256 KiB / 512 = 512.
  expectBlocking(gemmBlockingFor(haswell, 6, 16), 96, 128, 512);
  EXPECT_EQ(gemmBlockingFor(haswell, 6, 16).bInPlaceElements, 2730);
}

TEST(CacheModelTest, EveryTileSumsInTheSameOrder) {
  // kc splits each element's sum; it must not depend on the ISA's tile,
  // or v3 and v4 code would stop giving the same bits.
  for (int64_t l1 : {32 * KiB, 48 * KiB, 64 * KiB}) {
    CpuCaches caches = described(l1, 1 * MiB, 0, 1);
    int64_t kc = gemmBlockingFor(caches, 12, 32).kc;
    EXPECT_EQ(gemmBlockingFor(caches, 6, 16).kc, kc) << "L1d " << l1;
    EXPECT_EQ(gemmBlockingFor(caches, 6, 8).kc, kc) << "L1d " << l1;
    EXPECT_EQ(gemmBlockingFor(caches, 4, 8).kc, kc) << "L1d " << l1;
  }
}

TEST(CacheModelTest, KStaysWithinItsBoundsOnExtremeCaches) {
  CpuCaches tiny = described(4 * KiB, 64 * KiB, 0, 1);
  EXPECT_EQ(gemmBlockingFor(tiny, 12, 32).kc, 128);
  EXPECT_GE(gemmBlockingFor(tiny, 12, 32).mc, 12);
  EXPECT_GE(gemmBlockingFor(tiny, 12, 32).nc, 32);
  CpuCaches huge = described(1 * MiB, 64 * MiB, 0, 1);
  EXPECT_EQ(gemmBlockingFor(huge, 12, 32).kc, 512);
}

TEST(CacheModelTest, BlocksAreWholeTiles) {
  for (int64_t l2 : {512 * KiB, 1 * MiB, 1280 * KiB, 2 * MiB}) {
    GemmBlocking blocking =
        gemmBlockingFor(described(48 * KiB, l2, 0, 1), 6, 16);
    EXPECT_EQ(blocking.mc % 6, 0) << "L2 " << l2;
    EXPECT_EQ(blocking.nc % 16, 0) << "L2 " << l2;
    EXPECT_EQ(blocking.kc % 64, 0) << "L2 " << l2;
  }
}

TEST(CacheModelTest, UnknownSizesCountAsTheDefaults) {
  CpuCaches unknown;
  GemmBlocking got = gemmBlockingFor(unknown, 12, 32);
  GemmBlocking expected = gemmBlockingFor(defaultCaches(), 12, 32);
  expectBlocking(got, expected.mc, expected.kc, expected.nc);
}

TEST(CacheModelTest, TheHostReportsAnL1AndAnL2) {
  const CpuCaches &host = hostCaches();
  EXPECT_GT(host.l1dBytes, 0);
  EXPECT_GT(host.l2Bytes, 0);
  EXPECT_FALSE(host.source.empty());
  EXPECT_NE(describeCaches(host).find("L2"), std::string::npos);
}

} // namespace
