//===- NNInterfaces.cpp - Op interfaces of the nn dialect -----------------===//

#include "ir/NNInterfaces.h"

#include "ir/NNInterfaces.cpp.inc"
