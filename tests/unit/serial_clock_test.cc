// src/audit/serial_clock.h: ordering across serial rollover, reboots, and gap counting.
#include "audit/serial_clock.h"

#include <gtest/gtest.h>

namespace procaudit::audit {
namespace {

TEST(SerialClock, RolloverKeepsIncreasing) {
  // go-libaudit testdata_rollover.log: 4294967294, 4294967295, 0, 1 within one second.
  SerialClock c;
  const uint64_t a = c.Unwrap(4294967294u, 1492037289295);
  const uint64_t b = c.Unwrap(4294967295u, 1492037298883);
  const uint64_t d = c.Unwrap(0, 1492037298883);
  const uint64_t e = c.Unwrap(1, 1492037298883);
  EXPECT_LT(a, b);
  EXPECT_LT(b, d);
  EXPECT_LT(d, e);
  for (uint64_t u : {a, b, d, e}) c.Count(u);
  EXPECT_EQ(c.gaps(), 0u);
}

TEST(SerialClock, LateEventStaysBeforeNewerOnes) {
  SerialClock c;
  const uint64_t newer = c.Unwrap(1000, 5000);
  const uint64_t late = c.Unwrap(998, 4999);
  EXPECT_LT(late, newer);
}

TEST(SerialClock, LateEventFromBeforeARolloverStaysBefore) {
  SerialClock c;
  const uint64_t after = c.Unwrap(2, 1000);  // first seen: just after the wrap
  const uint64_t before = c.Unwrap(4294967295u, 999);
  EXPECT_LT(before, after);
}

TEST(SerialClock, RebootStartsANewEpochAfterTheOldOne) {
  SerialClock c;
  const uint64_t old_boot = c.Unwrap(5'000'000, 1000);
  const uint64_t new_boot = c.Unwrap(3, 90'000);
  EXPECT_GT(new_boot, old_boot);
  c.Count(old_boot);
  c.Count(new_boot);
  EXPECT_EQ(c.gaps(), 0u);  // a reboot is not millions of lost events
}

TEST(SerialClock, GapsAreMissingSerials) {
  // go-libaudit testdata_lost_messages.log: serial 49, then 59.
  SerialClock c;
  c.Count(c.Unwrap(49, 1));
  c.Count(c.Unwrap(59, 2));
  c.Count(c.Unwrap(60, 3));
  EXPECT_EQ(c.gaps(), 9u);
}

}  // namespace
}  // namespace procaudit::audit
