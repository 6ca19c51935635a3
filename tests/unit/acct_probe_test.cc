#include "acct/acct_probe.h"

#include <gtest/gtest.h>
#include <sys/fanotify.h>

#include <cstring>
#include <vector>

namespace procaudit::acct {
namespace {

TEST(UnescapeMountinfo, UndoesOctalEscapesOfSpaceTabNewlineAndBackslash) {
  EXPECT_EQ(UnescapeMountinfo("/mnt/my\\040disk"), "/mnt/my disk");
  EXPECT_EQ(UnescapeMountinfo("/a\\011b\\012c\\134d"), "/a\tb\nc\\d");
  EXPECT_EQ(UnescapeMountinfo("/plain"), "/plain");
}

TEST(UnescapeMountinfo, LeavesABackslashWithoutThreeOctalDigitsAlone) {
  EXPECT_EQ(UnescapeMountinfo("/a\\04"), "/a\\04");    // cut short at the end
  EXPECT_EQ(UnescapeMountinfo("/a\\089"), "/a\\089");  // not octal
  EXPECT_EQ(UnescapeMountinfo("/a\\"), "/a\\");
}

TEST(MountPoints, TakesTheFifthFieldOfEachLineUnescaped) {
  // Real lines of a Linux 6.18 mountinfo, plus one with a space in its mount point.
  const char* text =
      "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
      "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n"
      "40 27 0:35 / /mnt/usb\\040stick rw - vfat /dev/sdb1 rw\n"
      "short line\n"
      "\n"
      "41 27 0:36 /sub /srv/bind rw - ext4 /dev/vda rw";  // no final newline
  EXPECT_EQ(MountPoints(text),
            (std::vector<std::string>{"/proc", "/", "/mnt/usb stick", "/srv/bind"}));
}

// A read(2)'s bytes: events of the given lengths (at least the header), fds and pids.
struct Event {
  uint32_t len;
  int32_t fd;
  int32_t pid;
  uint64_t mask = FAN_MODIFY;
  uint8_t vers = FANOTIFY_METADATA_VERSION;
};
std::vector<uint8_t> Bytes(std::initializer_list<Event> events) {
  std::vector<uint8_t> out;
  for (const Event& e : events) {
    fanotify_event_metadata m{};
    m.event_len = e.len;
    m.vers = e.vers;
    m.metadata_len = sizeof m;
    m.mask = e.mask;
    m.fd = e.fd;
    m.pid = e.pid;
    const size_t at = out.size();
    out.resize(at + std::max<size_t>(e.len, sizeof m));
    std::memcpy(out.data() + at, &m, sizeof m);
  }
  return out;
}

TEST(WalkFanotifyEvents, WalksByEventLengthPastInfoRecords) {
  const uint32_t h = sizeof(fanotify_event_metadata);
  const std::vector<uint8_t> bytes = Bytes({{h, 5, 100}, {h + 16, 6, 200}, {h, 7, 300}});
  const std::vector<FanotifyEvent> events = WalkFanotifyEvents(bytes);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ((std::pair{events[0].fd, events[0].pid}), (std::pair{5, 100}));
  EXPECT_EQ((std::pair{events[1].fd, events[1].pid}), (std::pair{6, 200}));
  EXPECT_EQ((std::pair{events[2].fd, events[2].pid}), (std::pair{7, 300}));
  EXPECT_EQ(events[0].mask, static_cast<uint64_t>(FAN_MODIFY));
}

TEST(WalkFanotifyEvents, OverflowEventHasNoDescriptor) {
  const uint32_t h = sizeof(fanotify_event_metadata);
  const auto events = WalkFanotifyEvents(Bytes({{h, FAN_NOFD, 0, FAN_Q_OVERFLOW}}));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].fd, FAN_NOFD);
  EXPECT_TRUE(events[0].mask & FAN_Q_OVERFLOW);
}

TEST(WalkFanotifyEvents, StopsAtALengthShorterThanTheHeaderOrPastTheEnd) {
  const uint32_t h = sizeof(fanotify_event_metadata);
  EXPECT_EQ(WalkFanotifyEvents(Bytes({{h, 5, 1}, {0, 6, 2}, {h, 7, 3}})).size(), 1u);
  std::vector<uint8_t> cut = Bytes({{h, 5, 1}, {h + 8, 6, 2}});
  cut.resize(cut.size() - 4);  // the second event's info record is cut short
  EXPECT_EQ(WalkFanotifyEvents(cut).size(), 1u);
  cut.resize(h + 10);  // a partial header
  EXPECT_EQ(WalkFanotifyEvents(cut).size(), 1u);
  EXPECT_TRUE(WalkFanotifyEvents({}).empty());
}

TEST(WalkFanotifyEvents, StopsAtAnUnknownMetadataVersion) {
  const uint32_t h = sizeof(fanotify_event_metadata);
  EXPECT_EQ(WalkFanotifyEvents(Bytes({{h, 5, 1}, {h, 6, 2, FAN_MODIFY, 99}})).size(), 1u);
}

}  // namespace
}  // namespace procaudit::acct
