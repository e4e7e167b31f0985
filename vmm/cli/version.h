#pragma once

namespace vmrr {

inline constexpr char kVmrrVersion[] = "0.1.0";

}  // namespace vmrr
