//===- NpyTest.cpp - .npy reading and writing -----------------------------===//
//
// Malformed inputs are crafted byte by byte here, so each error path is
// exercised without NumPy.
//
//===----------------------------------------------------------------------===//

#include "runtime/Npy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace nnc::rt;

namespace {

/// A .npy image with `dict` as its header, padded the way NumPy pads it,
/// followed by `data`.
std::string npyImage(const std::string &dict, const std::string &data,
                     unsigned char major = 1) {
  size_t lengthBytes = major == 1 ? 2 : 4;
  size_t preamble = 6 + 2 + lengthBytes;
  std::string header = dict;
  while ((preamble + header.size() + 1) % 64 != 0)
    header += ' ';
  header += '\n';
  std::string image("\x93NUMPY", 6);
  image += static_cast<char>(major);
  image += '\0';
  for (size_t i = 0; i < lengthBytes; ++i)
    image += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return image + header + data;
}

std::string floatBytes(std::initializer_list<float> values) {
  std::string bytes;
  for (float value : values)
    bytes.append(reinterpret_cast<const char *>(&value), sizeof(value));
  return bytes;
}

/// Parses `image` and returns the error message ("" on success).
std::string parseError(const std::string &image) {
  Expected<Tensor> tensor = parseNpy(image.data(), image.size(), "t.npy");
  return tensor ? std::string() : tensor.message();
}

std::string tempPath(const std::string &name) {
  return ::testing::TempDir() + "nnc_npy_" + std::to_string(::getpid()) + "_" +
         name;
}

template <typename T> void roundTrip(DType dtype, NpyVersion version) {
  Tensor original =
      Tensor::fromVector<T>({2, 3}, {T(1), T(2), T(3), T(4), T(5), T(100)});
  std::string path = tempPath(std::string(dtypeName(dtype)) + ".npy");
  ASSERT_TRUE(writeNpy(path, original, version).ok());
  Expected<Tensor> loaded = readNpy(path);
  ASSERT_TRUE(loaded) << loaded.message();
  EXPECT_EQ(loaded->dtype(), dtype);
  EXPECT_EQ(loaded->shape(), (Shape{2, 3}));
  for (int64_t i = 0; i < 6; ++i)
    EXPECT_EQ(loaded->at<T>(i), original.at<T>(i));
  std::remove(path.c_str());
}

TEST(NpyTest, RoundTripEachDtypeVersion1) {
  roundTrip<float>(DType::F32, NpyVersion::V1);
  roundTrip<double>(DType::F64, NpyVersion::V1);
  roundTrip<int32_t>(DType::I32, NpyVersion::V1);
  roundTrip<int64_t>(DType::I64, NpyVersion::V1);
  roundTrip<uint8_t>(DType::U8, NpyVersion::V1);
}

TEST(NpyTest, RoundTripEachDtypeVersion2) {
  roundTrip<float>(DType::F32, NpyVersion::V2);
  roundTrip<double>(DType::F64, NpyVersion::V2);
  roundTrip<int32_t>(DType::I32, NpyVersion::V2);
  roundTrip<int64_t>(DType::I64, NpyVersion::V2);
  roundTrip<uint8_t>(DType::U8, NpyVersion::V2);
}

TEST(NpyTest, EncodesLikeNumpy) {
  Tensor tensor = Tensor::fromVector<float>({2}, {1.5f, -2.0f});
  Expected<std::string> image = encodeNpy(tensor);
  ASSERT_TRUE(image);
  EXPECT_EQ(
      *image,
      npyImage("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
               floatBytes({1.5f, -2.0f})));
  Expected<std::string> v2 = encodeNpy(tensor, NpyVersion::V2);
  ASSERT_TRUE(v2);
  EXPECT_EQ((*v2)[6], 2);
  EXPECT_EQ((v2->size() - 8) % 64, 0u);
}

TEST(NpyTest, ScalarAndEmptyShapes) {
  for (const Shape &shape : {Shape{}, Shape{0}, Shape{3, 0, 2}}) {
    Expected<Tensor> tensor = Tensor::create(DType::F64, shape);
    ASSERT_TRUE(tensor);
    Expected<std::string> image = encodeNpy(*tensor);
    ASSERT_TRUE(image);
    Expected<Tensor> back = parseNpy(image->data(), image->size(), "s.npy");
    ASSERT_TRUE(back) << back.message();
    EXPECT_EQ(back->shape(), shape);
  }
}

TEST(NpyTest, EncodingRefusesViewsNoReaderCouldRead) {
  // A view is not checked when made: these once gave a header no reader
  // accepts, or an image of whatever memory lay at the null address.
  float values[4] = {1, 2, 3, 4};
  Expected<std::string> image = encodeNpy(ConstTensorView(
      reinterpret_cast<const std::byte *>(values), DType::F32, {-1, -1}));
  ASSERT_FALSE(image);
  EXPECT_EQ(image.message(), "negative extent -1 in shape [-1, -1]");
  image = encodeNpy(ConstTensorView(nullptr, DType::F32, {4}));
  ASSERT_FALSE(image);
  EXPECT_EQ(image.message(), "the tensor has no data");
  EXPECT_TRUE(encodeNpy(ConstTensorView(nullptr, DType::F32, {0, 4})));
}

TEST(NpyTest, ReadsVersion3AndHeaderVariants) {
  std::string data = floatBytes({1, 2, 3});
  for (const char *dict :
       {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
        "{\"descr\": \"<f4\", \"shape\": (3L,), \"fortran_order\": False}",
        "{'shape':(3),'fortran_order':False,'descr':'<f4'}"}) {
    for (unsigned char major : {1, 2, 3}) {
      std::string image = npyImage(dict, data, major);
      Expected<Tensor> tensor = parseNpy(image.data(), image.size(), "v.npy");
      ASSERT_TRUE(tensor) << dict << ": " << tensor.message();
      EXPECT_EQ(tensor->shape(), (Shape{3}));
      EXPECT_EQ(tensor->at<float>(2), 3.0f);
    }
  }
}

TEST(NpyTest, ReadsBoolAsU8) {
  std::string image =
      npyImage("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }",
               std::string("\x01\x00", 2));
  Expected<Tensor> tensor = parseNpy(image.data(), image.size(), "b.npy");
  ASSERT_TRUE(tensor) << tensor.message();
  EXPECT_EQ(tensor->dtype(), DType::U8);
  EXPECT_EQ(tensor->at<uint8_t>(0), 1);
}

TEST(NpyTest, MalformedInputsGiveErrors) {
  const std::string good =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  const std::string data = floatBytes({1, 2});
  struct Case {
    std::string image;
    std::string message;
  };
  std::string wrongVersion = npyImage(good, data);
  wrongVersion[6] = 4;
  std::string wrongMinor = npyImage(good, data);
  wrongMinor[7] = 1;
  std::string longHeader = npyImage(good, data);
  longHeader[8] = '\xff';
  longHeader[9] = '\x7f';
  auto withShape = [&](const std::string &shape) {
    return npyImage(
        "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }",
        data);
  };
  std::vector<Case> cases = {
      {"", "t.npy: bad magic (not a .npy file)"},
      {"PK\x03\x04 not numpy at all", "t.npy: bad magic (not a .npy file)"},
      {std::string("\x93NUMPY\x01", 7), "t.npy: truncated header"},
      {std::string("\x93NUMPY\x01\x00\x40", 9), "t.npy: truncated header"},
      {wrongVersion, "t.npy: unsupported .npy format version 4.0"},
      {wrongMinor, "t.npy: unsupported .npy format version 1.1"},
      {longHeader, "t.npy: truncated header"},
      {npyImage("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }",
                data),
       "t.npy: fortran-order arrays are not supported"},
      {npyImage("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }",
                data),
       "t.npy: big-endian data ('>f4') is not supported"},
      {npyImage("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }",
                data),
       "t.npy: unsupported dtype '<c8' (supported: <f4, <f8, <i4, <i8, |u1, "
       "|b1)"},
      {npyImage("{'descr': [('a', '<f4')], 'fortran_order': False, "
                "'shape': (2,), }",
                data),
       "t.npy: malformed header: expected a quoted string"},
      {npyImage("['descr', '<f4']", data),
       "t.npy: malformed header: expected '{'"},
      {npyImage("{'descr': '<f4', 'shape': (2,), }", data),
       "t.npy: malformed header: missing key 'fortran_order'"},
      {npyImage("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
                "'shape': (2,), }",
                data),
       "t.npy: malformed header: duplicate key 'descr'"},
      {npyImage("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), "
                "'extra': 1}",
                data),
       "t.npy: malformed header: unexpected key 'extra'"},
      {npyImage("{'descr' '<f4', 'fortran_order': False}", data),
       "t.npy: malformed header: expected ':' after 'descr'"},
      {npyImage("{'descr: <f4}", data),
       "t.npy: malformed header: unterminated string"},
      {npyImage(good + " junk", data),
       "t.npy: malformed header: unexpected text after the dictionary"},
      {npyImage("{'descr': '<f4', 'fortran_order': false, 'shape': (2,)}",
                data),
       "t.npy: malformed header: expected True or False for "
       "'fortran_order'"},
      {npyImage("{'descr': '<f4' 'fortran_order': False, 'shape': (2,)}", data),
       "t.npy: malformed header: expected ',' or '}'"},
      {withShape("(2, x)"),
       "t.npy: malformed header: expected an integer in 'shape'"},
      {withShape("(2 3)"),
       "t.npy: malformed header: expected ',' or ')' in 'shape'"},
      {withShape("[2]"), "t.npy: malformed header: expected '(' for 'shape'"},
      {withShape("(-2,)"), "t.npy: negative extent in shape"},
      {withShape("(99999999999999999999,)"),
       "t.npy: extent in shape is too large"},
      {withShape("(4294967296, 4294967296)"),
       "t.npy: shape [4294967296, 4294967296] is too large"},
      {withShape("(3,)"), "t.npy: truncated data: expected 12 bytes, found 8"},
      {withShape("(1,)"), "t.npy: 4 trailing bytes after the data"},
  };
  for (const Case &c : cases)
    EXPECT_EQ(parseError(c.image), c.message) << "image: " << c.image;
}

TEST(NpyTest, EveryTruncationAndByteFlipFailsCleanly) {
  Tensor tensor = Tensor::fromVector<int32_t>({2, 2}, {1, 2, 3, 4});
  Expected<std::string> image = encodeNpy(tensor);
  ASSERT_TRUE(image);
  for (size_t size = 0; size < image->size(); ++size)
    EXPECT_FALSE(parseError(image->substr(0, size)).empty()) << size;
  // Flipping header bytes must give an error or a valid tensor, never a
  // crash (run under the sanitizers, this is a small deterministic fuzzer).
  for (size_t i = 0; i < image->size() - 16; ++i) {
    for (unsigned char value : {0x00, 0x27, 0x29, 0x2c, 0x39, 0x7d, 0xff}) {
      std::string mutated = *image;
      mutated[i] = static_cast<char>(value);
      (void)parseError(mutated);
    }
  }
}

TEST(NpyTest, FileErrorsNameThePath) {
  std::string missing = tempPath("does_not_exist.npy");
  Expected<Tensor> tensor = readNpy(missing);
  ASSERT_FALSE(tensor);
  EXPECT_EQ(tensor.message(), missing + ": no such file or directory");

  std::string garbage = tempPath("garbage.npy");
  std::ofstream(garbage) << "hello";
  tensor = readNpy(garbage);
  ASSERT_FALSE(tensor);
  EXPECT_EQ(tensor.message(), garbage + ": bad magic (not a .npy file)");
  std::remove(garbage.c_str());

  Tensor small = Tensor::fromVector<float>({1}, {1});
  std::string badDir = tempPath("no_such_dir") + "/x.npy";
  Error written = writeNpy(badDir, small);
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.message().rfind(badDir + ": cannot create", 0), 0u)
      << written.message();
}

