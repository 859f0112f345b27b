// cpu_x86_64.h: the x86-64 state of a ring-3 guest: GDT, TSS with its I/O
// bitmap, and the special registers for 64-bit long mode.
#pragma once
#include <linux/kvm.h>
#include "../memory/guest_memory.h"

namespace hl {

// Ring-3 selectors (RPL 3) loaded on entry.
constexpr uint16_t kUserCs = 0x18 | 3;
constexpr uint16_t kUserSs = 0x20 | 3;
constexpr uint16_t kTssSel = 0x28;

// Writes the GDT and TSS, the IDT with its exception stubs and the stubs'
// stack into guest memory and maps their pages (supervisor only).
std::string cpu_write_tables(GuestMemory& mem);

// The address of the stubs' one-byte `out` to HL_PORT_EXCEPTION. At the exit,
// RIP is there (hardware KVM skips the instruction on the next KVM_RUN) or
// just past it (PVM); an exit on that port with any other RIP is no report.
uint64_t cpu_exception_report_out();

// Where RSP points at that `out`, on the stubs' supervisor-only stack: 13
// quadwords, rax rbx rcx rdx rsi rdi (the guest's values, saved by the stub),
// vector, error code (or -1), then the CPU's frame: rip cs rflags rsp ss.
uint64_t cpu_exception_frame();

// Fills sregs for long mode at CPL3 with CR3 = HL_PT_ADDR.
void cpu_fill_sregs(kvm_sregs& s, bool osxsave);

}  // namespace hl
