// Text from a file (a trace's header strings, a path) made safe to print on
// one terminal line: control characters and backslashes escaped, so an
// escape sequence or a newline in a hostile file cannot move the cursor,
// recolour the terminal or forge another line of vmrr's output.
#pragma once

#include <string>
#include <string_view>

namespace vmrr {

// C0 controls, DEL and the C1 controls (U+0080..U+009F, which some
// terminals obey) become \n, \t, \r, \e or \xNN / \u00NN; a backslash \\.
// Everything else (printable ASCII, other UTF-8, invalid bytes >= 0xa0)
// is kept: proto3 strings are checked as UTF-8 when parsed.
std::string Printable(std::string_view text);

// The same line by line: the newlines of a multi-line report stay.
std::string PrintableLines(std::string_view text);

}  // namespace vmrr
