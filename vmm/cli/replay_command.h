// `vmrr replay TRACE [--skid-margin N] [--to N|@COUNT]... [--verify-checkpoints K]`.
#pragma once

#include <string>
#include <vector>

namespace vmrr {

// argv[0] is "replay"; returns the exit status.
int Replay(const std::vector<std::string>& argv);

}  // namespace vmrr
