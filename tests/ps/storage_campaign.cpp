// Power-fail campaign for the SM's storage: Internal Trusted Storage and
// Protected Storage together (PS keeps its root in ITS, so a PS write is
// three writes on two devices: the pending root in ITS, the record on the
// external flash, the committed root in ITS).
//
// A scripted sequence of ITS and PS sets and removes (objects of 0 to 1 KiB,
// both stores compacting along the way) runs on a device whose stores were
// first filled close to a compaction. Every flash operation of every step is
// cut in turn (VirtualDevice::SetPowerLossAfter), clean and torn, on three
// geometries (internal + external flash). After each cut the device resets,
// both stores are opened again and:
//   - PS must open healthy: a cut is never taken for a rollback;
//   - the object the step wrote reads as its old or its new value, every
//     other object (ITS and PS) exactly as before; nothing reads corrupt;
//   - the step is repeated and one more write of each store made.
// The reopen itself writes when it completes or drops an interrupted PS
// write: each of its operations is cut too (a second cut point), and the
// next reopen must give the same guarantees.
//
//   storage_campaign          the ctest run: every cut point of the
//                             24-step script on all three geometries
//   storage_campaign --full   a script three times as long
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "ps_rig.h"

using namespace bastion;
using host::VirtualDevice;
using test_support::StorageGeometry;
using test_support::StorageRig;

namespace {

constexpr int32_t kAlice = 3000;
constexpr int32_t kBob = -1;
constexpr int32_t kFiller = 3001;
constexpr uint32_t kQuota = 64 * 1024;

enum class Kind : uint8_t { kItsSet, kItsRemove, kPsSet, kPsRemove };

struct Op {
  Kind kind;
  int32_t owner;
  uint64_t uid;
  uint32_t size;
  uint32_t flags;
};

bool IsPs(Kind k) { return k == Kind::kPsSet || k == Kind::kPsRemove; }
bool IsRemove(Kind k) { return k == Kind::kItsRemove || k == Kind::kPsRemove; }

// (PS?, owner, uid) -> data.
using Key = std::tuple<bool, int32_t, uint64_t>;
using Model = std::map<Key, std::vector<uint8_t>>;

std::vector<uint8_t> Pattern(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed * 37 + i * 11 + (i >> 7) + 3);
  return v;
}

// The script: sets of many sizes, flags, removes, on both stores.
std::vector<Op> Script(bool full) {
  constexpr uint32_t kNoConf = PSA_STORAGE_FLAG_NO_CONFIDENTIALITY;
  constexpr uint32_t kNoReplay = PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION;
  const std::vector<Op> base = {
      {Kind::kPsSet, kAlice, 1, 100, 0},   {Kind::kPsSet, kAlice, 2, 1024, 0},
      {Kind::kItsSet, kAlice, 1, 64, 0},   {Kind::kPsSet, kBob, 1, 500, kNoConf},
      {Kind::kPsSet, kAlice, 1, 1024, 0},  {Kind::kPsRemove, kAlice, 2, 0, 0},
      {Kind::kItsSet, kBob, 2, 300, 0},    {Kind::kPsSet, kBob, 3, 20, kNoReplay},
      {Kind::kPsSet, kAlice, 2, 700, 0},   {Kind::kItsRemove, kAlice, 1, 0, 0},
      {Kind::kPsSet, kBob, 1, 1024, 0},    {Kind::kPsSet, kBob, 3, 900, kNoReplay},
      {Kind::kPsRemove, kBob, 3, 0, 0},    {Kind::kPsSet, kAlice, 4, 0, 0},
      {Kind::kItsSet, kAlice, 1, 1000, 0}, {Kind::kPsSet, kAlice, 1, 300, kNoConf},
      {Kind::kPsRemove, kAlice, 4, 0, 0},  {Kind::kPsSet, kBob, 5, 1024, 0},
      {Kind::kItsSet, kBob, 2, 17, 0},     {Kind::kPsSet, kAlice, 2, 1024, kNoReplay},
      {Kind::kPsSet, kBob, 3, 64, 0},      {Kind::kItsRemove, kBob, 2, 0, 0},
      {Kind::kPsRemove, kBob, 1, 0, 0},    {Kind::kPsSet, kAlice, 6, 1000, 0},
  };
  if (!full) return base;
  std::vector<Op> ops;
  for (int round = 0; round < 3; ++round) {
    for (Op op : base) {
      // The same objects (the small regions hold about a dozen 1 KiB
      // objects), other sizes; the third round swaps the PS flags.
      if (!IsRemove(op.kind)) op.size = (op.size * (1 + 6 * round) + 13 * round) % 1025;
      if (round == 2 && IsPs(op.kind)) {
        op.flags = op.flags == PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION ? 0
                   : op.flags == 0 ? PSA_STORAGE_FLAG_NO_CONFIDENTIALITY
                                   : PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION;
      }
      ops.push_back(op);
    }
  }
  return ops;
}

