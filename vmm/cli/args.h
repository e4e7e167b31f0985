// A small command-line parser: flags declared up front, "--flag value",
// "--flag=value" and boolean "--flag"; anything unknown is a usage error.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vmrr {

class Args {
 public:
  // Declares a flag; `takes_value` false for booleans.
  Args& Flag(const std::string& name, bool takes_value, const std::string& help);

  // Parses argv (without the program and command names).  Throws
  // Error(kUsage) on an unknown flag, a missing value or a stray positional
  // argument beyond `max_positional`.
  void Parse(const std::vector<std::string>& argv, size_t max_positional = 0);

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  // The last value given for the flag.
  std::optional<std::string> Value(const std::string& name) const;
  // Every value given for the flag, in order (a flag given several times).
  std::vector<std::string> Values(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  // Every flag given, as (name, value) with "" for booleans.
  std::vector<std::pair<std::string, std::string>> Given() const {
    return {values_.begin(), values_.end()};
  }
  // "  --name VALUE   help" lines for --help.
  std::string Help() const;

 private:
  struct Spec {
    bool takes_value;
    std::string help;
  };
  std::map<std::string, Spec> specs_;
  std::vector<std::string> order_;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> all_values_;
  std::vector<std::string> positional_;
};

// A flag's non-negative number (decimal, 0x hex): Error(kUsage) otherwise.
uint64_t ParseCount(const std::string& flag, const std::string& value);

}  // namespace vmrr
