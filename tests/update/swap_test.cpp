// Unit tests of the slot swap and its journal (src/update) on the virtual
// device, and a bounded power-fail campaign (every operation, 4 KiB/8 B).
#include <gtest/gtest.h>

#include <algorithm>

#include "swap_rig.h"

namespace bastion::update::testing {
namespace {

using Mode = host::VirtualDevice::PowerLossMode;

const GeometryCase& Small() {
  static const GeometryCase c = Geometries()[0];
  return c;
}
const GeometryCase& Default() {
  static const GeometryCase c = Geometries()[1];
  return c;
}

TEST(SwapTest, InstallThenRevertRestoresTheOldArrangement) {
  const GeometryCase& c = Default();
  auto d = MakeDevice(c);
  WriteInitialState(*d, c);
  const SlotSet slots = RigSlots(c);
  const uint32_t n = std::max(OldSectors(c), NewSectors(c));
  const auto initial = Snapshot(*d, c);

  ASSERT_TRUE(StartSwap(*d, slots, SwapKind::kInstall, OldSectors(c), NewSectors(c)).ok());
  const auto installed = Snapshot(*d, c);
  EXPECT_TRUE(SlotsEqual(c, installed, ModelSwap(c, initial, SwapKind::kInstall, n)));
  SwapStatus status;
  ASSERT_TRUE(QuerySwap(*d, slots.scratch, &status).ok());
  EXPECT_EQ(status.state, SwapState::kComplete);
  EXPECT_EQ(status.kind, SwapKind::kInstall);
  EXPECT_EQ(status.sectors, n);
  EXPECT_EQ(status.steps_done, 2 * n);
  EXPECT_EQ(status.primary_image_sectors, OldSectors(c));
  EXPECT_EQ(status.secondary_image_sectors, NewSectors(c));
  EXPECT_EQ(status.sequence, 1u);

  // The new image now starts the primary slot; the old one the secondary.
  const uint32_t s = c.geometry.sector_size;
  EXPECT_EQ(0,
            std::memcmp(&installed[0], &initial[slots.secondary.offset - slots.primary.offset + s],
                        c.new_image_bytes));
  EXPECT_EQ(0, std::memcmp(&installed[slots.secondary.offset - slots.primary.offset], &initial[0],
                           c.old_image_bytes));
  EXPECT_EQ(SecondaryImageAddress(c.geometry, slots, SwapKind::kRevert), slots.secondary.offset);

  ASSERT_TRUE(StartSwap(*d, slots, SwapKind::kRevert, NewSectors(c), OldSectors(c)).ok());
  const auto reverted = Snapshot(*d, c);
  EXPECT_TRUE(SlotsEqual(c, reverted, ModelSwap(c, installed, SwapKind::kRevert, n)));
  // The primary is back to the original bytes, the new image one sector in again.
  EXPECT_EQ(0, std::memcmp(&reverted[0], &initial[0], slots.primary.size));
  EXPECT_EQ(0, std::memcmp(&reverted[slots.secondary.offset - slots.primary.offset + s],
                           &initial[slots.secondary.offset - slots.primary.offset + s], n * s));
  ASSERT_TRUE(QuerySwap(*d, slots.scratch, &status).ok());
  EXPECT_EQ(status.kind, SwapKind::kRevert);
  EXPECT_EQ(status.sequence, 2u);

  SwapOutcome outcome;
  ASSERT_TRUE(ResumeIfInterrupted(*d, slots, &outcome).ok());
  EXPECT_EQ(outcome.result, ResumeResult::kNothingToDo);
}

TEST(SwapTest, JournalAlternatesSectorsAndSurvivesManySwaps) {
  const GeometryCase& c = Small();
  auto d = MakeDevice(c);
  WriteInitialState(*d, c);
  const SlotSet slots = RigSlots(c);
  for (uint32_t i = 0; i < 6; ++i) {
    const bool install = i % 2 == 0;
    ASSERT_TRUE(StartSwap(*d, slots, install ? SwapKind::kInstall : SwapKind::kRevert,
                          install ? OldSectors(c) : NewSectors(c),
                          install ? NewSectors(c) : OldSectors(c))
                    .ok());
    Journal j;
    ASSERT_TRUE(ReadJournal(*d, slots.scratch, &j).ok());
    EXPECT_EQ(j.sector_address, slots.scratch.offset + (i % 2) * c.geometry.sector_size);
    EXPECT_EQ(j.header.sequence, i + 1);
    EXPECT_TRUE(j.Complete());
  }
}

TEST(SwapTest, RefusesBadSlotSets) {
  const GeometryCase& c = Small();
  auto d = MakeDevice(c);
  const SlotSet good = RigSlots(c);
  const uint32_t s = c.geometry.sector_size;
  const uint32_t p = good.primary.size / s;
  SlotSet bad = good;
  // N must leave the offset sector in the secondary.
  EXPECT_EQ(StartSwap(*d, good, SwapKind::kInstall, p + 1, 1),
            Status(StatusCode::kInvalidArgument));
  EXPECT_EQ(StartSwap(*d, good, SwapKind::kInstall, 0, 0), Status(StatusCode::kInvalidArgument));
  bad.secondary.size = good.primary.size;
  EXPECT_EQ(StartSwap(*d, bad, SwapKind::kInstall, p, p), Status(StatusCode::kInvalidArgument));
  bad = good;
  bad.scratch.size = s;
  EXPECT_EQ(StartSwap(*d, bad, SwapKind::kInstall, 1, 1), Status(StatusCode::kInvalidArgument));
  bad = good;
  bad.secondary.offset = good.primary.offset + s;
  EXPECT_EQ(StartSwap(*d, bad, SwapKind::kInstall, 1, 1), Status(StatusCode::kInvalidArgument));
  bad = good;
  bad.primary.offset += 1;
  EXPECT_EQ(StartSwap(*d, bad, SwapKind::kInstall, 1, 1), Status(StatusCode::kInvalidArgument));
  EXPECT_EQ(StartSwap(*d, good, static_cast<SwapKind>(0), 1, 1),
            Status(StatusCode::kInvalidArgument));
  EXPECT_EQ(MaxSwapSectors(c.geometry, good, 0), p);
  EXPECT_EQ(MaxSwapSectors(c.geometry, good, 1), p - 1);
}

TEST(SwapTest, UnfinishedSwapMustBeResumedFirstAndOnlyForItsSlots) {
  const GeometryCase& c = Small();
  auto d = MakeDevice(c);
  WriteInitialState(*d, c);
  const SlotSet slots = RigSlots(c);
  d->SetPowerLossAfter(20);
  EXPECT_EQ(StartSwap(*d, slots, SwapKind::kInstall, OldSectors(c), NewSectors(c)),
            Status(StatusCode::kUnavailable));
  d->WarmReset();
  SwapStatus status;
  ASSERT_TRUE(QuerySwap(*d, slots.scratch, &status).ok());
  EXPECT_EQ(status.state, SwapState::kInProgress);
  EXPECT_LT(status.steps_done, status.steps_total);
  EXPECT_EQ(StartSwap(*d, slots, SwapKind::kInstall, OldSectors(c), NewSectors(c)),
            Status(StatusCode::kFailedPrecondition));
  // Another component's slots: left alone, reported.
  const otp::FlashLayout l = RigLayout(c);
  SwapOutcome outcome;
  ASSERT_TRUE(
      ResumeIfInterrupted(*d, SlotSet{l.primary[1], l.secondary[1], l.scratch}, &outcome).ok());
  EXPECT_EQ(outcome.result, ResumeResult::kOtherSlots);
  ASSERT_TRUE(ResumeIfInterrupted(*d, slots, &outcome).ok());
  EXPECT_EQ(outcome.result, ResumeResult::kCompleted);
  EXPECT_EQ(outcome.kind, SwapKind::kInstall);
  ASSERT_TRUE(QuerySwap(*d, slots.scratch, &status).ok());
  EXPECT_EQ(status.state, SwapState::kComplete);
}

TEST(SwapTest, CorruptJournalIsDataLoss) {
  const GeometryCase& c = Small();
  auto d = MakeDevice(c);
  WriteInitialState(*d, c);
  const SlotSet slots = RigSlots(c);
  d->SetPowerLossAfter(30);
  EXPECT_EQ(StartSwap(*d, slots, SwapKind::kInstall, OldSectors(c), NewSectors(c)),
            Status(StatusCode::kUnavailable));
  d->WarmReset();
  Journal j;
  ASSERT_TRUE(ReadJournal(*d, slots.scratch, &j).ok());
  // A well-formed record for a step out of sequence.
  JournalRecord r{kJournalRecordMagic ^ j.header.sequence, 40, static_cast<uint16_t>(~40)};
  std::vector<uint8_t> unit(c.geometry.program_unit, 0xff);
  std::memcpy(unit.data(), &r, sizeof(r));
  const uint32_t at = j.sector_address + JournalHeaderSpan(c.geometry.program_unit) +
                      (j.next_unit + 3) * c.geometry.program_unit;
  ASSERT_TRUE(d->Program(at, unit).ok());
  SwapOutcome outcome;
  EXPECT_EQ(ResumeIfInterrupted(*d, slots, &outcome), Status(StatusCode::kDataLoss));
}

// A 4-byte program unit can never hold an 8-byte journal record: the
// journal refuses the geometry (it used to re-run every swap at every boot
// and read past its scan buffer) instead of half-working.
TEST(SwapTest, ProgramUnitsBelowEightBytesAreRefused) {
  GeometryCase c = Small();
  c.geometry.program_unit = 4;
  auto d = MakeDevice(c);
  WriteInitialState(*d, c);
  const SlotSet slots = RigSlots(c);
  // A journal sector whose log is full of non-erased units (what the old
  // code scanned past its buffer).
  std::vector<uint8_t> sector(c.geometry.sector_size, 0x5a);
  d->FactoryWriteFlash(slots.scratch.offset, sector);
  Journal j;
  EXPECT_EQ(ReadJournal(*d, slots.scratch, &j), Status(StatusCode::kInvalidArgument));
  EXPECT_EQ(StartSwap(*d, slots, SwapKind::kInstall, OldSectors(c), NewSectors(c)),
            Status(StatusCode::kInvalidArgument));
  SwapOutcome outcome;
  EXPECT_EQ(ResumeIfInterrupted(*d, slots, &outcome), Status(StatusCode::kInvalidArgument));
  EXPECT_FALSE(otp::GeometrySupported(c.geometry));
  c.geometry.program_unit = 8;
  EXPECT_TRUE(otp::GeometrySupported(c.geometry));
}

TEST(SwapTest, TornModeLeavesPartialPrograms) {
  const GeometryCase& c = Small();
  auto d = MakeDevice(c);
  const SlotSet slots = RigSlots(c);
  EXPECT_EQ(d->power_loss_mode(), Mode::kClean);
  d->SetPowerLossMode(Mode::kTorn);
  std::vector<uint8_t> data(512, 0x11);
  // Find an operation number whose cut lands mid-way.
  bool partial_seen = false;
  for (uint32_t attempt = 0; attempt < 8 && !partial_seen; ++attempt) {
    const uint32_t at = slots.primary.offset + attempt * 512;
    d->WarmReset();
    d->SetPowerLossAfter(1);
    EXPECT_EQ(d->Program(at, data), Status(StatusCode::kUnavailable));
    d->WarmReset();
    const auto& raw = d->raw_flash();
    const size_t written =
        static_cast<size_t>(std::count(raw.begin() + at, raw.begin() + at + 512, 0x11));
    EXPECT_LT(written, 512u);
    // The unit holding the cut can no longer be programmed without an erase.
    const uint32_t cut_unit =
        at + static_cast<uint32_t>(written) / c.geometry.program_unit * c.geometry.program_unit;
    std::vector<uint8_t> one(c.geometry.program_unit, 0x22);
    EXPECT_EQ(d->Program(cut_unit, one), Status(StatusCode::kFailedPrecondition));
    partial_seen = written > 0;
  }
  EXPECT_TRUE(partial_seen);
  // A torn erase leaves the sector neither erased nor intact.
  d->SetPowerLossAfter(1);
  EXPECT_EQ(d->EraseSector(slots.primary.offset), Status(StatusCode::kUnavailable));
  d->WarmReset();
  ASSERT_TRUE(d->EraseSector(slots.primary.offset).ok());
}

class SwapCampaignTest : public ::testing::TestWithParam<std::tuple<Mode, SwapKind>> {};

TEST_P(SwapCampaignTest, EveryOperationSmallGeometry) {
  CampaignOptions options;
  options.mode = std::get<0>(GetParam());
  const CampaignResult r = RunCampaign(Small(), std::get<1>(GetParam()), options);
  EXPECT_EQ(r.failures, 0u) << r.first_failure;
  EXPECT_GT(r.swap_ops, 0u);
  EXPECT_EQ(r.points, r.swap_ops);
  EXPECT_GT(r.nested_points, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    All, SwapCampaignTest,
    ::testing::Combine(::testing::Values(Mode::kClean, Mode::kTorn),
                       ::testing::Values(SwapKind::kInstall, SwapKind::kRevert)),
    [](const auto& param_info) {
      return std::string(std::get<0>(param_info.param) == Mode::kClean ? "Clean" : "Torn") +
             (std::get<1>(param_info.param) == SwapKind::kInstall ? "Install" : "Revert");
    });

}  // namespace
}  // namespace bastion::update::testing

namespace bastion::update::testing {
namespace {

TEST(SlotTrailerTest, McubootLayoutEachFieldProgrammedOnce) {
  for (const GeometryCase& c : Geometries()) {
    auto d = MakeDevice(c);
    const SlotSet slots = RigSlots(c);
    Trailer t;
    ASSERT_TRUE(ReadTrailer(*d, slots.secondary, &t).ok());
    EXPECT_FALSE(t.magic_good);
    EXPECT_TRUE(t.magic_erased);
    ASSERT_TRUE(WriteTrailerMagic(*d, slots.secondary).ok());
    ASSERT_TRUE(WriteTrailerField(*d, slots.secondary, TrailerField::kSwapInfo,
                                  static_cast<uint8_t>(SwapType::kTest))
                    .ok());
    ASSERT_TRUE(WriteTrailerField(*d, slots.secondary, TrailerField::kImageOk, kFlagSet).ok());
    const uint64_t ops = d->operations();
    EXPECT_TRUE(WriteTrailerField(*d, slots.secondary, TrailerField::kImageOk, kFlagSet).ok());
    EXPECT_EQ(d->operations(), ops) << "already set: nothing programmed";
    EXPECT_EQ(WriteTrailerField(*d, slots.secondary, TrailerField::kSwapInfo,
                                static_cast<uint8_t>(SwapType::kPerm)),
              Status(StatusCode::kFailedPrecondition));
    ASSERT_TRUE(ReadTrailer(*d, slots.secondary, &t).ok());
    EXPECT_TRUE(t.magic_good);
    EXPECT_EQ(t.swap_info, static_cast<uint8_t>(SwapType::kTest));
    EXPECT_EQ(t.image_ok, kFlagSet);
    EXPECT_EQ(t.copy_done, 0xff);
    // The 16 magic bytes end the slot, as imgtool writes them.
    const auto& raw = d->raw_flash();
    const uint32_t end = slots.secondary.offset + slots.secondary.size;
    if (c.geometry.program_unit <= 16) {
      EXPECT_TRUE(std::equal(kBootMagic.begin(), kBootMagic.end(), raw.begin() + end - 16));
    } else {
      EXPECT_EQ(raw[end - 16], c.geometry.program_unit);
      EXPECT_TRUE(std::equal(kBootMagicTail.begin(), kBootMagicTail.end(), raw.begin() + end - 14));
    }
  }
}

// A power loss in the middle of a flag's program can leave its unit
// unprogrammable until the next erase without the flag (ECC flash): the
// flag then goes to its spare unit, which reads first. A second torn
// program (the spare's) is an error.
TEST(SlotTrailerTest, TornFlagUnitFallsBackToItsSpare) {
  for (const GeometryCase& c : Geometries()) {
    for (const TrailerField field : {TrailerField::kImageOk, TrailerField::kCopyDone}) {
      auto d = MakeDevice(c);
      const SlotSet slots = RigSlots(c);
      const TrailerLayout l = TrailerLayoutFor(slots.primary, c.geometry.program_unit);
      const bool image_ok = field == TrailerField::kImageOk;
      const std::vector<uint8_t> erased(l.align, 0xff);
      ASSERT_TRUE(d->Program(image_ok ? l.image_ok : l.copy_done, erased).ok());  // torn, empty
      Trailer t;
      ASSERT_TRUE(ReadTrailer(*d, slots.primary, &t).ok());
      EXPECT_EQ(image_ok ? t.image_ok : t.copy_done, 0xff);
      ASSERT_TRUE(WriteTrailerField(*d, slots.primary, field, kFlagSet).ok());
      ASSERT_TRUE(ReadTrailer(*d, slots.primary, &t).ok());
      EXPECT_EQ(image_ok ? t.image_ok : t.copy_done, kFlagSet);
      EXPECT_EQ(image_ok ? t.copy_done : t.image_ok, 0xff) << "the other flag untouched";
      EXPECT_EQ(d->raw_flash()[image_ok ? l.image_ok_spare : l.copy_done_spare], kFlagSet);
      EXPECT_TRUE(WriteTrailerField(*d, slots.primary, field, kFlagSet).ok());  // idempotent

      // A torn unit holding a wrong byte reads as that byte until the spare is written.
      auto g = MakeDevice(c);
      std::vector<uint8_t> garbage(l.align, 0xff);
      garbage[0] = 0x5a;
      ASSERT_TRUE(g->Program(image_ok ? l.image_ok : l.copy_done, garbage).ok());
      ASSERT_TRUE(g->Program(image_ok ? l.image_ok_spare : l.copy_done_spare, erased).ok());
      EXPECT_EQ(WriteTrailerField(*g, slots.primary, field, kFlagSet),
                Status(StatusCode::kFailedPrecondition));
      ASSERT_TRUE(ReadTrailer(*g, slots.primary, &t).ok());
      EXPECT_EQ(image_ok ? t.image_ok : t.copy_done, 0x5a);
    }
  }
}

}  // namespace
}  // namespace bastion::update::testing
