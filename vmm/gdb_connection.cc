#include "vmm/gdb_connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <sstream>

#include "base/error.h"
#include "base/unique_fd.h"
#include "replay/gdb_server.h"
#include "replay/trace_inspection.h"

namespace vmrr {

namespace {

// monitor kaslr looks this far ahead, in steps of this many instructions.
constexpr uint64_t kKaslrProbeStep = 2'000'000;
constexpr uint64_t kKaslrProbeLimit = 2'000'000'000;

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%#llx", static_cast<unsigned long long>(v));
  return buf;
}

// A listening TCP socket or an opened device.
UniqueFd Open(const std::string& where, bool* is_socket) {
  if (where.find('/') != std::string::npos) {
    *is_socket = false;
    UniqueFd fd(open(where.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (fd.get() < 0) ThrowErrno("--gdb: cannot open " + where);
    termios tio{};
    if (tcgetattr(fd.get(), &tio) == 0) {  // a tty: raw bytes
      cfmakeraw(&tio);
      tcsetattr(fd.get(), TCSANOW, &tio);
    }
    return fd;
  }
  *is_socket = true;
  std::string address = "127.0.0.1", port = where;
  if (size_t colon = where.rfind(':'); colon != std::string::npos) {
    address = where.substr(0, colon);
    port = where.substr(colon + 1);
  }
  char* end = nullptr;
  long number = std::strtol(port.c_str(), &end, 10);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  if (port.empty() || *end != '\0' || number <= 0 || number > 65535 ||
      inet_pton(AF_INET, address.empty() ? "0.0.0.0" : address.c_str(), &sa.sin_addr) != 1) {
    throw Error(ErrorKind::kUsage,
                "--gdb needs [ADDR:]PORT (an IPv4 address, a port 1-65535) or a "
                "device path, not '" +
                    where + "'");
  }
  sa.sin_port = htons(static_cast<uint16_t>(number));
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) ThrowErrno("socket");
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) < 0) {
    throw Error(ErrorKind::kInput,
                "--gdb: cannot listen on " + where + ": " + std::strerror(errno));
  }
  if (listen(fd.get(), 1) < 0) ThrowErrno("listen");
  return fd;
}

void WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // gdb went away: the read loop sees it
    done += static_cast<size_t>(n);
  }
}

}  // namespace

std::string GdbMonitor(ReplaySession& session, ReplayDebugger& debugger, gdb::Server& server,
                       const std::string& command) {
  std::istringstream in(command);
  std::string verb, arg;
  in >> verb >> arg;
  std::ostringstream out;
  auto where = [&] {
    ReplayDebugger::Position p = debugger.where();
    std::ostringstream w;
    w << "event " << session.next_event_index() << " next, instruction " << p.count;
    if (p.exits) w << " (+" << p.exits << " exiting)";
    if (std::optional<double> s = session.GuestSeconds()) w << ", guest time " << *s << " s";
    w << ", pc " << Hex(session.pc());
    return w.str();
  };
  if (verb == "when") {
    out << where();
  } else if (verb == "goto") {
    if (arg.empty()) return "usage: monitor goto N|@COUNT";
    bool count = arg[0] == '@';
    std::string digits = count ? arg.substr(1) : arg;
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) {
      return "usage: monitor goto N|@COUNT";
    }
    uint64_t value = std::stoull(digits);
    ReplayDebugger::Stop stop = debugger.GoTo(count ? StepConstraints::ToInstructions(value)
                                                    : StepConstraints::ToEvent(value));
    if (stop.kind == ReplayDebugger::Stop::Kind::kDiverged) return session.result().report;
    out << where()
        << "\n(gdb still shows the old place: `flushregs` or `stepi`/`reverse-stepi` "
           "redraw it)";
  } else if (verb == "checkpoint") {
    if (!session.settled())
      return "no checkpoint here: the guest stands at an exit not yet answered";
    const CheckpointInfo& cp = session.TakeCheckpoint();
    out << "checkpoint " << cp.id << " at instruction " << cp.instructions;
  } else if (verb == "checkpoints") {
    for (const CheckpointInfo& cp : session.checkpoints()) {
      out << cp.id << ": event " << cp.event_index << ", instruction " << cp.instructions
          << (cp.automatic ? " (automatic)" : "") << "\n";
    }
  } else if (verb == "events") {
    uint64_t at = session.next_event_index();
    if (!arg.empty() && arg.find_first_not_of("0123456789") == std::string::npos) {
      at = std::stoull(arg);
    }
    uint64_t first = at > 5 ? at - 5 : 0;
    out << RenderEvents(session.trace_path(), first, at + 5) << "(next: event "
        << session.next_event_index() << ")";
  } else if (verb == "kaslr") {
    std::optional<uint64_t> va = session.KernelImageAddress();
    if (!va) {
      // Not mapped yet (at the start, say): find where the kernel maps its
      // image further on, then seek back here.  Seeks change nothing the
      // guest sees; symbols are needed before the first breakpoint.
      const ReplayDebugger::Position here = debugger.where();
      for (uint64_t c = here.count + kKaslrProbeStep; !va && c <= here.count + kKaslrProbeLimit;
           c += kKaslrProbeStep) {
        if (debugger.GoTo(StepConstraints::ToInstructions(c)).kind !=
            ReplayDebugger::Stop::Kind::kStep) {
          break;
        }
        va = session.KernelImageAddress();
      }
      debugger.GoTo(here);
    }
    if (va) {
      out << "kernel image at " << Hex(*va) << ", physical "
          << Hex(session.kernel_physical_address());
    } else {
      out << "the kernel maps no image in its first " << kKaslrProbeLimit
          << " instructions from here: physical " << Hex(session.kernel_physical_address());
    }
  } else if (verb == "phys") {
    if (arg == "on" || arg == "off") server.set_physical(arg == "on");
    out << "memory reads use " << (server.physical() ? "physical" : "virtual") << " addresses";
  } else {
    out << "vmrr monitor commands:\n"
           "  when              the event, instruction count, guest time and pc here\n"
           "  goto N|@COUNT     seek to event N or instruction COUNT (from a checkpoint)\n"
           "  checkpoint        take a checkpoint here; checkpoints: list them\n"
           "  events [N]        the trace's events around N (default: the next one)\n"
           "  kaslr             the virtual address of the kernel's image (its first byte:\n"
           "                    symbol-file -o it minus _text on arm64, _start on riscv64)\n"
           "  phys on|off       read memory by physical or virtual address";
  }
  return out.str();
}

