// The built-in music detector (models/music-detector, made by `mulan mine make-detector`) is
// compiled into the library; Model::load reads directories, so its files are written to a
// private temporary folder for as long as this object lives.
#pragma once

#include <string>

namespace mulan::mine {

class BuiltinDetectorFiles {
 public:
  BuiltinDetectorFiles();  // throws mulan::Error when this build has no built-in detector
  ~BuiltinDetectorFiles();
  BuiltinDetectorFiles(const BuiltinDetectorFiles&) = delete;
  BuiltinDetectorFiles& operator=(const BuiltinDetectorFiles&) = delete;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace mulan::mine
