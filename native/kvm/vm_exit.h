// vm_exit.h: a KVM exit translated once into a hypervisor-neutral record.
#pragma once
#include <cstdint>

namespace hl {

enum class ExitKind : uint8_t {
  kIo,         // guest wrote `value` to an ABI port `port`
  kFault,      // the guest faulted (shutdown): rip, rsp, cr2, vector, error_code
  kCancelled,  // kill() stopped the run
  kError,      // an exit hl never expects (reason names it), or an ioctl failure
};

struct VmExit {
  ExitKind kind = ExitKind::kError;
  uint16_t port = 0;
  uint32_t value = 0;
  uint64_t rip = 0, rsp = 0, cr2 = 0;
  int32_t vector = -1;        // -1: unknown
  int64_t error_code = -1;    // -1: none
  const char* reason = "";    // kError / kFault: what happened, static string
  int32_t sys_errno = 0;
};

}  // namespace hl
