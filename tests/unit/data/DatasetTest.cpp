//===- DatasetTest.cpp - Columns, .npy, IDX and CSV loaders ---------------===//
//
// IDX files are crafted byte by byte and gzipped with zlib here, so no
// download or Python is needed.
//
//===----------------------------------------------------------------------===//

#include "runtime/Dataset.h"
#include "runtime/Npy.h"

#include "TempDir.h"

#include <gtest/gtest.h>
#include <zlib.h>

using namespace nnc::rt;

namespace {

std::string be32(uint32_t value) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8)
    out += static_cast<char>((value >> shift) & 0xff);
  return out;
}

/// An IDX image file of `n` images of rows x cols, pixel i = i % 256.
std::string idxImages(uint32_t n, uint32_t rows, uint32_t cols) {
  std::string out = be32(0x803) + be32(n) + be32(rows) + be32(cols);
  for (uint32_t i = 0; i < n * rows * cols; ++i)
    out += static_cast<char>(i % 256);
  return out;
}

std::string idxLabels(const std::string &labels) {
  return be32(0x801) + be32(static_cast<uint32_t>(labels.size())) + labels;
}

/// Writes `bytes` gzipped to `path` with zlib's gzwrite.
void writeGzip(const std::string &path, const std::string &bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(file), Z_OK);
}

} // namespace

TEST(DatasetTest, ColumnsShareTheSampleCount) {
  Dataset dataset;
  EXPECT_EQ(dataset.numSamples(), 0);
  ASSERT_TRUE(
      dataset
          .addColumn("x", Tensor::fromVector<float>({3, 2}, {1, 2, 3, 4, 5, 6}))
          .ok());
  ASSERT_TRUE(
      dataset.addColumn("y", Tensor::fromVector<int32_t>({3}, {0, 1, 2})).ok());
  EXPECT_EQ(dataset.numSamples(), 3);
  EXPECT_EQ(dataset.numColumns(), 2u);
  ASSERT_NE(dataset.column("y"), nullptr);
  EXPECT_EQ(dataset.column("y")->at<int32_t>(2), 2);
  EXPECT_EQ(dataset.column("z"), nullptr);
  EXPECT_EQ(dataset.columnName(1), "y");

  Error mismatch =
      dataset.addColumn("w", Tensor::fromVector<float>({2}, {1, 2}));
  EXPECT_EQ(mismatch.message(),
            "column 'w' has 2 samples, but column 'x' has 3");
  EXPECT_EQ(dataset.addColumn("x", Tensor::fromVector<float>({3}, {1, 2, 3}))
                .message(),
            "duplicate dataset column 'x'");
  EXPECT_FALSE(
      dataset.addColumn("", Tensor::fromVector<float>({3}, {1, 2, 3})).ok());
  EXPECT_FALSE(dataset.addColumn("s", Tensor::fromVector<float>({}, {1})).ok());
}

TEST(DatasetTest, NpyColumns) {
  TempDir dir;
  ASSERT_TRUE(writeNpy(dir.path("x.npy"),
                       Tensor::fromVector<float>({2, 2}, {1, 2, 3, 4}))
                  .ok());
  ASSERT_TRUE(
      writeNpy(dir.path("y.npy"), Tensor::fromVector<int32_t>({2}, {5, 6}))
          .ok());
  ASSERT_TRUE(
      writeNpy(dir.path("bad.npy"), Tensor::fromVector<int32_t>({3}, {1, 2, 3}))
          .ok());
  Expected<Dataset> dataset =
      loadNpyColumns({{"x", dir.path("x.npy")}, {"y", dir.path("y.npy")}});
  ASSERT_TRUE(dataset.ok()) << dataset.message();
  EXPECT_EQ(dataset->numSamples(), 2);
  EXPECT_EQ(dataset->column("x")->at<float>(3), 4.0f);
  EXPECT_EQ(dataset->column("y")->at<int32_t>(1), 6);

  Expected<Dataset> mismatch =
      loadNpyColumns({{"x", dir.path("x.npy")}, {"y", dir.path("bad.npy")}});
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.message(), dir.path("bad.npy") +
                                    ": column 'y' has 3 samples, but column "
                                    "'x' has 2");
  Expected<Dataset> missing = loadNpyColumns({{"x", dir.path("none.npy")}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.message().rfind(dir.path("none.npy"), 0), 0u);
}

