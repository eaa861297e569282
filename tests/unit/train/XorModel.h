//===- XorModel.h - examples/xor.nn for the training tests -----*- C++ -*-===//
//
// The smallest trainable model and its four samples, opened the way every
// test of this folder starts.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TESTS_UNIT_TRAIN_XORMODEL_H
#define NNC_TESTS_UNIT_TRAIN_XORMODEL_H

#include "driver/ModelSession.h"
#include "runtime/Npy.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

namespace nnc::tests {

/// Opens examples/xor.nn on the ref backend into `session` and reads its
/// data, x and y, into `data`; fails the test on any error.
inline void openXorModel(std::unique_ptr<driver::ModelSession> &session,
                         std::map<std::string, rt::Tensor> &data) {
  train::SessionOptions options;
  options.backend = "ref";
  options.plugins = {NNC_REF_PLUGIN};
  rt::Expected<std::unique_ptr<driver::ModelSession>> opened =
      driver::ModelSession::open(options,
                                 std::string(NNC_EXAMPLES) + "/xor.nn");
  ASSERT_TRUE(opened.ok()) << opened.message();
  session = std::move(*opened);
  for (const char *name : {"x", "y"}) {
    rt::Expected<rt::Tensor> tensor =
        rt::readNpy(std::string(NNC_EXAMPLES) + "/data/xor_" + name + ".npy");
    ASSERT_TRUE(tensor.ok()) << tensor.message();
    data.insert_or_assign(name, std::move(*tensor));
  }
}

} // namespace nnc::tests

#endif // NNC_TESTS_UNIT_TRAIN_XORMODEL_H
