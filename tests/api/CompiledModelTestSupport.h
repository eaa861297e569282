//===- CompiledModelTestSupport.h - Helpers of the API tests ----*- C++ -*-===//
//
// What the CompiledModel*Test.cpp files share: the examples folder, its
// data read as tensors, an example compiled, and a scratch folder.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TESTS_API_COMPILEDMODELTESTSUPPORT_H
#define NNC_TESTS_API_COMPILEDMODELTESTSUPPORT_H

#include "api/compiler.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

namespace nnc::api::test {

/// The repository's examples folder (NNC_EXAMPLES_DIR).
inline const std::string kExamples = NNC_EXAMPLES_DIR;

/// examples/data/`name` read as a tensor; a failure fails the test.
inline nnc::Tensor npy(const std::string &name) {
  nnc::Tensor tensor;
  nnc::Status status = nnc::readNpy(kExamples + "/data/" + name, tensor);
  EXPECT_TRUE(status.ok()) << status.message();
  return tensor;
}

/// examples/`name` compiled with `options`; null, with the test failed,
/// where it does not compile.
inline std::unique_ptr<nnc::CompiledModel>
compileExample(const std::string &name, const nnc::CompileOptions &options) {
  nnc::Status status;
  std::unique_ptr<nnc::CompiledModel> model =
      nnc::CompiledModel::compile(kExamples + "/" + name, status, options);
  EXPECT_TRUE(model && status.ok()) << status.message();
  return model;
}

/// A fresh folder under the test's temporary directory.
inline std::string scratchDir(const std::string &name) {
  std::string dir = ::testing::TempDir() + "nnc-compiler-api-" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

} // namespace nnc::api::test

#endif // NNC_TESTS_API_COMPILEDMODELTESTSUPPORT_H
