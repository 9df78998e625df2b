// Reading a whole small file (a config, a vocabulary, a tag list) with the checks that a file
// handed over by anyone needs: it must be a regular file (not /dev/zero, a FIFO or a folder)
// and no larger than the caller's bound.
#pragma once

#include <cstdint>
#include <string>

namespace mulan {

// The bytes of PATH. Throws mulan::Error naming the file when it is missing, not a regular file,
// larger than max_bytes, or cannot be read; `what` names it in the message ("the config").
std::string read_file(const std::string& path, std::uint64_t max_bytes, const std::string& what);

inline constexpr std::uint64_t kMaxConfigBytes = std::uint64_t{1} << 20;  // config.json, train.json
inline constexpr std::uint64_t kMaxVocabBytes = std::uint64_t{64} << 20;  // vocab.txt (BERT's: 230 KB)

}  // namespace mulan
