//===- CallbackGuard.cpp - A callback, its exceptions caught --------------===//

#include "runtime/CallbackGuard.h"

#include <exception>

namespace nnc::rt {

Error callGuarded(const std::string &name, const std::function<void()> &call) {
  try {
    call();
  } catch (const std::exception &exception) {
    return Error::failure("the " + name +
                          " callback threw: " + exception.what());
  } catch (...) {
    return Error::failure("the " + name + " callback threw an exception");
  }
  return Error::success();
}

} // namespace nnc::rt
