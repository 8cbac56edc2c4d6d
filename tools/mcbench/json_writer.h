// A minimal JSON emitter for --json: nested objects and arrays, strings
// escaped, numbers printed as given. The caller keeps the structure valid.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace unbuckle::mcbench {

class JsonWriter {
 public:
  JsonWriter& beginObject(std::string_view key = {});
  JsonWriter& endObject();
  JsonWriter& beginArray(std::string_view key = {});
  JsonWriter& endArray();
  JsonWriter& field(std::string_view key, std::string_view value);
  JsonWriter& field(std::string_view key, const char* value) { return field(key, std::string_view(value)); }
  JsonWriter& field(std::string_view key, uint64_t value);
  JsonWriter& field(std::string_view key, double value);
  JsonWriter& field(std::string_view key, bool value);
  JsonWriter& nullField(std::string_view key);

  const std::string& str() const { return out_; }

 private:
  void prefix(std::string_view key);
  void appendString(std::string_view text);

  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
};

}  // namespace unbuckle::mcbench
