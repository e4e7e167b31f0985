#include "devices/virtio_mmio.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/error.h"
#include "devices/mmio_access.h"
#include "devices/virtq_test_driver.h"
#include "memory/guest_memory.h"

namespace vmrr {
namespace {

constexpr uint64_t kRam = 0x80000000;
constexpr uint64_t kRamSize = 1 << 20;
constexpr uint64_t kQueue0 = kRam + 0x1000;
constexpr uint64_t kQueue1 = kRam + 0x8000;
constexpr uint64_t kData = kRam + 0x20000;

constexpr uint64_t kFeatureA = 1ull << 0;
constexpr uint64_t kFeatureB = 1ull << 40;
constexpr uint64_t kVersion1 = VirtioMmio::kFeatureVersion1;
constexpr uint64_t kIndirect = Virtqueue::kFeatureIndirectDesc;

// Echoes every chain back with length 7, or breaks the queue on request.
class FakeBackend : public VirtioDeviceBackend {
 public:
  uint32_t device_id() const override { return 42; }
  uint64_t device_features() const override { return kFeatureA | kFeatureB | kIndirect; }
  int num_queues() const override { return 2; }
  uint32_t queue_max_size(int index) const override { return index == 0 ? 64 : 16; }
  void ReadConfig(uint64_t offset, uint8_t* data, uint32_t len) override {
    for (uint32_t i = 0; i < len; ++i) {
      data[i] = offset + i < config.size() ? config[offset + i] : 0;
    }
  }
  void WriteConfig(uint64_t offset, const uint8_t* data, uint32_t len) override {
    for (uint32_t i = 0; i < len; ++i) {
      if (offset + i < config.size()) config[offset + i] = data[i];
    }
  }
  void SetDriverFeatures(uint64_t features) override { accepted_features = features; }
  void Reset() override { ++resets; }
  void ProcessQueue(int index, Virtqueue& queue) override {
    processed.push_back(index);
    if (break_queue) {
      queue.MarkBroken("backend refuses");
      return;
    }
    while (std::optional<DescriptorChain> chain = queue.PopChain()) {
      chain_errors.push_back(chain->error);
      queue.PushUsed(chain->head, 7);
    }
  }

  std::array<uint8_t, 8> config = {1, 2, 3, 4, 5, 6, 7, 8};
  uint64_t accepted_features = 0;
  int resets = 0;
  bool break_queue = false;
  std::vector<int> processed;
  std::vector<const char*> chain_errors;
};

class VirtioMmioTest : public ::testing::Test {
 protected:
  VirtioMmioTest()
      : mem_(kRam, kRamSize),
        mmio_(mem_, std::make_unique<FakeBackend>(), [this](bool l) { irq_levels_.push_back(l); }),
        driver0_(mem_, kQueue0, 64),
        driver1_(mem_, kQueue1, 16) {}

  FakeBackend& backend() { return static_cast<FakeBackend&>(mmio_.backend()); }

  uint32_t R(uint64_t offset) {
    uint8_t data[4];
    mmio_.Read(offset, data, 4);
    return static_cast<uint32_t>(LoadLe(data, 4));
  }
  void W(uint64_t offset, uint32_t value) {
    uint8_t data[4];
    StoreLe(data, 4, value);
    mmio_.Write(offset, data, 4);
  }
  void Negotiate(uint64_t features) {
    W(0x070, VirtioMmio::kStatusAcknowledge);
    W(0x070, VirtioMmio::kStatusAcknowledge | VirtioMmio::kStatusDriver);
    W(0x024, 0);
    W(0x020, static_cast<uint32_t>(features));
    W(0x024, 1);
    W(0x020, static_cast<uint32_t>(features >> 32));
    W(0x070, R(0x070) | VirtioMmio::kStatusFeaturesOk);
  }
  void SetupQueue(uint32_t index, const VirtqueueLayout& l) {
    W(0x030, index);
    W(0x038, l.size);
    W(0x080, static_cast<uint32_t>(l.desc_gpa));
    W(0x084, static_cast<uint32_t>(l.desc_gpa >> 32));
    W(0x090, static_cast<uint32_t>(l.avail_gpa));
    W(0x094, static_cast<uint32_t>(l.avail_gpa >> 32));
    W(0x0a0, static_cast<uint32_t>(l.used_gpa));
    W(0x0a4, static_cast<uint32_t>(l.used_gpa >> 32));
    W(0x044, 1);
  }
  void DriverOk() { W(0x070, R(0x070) | VirtioMmio::kStatusDriverOk); }
  // Features, both queues, DRIVER_OK: a running device.
  void Start(uint64_t features = kVersion1 | kIndirect) {
    Negotiate(features);
    SetupQueue(0, driver0_.layout());
    SetupQueue(1, driver1_.layout());
    DriverOk();
    ASSERT_FALSE(mmio_.needs_reset()) << mmio_.broken_reason();
  }

