#include "mulan/error.h"

namespace mulan {

std::string file_error(const std::string& path, const std::string& message) {
  return "'" + path + "': " + message;
}

}  // namespace mulan
