//===- RefAttrs.cpp - A step's attributes, by name ------------------------===//

#include "backends/ref/RefAttrs.h"

using namespace nnc;
using namespace nnc::ref;

const AttrValue *AttrReader::find(std::string_view name) {
  if (!problem.empty())
    return nullptr;
  auto it = attrs.find(name);
  if (it == attrs.end()) {
    fail("missing attribute '" + std::string(name) + "'");
    return nullptr;
  }
  return &it->second;
}

void AttrReader::fail(std::string message) {
  if (problem.empty())
    problem = std::move(message);
}

int64_t AttrReader::integer(std::string_view name) {
  const AttrValue *value = find(name);
  if (!value)
    return 0;
  if (const int64_t *integer = std::get_if<int64_t>(value))
    return *integer;
  fail("attribute '" + std::string(name) + "' is not an integer");
  return 0;
}

int64_t AttrReader::integerAddedLater(std::string_view name, int64_t absent) {
  if (attrs.find(name) == attrs.end())
    return absent;
  return integer(name);
}

double AttrReader::real(std::string_view name) {
  const AttrValue *value = find(name);
  if (!value)
    return 0;
  if (const double *real = std::get_if<double>(value))
    return *real;
  if (const int64_t *integer = std::get_if<int64_t>(value))
    return static_cast<double>(*integer);
  fail("attribute '" + std::string(name) + "' is not a number");
  return 0;
}

std::vector<int64_t> AttrReader::ints(std::string_view name) {
  const AttrValue *value = find(name);
  if (!value)
    return {};
  if (const auto *list = std::get_if<std::vector<int64_t>>(value))
    return *list;
  fail("attribute '" + std::string(name) + "' is not a list of integers");
  return {};
}

std::array<int64_t, 2> AttrReader::pair(std::string_view name) {
  std::vector<int64_t> values = ints(name);
  if (!problem.empty())
    return {0, 0};
  if (values.size() != 2) {
    fail("attribute '" + std::string(name) + "' needs two values, has " +
         std::to_string(values.size()));
    return {0, 0};
  }
  return {values[0], values[1]};
}

std::optional<std::array<int64_t, 2>>
AttrReader::optionalPair(std::string_view name) {
  if (attrs.find(name) == attrs.end())
    return std::nullopt;
  return pair(name);
}

rt::Error AttrReader::error() const {
  if (problem.empty())
    return rt::Error::success();
  return rt::Error::failure(problem);
}
