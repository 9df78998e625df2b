// mulan report's page as a browser draws it: headless Chromium takes a screenshot of the page of
// a made-up run (1200 x 1600), kept in the build tree (MULAN_REPORT_ARTIFACTS/report.png) for a
// look. Skips when Chromium is not installed (scripts/install-deps.sh installs it).
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <iostream>

#include "support/test_support.h"
#include "train/run_report_fixture.h"

namespace mulan::test {
namespace {
namespace fs = std::filesystem;

std::string find_chromium() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    const CommandResult r = run_command(std::string("command -v ") + name);
    if (r.exit_code == 0 && !r.out.empty()) return r.out.substr(0, r.out.find('\n'));
  }
  return "";
}

uint32_t big_endian(const std::string& s, std::size_t at) {
  uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(s[at + i]);
  return v;
}

TEST(RunReportScreenshot, ChromiumDrawsThePage) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (scripts/install-deps.sh installs it): no screenshot taken";
  TempDir dir;
  const fs::path run = dir.path() / "run";
  write_report_run(run, 1200, 10, 300);
  write_tagging_result(dir.path() / "tagging.json");
  const CommandResult r = run_cli("report " + shell_quote(run.string()) + " --eval " + shell_quote(dir.file("tagging.json")));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const fs::path artifacts = MULAN_REPORT_ARTIFACTS;
  fs::create_directories(artifacts);
  const fs::path png = artifacts / "report.png";
  fs::remove(png);
  fs::copy_file(run / "report.html", artifacts / "report.html", fs::copy_options::overwrite_existing);
  const CommandResult shot = run_command("timeout 120 " + shell_quote(chromium) +
                                         " --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run"
                                         " --user-data-dir=" + shell_quote(dir.file("profile")) +
                                         " --screenshot=" + shell_quote(png.string()) + " --window-size=1200,1600 " +
                                         shell_quote("file://" + (run / "report.html").string()));
  ASSERT_EQ(shot.exit_code, 0) << shot.err;
  ASSERT_TRUE(fs::exists(png)) << shot.err;
  const std::string bytes = slurp(png);
  ASSERT_GT(bytes.size(), 24u);
  EXPECT_EQ(bytes.substr(0, 8), "\x89PNG\r\n\x1a\n");
  EXPECT_EQ(bytes.substr(12, 4), "IHDR");
  EXPECT_EQ(big_endian(bytes, 16), 1200u);  // width
  EXPECT_EQ(big_endian(bytes, 20), 1600u);  // height
  // A blank 1200 x 1600 page compresses to a few kilobytes; charts, text and bars do not.
  EXPECT_GT(bytes.size(), 60u * 1024) << png;
  std::cout << "screenshot: " << png << " (" << bytes.size() << " bytes)\n";
}

}  // namespace
}  // namespace mulan::test
