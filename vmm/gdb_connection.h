// `vmrr replay --gdb`: serves gdb's remote protocol (replay/gdb_server.h)
// over one connection at a time to a ReplaySession: a TCP address
// ([ADDR:]PORT, loopback unless an address is given) or a character device
// (a path: the rig reaches the emulated host through a virtio serial port).
// Monitor commands: when, goto N|@COUNT, checkpoint, checkpoints, events
// [N], kaslr, phys on|off, help.
#pragma once

#include <string>

#include "replay/gdb_server.h"
#include "vmm/replay_session.h"

namespace vmrr {

// Serves until gdb detaches, kills or hangs up; the caller then replays on
// to the end.  Throws Error for an address it cannot listen on.
void ServeGdb(ReplaySession& session, const std::string& where);

// The text of a monitor command (exposed for tests of its parsing).
std::string GdbMonitor(ReplaySession& session, ReplayDebugger& debugger, gdb::Server& server,
                       const std::string& command);

}  // namespace vmrr
