//===- FlatJsonTest.cpp - The strict flat JSON of state.json --------------===//

#include "runtime/FlatJson.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace nnc::rt;

TEST(FlatJsonTest, RoundTrip) {
  JsonObject object;
  object.setInteger("step", 1234567890123);
  object.setInteger("negative", INT64_MIN);
  object.setNumber("lr", 0.1);
  object.setNumber("whole", 3.0);
  object.setNumber("tiny", 5e-324);
  object.setString("text", "quote \" backslash \\ tab \t nl \n ctl \x01 é");
  std::string json = object.toJson();
  Expected<JsonObject> parsed = JsonObject::parse(json, "s.json");
  ASSERT_TRUE(parsed.ok()) << parsed.message() << "\n" << json;
  EXPECT_EQ(*parsed, object);
  // Whole doubles stay doubles.
  EXPECT_FALSE(parsed->getInteger("whole").ok());
  EXPECT_EQ(*parsed->getNumber("whole"), 3.0);
  EXPECT_EQ(*parsed->getNumber("step"), 1234567890123.0);
  EXPECT_EQ(JsonObject().toJson(), "{}\n");
}

TEST(FlatJsonTest, ParsesEscapesAndWhitespace) {
  Expected<JsonObject> parsed = JsonObject::parse(
      " \r\n{ \"a\" : \"\\u00e9\\ud83d\\ude00\\/\\b\\f\" ,\"b\":-0.5e+2,"
      "\"c\":0 }\n\t",
      "s.json");
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  EXPECT_EQ(*parsed->getString("a"), "\xC3\xA9\xF0\x9F\x98\x80/\b\f");
  EXPECT_EQ(*parsed->getNumber("b"), -50.0);
  EXPECT_EQ(*parsed->getInteger("c"), 0);
}

TEST(FlatJsonTest, StrictErrorsWithLineAndColumn) {
  auto error = [](const std::string &text) {
    return JsonObject::parse(text, "s.json").message();
  };
  EXPECT_EQ(error(""), "s.json:1:1: expected '{'");
  EXPECT_EQ(error("{\n  \"a\" 1}"), "s.json:2:7: expected ':'");
  EXPECT_EQ(error("{\"a\": 1,}"), "s.json:1:9: expected a string key");
  EXPECT_EQ(error("{\"a\": 1, \"a\": 2}"), "s.json:1:10: duplicate key 'a'");
  EXPECT_EQ(error("{\"a\": true}"),
            "s.json:1:7: expected an integer, a number or a string");
  EXPECT_EQ(error("{\"a\": [1]}"),
            "s.json:1:7: expected an integer, a number or a string");
  EXPECT_EQ(error("{\"a\": 01}"), "s.json:1:8: leading zero in a number");
  EXPECT_EQ(error("{\"a\": 1.}"), "s.json:1:9: expected a digit after '.'");
  EXPECT_EQ(error("{\"a\": 1e}"),
            "s.json:1:9: expected a digit in the exponent");
  EXPECT_EQ(error("{\"a\": 99999999999999999999}"),
            "s.json:1:7: integer out of range");
  EXPECT_EQ(error("{\"a\": 1e999}"), "s.json:1:7: number out of range");
  EXPECT_EQ(error("{\"a\": \"x"), "s.json:1:9: unterminated string");
  EXPECT_EQ(error("{\"a\": \"\x01\"}"),
            "s.json:1:8: control character in a string");
  EXPECT_EQ(error("{\"a\": \"\\x\"}"), "s.json:1:9: bad escape sequence");
  EXPECT_EQ(error("{\"a\": \"\\ud800\"}"),
            "s.json:1:14: lone high surrogate in a \\u escape");
  EXPECT_EQ(error("{\"a\": \"\xff\"}"),
            "s.json:1:8: invalid UTF-8 in a string");
  EXPECT_EQ(error("{\"a\": \"\xC0\x80\"}"),
            "s.json:1:8: invalid UTF-8 in a string");
  EXPECT_EQ(error("{} {}"), "s.json:1:4: unexpected text after the object");
  EXPECT_EQ(error("{\"a\": 1 // c\n}"), "s.json:1:9: expected ',' or '}'");
}

TEST(FlatJsonTest, TypedGettersExplainMismatches) {
  JsonObject object;
  object.setString("name", "x");
  object.setNumber("lr", 0.5);
  EXPECT_EQ(object.getInteger("missing").message(), "missing key 'missing'");
  EXPECT_EQ(object.getInteger("name").message(),
            "key 'name' holds a string, not an integer");
  EXPECT_EQ(object.getInteger("lr").message(),
            "key 'lr' holds a number, not an integer");
  EXPECT_EQ(object.getNumber("name").message(),
            "key 'name' holds a string, not a number");
  EXPECT_EQ(object.getString("lr").message(),
            "key 'lr' holds a number, not a string");
}

TEST(FlatJsonTest, RandomCorruptionNeverCrashes) {
  JsonObject object;
  object.setInteger("step", -12);
  object.setNumber("lr", 1.5e-3);
  object.setString("s", "a\"\\\xC3\xA9");
  std::string json = object.toJson();
  for (size_t i = 0; i <= json.size(); ++i) {
    (void)JsonObject::parse(json.substr(0, i), "s.json");
    for (char c : {'\0', '"', '\\', '{', '}', ',', ':', '0', 'e', '\xC3'}) {
      std::string bad = json;
      if (i < bad.size())
        bad[i] = c;
      Expected<JsonObject> parsed = JsonObject::parse(bad, "s.json");
      if (parsed.ok())
        EXPECT_EQ(JsonObject::parse(parsed->toJson(), "again").ok(), true);
    }
  }
}
