// vm_exit.h: a KVM exit translated once into a hypervisor-neutral record.
#pragma once
#include <cstdint>

namespace hl {

enum class ExitKind : uint8_t {
  kIo,         // guest wrote `value` to an ABI port `port`
  kFault,      // the guest faulted (shutdown): rip, rsp, cr2, vector, error_code
  kCancelled,  // kill() stopped the run
  kPaused,     // pause() stopped the run (a debugger's interrupt); resume() goes on
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

// The guest's registers as a debugger wants them (a core dump's NT_PRSTATUS):
// after an exception, those of the faulting ring-3 code, not the stub's.
struct GuestRegs {
  uint64_t rax = 0, rbx = 0, rcx = 0, rdx = 0, rsi = 0, rdi = 0, rbp = 0, rsp = 0;
  uint64_t r8 = 0, r9 = 0, r10 = 0, r11 = 0, r12 = 0, r13 = 0, r14 = 0, r15 = 0;
  uint64_t rip = 0, rflags = 0, cs = 0, ss = 0, ds = 0, es = 0, fs = 0, gs = 0, fs_base = 0, gs_base = 0;
};

}  // namespace hl
