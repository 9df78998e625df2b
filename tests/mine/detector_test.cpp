// MusicDetector from a model directory: class names as a plain list or as AudioSet's
// class_labels_indices.csv, the class chosen by name; what it refuses.
#include <gtest/gtest.h>

#include <filesystem>

#include "mulan/error.h"
#include "mulan/music_detector.h"
#include "support/test_support.h"

namespace mulan::mine {
namespace {
namespace fs = std::filesystem;

TEST(MusicDetector, AudioSetLabelsCsvPicksTheClassByItsDisplayName) {
  test::TempDir dir;
  const fs::path det = dir.path() / "det";
  fs::create_directories(det);
  for (const char* f : {"config.json", "model.safetensors", "labels.txt"}) {
    fs::copy_file(fs::path(MULAN_SOURCE_DIR) / "models/music-detector" / f, det / f);
  }
  // The built-in detector's four classes in AudioSet's CSV layout (quoted names with commas).
  test::write_text(dir.file("class_labels_indices.csv"),
                   "index,mid,display_name\n0,/m/04rlf,Music\n1,/m/09x0r,\"Speech\"\n"
                   "2,/m/096m7z,\"Noise, static\"\n3,/m/01v_m0,\"Sine wave\"\n");
  const MusicDetector plain(det.string(), "", "Music");
  const MusicDetector csv(det.string(), dir.file("class_labels_indices.csv"), "Music");
  const MusicDetector speech(det.string(), dir.file("class_labels_indices.csv"), "Speech");
  const MusicDetector noise(det.string(), dir.file("class_labels_indices.csv"), "Noise, static");
  const MusicDetector builtin("", "", "Music");
  const std::vector<float> clip = test::music(5.0, 16000, 3);
  const auto p = plain.probabilities({&clip})[0], c = csv.probabilities({&clip})[0], b = builtin.probabilities({&clip})[0];
  const auto s = speech.probabilities({&clip})[0];
  ASSERT_EQ(p.size(), 3u);  // 5 s in 2 s windows: 0-2, 2-4, 3-5
  EXPECT_EQ(p, c);
  EXPECT_EQ(p, b);  // the built-in detector is this directory
  EXPECT_NE(p, s);
  EXPECT_EQ(noise.probabilities({&clip})[0].size(), 3u);
  EXPECT_NE(csv.name().find("class Music"), std::string::npos) << csv.name();
  EXPECT_EQ(builtin.name(), "built-in (class Music)");

  // A class that is not there, a list of the wrong length, a model without a tagger head.
  EXPECT_THROW(MusicDetector(det.string(), dir.file("class_labels_indices.csv"), "Jazz"), UsageError);
  test::write_text(dir.file("three.txt"), "Music\nSpeech\nNoise\n");
  try {
    MusicDetector(det.string(), dir.file("three.txt"), "Music");
    FAIL() << "three names for four classes";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("3 class names, but the model has 4"), std::string::npos) << e.what();
  }
  const auto r = test::run_cli("init --preset tiny --out " + test::shell_quote(dir.file("plain-model")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  try {
    MusicDetector(dir.file("plain-model"), dir.file("three.txt"), "Music");
    FAIL() << "a model without a tagger head";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no tagger head"), std::string::npos) << e.what();
  }
  EXPECT_THROW(MusicDetector(dir.file("absent"), "", "Music"), FileNotFound);
}

}  // namespace
}  // namespace mulan::mine
