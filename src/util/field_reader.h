// Strict reading of a JSON config object: required fields must be present, no key may be
// unknown, and each must have the field's type. Errors name the file (where) and the field.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "mulan/error.h"

namespace mulan {

// Reads the listed fields of one JSON object: required ones must be present, no key may be
// unknown, and each must have the field's type.
class FieldReader {
 public:
  FieldReader(const nlohmann::json& j, std::string where, std::string prefix)
      : j_(j), where_(std::move(where)), prefix_(std::move(prefix)) {
    if (!j_.is_object()) throw Error(where_ + ": '" + prefix_ + "' must be a JSON object");
  }
  template <typename T>
  void get(const char* key, T& field, bool required) {
    known_.insert(key);
    if (!j_.contains(key)) {
      if (required) throw Error(where_ + ": missing field '" + prefix_ + key + "'");
      return;
    }
    try {
      field = j_.at(key).get<T>();
    } catch (const nlohmann::json::exception&) {
      throw Error(where_ + ": field '" + prefix_ + key + "' has the wrong type (" + j_.at(key).dump() + ")");
    }
  }
  void refuse_unknown() const {
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (!known_.count(it.key())) throw Error(where_ + ": unknown field '" + prefix_ + it.key() + "'");
    }
  }

 private:
  const nlohmann::json& j_;
  std::string where_, prefix_;
  std::set<std::string> known_;
};

}  // namespace mulan
