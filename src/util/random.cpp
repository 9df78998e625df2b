#include "mulan/random.h"

#include <sstream>

#include "mulan/error.h"

namespace mulan {

std::string Rng::state() const {
  std::ostringstream os;
  os << engine_;
  return os.str();
}

void Rng::restore(const std::string& state) {
  std::istringstream is(state);
  std::mt19937_64 e;
  is >> e;
  if (is.fail()) throw Error("random state: not a valid mt19937_64 state");
  engine_ = e;
}

}  // namespace mulan