psa_status_t Apply(StorageRig& rig, const Op& op, uint32_t seed, Model* model) {
  const Key key{IsPs(op.kind), op.owner, op.uid};
  const std::vector<uint8_t> data = Pattern(op.size, seed);
  psa_status_t st = PSA_ERROR_GENERIC_ERROR;
  switch (op.kind) {
    case Kind::kItsSet:
      st = rig.its().Set(op.owner, op.uid, ConstByteSpan(data.data(), data.size()), op.flags,
                         kQuota);
      break;
    case Kind::kItsRemove:
      st = rig.its().Remove(op.owner, op.uid);
      break;
    case Kind::kPsSet:
      st =
          rig.ps().Set(op.owner, op.uid, ConstByteSpan(data.data(), data.size()), op.flags, kQuota);
      break;
    case Kind::kPsRemove:
      st = rig.ps().Remove(op.owner, op.uid);
      break;
  }
  if (st == PSA_SUCCESS) {
    if (IsRemove(op.kind)) {
      model->erase(key);
    } else {
      (*model)[key] = data;
    }
  }
  return st;
}

// What an object reads as: the data, or the status that prevented it.
std::pair<psa_status_t, std::vector<uint8_t>> Read(StorageRig& rig, const Key& key) {
  std::vector<uint8_t> out(1100);
  size_t n = 0;
  const auto [ps, owner, uid] = key;
  const psa_status_t st = ps ? rig.ps().Get(owner, uid, 0, ByteSpan(out.data(), out.size()), &n)
                             : rig.its().Get(owner, uid, 0, ByteSpan(out.data(), out.size()), &n);
  out.resize(st == PSA_SUCCESS ? n : 0);
  return {st, out};
}

bool ReadsAs(const std::pair<psa_status_t, std::vector<uint8_t>>& got, const Model& model,
             const Key& key) {
  const auto it = model.find(key);
  if (it == model.end()) return got.first == PSA_ERROR_DOES_NOT_EXIST;
  return got.first == PSA_SUCCESS && got.second == it->second;
}

struct Campaign {
  uint64_t cuts = 0;
  uint64_t recovery_cuts = 0;
  uint64_t failures = 0;
  std::string where;

  void Fail(const std::string& what) {
    if (++failures <= 20) std::printf("FAIL %s: %s\n", where.c_str(), what.c_str());
  }

  // The stores after a cut: open, healthy, every object old-or-new / exact.
  // Returns whether the stepped object holds its new value (-1: neither).
  int Check(StorageRig& rig, const Model& before, const Model& after, const Key& stepped) {
    const auto opened = rig.Open();
    if (!opened.its.ok() || !opened.ps.ok()) {
      Fail(std::string("open: its ") + StatusName(opened.its) + ", ps " + StatusName(opened.ps));
      return -1;
    }
    if (rig.ps().health() != ps::Health::kGood) {
      Fail("PS reports health " + std::to_string(static_cast<int>(rig.ps().health())));
      return -1;
    }
    if (rig.its().stats().corrupt_records != 0 || rig.ps().stats().log.corrupt_records != 0) {
      Fail("a record reads corrupt");
    }
    int result = 0;
    std::map<Key, bool> keys;
    for (const auto& [k, v] : before) keys[k] = true;
    for (const auto& [k, v] : after) keys[k] = true;
    keys[stepped] = true;
    for (const auto& [k, unused] : keys) {
      const auto got = Read(rig, k);
      const std::string name = std::string(std::get<0>(k) ? "ps " : "its ") +
                               std::to_string(std::get<1>(k)) + "/" +
                               std::to_string(std::get<2>(k));
      if (k == stepped) {
        const bool is_old = ReadsAs(got, before, k);
        const bool is_new = ReadsAs(got, after, k);
        if (!is_old && !is_new) {
          Fail(name + " is neither old nor new (status " + std::to_string(got.first) + ")");
          return -1;
        }
        result = is_new && !is_old ? 1 : 0;
      } else if (!ReadsAs(got, after, k)) {
        Fail(name + " changed (status " + std::to_string(got.first) + ")");
        return -1;
      }
    }
    return result;
  }

