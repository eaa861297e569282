//===- SessionTest.cpp - A session's threads and options ------------------===//
//
// A session's arena caps the threads of the oneTBB work run in it, the
// executor's flow graph made in it included, and its options reach the
// compile options plugins receive.
//
//===----------------------------------------------------------------------===//

#include "runtime/Session.h"
#include "runtime/FmaPeak.h"
#include "runtime/Function.h"

#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace nnc::rt;

namespace {

/// The most threads seen at once in a parallel_for run inside `session`,
/// whose iterations each wait long enough for every worker to join.
int mostThreadsAtOnce(Session &session) {
  std::atomic<int> running{0}, most{0};
  session.execute([&] {
    tbb::parallel_for(0, 64, [&](int) {
      int now = ++running;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      --running;
    });
  });
  return most.load();
}

TEST(SessionTest, ArenaCapsTheThreads) {
  Session one(SessionOptions{1, true});
  EXPECT_EQ(one.threads(), 1u);
  EXPECT_EQ(mostThreadsAtOnce(one), 1);
  if (tbb::info::default_concurrency() >= 2) {
    Session two(SessionOptions{2, true});
    EXPECT_EQ(two.threads(), 2u);
    EXPECT_LE(mostThreadsAtOnce(two), 2);
  }
}

TEST(SessionTest, ZeroThreadsMeansEveryCore) {
  Session all;
  EXPECT_EQ(all.threads(),
            static_cast<unsigned>(tbb::info::default_concurrency()));
}

TEST(SessionTest, OptionsReachTheCompileOptions) {
  Session cached(SessionOptions{1, true});
  Session uncached(SessionOptions{1, false});
  EXPECT_TRUE(cached.compileOptions().kernelCache);
  EXPECT_FALSE(uncached.compileOptions().kernelCache);
  CompileOptions targets = cached.compileOptions({"x86-64-v3", "host"});
  ASSERT_EQ(targets.targetCpus.size(), 2u);
  EXPECT_EQ(targets.targetCpus[0], "x86-64-v3");
}

TEST(FmaPeakTest, MeasuresAPlausiblePeak) {
  std::optional<FmaIsa> isa = widestFmaIsa();
  if (!isa)
    GTEST_SKIP() << "no AVX2 FMA on this CPU";
  EXPECT_TRUE(supportsFmaIsa(*isa));
  double gflops = measureFmaGflops(*isa, 1, 0.02, 1);
  // One core of any CPU with AVX2 FMAs does more than 5 GFLOP/s and less
  // than a vector of FMAs on four pipes at 6 GHz.
  EXPECT_GT(gflops, 5.0);
  EXPECT_LT(gflops, 4 * fmaLanes(*isa) * 2 * 6.0);
}

} // namespace
