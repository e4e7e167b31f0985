#include "vmm/cli/args.h"

#include <sstream>

#include "base/error.h"

namespace vmrr {

Args& Args::Flag(const std::string& name, bool takes_value, const std::string& help) {
  specs_[name] = Spec{takes_value, help};
  order_.push_back(name);
  return *this;
}

void Args::Parse(const std::vector<std::string>& argv, size_t max_positional) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      if (positional_.size() >= max_positional) {
        throw Error(ErrorKind::kUsage, "unexpected argument '" + arg + "'");
      }
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto spec = specs_.find(name);
    if (spec == specs_.end()) throw Error(ErrorKind::kUsage, "unknown flag --" + name);
    if (spec->second.takes_value) {
      if (!value) {
        if (i + 1 >= argv.size()) throw Error(ErrorKind::kUsage, "--" + name + " needs a value");
        value = argv[++i];
      }
    } else if (value) {
      throw Error(ErrorKind::kUsage, "--" + name + " takes no value");
    }
    values_[name] = value.value_or("");
    all_values_[name].push_back(value.value_or(""));
  }
}

std::optional<std::string> Args::Value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Args::Values(const std::string& name) const {
  auto it = all_values_.find(name);
  return it == all_values_.end() ? std::vector<std::string>{} : it->second;
}

std::string Args::Help() const {
  std::ostringstream out;
  for (const auto& name : order_) {
    const Spec& spec = specs_.at(name);
    std::string left = "  --" + name + (spec.takes_value ? " VALUE" : "");
    out << left << std::string(left.size() < 24 ? 24 - left.size() : 1, ' ') << spec.help << "\n";
  }
  return out.str();
}

uint64_t ParseCount(const std::string& flag, const std::string& value) {
  try {
    size_t used = 0;
    unsigned long long n = std::stoull(value, &used, 0);
    if (used == value.size() && value[0] != '-') return n;
  } catch (const std::exception&) {
  }
  throw Error(ErrorKind::kUsage, "--" + flag + " needs a number, not '" + value + "'");
}

}  // namespace vmrr