TEST(DatasetTest, IdxImagesAndLabels) {
  TempDir dir;
  std::string images = dir.write("images", idxImages(2, 2, 3));
  std::string labels = dir.write("labels", idxLabels({7, 3}));
  Expected<Tensor> bytes = readIdxImages(images);
  ASSERT_TRUE(bytes.ok()) << bytes.message();
  EXPECT_EQ(bytes->dtype(), DType::U8);
  EXPECT_EQ(bytes->shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(bytes->at<uint8_t>(11), 11);

  Expected<Tensor> scaled = readIdxImages(images, IdxPixels::F32Scaled);
  ASSERT_TRUE(scaled.ok()) << scaled.message();
  EXPECT_EQ(scaled->dtype(), DType::F32);
  EXPECT_FLOAT_EQ(scaled->at<float>(5), 5.0f / 255.0f);

  Expected<Tensor> y = readIdxLabels(labels);
  ASSERT_TRUE(y.ok()) << y.message();
  EXPECT_EQ(y->dtype(), DType::I32);
  EXPECT_EQ(y->shape(), (Shape{2}));
  EXPECT_EQ(y->at<int32_t>(0), 7);
  EXPECT_EQ(y->at<int32_t>(1), 3);

  Expected<Dataset> mnist = loadMnist(images, labels);
  ASSERT_TRUE(mnist.ok()) << mnist.message();
  EXPECT_EQ(mnist->numSamples(), 2);
  EXPECT_EQ(mnist->column("x")->dtype(), DType::F32);
  EXPECT_EQ(mnist->column("y")->dtype(), DType::I32);
}

TEST(DatasetTest, IdxGzipDetectedByMagicNotName) {
  TempDir dir;
  std::string raw = idxImages(3, 4, 5);
  // Gzipped without a .gz name, and a plain file named .gz.
  writeGzip(dir.path("images-idx3-ubyte"), raw);
  dir.write("plain.gz", raw);
  writeGzip(dir.path("labels.gz"), idxLabels({1, 2, 9}));
  for (const char *name : {"images-idx3-ubyte", "plain.gz"}) {
    Expected<Tensor> images = readIdxImages(dir.path(name));
    ASSERT_TRUE(images.ok()) << images.message();
    EXPECT_EQ(images->shape(), (Shape{3, 4, 5}));
    for (int64_t i = 0; i < 60; ++i)
      ASSERT_EQ(images->at<uint8_t>(i), i % 256);
  }
  Expected<Dataset> mnist =
      loadMnist(dir.path("images-idx3-ubyte"), dir.path("labels.gz"),
                {IdxPixels::U8, "image", "label"});
  ASSERT_TRUE(mnist.ok()) << mnist.message();
  EXPECT_EQ(mnist->column("label")->at<int32_t>(2), 9);
  EXPECT_EQ(mnist->column("image")->dtype(), DType::U8);
}

TEST(DatasetTest, IdxErrors) {
  TempDir dir;
  std::string labels = dir.write("labels", idxLabels({1, 2}));
  Expected<Tensor> wrongKind = readIdxImages(labels);
  ASSERT_FALSE(wrongKind.ok());
  EXPECT_EQ(wrongKind.message(),
            labels + ": bad magic 0x00000801 (expected 0x00000803, an IDX "
                     "image file)");

  std::string good = idxImages(2, 2, 2);
  std::string truncated =
      dir.write("truncated", good.substr(0, good.size() - 1));
  Expected<Tensor> cut = readIdxImages(truncated);
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.message().find("truncated file"), std::string::npos)
      << cut.message();

  // Only unsigned bytes are read; another element type is named.
  std::string floats = dir.write("floats", be32(0xd03) + good.substr(4));
  EXPECT_EQ(readIdxImages(floats).message(),
            floats + ": unsupported IDX dtype 0x0d (only 0x08, unsigned "
                     "bytes, is supported)");

  std::string header = dir.write("header", good.substr(0, 7));
  EXPECT_EQ(readIdxImages(header).message(),
            header + ": truncated file (dimension sizes)");
  EXPECT_EQ(readIdxImages(dir.write("empty", "")).message(),
            dir.path("empty") + ": truncated file (magic number)");

  std::string trailing = dir.write("trailing", good + "x");
  EXPECT_EQ(readIdxImages(trailing).message(),
            trailing + ": 1 trailing bytes after the data");

  // 2^32-1 cubed overflows int64_t: an error, not an allocation.
  std::string huge = dir.write("huge", be32(0x803) + be32(0xffffffff) +
                                           be32(0xffffffff) + be32(0xffffffff));
  EXPECT_FALSE(readIdxImages(huge).ok());
  // A 4 GB claim in a tiny gzip file is refused before allocating.
  writeGzip(dir.path("bomb"),
            be32(0x803) + be32(0x10000) + be32(0x100) + be32(0x100));
  Expected<Tensor> bomb = readIdxImages(dir.path("bomb"));
  ASSERT_FALSE(bomb.ok());
  EXPECT_NE(bomb.message().find("corrupt gzip data"), std::string::npos)
      << bomb.message();

  EXPECT_FALSE(readIdxImages(dir.path("absent")).ok());
  EXPECT_EQ(readIdxImages(dir.str()).message(), dir.str() + ": is a directory");

  // Labels for a different number of images.
  std::string images = dir.write("images", idxImages(3, 1, 1));
  Expected<Dataset> mnist = loadMnist(images, labels);
  ASSERT_FALSE(mnist.ok());
  EXPECT_EQ(mnist.message(),
            labels + ": 2 labels for 3 images in '" + images + "'");
}

