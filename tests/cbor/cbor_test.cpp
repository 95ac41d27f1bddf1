// Tests for src/cbor: RFC 8949 Appendix A examples (encode and decode),
// every refusal of the strict decoder, deep nesting, truncation at every
// byte, strict map order, and the encoder's sticky overflow.
#include "cbor/cbor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "support/hex.h"

namespace bastion::cbor {
namespace {

using Bytes = std::vector<uint8_t>;
using test_support::Hex;
using test_support::ToHex;

CborError ValidateError(const Bytes& input, bool check_map_order = false,
                        uint8_t max_depth = kDefaultMaxDepth) {
  CborError error = CborError::kOk;
  const Status status = Validate(input, check_map_order, max_depth, &error);
  EXPECT_EQ(status, CborErrorStatus(error));
  return error;
}

template <typename Fn>
std::string Encode(Fn fn) {
  std::array<uint8_t, 256> buffer;
  Encoder e(buffer);
  fn(e);
  EXPECT_TRUE(e.status().ok());
  return ToHex(e.written());
}

// ------------------------------------------------------------ RFC 8949 Appendix A

struct UnsignedVector {
  uint64_t value;
  const char* hex;
};
constexpr UnsignedVector kUnsigned[] = {
    {0, "00"},
    {1, "01"},
    {10, "0a"},
    {23, "17"},
    {24, "1818"},
    {25, "1819"},
    {100, "1864"},
    {1000, "1903e8"},
    {1000000, "1a000f4240"},
    {1000000000000ull, "1b000000e8d4a51000"},
    {18446744073709551615ull, "1bffffffffffffffff"},
};

TEST(CborAppendixA, UnsignedIntegersEncode) {
  for (const auto& v : kUnsigned) {
    EXPECT_EQ(Encode([&](Encoder& e) { e.WriteUnsigned(v.value); }), v.hex) << v.value;
  }
}

TEST(CborAppendixA, UnsignedIntegersDecode) {
  for (const auto& v : kUnsigned) {
    const Bytes in = Hex(v.hex);
    Decoder d(in);
    uint64_t value = 0;
    ASSERT_TRUE(d.ReadUnsigned(&value).ok()) << v.hex;
    EXPECT_EQ(value, v.value);
    EXPECT_TRUE(d.Finish().ok());
  }
}

struct IntVector {
  int64_t value;
  const char* hex;
};
constexpr IntVector kInts[] = {
    {-1, "20"},
    {-10, "29"},
    {-100, "3863"},
    {-1000, "3903e7"},
    {0, "00"},
    {1000000, "1a000f4240"},
    {INT64_MIN, "3b7fffffffffffffff"},
    {INT64_MAX, "1b7fffffffffffffff"},
};

TEST(CborAppendixA, SignedIntegers) {
  for (const auto& v : kInts) {
    EXPECT_EQ(Encode([&](Encoder& e) { e.WriteInt(v.value); }), v.hex);
    const Bytes in = Hex(v.hex);
    Decoder d(in);
    int64_t value = 0;
    ASSERT_TRUE(d.ReadInt(&value).ok()) << v.hex;
    EXPECT_EQ(value, v.value);
    EXPECT_TRUE(d.Finish().ok());
  }
}

TEST(CborAppendixA, IntegersBeyondInt64AreWellFormedButNotInt64) {
  // -18446744073709551616 is well-formed CBOR; ReadInt cannot hold it.
  const Bytes in = Hex("3bffffffffffffffff");
  EXPECT_EQ(ValidateError(in), CborError::kOk);
  Decoder d(in);
  int64_t value = 0;
  EXPECT_EQ(d.ReadInt(&value), Status(StatusCode::kInvalidArgument));
  EXPECT_EQ(d.error(), CborError::kIntegerOverflow);
  const Bytes big = Hex("1bffffffffffffffff");
  Decoder d2(big);
  EXPECT_EQ(d2.ReadInt(&value), Status(StatusCode::kInvalidArgument));
  // Bignums are tags 2 / 3 around byte strings: read as such.
  for (const char* hex : {"c249010000000000000000", "c349010000000000000000"}) {
    const Bytes b = Hex(hex);
    Decoder db(b);
    uint64_t tag = 0;
    ConstByteSpan bytes;
    ASSERT_TRUE(db.ReadTag(&tag).ok());
    ASSERT_TRUE(db.ReadBytes(&bytes).ok());
    EXPECT_EQ(tag, hex[1] == '2' ? 2u : 3u);
    EXPECT_EQ(ToHex(bytes), "010000000000000000");
    EXPECT_TRUE(db.Finish().ok());
  }
}

TEST(CborAppendixA, SimpleValues) {
  EXPECT_EQ(Encode([](Encoder& e) { e.WriteBool(false); }), "f4");
  EXPECT_EQ(Encode([](Encoder& e) { e.WriteBool(true); }), "f5");
  EXPECT_EQ(Encode([](Encoder& e) { e.WriteNull(); }), "f6");
  for (const char* hex : {"f4", "f5"}) {
    const Bytes in = Hex(hex);
    Decoder d(in);
    bool value = false;
    ASSERT_TRUE(d.ReadBool(&value).ok());
    EXPECT_EQ(value, hex[1] == '5');
    EXPECT_TRUE(d.Finish().ok());
  }
  const Bytes null = Hex("f6");
  Decoder d(null);
  EXPECT_TRUE(d.ReadNull().ok());
  EXPECT_TRUE(d.Finish().ok());
  // undefined, simple(16), simple(255): well-formed, refused by Bastion.
  EXPECT_EQ(ValidateError(Hex("f7")), CborError::kUnsupportedSimple);
  EXPECT_EQ(ValidateError(Hex("f0")), CborError::kUnsupportedSimple);
  EXPECT_EQ(ValidateError(Hex("f8ff")), CborError::kUnsupportedSimple);
}

TEST(CborAppendixA, FloatsAreRefused) {
  for (const char* hex : {"f90000",
                          "f98000",
                          "f93c00",
                          "fb3ff199999999999a",
                          "f93e00",
                          "f97bff",
                          "fa47c35000",
                          "fa7f7fffff",
                          "fb7e37e43c8800759c",
                          "f90001",
                          "f90400",
                          "f9c400",
                          "fbc010666666666666",
                          "f97c00",
                          "f97e00",
                          "f9fc00",
                          "fa7f800000",
                          "fa7fc00000",
                          "faff800000",
                          "fb7ff0000000000000",
                          "fb7ff8000000000000",
                          "fbfff0000000000000"}) {
    EXPECT_EQ(ValidateError(Hex(hex)), CborError::kFloat) << hex;
  }
}

TEST(CborAppendixA, Tags) {
  EXPECT_EQ(Encode([](Encoder& e) {
              e.WriteTag(0);
              e.WriteText("2013-03-21T20:04:00Z");
            }),
            "c074323031332d30332d32315432303a30343a30305a");
  EXPECT_EQ(Encode([](Encoder& e) {
              e.WriteTag(1);
              e.WriteUnsigned(1363896240);
            }),
            "c11a514b67b0");
  const Bytes b4 = Hex("01020304");
  EXPECT_EQ(Encode([&](Encoder& e) {
              e.WriteTag(23);
              e.WriteBytes(b4);
            }),
            "d74401020304");
  const Bytes ietf = Hex("6449455446");
  EXPECT_EQ(Encode([&](Encoder& e) {
              e.WriteTag(24);
              e.WriteBytes(ietf);
            }),
            "d818456449455446");
  EXPECT_EQ(Encode([](Encoder& e) {
              e.WriteTag(32);
              e.WriteText("http://www.example.com");
            }),
            "d82076687474703a2f2f7777772e6578616d706c652e636f6d");

  const Bytes in = Hex("d82076687474703a2f2f7777772e6578616d706c652e636f6d");
  Decoder d(in);
  ASSERT_EQ(*d.PeekType(), MajorType::kTag);
  uint64_t tag = 0;
  ConstByteSpan text;
  ASSERT_TRUE(d.ReadTag(&tag).ok());
  EXPECT_EQ(tag, 32u);
  ASSERT_TRUE(d.ReadText(&text).ok());
  EXPECT_TRUE(Equals(text, "http://www.example.com"));
  EXPECT_EQ(text.data(), in.data() + 3);  // zero copy
  EXPECT_TRUE(d.Finish().ok());
}

TEST(CborAppendixA, Strings) {
  struct V {
    const char* text;
    const char* hex;
  };
  const V texts[] = {{"", "60"},
                     {"a", "6161"},
                     {"IETF", "6449455446"},
                     {"\"\\", "62225c"},
                     {"\xc3\xbc", "62c3bc"},
                     {"\xe6\xb0\xb4", "63e6b0b4"},
                     {"\xf0\x90\x85\x91", "64f0908591"}};
  for (const V& v : texts) {
    EXPECT_EQ(Encode([&](Encoder& e) { e.WriteText(v.text); }), v.hex);
    const Bytes in = Hex(v.hex);
    Decoder d(in);
    ConstByteSpan text;
    ASSERT_TRUE(d.ReadText(&text).ok()) << v.hex;
    EXPECT_TRUE(Equals(text, v.text));
    EXPECT_TRUE(d.Finish().ok());
  }
  EXPECT_EQ(Encode([](Encoder& e) { e.WriteBytes({}); }), "40");
  const Bytes b4 = Hex("01020304");
  EXPECT_EQ(Encode([&](Encoder& e) { e.WriteBytes(b4); }), "4401020304");
  const Bytes in = Hex("4401020304");
  Decoder d(in);
  ConstByteSpan bytes;
  ASSERT_TRUE(d.ReadBytes(&bytes).ok());
  EXPECT_EQ(ToHex(bytes), "01020304");
  EXPECT_EQ(bytes.data(), in.data() + 1);
}

TEST(CborAppendixA, ArraysAndMapsEncode) {
  EXPECT_EQ(Encode([](Encoder& e) { e.BeginArray(0); }), "80");
  EXPECT_EQ(Encode([](Encoder& e) {
              e.BeginArray(3);
              for (int i = 1; i <= 3; ++i) e.WriteInt(i);
            }),
            "83010203");
  EXPECT_EQ(Encode([](Encoder& e) {
              e.BeginArray(3);
              e.WriteUnsigned(1);
              e.BeginArray(2);
              e.WriteUnsigned(2);
              e.WriteUnsigned(3);
              e.BeginArray(2);
              e.WriteUnsigned(4);
              e.WriteUnsigned(5);
            }),
            "8301820203820405");
  EXPECT_EQ(Encode([](Encoder& e) {
              e.BeginArray(25);
              for (uint64_t i = 1; i <= 25; ++i) e.WriteUnsigned(i);
            }),
            "98190102030405060708090a0b0c0d0e0f101112131415161718181819");
  EXPECT_EQ(Encode([](Encoder& e) { e.BeginMap(0); }), "a0");
  EXPECT_EQ(Encode([](Encoder& e) {
              e.BeginMap(2);
              e.WriteUnsigned(1);
              e.WriteUnsigned(2);
              e.WriteUnsigned(3);
              e.WriteUnsigned(4);
            }),
            "a201020304");
  EXPECT_EQ(Encode([](Encoder& e) {
              e.BeginMap(2);
              e.WriteText("a");
              e.WriteUnsigned(1);
              e.WriteText("b");
              e.BeginArray(2);
              e.WriteUnsigned(2);
              e.WriteUnsigned(3);
            }),
            "a26161016162820203");
  EXPECT_EQ(Encode([](Encoder& e) {
              e.BeginArray(2);
              e.WriteText("a");
              e.BeginMap(1);
              e.WriteText("b");
              e.WriteText("c");
            }),
            "826161a161626163");
  EXPECT_EQ(Encode([](Encoder& e) {
              e.BeginMap(5);
              for (const char* k : {"a", "b", "c", "d", "e"}) {
                e.WriteText(k);
                const char upper[2] = {static_cast<char>(k[0] - 'a' + 'A'), 0};
                e.WriteText(upper);
              }
            }),
            "a56161614161626142616361436164614461656145");
}

TEST(CborAppendixA, ArraysAndMapsDecode) {
  // [1, [2, 3], [4, 5]]
  const Bytes in = Hex("8301820203820405");
  Decoder d(in);
  size_t n = 0;
  uint64_t v = 0;
  ASSERT_TRUE(d.EnterArray(&n).ok());
  EXPECT_EQ(n, 3u);
  ASSERT_TRUE(d.ReadUnsigned(&v).ok());
  EXPECT_EQ(v, 1u);
  for (uint64_t first : {2u, 4u}) {
    ASSERT_TRUE(d.EnterArray(&n).ok());
    EXPECT_EQ(d.depth(), 2);
    ASSERT_TRUE(d.ReadUnsigned(&v).ok());
    EXPECT_EQ(v, first);
    ASSERT_TRUE(d.ReadUnsigned(&v).ok());
    EXPECT_EQ(v, first + 1);
    ASSERT_TRUE(d.Exit().ok());
  }
  ASSERT_TRUE(d.Exit().ok());
  EXPECT_TRUE(d.Finish().ok());

  // {"a": 1, "b": [2, 3]} strictly.
  const Bytes map = Hex("a26161016162820203");
  Decoder m(map);
  ASSERT_TRUE(m.EnterMapStrict(&n).ok());
  EXPECT_EQ(n, 2u);
  ConstByteSpan key;
  ASSERT_TRUE(m.ReadText(&key).ok());
  EXPECT_TRUE(Equals(key, "a"));
  ASSERT_TRUE(m.ReadUnsigned(&v).ok());
  ASSERT_TRUE(m.ReadText(&key).ok());
  EXPECT_TRUE(Equals(key, "b"));
  ConstByteSpan encoded;
  ASSERT_TRUE(m.SkipCapture(&encoded).ok());
  EXPECT_EQ(ToHex(encoded), "820203");
  ASSERT_TRUE(m.Exit().ok());
  EXPECT_TRUE(m.Finish().ok());
}

TEST(CborAppendixA, EveryWellFormedNonFloatExampleValidates) {
  for (const char* hex : {"00",
                          "01",
                          "0a",
                          "17",
                          "1818",
                          "1819",
                          "1864",
                          "1903e8",
                          "1a000f4240",
                          "1b000000e8d4a51000",
                          "1bffffffffffffffff",
                          "c249010000000000000000",
                          "3bffffffffffffffff",
                          "c349010000000000000000",
                          "20",
                          "29",
                          "3863",
                          "3903e7",
                          "f4",
                          "f5",
                          "f6",
                          "c074323031332d30332d32315432303a30343a30305a",
                          "c11a514b67b0",
                          "d74401020304",
                          "d818456449455446",
                          "d82076687474703a2f2f7777772e6578616d706c652e636f6d",
                          "40",
                          "4401020304",
                          "60",
                          "6161",
                          "6449455446",
                          "62225c",
                          "62c3bc",
                          "63e6b0b4",
                          "64f0908591",
                          "80",
                          "83010203",
                          "8301820203820405",
                          "98190102030405060708090a0b0c0d0e0f101112131415161718181819",
                          "a0",
                          "a201020304",
                          "a26161016162820203",
                          "826161a161626163",
                          "a56161614161626142616361436164614461656145"}) {
    EXPECT_EQ(ValidateError(Hex(hex), /*check_map_order=*/true), CborError::kOk) << hex;
  }
}

TEST(CborAppendixA, IndefiniteLengthExamplesAreRefused) {
  for (const char* hex :
       {"5f42010243030405ff", "7f657374726561646d696e67ff", "9fff", "9f018202039f0405ffff",
        "9f01820203820405ff", "83018202039f0405ff", "83019f0203ff820405",
        "9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff", "bf61610161629f0203ffff",
        "826161bf61626163ff", "bf6346756ef563416d7421ff"}) {
    EXPECT_EQ(ValidateError(Hex(hex)), CborError::kIndefiniteLength) << hex;
  }
}

// ------------------------------------------------------------ refusals

TEST(CborRefusal, NonShortestHeads) {
  for (const char* hex :
       {"1817", "190017", "1900ff", "1a0000ffff", "1b00000000ffffffff", "3817", "5801ff", "780161",
        "9800", "b800", "d81700", "d8000100", "1a00000000", "1b0000000000000000"}) {
    EXPECT_EQ(ValidateError(Hex(hex)), CborError::kNonShortestHead) << hex;
  }
}

TEST(CborRefusal, ReservedAdditionalInfo) {
  for (const char* hex : {"1c", "1d", "1e", "3c", "5c", "7d", "9e", "bc", "dd", "fc", "fd", "fe"}) {
    EXPECT_EQ(ValidateError(Hex(hex)), CborError::kReservedInfo) << hex;
  }
}

TEST(CborRefusal, AdditionalInfo31) {
  for (const char* hex : {"1f", "3f", "5fff", "7fff", "9fff", "bfff", "dfff", "ff"}) {
    EXPECT_EQ(ValidateError(Hex(hex)), CborError::kIndefiniteLength) << hex;
  }
}

TEST(CborRefusal, SimpleValues) {
  for (const char* hex : {"e0", "f3", "f7", "f818", "f820", "f8ff"}) {
    EXPECT_EQ(ValidateError(Hex(hex)), CborError::kUnsupportedSimple) << hex;
  }
}

TEST(CborRefusal, InvalidUtf8) {
  for (const char* hex : {"61ff", "6180", "62c080", "62c1bf", "63e08080", "63eda080", "63edbfbf",
                          "64f4908080", "64f8888080", "62e6b0", "61c3", "64f0808080"}) {
    EXPECT_EQ(ValidateError(Hex(hex)), CborError::kInvalidUtf8) << hex;
  }
  // The same bytes in a byte string are fine.
  EXPECT_EQ(ValidateError(Hex("41ff")), CborError::kOk);
  EXPECT_TRUE(IsValidUtf8(Hex("f4808080")));  // U+100000
  EXPECT_TRUE(IsValidUtf8(Hex("f48fbfbf")));  // U+10FFFF
  EXPECT_TRUE(IsValidUtf8(Hex("ee8080")));    // U+E000
  EXPECT_TRUE(IsValidUtf8(Hex("ed9fbf")));    // U+D7FF
}

TEST(CborRefusal, TrailingBytes) {
  EXPECT_EQ(ValidateError(Hex("0000")), CborError::kTrailingBytes);
  EXPECT_EQ(ValidateError(Hex("8001")), CborError::kTrailingBytes);
  const Bytes in = Hex("01f6");
  Decoder d(in);
  uint64_t v = 0;
  ASSERT_TRUE(d.ReadUnsigned(&v).ok());
  EXPECT_EQ(d.Finish(), Status(StatusCode::kInvalidArgument));
  EXPECT_EQ(d.error(), CborError::kTrailingBytes);
}

TEST(CborRefusal, ReadsPastTheTopLevelItem) {
  const Bytes in = Hex("0102");
  Decoder d(in);
  uint64_t v = 0;
  ASSERT_TRUE(d.ReadUnsigned(&v).ok());
  EXPECT_EQ(d.ReadUnsigned(&v), Status(StatusCode::kOutOfRange));
  EXPECT_EQ(d.error(), CborError::kEndOfContainer);
}

TEST(CborRefusal, EmptyInput) {
  EXPECT_EQ(ValidateError({}), CborError::kTruncated);
  Decoder d({});
  EXPECT_EQ(d.Finish(), Status(StatusCode::kFailedPrecondition));
  EXPECT_EQ(d.error(), CborError::kItemsRemaining);
}

TEST(CborRefusal, HugeCountsAreTruncationNotOverflow) {
  for (const char* hex : {"9bffffffffffffffff", "bbffffffffffffffff", "5bffffffffffffffff",
                          "7bffffffffffffffff", "9a7fffffff00", "b9800000", "a1", "5a00010000"}) {
    EXPECT_EQ(ValidateError(Hex(hex)), CborError::kTruncated) << hex;
  }
}

// Every proper prefix of a valid item is refused as truncated.
TEST(CborRefusal, TruncationAtEveryByte) {
  for (const char* hex :
       {"1b000000e8d4a51000", "c074323031332d30332d32315432303a30343a30305a", "8301820203820405",
        "98190102030405060708090a0b0c0d0e0f101112131415161718181819", "a26161016162820203",
        "a56161614161626142616361436164614461656145", "64f0908591", "3b7fffffffffffffff",
        "d82076687474703a2f2f7777772e6578616d706c652e636f6d", "c249010000000000000000"}) {
    const Bytes full = Hex(hex);
    ASSERT_EQ(ValidateError(full, true), CborError::kOk) << hex;
    for (size_t n = 0; n < full.size(); ++n) {
      const Bytes prefix(full.begin(), full.begin() + static_cast<long>(n));
      EXPECT_EQ(ValidateError(prefix, true), CborError::kTruncated) << hex << " at " << n;
    }
  }
}

Bytes NestedArrays(size_t depth) {
  Bytes out(depth, 0x81);
  out.push_back(0x00);
  return out;
}

TEST(CborRefusal, DepthLimit) {
  EXPECT_EQ(ValidateError(NestedArrays(8)), CborError::kOk);
  EXPECT_EQ(ValidateError(NestedArrays(9)), CborError::kTooDeep);
  EXPECT_EQ(ValidateError(NestedArrays(3), false, 3), CborError::kOk);
  EXPECT_EQ(ValidateError(NestedArrays(4), false, 3), CborError::kTooDeep);
  EXPECT_EQ(ValidateError(NestedArrays(0), false, 0), CborError::kOk);
  EXPECT_EQ(ValidateError(Hex("80"), false, 0), CborError::kTooDeep);
  // Maps count too, empty containers count too.
  EXPECT_EQ(ValidateError(Hex("a101a101a10180"), false, 3), CborError::kTooDeep);
  EXPECT_EQ(ValidateError(Hex("a101a101a10100"), false, 3), CborError::kOk);
  // A deep attack input is refused without recursion.
  EXPECT_EQ(ValidateError(NestedArrays(100000)), CborError::kTooDeep);
  // The limit is clamped to kMaxDepthLimit.
  EXPECT_EQ(ValidateError(NestedArrays(kMaxDepthLimit), false, 200), CborError::kOk);
  EXPECT_EQ(ValidateError(NestedArrays(kMaxDepthLimit + 1), false, 200), CborError::kTooDeep);
}

TEST(CborRefusal, DepthLimitInThePullReader) {
  const Bytes in = NestedArrays(9);
  Decoder d(in);
  size_t n = 0;
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(d.EnterArray(&n).ok()) << i;
  EXPECT_EQ(d.EnterArray(&n), Status(StatusCode::kResourceExhausted));
  EXPECT_EQ(d.error(), CborError::kTooDeep);

  // Skip counts the depth already entered.
  Decoder s(in);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(s.EnterArray(&n).ok());
  EXPECT_EQ(s.Skip(), Status(StatusCode::kResourceExhausted));
  const Bytes ok = NestedArrays(8);
  Decoder s2(ok);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(s2.EnterArray(&n).ok());
  ASSERT_TRUE(s2.Skip().ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(s2.Exit().ok());
  EXPECT_TRUE(s2.Finish().ok());
}

TEST(CborRefusal, TagsDoNotCountAsNesting) {
  Bytes chain(200, 0xc1);
  chain.push_back(0x00);
  EXPECT_EQ(ValidateError(chain), CborError::kOk);
}

TEST(CborStrictMap, DuplicateKeys) {
  EXPECT_EQ(ValidateError(Hex("a201020103"), true), CborError::kDuplicateKey);
  EXPECT_EQ(ValidateError(Hex("a2616101616102"), true), CborError::kDuplicateKey);
  EXPECT_EQ(ValidateError(Hex("a201020103"), false), CborError::kOk);
  const Bytes in = Hex("a201020103");
  Decoder d(in);
  size_t n = 0;
  EXPECT_EQ(d.EnterMapStrict(&n), Status(StatusCode::kDataLoss));
  EXPECT_EQ(d.error(), CborError::kDuplicateKey);
  Decoder lenient(in);
  EXPECT_TRUE(lenient.EnterMap(&n).ok());
}

TEST(CborStrictMap, KeyOrderIsBytewiseLexicographicOfEncodings) {
  EXPECT_EQ(ValidateError(Hex("a203040102"), true), CborError::kKeyOrder);
  // 24 (0x1818) sorts before -1 (0x20): bytewise, not by value or length.
  EXPECT_EQ(ValidateError(Hex("a218180020f6"), true), CborError::kOk);
  EXPECT_EQ(ValidateError(Hex("a22000181800"), true), CborError::kKeyOrder);
  // "b" (0x6162) before "aa" (0x626161).
  EXPECT_EQ(ValidateError(Hex("a261620162616102"), true), CborError::kOk);
  EXPECT_EQ(ValidateError(Hex("a262616102616201"), true), CborError::kKeyOrder);
  // A prefix sorts first: 0x41 0x00 ... h'00' before h'0000'.
  EXPECT_EQ(ValidateError(Hex("a242000001410002"), true), CborError::kKeyOrder);
  EXPECT_EQ(ValidateError(Hex("a2410001420000f6"), true), CborError::kOk);
  // Nested maps inside arrays and map values are checked too.
  EXPECT_EQ(ValidateError(Hex("8201a202010100"), true), CborError::kKeyOrder);
  EXPECT_EQ(ValidateError(Hex("a101a2020101f6"), true), CborError::kKeyOrder);
  // Array-valued keys compare by their whole encoding.
  EXPECT_EQ(ValidateError(Hex("a282010201820103f6"), true), CborError::kOk);
  EXPECT_EQ(ValidateError(Hex("a282010301820102f6"), true), CborError::kKeyOrder);
  EXPECT_EQ(ValidateError(Hex("a282010201820102f6"), true), CborError::kDuplicateKey);
}

// ------------------------------------------------------------ pull reader

TEST(CborDecoder, TypeMismatchIsStickyAndConsumesNothing) {
  const Bytes in = Hex("20");
  Decoder d(in);
  uint64_t v = 0;
  EXPECT_EQ(d.ReadUnsigned(&v), Status(StatusCode::kFailedPrecondition));
  EXPECT_EQ(d.error(), CborError::kTypeMismatch);
  EXPECT_EQ(d.offset(), 0u);
  int64_t i = 0;
  EXPECT_EQ(d.ReadInt(&i), Status(StatusCode::kFailedPrecondition));  // sticky
  EXPECT_EQ(d.Finish(), Status(StatusCode::kFailedPrecondition));
}

TEST(CborDecoder, TypedReadsRefuseOtherTypes) {
  const Bytes tagged = Hex("c101");
  Decoder d(tagged);
  uint64_t v = 0;
  EXPECT_EQ(d.ReadUnsigned(&v), Status(StatusCode::kFailedPrecondition));  // tag first
  const Bytes null = Hex("f6");
  Decoder b(null);
  bool flag = false;
  EXPECT_EQ(b.ReadBool(&flag), Status(StatusCode::kFailedPrecondition));
  const Bytes t = Hex("f5");
  Decoder n(t);
  EXPECT_EQ(n.ReadNull(), Status(StatusCode::kFailedPrecondition));
  const Bytes text = Hex("6161");
  Decoder bytes(text);
  ConstByteSpan span;
  EXPECT_EQ(bytes.ReadBytes(&span), Status(StatusCode::kFailedPrecondition));
  const Bytes arr = Hex("80");
  Decoder m(arr);
  size_t count = 0;
  EXPECT_EQ(m.EnterMap(&count), Status(StatusCode::kFailedPrecondition));
}

TEST(CborDecoder, ContainerBookkeeping) {
  const Bytes in = Hex("820102");
  Decoder d(in);
  size_t n = 0;
  uint64_t v = 0;
  EXPECT_EQ(d.Exit(), Status(StatusCode::kFailedPrecondition));
  EXPECT_EQ(d.error(), CborError::kNotInContainer);

  Decoder e(in);
  ASSERT_TRUE(e.EnterArray(&n).ok());
  ASSERT_TRUE(e.ReadUnsigned(&v).ok());
  EXPECT_EQ(e.remaining(), 1u);
  EXPECT_EQ(e.Exit(), Status(StatusCode::kFailedPrecondition));
  EXPECT_EQ(e.error(), CborError::kItemsRemaining);

  const Bytes empty = Hex("80");
  Decoder f(empty);
  ASSERT_TRUE(f.EnterArray(&n).ok());
  EXPECT_EQ(f.ReadUnsigned(&v), Status(StatusCode::kOutOfRange));
  EXPECT_EQ(f.error(), CborError::kEndOfContainer);

  // A tag with nothing read after it leaves an item unread.
  const Bytes tag = Hex("c101");
  Decoder g(tag);
  ASSERT_TRUE(g.ReadTag(&v).ok());
  EXPECT_EQ(g.Finish(), Status(StatusCode::kFailedPrecondition));

  // Finish inside a container.
  Decoder h(in);
  ASSERT_TRUE(h.EnterArray(&n).ok());
  EXPECT_EQ(h.Finish(), Status(StatusCode::kFailedPrecondition));
}

TEST(CborDecoder, SkipWholeStructures) {
  const Bytes in = Hex("84a26161016162820203c1c2434142434064f0908591");
  Decoder d(in);
  size_t n = 0;
  ASSERT_TRUE(d.EnterArray(&n).ok());
  ConstByteSpan encoded;
  ASSERT_TRUE(d.SkipCapture(&encoded, true).ok());
  EXPECT_EQ(ToHex(encoded), "a26161016162820203");
  ASSERT_TRUE(d.SkipCapture(&encoded).ok());
  EXPECT_EQ(ToHex(encoded), "c1c243414243");  // tags included
  ASSERT_TRUE(d.Skip().ok());
  ASSERT_TRUE(d.Skip().ok());
  EXPECT_EQ(d.Skip(), Status(StatusCode::kOutOfRange));  // the array is done
}

TEST(CborDecoder, PeekDoesNotConsume) {
  const Bytes in = Hex("6161");
  Decoder d(in);
  EXPECT_EQ(*d.PeekType(), MajorType::kText);
  EXPECT_EQ(*d.PeekType(), MajorType::kText);
  EXPECT_EQ(d.offset(), 0u);
  const Bytes bad = Hex("1817");
  Decoder b(bad);
  EXPECT_FALSE(b.PeekType().ok());
  EXPECT_EQ(b.error(), CborError::kNonShortestHead);
}

TEST(CborDecoder, ErrorNamesAndStatusesAreDistinct) {
  std::vector<std::string> names;
  for (int i = 0; i <= static_cast<int>(CborError::kNotInContainer); ++i) {
    const auto e = static_cast<CborError>(i);
    names.emplace_back(CborErrorName(e));
    EXPECT_NE(names.back(), "unknown");
    EXPECT_EQ(CborErrorStatus(e).ok(), e == CborError::kOk);
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::unique(names.begin(), names.end()), names.end());
  EXPECT_EQ(CborErrorStatus(CborError::kTruncated), Status(StatusCode::kOutOfRange));
  EXPECT_EQ(CborErrorStatus(CborError::kTooDeep), Status(StatusCode::kResourceExhausted));
  EXPECT_EQ(CborErrorStatus(CborError::kNonShortestHead), Status(StatusCode::kDataLoss));
}

// ------------------------------------------------------------ encoder

TEST(CborEncoder, HeadsAreShortestAtEveryBoundary) {
  struct B {
    uint64_t value;
    size_t size;
  };
  for (const B& b : {B{23, 1}, B{24, 2}, B{255, 2}, B{256, 3}, B{65535, 3}, B{65536, 5},
                     B{0xffffffffu, 5}, B{0x100000000ull, 9}}) {
    std::array<uint8_t, kMaxHeadSize> head;
    EXPECT_EQ(EncodeHead(MajorType::kBytes, b.value, head), b.size) << b.value;
    EXPECT_EQ(HeadSize(b.value), b.size);
    std::array<uint8_t, 16> buffer;
    Encoder e(buffer);
    e.WriteUnsigned(b.value);
    ASSERT_TRUE(e.status().ok());
    EXPECT_EQ(ValidateError(Bytes(e.written().begin(), e.written().end())), CborError::kOk);
  }
}

TEST(CborEncoder, OverflowIsResourceExhaustedAndSticky) {
  std::array<uint8_t, 4> buffer;
  Encoder e(buffer);
  e.WriteUnsigned(1);
  e.WriteText("abcd");  // 5 bytes: does not fit in the 3 left
  EXPECT_EQ(e.status(), Status(StatusCode::kResourceExhausted));
  EXPECT_EQ(e.size(), 1u);
  e.WriteUnsigned(2);  // would fit, but the encoder has failed
  EXPECT_EQ(e.size(), 1u);
  EXPECT_EQ(e.status(), Status(StatusCode::kResourceExhausted));

  Encoder empty{ByteSpan()};
  empty.WriteNull();
  EXPECT_EQ(empty.status(), Status(StatusCode::kResourceExhausted));

  // Exactly full is fine.
  std::array<uint8_t, 5> exact;
  Encoder x(exact);
  x.WriteText("abcd");
  EXPECT_TRUE(x.status().ok());
  EXPECT_EQ(x.size(), 5u);
}

TEST(CborEncoder, BstrWrappedItem) {
  std::array<uint8_t, 32> buffer;
  Encoder e(buffer);
  const Bytes inner = Hex("a10126");
  e.BeginBytes(inner.size());
  e.WriteRaw(inner);
  ASSERT_TRUE(e.status().ok());
  EXPECT_EQ(ToHex(e.written()), "43a10126");
}

// Encode -> strict decode -> re-encode is the identity for a generated mix.
TEST(CborEncoder, RoundTripThroughTheStrictDecoder) {
  uint32_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
  };
  for (int round = 0; round < 200; ++round) {
    std::array<uint8_t, 512> buffer;
    Encoder e(buffer);
    const uint32_t count = next() % 20;
    e.BeginArray(count);
    std::vector<uint64_t> values;
    for (uint32_t i = 0; i < count; ++i) {
      const uint64_t shift = next() % 64;
      const uint64_t v = (static_cast<uint64_t>(next()) << 32 | next()) >> shift;
      values.push_back(v);
      if (i % 3 == 0) {
        e.WriteUnsigned(v);
      } else if (i % 3 == 1) {
        e.WriteInt(-static_cast<int64_t>(v >> 1) - 1);
      } else {
        Bytes b(v % 40, static_cast<uint8_t>(v));
        e.WriteBytes(b);
      }
    }
    ASSERT_TRUE(e.status().ok());
    const Bytes encoded(e.written().begin(), e.written().end());
    Decoder d(encoded);
    size_t n = 0;
    ASSERT_TRUE(d.EnterArray(&n).ok());
    ASSERT_EQ(n, count);
    for (uint32_t i = 0; i < count; ++i) {
      if (i % 3 == 0) {
        uint64_t v = 0;
        ASSERT_TRUE(d.ReadUnsigned(&v).ok());
        EXPECT_EQ(v, values[i]);
      } else if (i % 3 == 1) {
        int64_t v = 0;
        ASSERT_TRUE(d.ReadInt(&v).ok());
        EXPECT_EQ(v, -static_cast<int64_t>(values[i] >> 1) - 1);
      } else {
        ConstByteSpan b;
        ASSERT_TRUE(d.ReadBytes(&b).ok());
        EXPECT_EQ(b.size(), values[i] % 40);
      }
    }
    ASSERT_TRUE(d.Exit().ok());
    ASSERT_TRUE(d.Finish().ok());
  }
}

}  // namespace
}  // namespace bastion::cbor
