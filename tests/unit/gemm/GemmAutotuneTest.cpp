//===- GemmAutotuneTest.cpp - The measured GEMM choice and its record -----===//
//
// The in-place threshold that GemmAutotune.h measures: its range, the
// record it keeps in the cache folder (read back, refused when damaged),
// and that any threshold gives the same bits.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/gemm/GemmAutotune.h"
#include "backends/cpu/gemm/GemmJit.h"
#include "backends/cpu/gemm/MicroKernel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace nnc::cpu;

namespace {

std::string readFile(const std::filesystem::path &path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeFile(const std::filesystem::path &path, const std::string &text) {
  std::ofstream(path) << text;
}

/// A fresh folder under the system's temporary one, removed at the end.
struct TemporaryFolder {
  std::filesystem::path path;
  TemporaryFolder() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "nnc-tune-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~TemporaryFolder() { std::filesystem::remove_all(path); }
};

TEST(GemmAutotuneTest, NamesTheCpuModel) {
  std::string model = hostCpuModel();
#if defined(__x86_64__)
  EXPECT_NE(model.find(" family "), std::string::npos) << model;
  EXPECT_NE(model.find(" model "), std::string::npos) << model;
#else
  EXPECT_EQ(model, "unknown");
#endif
}

TEST(GemmAutotuneTest, MeasuresWithinItsRange) {
  int64_t tiles = measureInPlaceRowTiles(hostGemm());
  EXPECT_GE(tiles, 2);
  EXPECT_LE(tiles, 8);
}

/// The first call measures and records, later ones read the record; a
/// damaged or out-of-range record is measured again and replaced.
TEST(GemmAutotuneTest, KeepsOneRecordPerCpuModel) {
  TemporaryFolder temporary;
  std::filesystem::path folder = temporary.path / "nested" / "cpu";
  const GemmKernels &kernels = hostGemm();
  int64_t measured = inPlaceRowTilesRecordedIn(folder.string(), kernels);
  std::vector<std::filesystem::path> records;
  for (const auto &entry : std::filesystem::directory_iterator(folder))
    records.push_back(entry.path());
  ASSERT_EQ(records.size(), 1u) << "one record, no temporary left behind";
  const std::filesystem::path &record = records.front();
  EXPECT_EQ(readFile(record),
            "b_in_place_row_tiles " + std::to_string(measured) + "\n");
  EXPECT_NE(record.filename().string().find(std::to_string(kernels.kernels.mr) +
                                            "x" +
                                            std::to_string(kernels.kernels.nr)),
            std::string::npos)
      << record;

  // A record is believed: 3 is what comes back, whatever the CPU measures.
  writeFile(record, "b_in_place_row_tiles 3\n");
  EXPECT_EQ(inPlaceRowTilesRecordedIn(folder.string(), kernels), 3);

  for (const char *damaged :
       {"garbage", "b_in_place_row_tiles 99\n", "b_in_place_row_tiles 1\n",
        "other_choice 4\n", ""}) {
    SCOPED_TRACE(damaged);
    writeFile(record, damaged);
    int64_t tiles = inPlaceRowTilesRecordedIn(folder.string(), kernels);
    EXPECT_GE(tiles, 2);
    EXPECT_LE(tiles, 8);
    EXPECT_EQ(readFile(record),
              "b_in_place_row_tiles " + std::to_string(tiles) + "\n");
  }
}

/// Whatever the measurement says, a product gives the same bits: B read in
/// place and packed are summed in the same order.
TEST(GemmAutotuneTest, EveryThresholdGivesTheSameBits) {
  GemmKernels packing = hostGemm(), inPlace = hostGemm();
  packing.bInPlaceRowTiles = 0;
  inPlace.bInPlaceRowTiles = 8;
  const int64_t mr = packing.kernels.mr, n = 300, k = 270;
  std::vector<float> a(size_t(8 * mr * k)), b(size_t(k * n));
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = std::sin(float(i)) * 0.5f;
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = std::cos(float(i) * 0.7f);
  for (int64_t rows : {mr - 1, 3 * mr, 5 * mr + 7, 8 * mr}) {
    SCOPED_TRACE(rows);
    std::vector<float> c1(size_t(rows * n)), c2(size_t(rows * n));
    gemm(packing, false, false, rows, n, k, a.data(), k, b.data(), n, c1.data(),
         n, false, 0, rows);
    gemm(inPlace, false, false, rows, n, k, a.data(), k, b.data(), n, c2.data(),
         n, false, 0, rows);
    EXPECT_EQ(0, std::memcmp(c1.data(), c2.data(), c1.size() * sizeof(float)));
  }
}

} // namespace