TEST(DatasetTest, CorruptGzipIsAnError) {
  TempDir dir;
  std::string raw = idxImages(20, 8, 8);
  writeGzip(dir.path("good.gz"), raw);
  std::string gz = readText(dir.path("good.gz"));
  // Cut anywhere: inside the header, the data, or the CRC trailer.
  for (size_t keep :
       {size_t(2), size_t(10), gz.size() / 2, gz.size() - 4, gz.size() - 1}) {
    std::string path = dir.write("cut.gz", gz.substr(0, keep));
    Expected<Tensor> result = readIdxImages(path);
    EXPECT_FALSE(result.ok()) << "kept " << keep << " bytes";
  }
  // A flipped byte in the CRC-32 trailer.
  std::string badCrc = gz;
  badCrc[badCrc.size() - 6] ^= 0x55;
  Expected<Tensor> crc = readIdxImages(dir.write("crc.gz", badCrc));
  ASSERT_FALSE(crc.ok());
  EXPECT_NE(crc.message().find("corrupt gzip data"), std::string::npos)
      << crc.message();
  // Garbage in the deflate stream.
  std::string garbage =
      gz.substr(0, 10) + std::string(40, '\xff') + gz.substr(50);
  EXPECT_FALSE(readIdxImages(dir.write("garbage.gz", garbage)).ok());
}

TEST(DatasetTest, CsvWithoutHeaderOrLabel) {
  Expected<Dataset> csv = parseCsv("1,2.5,-3\n4, 5e1 ,+6\n", "d.csv");
  ASSERT_TRUE(csv.ok()) << csv.message();
  ASSERT_EQ(csv->numColumns(), 1u);
  const Tensor &x = *csv->column("x");
  EXPECT_EQ(x.shape(), (Shape{2, 3}));
  EXPECT_EQ(x.dtype(), DType::F32);
  EXPECT_FLOAT_EQ(x.at<float>(1), 2.5f);
  EXPECT_FLOAT_EQ(x.at<float>(2), -3.0f);
  EXPECT_FLOAT_EQ(x.at<float>(4), 50.0f);
  EXPECT_FLOAT_EQ(x.at<float>(5), 6.0f);
}

TEST(DatasetTest, CsvWithHeaderAndLabel) {
  CsvOptions options;
  options.hasHeader = true;
  options.labelFieldName = "label";
  std::string text = "\xEF\xBB\xBF"
                     "a,label,b\r\n"
                     "0.5,3,1\r\n"
                     "\r\n"
                     "1.5,7.0,2\r\n";
  Expected<Dataset> csv = parseCsv(text, "d.csv", options);
  ASSERT_TRUE(csv.ok()) << csv.message();
  EXPECT_EQ(csv->numSamples(), 2);
  EXPECT_EQ(csv->column("x")->shape(), (Shape{2, 2}));
  EXPECT_FLOAT_EQ(csv->column("x")->at<float>(2), 1.5f);
  EXPECT_FLOAT_EQ(csv->column("x")->at<float>(3), 2.0f);
  EXPECT_EQ(csv->column("y")->dtype(), DType::I32);
  EXPECT_EQ(csv->column("y")->at<int32_t>(0), 3);
  EXPECT_EQ(csv->column("y")->at<int32_t>(1), 7);

  CsvOptions byIndex;
  byIndex.labelField = 2;
  byIndex.delimiter = ';';
  byIndex.featureColumn = "features";
  byIndex.labelColumn = "labels";
  Expected<Dataset> semi = parseCsv("1;2;0\n3;4;1", "d.csv", byIndex);
  ASSERT_TRUE(semi.ok()) << semi.message();
  EXPECT_EQ(semi->column("labels")->at<int32_t>(1), 1);
  EXPECT_EQ(semi->column("features")->at<float>(3), 4.0f);
}