  // The step again, then one more write to each store; all must succeed.
  void GoOn(StorageRig& rig, const Op& op, uint32_t seed, Model model) {
    const Key key{IsPs(op.kind), op.owner, op.uid};
    const bool exists = model.count(key) != 0;
    const psa_status_t again = Apply(rig, op, seed, &model);
    const psa_status_t want = IsRemove(op.kind) && !exists ? PSA_ERROR_DOES_NOT_EXIST : PSA_SUCCESS;
    if (again != want) Fail("repeating the step: " + std::to_string(again));
    if (Apply(rig, {Kind::kItsSet, kBob, 99, 40, 0}, 99, &model) != PSA_SUCCESS ||
        Apply(rig, {Kind::kPsSet, kBob, 99, 40, 0}, 98, &model) != PSA_SUCCESS) {
      Fail("a write after the recovery");
    }
    for (const auto& [k, v] : model) {
      if (!ReadsAs(Read(rig, k), model, k)) Fail("after going on, an object differs");
    }
  }
};

// Writes filler objects to one store until its next compaction is at most
// `margin` writes away (found by trying on a copy of the storage).
void FillNearCompaction(StorageRig& rig, bool ps, uint32_t size, uint32_t margin) {
  const auto write = [&](uint32_t i) {
    const auto data = Pattern(size, 1000 + i);
    const ConstByteSpan d(data.data(), data.size());
    return ps ? rig.ps().Set(kFiller, 1 + i % 2, d, 0, kQuota)
              : rig.its().Set(kFiller, 1 + i % 2, d, 0, kQuota);
  };
  const auto compactions = [&] {
    return ps ? rig.ps().stats().log.compactions : rig.its().stats().compactions;
  };
  const StorageRig::Image image = rig.Save();
  uint32_t n = 0;
  while (compactions() == 0 && n < 5000) {
    if (write(n) != PSA_SUCCESS) break;
    ++n;
  }
  rig.Reset();
  rig.Restore(image);
  (void)rig.Open();
  for (uint32_t i = 0; i + margin < n; ++i) (void)write(i);
}

