//===- TempDir.h - A scratch folder per test --------------------*- C++ -*-===//

#ifndef NNC_TESTS_UNIT_DATA_TEMPDIR_H
#define NNC_TESTS_UNIT_DATA_TEMPDIR_H

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

/// A fresh folder under $TMPDIR (or /tmp), removed with its contents when
/// the object goes out of scope.
class TempDir {
public:
  TempDir() {
    const char *base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base && *base ? base : "/tmp") + "/nnc-data-XXXXXX";
    if (::mkdtemp(pattern.data()))
      root = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!root.empty())
      std::filesystem::remove_all(root, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  /// The path of `name` inside the folder.
  std::string path(const std::string &name) const { return root + "/" + name; }

  /// Writes `bytes` to `name` and returns its path.
  std::string write(const std::string &name, const std::string &bytes) const {
    std::ofstream(path(name), std::ios::binary) << bytes;
    return path(name);
  }

  const std::string &str() const { return root; }

private:
  std::string root;
};

/// The whole content of `path`.
inline std::string readText(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

#endif // NNC_TESTS_UNIT_DATA_TEMPDIR_H