TEST(NpyTest, TruncatedFileOnDisk) {
  Tensor tensor = Tensor::fromVector<double>({4}, {1, 2, 3, 4});
  Expected<std::string> image = encodeNpy(tensor);
  ASSERT_TRUE(image);
  std::string path = tempPath("truncated.npy");
  std::ofstream(path, std::ios::binary) << image->substr(0, image->size() - 3);
  Expected<Tensor> loaded = readNpy(path);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.message(),
            path + ": truncated data: expected 32 bytes, found 29");
  std::remove(path.c_str());
}

/// The names in `dir`, sorted.
std::vector<std::string> entriesOf(const std::string &dir) {
  std::vector<std::string> entries;
  if (DIR *handle = ::opendir(dir.c_str())) {
    while (dirent *entry = ::readdir(handle))
      if (std::strcmp(entry->d_name, ".") != 0 &&
          std::strcmp(entry->d_name, "..") != 0)
        entries.push_back(entry->d_name);
    ::closedir(handle);
  }
  std::sort(entries.begin(), entries.end());
  return entries;
}

TEST(NpyTest, WriteReplacesAtomicallyAndLeavesNoTemporary) {
  std::string dir =
      ::testing::TempDir() + "nnc_npy_atomic_" + std::to_string(::getpid());
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  std::string path = dir + "/w.npy";
  ASSERT_TRUE(writeNpy(path, Tensor::fromVector<float>({1}, {1})).ok());
  // The file replaced keeps its permission bits.
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  ASSERT_TRUE(writeNpy(path, Tensor::fromVector<float>({2}, {7, 8})).ok());
  struct stat info;
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600u);
  Expected<Tensor> loaded = readNpy(path);
  ASSERT_TRUE(loaded) << loaded.message();
  EXPECT_EQ(loaded->shape(), (Shape{2}));
  EXPECT_EQ(loaded->at<float>(1), 8.0f);

  EXPECT_EQ(entriesOf(dir), std::vector<std::string>{"w.npy"});
  std::remove(path.c_str());
  ::rmdir(dir.c_str());
}

