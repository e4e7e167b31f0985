#include "replay/trace_inspection.h"

#include <gtest/gtest.h>

#include <fstream>

#include "base/error.h"
#include "replay/trace_writer.h"

namespace vmrr {
namespace {

std::string WriteSample(const std::string& name, bool finish) {
  std::string path = ::testing::TempDir() + "/" + name;
  proto::TraceHeader header;
  header.set_arch("riscv64");
  header.set_vmrr_version("0.1.0");
  header.set_counter_event("instructions");
  header.mutable_vm()->set_mem_bytes(512 << 20);
  header.mutable_vm()->set_cpus(1);
  header.mutable_boot()->set_entry(0x80000000);
  header.mutable_boot()->set_dtb(0x80000000);
  header.mutable_boot()->set_region_records(1);
  TraceWriter writer(path, header);
  std::string ram(4096, 'k');
  writer.WriteBootRegion(0x80000000, reinterpret_cast<const uint8_t*>(ram.data()), ram.size());
  for (int i = 0; i < 10; ++i) {
    proto::Event e;
    e.mutable_at()->set_instructions(100 + 10 * i);
    if (i < 7) {
      e.mutable_mmio_read()->set_gpa(0x10000000);
      e.mutable_mmio_read()->set_len(1);
      e.mutable_mmio_read()->set_value(i);
    } else {
      e.mutable_console_input()->set_data("ls\n");
    }
    writer.Append(e);
  }
  if (finish) {
    proto::TraceEnd end;
    end.set_reason("poweroff");
    writer.Finish(end);
  } else {
    writer.Flush();
  }
  return path;
}

TEST(TraceInspection, CountsKindsAndRange) {
  proto::TraceInspection t = InspectTrace(WriteSample("inspect.vmrr", true));
  EXPECT_EQ(t.header().arch(), "riscv64");
  EXPECT_TRUE(t.complete());
  EXPECT_EQ(t.end_reason(), "poweroff");
  EXPECT_EQ(t.events(), 10u);
  EXPECT_EQ(t.first_instruction(), 100u);
  EXPECT_EQ(t.last_instruction(), 190u);
  ASSERT_EQ(t.kinds_size(), 2);
  EXPECT_EQ(t.kinds(0).kind(), "console_input");
  EXPECT_EQ(t.kinds(0).count(), 3u);
  EXPECT_EQ(t.kinds(1).kind(), "mmio_read");
  EXPECT_EQ(t.kinds(1).count(), 7u);
  ASSERT_EQ(t.timeline_size(), 1);
  EXPECT_EQ(t.timeline(0).events(), 10u);
  EXPECT_GT(t.file_bytes(), 0u);

  std::string human = RenderInspectionHuman(t);
  EXPECT_NE(human.find("complete: poweroff"), std::string::npos) << human;
  EXPECT_NE(human.find("mmio_read: 7 events"), std::string::npos) << human;
  std::string json = RenderInspectionJson(t);
  EXPECT_NE(json.find("\"events\": \"10\""), std::string::npos) << json;
}

TEST(TraceInspection, RendersTheEventsAskedFor) {
  std::string text = RenderEvents(WriteSample("events.vmrr", true), 6, 7);
  EXPECT_EQ(text,
            "6 at #160 pc=0 regs=0000000000000000 mmio_read { gpa: 268435456 len: 1 value: 6 }\n"
            "7 at #170 pc=0 regs=0000000000000000 console_input { data: \"ls\\n\" }\n");
  EXPECT_EQ(RenderEvents(WriteSample("events2.vmrr", true), 20, 30), "");
}

TEST(TraceInspection, CutTraceSaysSo) {
  proto::TraceInspection t = InspectTrace(WriteSample("inspect-cut.vmrr", false));
  EXPECT_FALSE(t.complete());
  EXPECT_EQ(t.events(), 10u);
  EXPECT_NE(RenderInspectionHuman(t).find("cut (no end record)"), std::string::npos);
}

TEST(TraceInspection, HeaderStringsAreEscaped) {
  std::string path = ::testing::TempDir() + "/escape.vmrr";
  {
    proto::TraceHeader header;
    header.set_arch("riscv64");
    header.set_vmrr_version("0.1\x1b[2J\nFAKE LINE");
    header.set_counter_event("instructions");
    header.mutable_vm()->set_mem_bytes(512 << 20);
    header.mutable_vm()->set_cpus(1);
    header.mutable_vm()->set_append("quiet\r\x1b]0;title\x07");
    header.add_warnings("careful\x1b[31m");
    header.mutable_boot()->set_entry(0x80000000);
    header.mutable_boot()->set_dtb(0x80000000);
    header.mutable_boot()->set_region_records(1);
    TraceWriter writer(path, header);
    std::string ram(4096, 'k');
    writer.WriteBootRegion(0x80000000, reinterpret_cast<const uint8_t*>(ram.data()), ram.size());
  }
  std::string human = RenderInspectionHuman(InspectTrace(path));
  EXPECT_EQ(human.find('\x1b'), std::string::npos) << human;
  EXPECT_EQ(human.find('\r'), std::string::npos) << human;
  EXPECT_EQ(human.find("\nFAKE"), std::string::npos) << human;
  EXPECT_NE(human.find("recorded by vmrr 0.1\\e[2J\\nFAKE LINE,"), std::string::npos) << human;
  EXPECT_NE(human.find("append \"quiet\\r\\e]0;title\\x07\""), std::string::npos) << human;
  EXPECT_NE(human.find("careful\\e[31m"), std::string::npos) << human;
}

TEST(TraceInspection, ACmdlineIsShownInsteadOfAppend) {
  std::string path = ::testing::TempDir() + "/cmdline.vmrr";
  {
    proto::TraceHeader header;
    header.set_arch("riscv64");
    header.set_counter_event("instructions");
    header.mutable_vm()->set_mem_bytes(512 << 20);
    header.mutable_vm()->set_cpus(1);
    header.mutable_vm()->set_cmdline("arg1 arg2");
    header.mutable_boot()->set_entry(0x80000000);
    header.mutable_boot()->set_dtb(0x80000000);
    header.mutable_boot()->set_region_records(1);
    TraceWriter writer(path, header);
    std::string ram(4096, 'k');
    writer.WriteBootRegion(0x80000000, reinterpret_cast<const uint8_t*>(ram.data()), ram.size());
  }
  std::string human = RenderInspectionHuman(InspectTrace(path));
  EXPECT_NE(human.find("1 vCPU, cmdline \"arg1 arg2\", seed"), std::string::npos) << human;
  EXPECT_EQ(human.find("append"), std::string::npos) << human;
}

TEST(TraceInspection, ATraceReplayWouldRefuseIsRefused) {
  std::string path = ::testing::TempDir() + "/cpus.vmrr";
  {
    proto::TraceHeader header;
    header.set_arch("riscv64");
    header.set_counter_event("instructions");
    header.mutable_vm()->set_mem_bytes(512 << 20);
    header.mutable_vm()->set_cpus(0);
    TraceWriter writer(path, header);
  }
  try {
    InspectTrace(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInput);
    EXPECT_NE(std::string(e.what()).find("is corrupt: vm.cpus = 0"), std::string::npos);
  }
}

TEST(TraceInspection, NotATraceIsAnInputError) {
  std::string path = ::testing::TempDir() + "/not-a-trace";
  std::ofstream(path) << "hello";
  try {
    InspectTrace(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInput);
  }
}

}  // namespace
}  // namespace vmrr