bool Run(const StorageGeometry& g, bool full, Campaign* total) {
  const std::vector<Op> ops = Script(full);
  StorageRig rig(g);
  rig.Reset();
  if (!rig.Open().ps.ok()) {
    std::printf("FAIL %s: cannot open the stores\n", g.name);
    return false;
  }
  FillNearCompaction(rig, /*ps=*/true, ps::kMaxObjectSize, 2);
  FillNearCompaction(rig, /*ps=*/false, 200, 4);
  const StorageRig::Image base = rig.Save();
  const Model base_model;  // the fillers are not checked

  for (const auto mode :
       {VirtualDevice::PowerLossMode::kClean, VirtualDevice::PowerLossMode::kTorn}) {
    const char* mode_name = mode == VirtualDevice::PowerLossMode::kTorn ? "torn" : "clean";
    Campaign c;
    uint32_t its_compactions = 0;
    uint32_t ps_compactions = 0;
    StorageRig::Image image = base;
    Model model = base_model;
    for (size_t i = 0; i < ops.size(); ++i) {
      const Op& op = ops[i];
      const uint32_t seed = static_cast<uint32_t>(i + 1);
      const Key key{IsPs(op.kind), op.owner, op.uid};
      c.where = std::string(g.name) + " " + mode_name + " step " + std::to_string(i);
      // The step uncut: how many flash operations, and the state after.
      rig.Reset();
      rig.Restore(image);
      if (!rig.Open().ps.ok()) c.Fail("reference open");
      Model after = model;
      const uint64_t start = rig.device().operations();
      const psa_status_t st = Apply(rig, op, seed, &after);
      const uint64_t steps = rig.device().operations() - start;
      if (st != PSA_SUCCESS) c.Fail("reference step: " + std::to_string(st));
      its_compactions += rig.its().stats().compactions;
      ps_compactions += rig.ps().stats().log.compactions;
      const StorageRig::Image image_after = rig.Save();

      for (uint64_t n = 1; n <= steps; ++n) {
        c.where = std::string(g.name) + " " + mode_name + " step " + std::to_string(i) +
                  " cut at " + std::to_string(n) + "/" + std::to_string(steps);
        ++c.cuts;
        const auto cut_step = [&] {
          rig.Reset();
          rig.Restore(image);
          if (!rig.Open().ps.ok()) c.Fail("open before the cut");
          rig.device().SetPowerLossMode(mode);
          rig.device().SetPowerLossAfter(n);
          Model scratch = model;
          const psa_status_t cut = Apply(rig, op, seed, &scratch);
          if (cut != PSA_ERROR_STORAGE_FAILURE) c.Fail("cut step returned " + std::to_string(cut));
          rig.device().SetPowerLossAfter(0);
          rig.device().SetPowerLossMode(VirtualDevice::PowerLossMode::kClean);
          rig.Reset();
        };
        cut_step();
        const uint64_t before_open = rig.device().operations();
        const int is_new = c.Check(rig, model, after, key);
        const uint64_t recovery = rig.device().operations() - before_open;
        if (is_new < 0) continue;
        c.GoOn(rig, op, seed, is_new == 1 ? after : model);
        // Cut the recovery too.
        for (uint64_t k = 1; k <= recovery; ++k) {
          ++c.recovery_cuts;
          c.where = std::string(g.name) + " " + mode_name + " step " + std::to_string(i) +
                    " cut at " + std::to_string(n) + ", recovery cut at " + std::to_string(k);
          cut_step();
          rig.device().SetPowerLossMode(mode);
          rig.device().SetPowerLossAfter(k);
          (void)rig.Open();
          rig.device().SetPowerLossAfter(0);
          rig.device().SetPowerLossMode(VirtualDevice::PowerLossMode::kClean);
          rig.Reset();
          if (c.Check(rig, model, after, key) >= 0) {
            c.GoOn(rig, op, seed, ReadsAs(Read(rig, key), after, key) ? after : model);
          }
        }
        if (c.failures > 20) break;
      }
      image = image_after;
      model = after;
      if (c.failures > 20) break;
    }
    std::printf(
        "%-34s %-5s %2zu steps: %5llu cut points + %4llu recovery cut points; "
        "compactions in the reference run: ITS %u, PS %u%s\n",
        g.name, mode_name, ops.size(), static_cast<unsigned long long>(c.cuts),
        static_cast<unsigned long long>(c.recovery_cuts), its_compactions, ps_compactions,
        c.failures ? "  FAILED" : "");
    if (its_compactions == 0 || ps_compactions == 0) {
      std::printf("FAIL %s %s: the script did not compact both stores\n", g.name, mode_name);
      ++c.failures;
    }
    total->cuts += c.cuts;
    total->recovery_cuts += c.recovery_cuts;
    total->failures += c.failures;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const bool full = argc > 1 && std::strcmp(argv[1], "--full") == 0;
  constexpr uint32_t kKiB = 1024;
  constexpr uint32_t kMiB = 1024 * kKiB;
  const std::vector<StorageGeometry> geometries = {
      // Small sectors everywhere; the external flash an SPI NOR (1-byte unit).
      {"int 4KiB/8B + ext 4KiB/1B",
       {2 * kMiB, 4 * kKiB, 8, 0xff},
       {16 * kKiB, 4 * kKiB, 1, 0xff},
       3,
       4},
      // The default internal flash; an external flash with 16-byte units.
      {"int 8KiB/16B + ext 4KiB/16B",
       host::DefaultGeometry(),
       {16 * kKiB, 4 * kKiB, 16, 0xff},
       3,
       4},
      // Larger sectors on both.
      {"int 64KiB/32B + ext 32KiB/8B",
       {4 * kMiB, 64 * kKiB, 32, 0xff},
       {96 * kKiB, 32 * kKiB, 8, 0xff},
       3,
       3},
  };
  Campaign total;
  for (const auto& g : geometries) {
    if (!Run(g, full, &total)) return 1;
  }
  std::printf(
      "storage campaign: %llu interruption points (%llu cut points + %llu cuts of the "
      "recovery), %llu failures\n",
      static_cast<unsigned long long>(total.cuts + total.recovery_cuts),
      static_cast<unsigned long long>(total.cuts),
      static_cast<unsigned long long>(total.recovery_cuts),
      static_cast<unsigned long long>(total.failures));
  return total.failures == 0 ? 0 : 1;
}