TEST(DatasetTest, CsvErrorsNameTheLine) {
  CsvOptions header;
  header.hasHeader = true;
  EXPECT_EQ(parseCsv("a,b\n1,2\n\n3\n", "d.csv", header).message(),
            "d.csv:4: expected 2 fields, found 1");
  EXPECT_EQ(parseCsv("1,2\n3,abc\n", "d.csv").message(),
            "d.csv:2: field 2 ('abc') is not a number");
  EXPECT_EQ(parseCsv("1,\n", "d.csv").message(),
            "d.csv:1: field 2 ('') is not a number");
  EXPECT_EQ(parseCsv("1,2x\n", "d.csv").message(),
            "d.csv:1: field 2 ('2x') is not a number");
  EXPECT_EQ(parseCsv("1,1e999\n", "d.csv").message(),
            "d.csv:1: field 2 ('1e999') is not a number");
  EXPECT_EQ(parseCsv("1,1e300\n", "d.csv").message(),
            "d.csv:1: field 2 ('1e300') is out of f32 range");
  // Bytes from the file are quoted escaped and cut short, and a NUL byte
  // marks binary data.
  EXPECT_EQ(
      parseCsv("1,\x1b[2J\\" + std::string(60, 'z') + "\n", "d.csv").message(),
      "d.csv:1: field 2 ('\\x1b[2J\\x5c" + std::string(29, 'z') +
          "...') is not a number");
  EXPECT_EQ(parseCsv(std::string("1,2\n3,\0\n", 8), "d.csv").message(),
            "d.csv:2: holds a NUL byte: binary data, not CSV");

  CsvOptions label;
  label.labelField = 0;
  EXPECT_EQ(parseCsv("1,2\n2.5,3\n", "d.csv", label).message(),
            "d.csv:2: label field 1 ('2.5') is not an i32 integer");
  EXPECT_EQ(parseCsv("3000000000,2\n", "d.csv", label).message(),
            "d.csv:1: label field 1 ('3000000000') is not an i32 integer");
  label.labelField = 5;
  EXPECT_EQ(parseCsv("1,2\n", "d.csv", label).message(),
            "d.csv:1: label field 6 is out of range (rows have 2 fields)");

  CsvOptions named;
  named.hasHeader = true;
  named.labelFieldName = "y";
  EXPECT_EQ(parseCsv("a,b\n1,2\n", "d.csv", named).message(),
            "d.csv:1: no field named 'y' in the header");
  named.hasHeader = false;
  EXPECT_EQ(parseCsv("1,2\n", "d.csv", named).message(),
            "d.csv: a label field chosen by name needs a header row");

  EXPECT_EQ(parseCsv("", "d.csv").message(), "d.csv: no data rows");
  EXPECT_EQ(parseCsv("a,b\n", "d.csv", header).message(),
            "d.csv: no data rows");
}

TEST(DatasetTest, CsvFilesPlainAndGzipped) {
  TempDir dir;
  std::string text = "f1,f2,label\n0.1,0.2,1\n0.3,0.4,0\n";
  CsvOptions options;
  options.hasHeader = true;
  options.labelField = 2;
  dir.write("plain.csv", text);
  writeGzip(dir.path("packed.csv.gz"), text);
  for (const char *name : {"plain.csv", "packed.csv.gz"}) {
    Expected<Dataset> csv = loadCsv(dir.path(name), options);
    ASSERT_TRUE(csv.ok()) << csv.message();
    EXPECT_EQ(csv->numSamples(), 2);
    EXPECT_EQ(csv->column("y")->at<int32_t>(0), 1);
  }
  dir.write("bad.csv", "f1,f2,label\n0.1,0.2\n");
  EXPECT_EQ(loadCsv(dir.path("bad.csv"), options).message(),
            dir.path("bad.csv") + ":2: expected 3 fields, found 2");
}

TEST(DatasetTest, RandomCorruptionNeverCrashes) {
  // Every single-byte change and every truncation of a small gzipped IDX
  // file either loads or fails cleanly (run under the sanitizers, this is
  // a cheap fuzzer).
  TempDir dir;
  writeGzip(dir.path("good.gz"), idxImages(4, 3, 3));
  std::string gz = readText(dir.path("good.gz"));
  std::string raw = idxImages(4, 3, 3);
  for (const std::string *image : {&gz, &raw}) {
    for (size_t i = 0; i < image->size(); ++i) {
      std::string bad = *image;
      bad[i] = static_cast<char>(bad[i] ^ (0x5A + i));
      Expected<Tensor> flipped = readIdxImages(dir.write("bad", bad));
      if (flipped.ok())
        EXPECT_EQ(flipped->rank(), 3);
      Expected<Tensor> cut =
          readIdxImages(dir.write("cut", image->substr(0, i)));
      EXPECT_FALSE(cut.ok()) << "cut at " << i;
    }
  }
  std::string csv = "a,b,label\n1,2,0\n3.5,-4,1\n";
  CsvOptions options;
  options.hasHeader = true;
  options.labelField = 2;
  for (size_t i = 0; i < csv.size(); ++i)
    for (char c : {'\0', ',', '\n', 'x', '"', '.', '-'}) {
      std::string bad = csv;
      bad[i] = c;
      Expected<Dataset> parsed = parseCsv(bad, "d.csv", options);
      if (parsed.ok())
        EXPECT_GT(parsed->numSamples(), 0);
    }
}