void ServeGdb(ReplaySession& session, const std::string& where) {
  bool is_socket = false;
  UniqueFd listener = Open(where, &is_socket);
  UniqueFd connection;
  if (is_socket) {
    std::fprintf(stderr, "vmrr: waiting for gdb on %s (target remote %s)\n", where.c_str(),
                 where.c_str());
    int fd = accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) ThrowErrno("accept");
    connection = UniqueFd(fd);
    int one = 1;
    setsockopt(connection.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  } else {
    // A virtio serial port reads as ended (POLLHUP) until its host side is
    // connected: wait for gdb there.
    std::fprintf(stderr, "vmrr: serving gdb on %s\n", where.c_str());
    for (;;) {
      pollfd p{listener.get(), POLLIN, 0};
      if (poll(&p, 1, -1) < 0) {
        if (errno == EINTR) continue;
        ThrowErrno("poll " + where);
      }
      if (!(p.revents & POLLHUP)) break;  // (POLLIN comes with it: reads return 0)
      usleep(100'000);
    }
    connection = std::move(listener);
  }
  const int fd = connection.get();
  std::string pending;  // bytes read while the replay ran, for after it stops
  auto interrupted = [fd, &pending] {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) return false;
    char buf[256];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) return true;  // gone: stop and let the read loop see it
    bool stop = false;
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] == '\x03') {
        stop = true;
      } else {
        pending.push_back(buf[i]);
      }
    }
    return stop;
  };
  std::unique_ptr<ReplayDebugger> debugger = session.MakeDebugger(interrupted);
  std::unique_ptr<gdb::Server> server;
  server = std::make_unique<gdb::Server>(
      *debugger, session.debug_vcpu(),
      [&](const std::string& command) { return GdbMonitor(session, *debugger, *server, command); });
  char buf[4096];
  while (!server->detached()) {
    std::string in;
    in.swap(pending);
    if (in.empty()) {
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // gdb hung up
      in.assign(buf, static_cast<size_t>(n));
    }
    WriteAll(fd, server->Receive(in.data(), in.size()));
  }
  // The breakpoints are gdb's: the replay goes on without them.
  session.debug_vcpu().SetBreakpoints({});
  std::fprintf(stderr, "vmrr: gdb %s; replaying on to the end\n",
               server->detached() ? "detached" : "hung up");
}

}  // namespace vmrr
