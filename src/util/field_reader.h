// Strict reading of a JSON config object: required fields must be present, no key may be
// unknown, and each must have the field's type. Errors name the file (where) and the field.
#pragma once

#include <nlohmann/json.hpp>
#include <limits>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

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
    const nlohmann::json& v = j_.at(key);
    const auto wrong_type = [&] {
      return Error(where_ + ": field '" + prefix_ + key + "' has the wrong type (" + printable(v.dump()).substr(0, 80) + ")");
    };
    if (!exact_type<T>(v)) throw wrong_type();
    try {
      field = v.get<T>();
    } catch (const nlohmann::json::exception&) {
      throw wrong_type();
    }
  }
  // JSON's value has exactly T's type: no 128.5 or true for an int, no 3 for a bool, and an
  // integer within T's range.
  template <typename T>
  static bool exact_type(const nlohmann::json& v) {
    if constexpr (std::is_same_v<T, bool>) {
      return v.is_boolean();
    } else if constexpr (std::is_integral_v<T>) {
      if (v.is_number_unsigned()) return v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<T>::max());
      if (!v.is_number_integer()) return false;
      const auto i = v.get<int64_t>();
      return i >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
             (std::is_unsigned_v<T> ? i >= 0 : i <= static_cast<int64_t>(std::numeric_limits<T>::max()));
    } else if constexpr (std::is_floating_point_v<T>) {
      return v.is_number();
    } else if constexpr (std::is_same_v<T, std::string>) {
      return v.is_string();
    } else if constexpr (requires { typename T::value_type; } && std::is_same_v<T, std::vector<typename T::value_type>>) {
      if (!v.is_array()) return false;
      for (const auto& item : v) if (!exact_type<typename T::value_type>(item)) return false;
      return true;
    } else {
      return true;
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
