// The request mailbox: its pinned layout, round trips, and every refusal of
// hostile contents; taking requests wipes the region.
#include "mailbox/mailbox.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

#include "common/crc32.h"

namespace bastion::mailbox {
namespace {

using Region = std::array<uint8_t, kMailboxCapacity>;

Region Build(std::initializer_list<Request> requests) {
  Region region{};
  std::vector<Request> list(requests);
  EXPECT_TRUE(BuildMailbox(list.data(), list.size(), region).ok());
  return region;
}

// Rewrites the CRC after a test edits the header or payload.
void Reseal(Region& region) {
  MailboxHeader header;
  std::memcpy(&header, region.data(), sizeof(header));
  header.crc = 0;
  std::memcpy(region.data(), &header, sizeof(header));
  uint32_t crc = Crc32(ConstByteSpan(region.data(), sizeof(header)));
  crc = Crc32(ConstByteSpan(region.data() + sizeof(header),
                            std::min<size_t>(header.payload_size, region.size() - sizeof(header))),
              crc);
  header.crc = crc;
  std::memcpy(region.data(), &header, sizeof(header));
}

MailboxError Parse(const Region& region, Requests* out = nullptr) {
  Requests scratch;
  return ParseMailbox(region, out != nullptr ? out : &scratch);
}

const std::array<uint8_t, 5> kCommand{0xd8, 0x62, 0x84, 0x40, 0xa0};

TEST(MailboxTest, LayoutIsPinned) {
  const Region region = Build({{RequestType::kConfirm, 2, {}}});
  EXPECT_EQ(LoadLe32(region.data()), 0x4d1b7ac3u);
  EXPECT_EQ(LoadLe16(region.data() + 4), 1);   // version
  EXPECT_EQ(LoadLe16(region.data() + 6), 4);   // payload: one request header
  EXPECT_EQ(LoadLe16(region.data() + 8), 1);   // request count
  EXPECT_EQ(region[16], 1);                    // confirm
  EXPECT_EQ(region[17], 2);                    // app
  EXPECT_EQ(LoadLe16(region.data() + 18), 0);  // no data
}

TEST(MailboxTest, RoundTrip) {
  const Region region = Build({{RequestType::kConfirm, 2, {}},
                               {RequestType::kReject, 1, {}},
                               {RequestType::kRevoke, kAnyComponent, kCommand}});
  Requests requests;
  ASSERT_EQ(Parse(region, &requests), MailboxError::kOk);
  ASSERT_EQ(requests.count, 3u);
  EXPECT_EQ(requests.items[0].type, RequestType::kConfirm);
  EXPECT_EQ(requests.items[1].component, 1);
  ASSERT_EQ(requests.items[2].data.size(), kCommand.size());
  EXPECT_EQ(0, std::memcmp(requests.items[2].data.data(), kCommand.data(), kCommand.size()));
}

TEST(MailboxTest, AllZeroIsEmpty) {
  const Region region{};
  EXPECT_EQ(Parse(region), MailboxError::kEmpty);
}

TEST(MailboxTest, RefusesHostileContents) {
  Region r = Build({{RequestType::kRevoke, kAnyComponent, kCommand}});
  Region bad = r;
  bad[0] ^= 1;
  EXPECT_EQ(Parse(bad), MailboxError::kBadMagic);
  bad = r;
  bad[4] = 2;
  EXPECT_EQ(Parse(bad), MailboxError::kBadVersion);
  bad = r;
  bad[20] ^= 0x40;  // a payload byte: CRC catches it
  EXPECT_EQ(Parse(bad), MailboxError::kBadCrc);
  bad = r;
  StoreLe16(bad.data() + 6, 0xffff);
  EXPECT_EQ(Parse(bad), MailboxError::kBadSize);
  bad = r;
  StoreLe16(bad.data() + 8, 5);
  Reseal(bad);
  EXPECT_EQ(Parse(bad), MailboxError::kTooManyRequests);
  bad = r;
  StoreLe16(bad.data() + 8, 2);
  Reseal(bad);
  EXPECT_EQ(Parse(bad), MailboxError::kRequestPastEnd);
  bad = r;
  bad[16] = 9;
  Reseal(bad);
  EXPECT_EQ(Parse(bad), MailboxError::kBadRequestType);
  bad = r;
  bad[16] = 0;
  Reseal(bad);
  EXPECT_EQ(Parse(bad), MailboxError::kBadRequestType);
  bad = r;
  bad[17] = 1;  // a revocation names its domain inside, not here
  Reseal(bad);
  EXPECT_EQ(Parse(bad), MailboxError::kBadComponent);
  bad = r;
  StoreLe16(bad.data() + 18, 600);  // data past the payload
  Reseal(bad);
  EXPECT_EQ(Parse(bad), MailboxError::kRequestPastEnd);
  bad = r;
  bad[20 + 5] = 0x11;  // padding after the 5 data bytes
  Reseal(bad);
  EXPECT_EQ(Parse(bad), MailboxError::kBadPadding);
  bad = r;
  StoreLe16(bad.data() + 10, 1);  // reserved
  Reseal(bad);
  EXPECT_EQ(Parse(bad), MailboxError::kBadPadding);
  bad = r;
  StoreLe16(bad.data() + 6, static_cast<uint16_t>(LoadLe16(bad.data() + 6) + 4));
  Reseal(bad);
  EXPECT_EQ(Parse(bad), MailboxError::kTrailingBytes);

  Region confirm = Build({{RequestType::kConfirm, 0, {}}});
  confirm[17] = 3;  // no such component
  Reseal(confirm);
  EXPECT_EQ(Parse(confirm), MailboxError::kBadComponent);
  confirm = Build({{RequestType::kConfirm, 0, {}}});
  StoreLe16(confirm.data() + 18, 4);  // confirm carries no data
  StoreLe16(confirm.data() + 6, 8);
  Reseal(confirm);
  EXPECT_EQ(Parse(confirm), MailboxError::kUnexpectedData);
}

TEST(MailboxTest, TruncationAtEveryLengthIsRefused) {
  const Region r = Build({{RequestType::kRevoke, kAnyComponent, kCommand}});
  for (size_t n = 0; n < sizeof(MailboxHeader) + 12; ++n) {
    Requests out;
    EXPECT_NE(ParseMailbox(ConstByteSpan(r.data(), n), &out), MailboxError::kOk) << n;
    EXPECT_EQ(out.count, 0u);
  }
}

TEST(MailboxTest, BuildRefusesWhatParseWould) {
  Region region{};
  const Request too_many[5] = {};
  EXPECT_EQ(BuildMailbox(too_many, 5, region), Status(StatusCode::kInvalidArgument));
  const Request revoke_empty{RequestType::kRevoke, kAnyComponent, {}};
  EXPECT_EQ(BuildMailbox(&revoke_empty, 1, region), Status(StatusCode::kInvalidArgument));
  const Request confirm_bad{RequestType::kConfirm, kAnyComponent, {}};
  EXPECT_EQ(BuildMailbox(&confirm_bad, 1, region), Status(StatusCode::kInvalidArgument));
  std::vector<uint8_t> huge(2000, 1);
  const Request big{RequestType::kRevoke, kAnyComponent, huge};
  EXPECT_EQ(BuildMailbox(&big, 1, region), Status(StatusCode::kResourceExhausted));
}

class FakeRam final : public platform::SharedRam {
 public:
  Status Region(platform::RamRegion region, ByteSpan* out) override {
    if (region != platform::RamRegion::kMailbox || denied) return StatusCode::kPermissionDenied;
    *out = bytes;
    return StatusCode::kOk;
  }
  std::array<uint8_t, kMailboxCapacity> bytes_storage{};
  ByteSpan bytes{bytes_storage};
  bool denied = false;
};

TEST(MailboxTest, TakeWipesTheRegionEvenWhenRefused) {
  FakeRam ram;
  const Region good = Build({{RequestType::kConfirm, 2, {}}});
  std::memcpy(ram.bytes.data(), good.data(), good.size());
  ByteBuffer<kMailboxCapacity> copy;
  Requests requests;
  ASSERT_EQ(TakeRequests(ram, &copy, &requests), MailboxError::kOk);
  EXPECT_EQ(requests.count, 1u);
  for (uint8_t b : ram.bytes) ASSERT_EQ(b, 0);
  // Taken once: the next boot sees nothing.
  EXPECT_EQ(TakeRequests(ram, &copy, &requests), MailboxError::kEmpty);
  // Garbage is refused and wiped too.
  std::memset(ram.bytes.data(), 0x5a, ram.bytes.size());
  EXPECT_EQ(TakeRequests(ram, &copy, &requests), MailboxError::kBadMagic);
  EXPECT_EQ(requests.count, 0u);
  for (uint8_t b : ram.bytes) ASSERT_EQ(b, 0);
  ram.denied = true;
  EXPECT_EQ(TakeRequests(ram, &copy, &requests), MailboxError::kEmpty);
}

}  // namespace
}  // namespace bastion::mailbox
