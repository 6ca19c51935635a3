// src/shell/progress.h: the replay progress bar stays quiet for small or quick inputs and
// erases itself at the end.
#include "shell/progress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <thread>

namespace procaudit {
namespace {

class Capture {
 public:
  Capture() : file_(open_memstream(&buf_, &size_)) {}
  ~Capture() {
    std::fclose(file_);
    std::free(buf_);
  }
  std::FILE* file() { return file_; }
  std::string text() {
    std::fflush(file_);
    return std::string(buf_, size_);
  }

 private:
  char* buf_ = nullptr;
  size_t size_ = 0;
  std::FILE* file_;
};

TEST(ProgressBar, SmallInputDrawsNothing) {
  Capture out;
  ProgressBar bar(out.file());
  bar.Update(0, 1000);
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  bar.Update(500, 1000);
  bar.Update(1000, 1000);
  EXPECT_EQ(out.text(), "");
}

TEST(ProgressBar, LargeSlowInputDrawsAndErasesItself) {
  Capture out;
  ProgressBar bar(out.file());
  const uint64_t total = 64ull << 20;
  bar.Update(0, total);
  bar.Update(total / 8, total);
  EXPECT_EQ(out.text(), "");  // not yet: quick replays stay silent
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  bar.Update(total / 2, total);
  EXPECT_EQ(out.text(), "\rreading audit log [###############...............]  50%  32/64 MB");
  bar.Update(total, total);
  EXPECT_EQ(out.text().substr(out.text().size() - 4), "\r\033[K");
}

}  // namespace
}  // namespace procaudit