TEST(NpyTest, AFolderOfFilesIsWrittenAllOrNone) {
  std::string dir =
      ::testing::TempDir() + "nnc_npy_set_" + std::to_string(::getpid());
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  std::string a = dir + "/a.npy", b = dir + "/b.npy", c = dir + "/c.npy";
  ASSERT_TRUE(writeNpyFiles({{a, Tensor::fromVector<float>({1}, {1}).view()},
                             {b, Tensor::fromVector<float>({1}, {2}).view()}})
                  .ok());
  // The third file cannot be written (a folder is where it goes), as a
  // full disk fails partway: the first two keep their old values, and no
  // temporary file is left, where each used to be replaced as it came.
  ASSERT_EQ(::mkdir(c.c_str(), 0755), 0);
  Tensor newA = Tensor::fromVector<float>({1}, {10});
  Tensor newB = Tensor::fromVector<float>({1}, {20});
  Tensor newC = Tensor::fromVector<float>({1}, {30});
  Error failed =
      writeNpyFiles({{a, newA.view()}, {b, newB.view()}, {c, newC.view()}});
  EXPECT_EQ(failed.message(), c + ": is a directory");
  EXPECT_EQ(readNpy(a)->at<float>(0), 1.0f);
  EXPECT_EQ(readNpy(b)->at<float>(0), 2.0f);
  EXPECT_EQ(entriesOf(dir),
            (std::vector<std::string>{"a.npy", "b.npy", "c.npy"}));

  ::rmdir(c.c_str());
  ASSERT_TRUE(
      writeNpyFiles({{a, newA.view()}, {b, newB.view()}, {c, newC.view()}})
          .ok());
  EXPECT_EQ(readNpy(a)->at<float>(0), 10.0f);
  EXPECT_EQ(readNpy(c)->at<float>(0), 30.0f);
  for (const std::string &path : {a, b, c})
    std::remove(path.c_str());
  ::rmdir(dir.c_str());
}

} // namespace
