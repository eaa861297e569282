//===- PluginTestSupport.h - Shared helpers of the plugin tests -*- C++ -*-===//

#ifndef NNC_TESTS_UNIT_PLUGIN_PLUGINTESTSUPPORT_H
#define NNC_TESTS_UNIT_PLUGIN_PLUGINTESTSUPPORT_H

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

namespace nnc::rt::test {

/// The broken test plugin built for `flaw` (tests/plugins/CMakeLists.txt).
inline std::string badPlugin(const std::string &flaw) {
  return std::string(NNC_TEST_BAD_PLUGIN_DIR) + "/libnnc_backend_" + flaw +
         ".so";
}

/// A fresh, empty folder that lives for the test.
inline std::string makeTempDir() {
  std::string pattern = testing::TempDir() + "nnc-plugin-XXXXXX";
  char *dir = mkdtemp(pattern.data());
  EXPECT_NE(dir, nullptr) << "cannot make a temporary folder";
  return dir ? std::string(dir) : std::string();
}

/// Sets an environment variable for one scope, then restores it.
class ScopedEnv {
public:
  ScopedEnv(const char *name, const std::string &value) : name(name) {
    if (const char *old = std::getenv(name)) {
      hadOld = true;
      oldValue = old;
    }
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (hadOld)
      setenv(name, oldValue.c_str(), 1);
    else
      unsetenv(name);
  }
  ScopedEnv(const ScopedEnv &) = delete;
  ScopedEnv &operator=(const ScopedEnv &) = delete;

private:
  const char *name;
  bool hadOld = false;
  std::string oldValue;
};

} // namespace nnc::rt::test

#endif // NNC_TESTS_UNIT_PLUGIN_PLUGINTESTSUPPORT_H
