//===- CallbackGuard.h - A callback, its exceptions caught ------*- C++ -*-===//
//
// Libraries that take callbacks from their callers (the C++ API's training
// hooks) promise errors as values. Their own code is built without
// exceptions, so an exception thrown by a callback would unwind through
// frames that cannot release what they hold (a model's lock, a trainer's
// memory). The runtime is built with exceptions: the callback runs in a
// frame here that catches whatever it throws and returns it as an error.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_CALLBACKGUARD_H
#define NNC_RUNTIME_CALLBACKGUARD_H

#include "runtime/Status.h"

#include <functional>
#include <string>

namespace nnc::rt {

/// Runs `call` and returns success, or, when it throws, a failure naming
/// the callback: "the NAME callback threw: WHAT" for a std::exception,
/// "the NAME callback threw an exception" for anything else. `call` should
/// do no more than invoke the caller's callback, so that nothing built
/// without exceptions lies between the throw and this frame.
Error callGuarded(const std::string &name, const std::function<void()> &call);

} // namespace nnc::rt

#endif // NNC_RUNTIME_CALLBACKGUARD_H
