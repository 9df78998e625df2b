// Members of tar archives (WebDataset shards): "SHARD.tar#MEMBER" references, read without
// scanning the archive from its start for every member.
#pragma once

#include <memory>
#include <string>

struct archive;

namespace mulan::audio {

using ArchivePtr = std::unique_ptr<archive, int (*)(archive*)>;

// Opens a tar (optionally compressed: .tar.gz and the like) for reading its members in order.
// Throws mulan::Error naming the file.
ArchivePtr open_tar(const std::string& path);
// The data of the member whose header was just read; where names it in errors. Refuses a
// member over 2 GiB.
std::string read_member(archive* a, const std::string& where);

// "x.tar#m.flac" or "x.tar.gz#m.flac": a member reference.
bool is_tar_member(const std::string& ref);
// The bytes of a referenced member. The member's position in an uncompressed shard is
// indexed on the first read of that shard (kept for the most recently used shards, and
// redone when the shard's size or modification time changes), so that reading all members of
// a shard costs one pass over its headers, not one pass per member. Safe from many threads.
std::string read_tar_member(const std::string& ref);

}  // namespace mulan::audio