  GuestMemory mem_;
  std::vector<bool> irq_levels_;
  VirtioMmio mmio_;
  VirtqTestDriver driver0_;
  VirtqTestDriver driver1_;
};

TEST_F(VirtioMmioTest, Identity) {
  EXPECT_EQ(R(0x000), 0x74726976u);
  EXPECT_EQ(R(0x004), 2u);
  EXPECT_EQ(R(0x008), 42u);
  EXPECT_EQ(R(0x00c), VirtioMmio::kVendorId);
  EXPECT_EQ(mmio_.window_size(), 0x200u);
  EXPECT_EQ(R(0x070), 0u);
  EXPECT_EQ(R(0x060), 0u);
  EXPECT_EQ(backend().resets, 1);  // the constructor resets
}

TEST_F(VirtioMmioTest, DeviceFeaturesBySelectorWithVersion1) {
  W(0x014, 0);
  EXPECT_EQ(R(0x010), static_cast<uint32_t>(kFeatureA | kIndirect));
  W(0x014, 1);
  EXPECT_EQ(R(0x010), static_cast<uint32_t>((kFeatureB | kVersion1) >> 32));
  W(0x014, 2);
  EXPECT_EQ(R(0x010), 0u);
}

TEST_F(VirtioMmioTest, FeatureNegotiationAccepts) {
  Negotiate(kVersion1 | kFeatureB);
  EXPECT_TRUE(R(0x070) & VirtioMmio::kStatusFeaturesOk);
  EXPECT_EQ(mmio_.driver_features(), kVersion1 | kFeatureB);
  EXPECT_EQ(backend().accepted_features, kVersion1 | kFeatureB);
  // Fixed from now on.
  W(0x024, 0);
  W(0x020, static_cast<uint32_t>(kFeatureA));
  EXPECT_EQ(mmio_.driver_features(), kVersion1 | kFeatureB);
}

TEST_F(VirtioMmioTest, FeatureNegotiationRequiresVersion1) {
  Negotiate(kFeatureA);
  EXPECT_FALSE(R(0x070) & VirtioMmio::kStatusFeaturesOk);
  EXPECT_EQ(backend().accepted_features, 0u);
}

TEST_F(VirtioMmioTest, FeatureNegotiationRefusesUnofferedBits) {
  Negotiate(kVersion1 | (1ull << 5));
  EXPECT_FALSE(R(0x070) & VirtioMmio::kStatusFeaturesOk);
}

TEST_F(VirtioMmioTest, QueueNumMaxPerQueue) {
  W(0x030, 0);
  EXPECT_EQ(R(0x034), 64u);
  EXPECT_EQ(R(0x044), 0u);
  W(0x030, 1);
  EXPECT_EQ(R(0x034), 16u);
  W(0x030, 2);
  EXPECT_EQ(R(0x034), 0u);  // no such queue
  W(0x044, 1);              // ignored
  EXPECT_EQ(R(0x044), 0u);
  EXPECT_FALSE(mmio_.needs_reset());
}

TEST_F(VirtioMmioTest, QueueSetupCreatesTheVirtqueue) {
  Negotiate(kVersion1);
  SetupQueue(0, driver0_.layout());
  EXPECT_EQ(R(0x044), 1u);
  ASSERT_NE(mmio_.queue(0), nullptr);
  EXPECT_EQ(mmio_.queue(0)->layout().size, 64u);
  EXPECT_EQ(mmio_.queue(0)->layout().avail_gpa, driver0_.layout().avail_gpa);
  EXPECT_EQ(mmio_.queue(0)->layout().used_gpa, driver0_.layout().used_gpa);
  EXPECT_EQ(mmio_.queue(1), nullptr);
  EXPECT_EQ(R(0x080), static_cast<uint32_t>(kQueue0));
  EXPECT_EQ(R(0x084), static_cast<uint32_t>(kQueue0 >> 32));
  // A live queue's parameters cannot change.
  W(0x080, 0x1234000);
  W(0x038, 8);
  EXPECT_EQ(R(0x080), static_cast<uint32_t>(kQueue0));
  EXPECT_EQ(mmio_.queue(0)->layout().size, 64u);
  // QueueReady 0 takes it down.
  W(0x044, 0);
  EXPECT_EQ(R(0x044), 0u);
  EXPECT_EQ(mmio_.queue(0), nullptr);
}

TEST_F(VirtioMmioTest, BadQueueSizeNeedsReset) {
  Negotiate(kVersion1);
  VirtqueueLayout l = driver0_.layout();
  l.size = 48;  // not a power of two
  SetupQueue(0, l);
  EXPECT_TRUE(mmio_.needs_reset());
  EXPECT_TRUE(R(0x070) & VirtioMmio::kStatusNeedsReset);
  EXPECT_EQ(R(0x044), 0u);
  EXPECT_EQ(R(0x060), 0u);  // no interrupt before DRIVER_OK
}

TEST_F(VirtioMmioTest, QueueLargerThanMaxNeedsReset) {
  Negotiate(kVersion1);
  SetupQueue(1, driver0_.layout());  // 64 > 16
  EXPECT_STREQ(mmio_.broken_reason(), "queue size above QueueNumMax");
}

TEST_F(VirtioMmioTest, RingsOutsideRamNeedReset) {
  Negotiate(kVersion1);
  VirtqueueLayout l = driver0_.layout();
  l.used_gpa = kRam + kRamSize - 8;
  SetupQueue(0, l);
  EXPECT_TRUE(mmio_.needs_reset());
  EXPECT_EQ(mmio_.queue(0), nullptr);
}

TEST_F(VirtioMmioTest, NotifyProcessesAndInterrupts) {
  Start();
  uint16_t head = driver0_.WriteAndMakeAvailable({{kData, 16, true}});
  W(0x050, 0);
  EXPECT_EQ(backend().processed, std::vector<int>({0, 1, 0}));  // DRIVER_OK ran both once
  EXPECT_EQ(driver0_.UsedIdx(), 1);
  EXPECT_EQ(driver0_.UsedId(0), head);
  EXPECT_EQ(driver0_.UsedLen(0), 7u);
  EXPECT_EQ(R(0x060), VirtioMmio::kInterruptUsedBuffer);
  EXPECT_TRUE(mmio_.irq_level());
  W(0x064, VirtioMmio::kInterruptUsedBuffer);
  EXPECT_EQ(R(0x060), 0u);
  EXPECT_FALSE(mmio_.irq_level());
  EXPECT_EQ(irq_levels_, std::vector<bool>({true, false}));
  // A notify with nothing new adds no interrupt.
  W(0x050, 0);
  EXPECT_EQ(R(0x060), 0u);
  // Unknown queue index: ignored.
  W(0x050, 7);
  EXPECT_EQ(backend().processed.size(), 4u);
}

TEST_F(VirtioMmioTest, BuffersBeforeDriverOkWaitForIt) {
  Negotiate(kVersion1);
  SetupQueue(0, driver0_.layout());
  driver0_.WriteAndMakeAvailable({{kData, 16, true}});
  W(0x050, 0);
  EXPECT_TRUE(backend().processed.empty());
  EXPECT_EQ(driver0_.UsedIdx(), 0);
  DriverOk();
  EXPECT_EQ(driver0_.UsedIdx(), 1);
  EXPECT_TRUE(mmio_.irq_level());
}

TEST_F(VirtioMmioTest, IndirectFollowsNegotiation) {
  Start(kVersion1 | kIndirect);
  driver0_.MakeAvailable(driver0_.WriteIndirectChain(kData + 0x1000, {{kData, 16, true}}));
  W(0x050, 0);
  ASSERT_EQ(backend().chain_errors.size(), 1u);
  EXPECT_EQ(backend().chain_errors[0], nullptr);

  // Without the feature, after a reset, on fresh rings.
  W(0x070, 0);
  VirtqTestDriver fresh(mem_, kRam + 0x40000, 64);
  Negotiate(kVersion1);
  SetupQueue(0, fresh.layout());
  DriverOk();
  fresh.MakeAvailable(fresh.WriteIndirectChain(kData + 0x1000, {{kData, 16, true}}));
  W(0x050, 0);
  ASSERT_EQ(backend().chain_errors.size(), 2u);
  EXPECT_NE(backend().chain_errors[1], nullptr);
}

TEST_F(VirtioMmioTest, BrokenQueueNeedsResetAndInterrupts) {
  Start();
  backend().break_queue = true;
  driver1_.WriteAndMakeAvailable({{kData, 16, true}});
  W(0x050, 1);
  EXPECT_TRUE(R(0x070) & VirtioMmio::kStatusNeedsReset);
  EXPECT_STREQ(mmio_.broken_reason(), "backend refuses");
  EXPECT_EQ(R(0x060), VirtioMmio::kInterruptConfigChange);
  EXPECT_TRUE(mmio_.irq_level());
  // Ignored until reset.
  size_t calls = backend().processed.size();
  W(0x050, 1);
  EXPECT_EQ(backend().processed.size(), calls);
  // The driver cannot clear NEEDS_RESET except by resetting.
  W(0x070, R(0x070) & ~VirtioMmio::kStatusNeedsReset);
  EXPECT_TRUE(mmio_.needs_reset());
  W(0x070, 0);
  EXPECT_FALSE(mmio_.needs_reset());
  EXPECT_FALSE(mmio_.irq_level());
  EXPECT_EQ(mmio_.broken_reason(), nullptr);
}

TEST_F(VirtioMmioTest, GuestRingMisbehaviourNeedsReset) {
  Start();
  driver0_.SetAvailIdx(200);  // 200 chains in a 64-entry ring
  W(0x050, 0);
  EXPECT_TRUE(mmio_.needs_reset());
  EXPECT_EQ(R(0x060), VirtioMmio::kInterruptConfigChange);
}

TEST_F(VirtioMmioTest, DriverCannotSetNeedsReset) {
  W(0x070, VirtioMmio::kStatusAcknowledge | VirtioMmio::kStatusNeedsReset);
  EXPECT_EQ(R(0x070), VirtioMmio::kStatusAcknowledge);
}

TEST_F(VirtioMmioTest, DriverOkWithoutFeaturesOkNeedsReset) {
  W(0x070, VirtioMmio::kStatusAcknowledge | VirtioMmio::kStatusDriver);
  W(0x070,
    VirtioMmio::kStatusAcknowledge | VirtioMmio::kStatusDriver | VirtioMmio::kStatusDriverOk);
  EXPECT_TRUE(mmio_.needs_reset());
}

TEST_F(VirtioMmioTest, ResetClearsEverything) {
  Start(kVersion1 | kFeatureA);
  driver0_.WriteAndMakeAvailable({{kData, 16, true}});
  W(0x050, 0);
  ASSERT_TRUE(mmio_.irq_level());
  W(0x070, 0);
  EXPECT_EQ(R(0x070), 0u);
  EXPECT_EQ(R(0x060), 0u);
  EXPECT_FALSE(mmio_.irq_level());
  EXPECT_EQ(mmio_.driver_features(), 0u);
  EXPECT_EQ(mmio_.queue(0), nullptr);
  EXPECT_EQ(mmio_.queue(1), nullptr);
  W(0x030, 0);
  EXPECT_EQ(R(0x044), 0u);
  EXPECT_EQ(R(0x080), 0u);
  EXPECT_EQ(backend().resets, 2);
}

TEST_F(VirtioMmioTest, ConfigSpaceAtAnyWidth) {
  uint8_t b = 0;
  mmio_.Read(0x100 + 2, &b, 1);
  EXPECT_EQ(b, 3);
  EXPECT_EQ(R(0x104), 0x08070605u);
  uint8_t wide[8];
  mmio_.Read(0x100, wide, 8);
  EXPECT_EQ(LoadLe(wide, 8), 0x0807060504030201u);
  uint8_t v[2] = {0xaa, 0xbb};
  mmio_.Write(0x101, v, 2);
  EXPECT_EQ(backend().config[1], 0xaa);
  EXPECT_EQ(backend().config[2], 0xbb);
  EXPECT_EQ(R(0x1fc), 0u);  // beyond the backend's space
}

TEST_F(VirtioMmioTest, ConfigChangeBumpsGenerationAndInterruptsOnceRunning) {
  uint32_t gen = R(0x0fc);
  mmio_.NotifyConfigChanged();
  EXPECT_EQ(R(0x0fc), gen + 1);
  EXPECT_EQ(R(0x060), 0u);  // the driver is not running yet
  Start();
  mmio_.NotifyConfigChanged();
  EXPECT_EQ(R(0x0fc), gen + 2);
  EXPECT_EQ(R(0x060), VirtioMmio::kInterruptConfigChange);
  EXPECT_TRUE(mmio_.irq_level());
  W(0x064, VirtioMmio::kInterruptConfigChange);
  EXPECT_FALSE(mmio_.irq_level());
}

TEST_F(VirtioMmioTest, RegistersTakeAligned32BitAccessesOnly) {
  uint8_t data[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  mmio_.Read(0x000, data, 1);
  EXPECT_EQ(data[0], 0);
  mmio_.Read(0x000, data, 8);
  EXPECT_EQ(LoadLe(data, 8), 0u);
  mmio_.Read(0x002, data, 4);
  EXPECT_EQ(LoadLe(data, 4), 0u);
  uint8_t status[2] = {VirtioMmio::kStatusAcknowledge, 0};
  mmio_.Write(0x070, status, 2);
  EXPECT_EQ(R(0x070), 0u);
}

TEST(VirtioMmioConstruction, RejectsBadBackends) {
  GuestMemory mem(kRam, kRamSize);
  try {
    VirtioMmio mmio(mem, nullptr, nullptr);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInternal);
  }
  class OddQueue : public FakeBackend {
    uint32_t queue_max_size(int) const override { return 100; }
  };
  EXPECT_THROW(VirtioMmio(mem, std::make_unique<OddQueue>(), nullptr), Error);
}

}  // namespace
}  // namespace vmrr
