// cpu_x86_64.cc: descriptor tables and control registers for ring-3 long mode.
// The guest's own code never runs in ring 0: on PVM ring-0 code is emulated
// (~1 us per instruction). The only ring-0 code is the host's exception stubs:
// a fault in the guest enters one through the IDT, and it reports the vector,
// error code, RIP, RSP and CR2 with one `out` to HL_PORT_EXCEPTION. Without an
// IDT a fault is a triple fault (shutdown exit), and on AMD KVM resets the
// vCPU on shutdown, losing every register the host would report.
#include "cpu_x86_64.h"

#include <cstring>

namespace hl {
namespace {

constexpr uint64_t kCr0Pe = 1ull << 0, kCr0Mp = 1ull << 1, kCr0Et = 1ull << 4, kCr0Ne = 1ull << 5,
                   kCr0Wp = 1ull << 16, kCr0Pg = 1ull << 31;
constexpr uint64_t kCr4Pae = 1ull << 5, kCr4Osfxsr = 1ull << 9, kCr4Osxmmexcpt = 1ull << 10,
                   kCr4Osxsave = 1ull << 18;
constexpr uint64_t kEferLme = 1ull << 8, kEferLma = 1ull << 10, kEferNxe = 1ull << 11;

constexpr uint32_t kTssIoMapBase = 104;  // the bitmap follows the 104-byte TSS
constexpr uint32_t kIoBitmapBytes = HL_PORT_LAST / 8 + 1;
constexpr uint32_t kTssLimit = kTssIoMapBase + kIoBitmapBytes;  // + the 0xff terminator byte

// A flat 64-bit code or data descriptor.
uint64_t segment_descriptor(bool code, int dpl) {
  uint64_t d = 0xffffull | (0xfull << 48);  // limit
  d |= 1ull << 47;                          // present
  d |= uint64_t(dpl) << 45;
  d |= 1ull << 44;  // code/data
  d |= (code ? 0xaull : 0x2ull) << 40;      // code: execute/read; data: read/write
  if (code) d |= 1ull << 53;                // L: 64-bit
  else d |= 1ull << 54;                     // D/B
  d |= 1ull << 55;                          // G
  return d;
}

kvm_segment make_seg(uint16_t sel, bool code, int dpl) {
  kvm_segment s{};
  s.base = 0;
  s.limit = 0xffffffff;
  s.selector = sel;
  s.type = code ? 0xb : 0x3;
  s.present = 1;
  s.dpl = dpl;
  s.db = code ? 0 : 1;
  s.s = 1;
  s.l = code ? 1 : 0;
  s.g = 1;
  return s;
}

// Exceptions for which the CPU pushes an error code.
bool pushes_error_code(int vector) {
  switch (vector) {
    case 8: case 10: case 11: case 12: case 13: case 14: case 17: case 21: case 29: case 30: return true;
    default: return false;
  }
}

// The IDT page: 32 gates, then 32 stubs of 16 bytes, then the common report.
constexpr uint32_t kVectors = 32;
constexpr uint32_t kStubs = 0x200, kStubSize = 16, kCommon = 0x400;
// The common report saves the six registers it uses on the stubs' stack (so a
// core dump shows the guest's values: cpu_exception_frame()), then loads the
// record from the frame:
//   push %rdi; push %rsi; push %rdx; push %rcx; push %rbx; push %rax
//   mov 0x30(%rsp),%rax (vector); mov 0x38(%rsp),%rbx (error code)
//   mov 0x40(%rsp),%rcx (RIP); mov 0x58(%rsp),%rsi (RSP); mov %cr2,%rdi
//   mov $HL_PORT_EXCEPTION,%dx; out %eax,%dx; 1: hlt; jmp 1b
constexpr uint8_t kCommonCode[] = {0x57, 0x56, 0x52, 0x51, 0x53, 0x50,                    // pushes
                                   0x48, 0x8b, 0x44, 0x24, 0x30, 0x48, 0x8b, 0x5c, 0x24, 0x38,  // rax, rbx
                                   0x48, 0x8b, 0x4c, 0x24, 0x40, 0x48, 0x8b, 0x74, 0x24, 0x58,  // rcx, rsi
                                   0x0f, 0x20, 0xd7, 0x66, 0xba, HL_PORT_EXCEPTION & 0xff, HL_PORT_EXCEPTION >> 8,
                                   0xef, 0xf4, 0xeb, 0xfd};
constexpr uint32_t kReportOutOffset = kCommon + 0x21;  // the one-byte `out`
// At that `out`, RSP is this far below the top of the stubs' stack: the CPU's
// frame (SS, RSP, RFLAGS, CS, RIP), error code and vector, six saved registers.
constexpr uint64_t kReportFrameBytes = 13 * 8;

std::string write_idt(GuestMemory& mem) {
  uint8_t* page = mem.checked(HL_IDT_ADDR, kPageSize);
  uint8_t* stack = mem.checked(HL_RING0_STACK_ADDR, kPageSize);
  if (!page || !stack) return "guest memory too small for the IDT";
  memset(page, 0xf4, kPageSize);  // hlt: ring 0 never runs off a stub
  memset(stack, 0, kPageSize);
  for (uint32_t v = 0; v < kVectors; v++) {
    uint64_t stub = HL_IDT_ADDR + kStubs + v * kStubSize;
    // 64-bit interrupt gate, DPL 0 (so `int n` from ring 3 is a #GP), kernel CS.
    uint64_t lo = (stub & 0xffff) | (0x08ull << 16) | (0x8eull << 40) | (((stub >> 16) & 0xffff) << 48);
    uint64_t hi = stub >> 32;
    memcpy(page + v * 16, &lo, 8);
    memcpy(page + v * 16 + 8, &hi, 8);
    uint8_t* c = page + kStubs + v * kStubSize;
    if (!pushes_error_code(int(v))) { *c++ = 0x6a; *c++ = 0xff; }  // push $-1
    *c++ = 0x6a;                                                    // push $vector
    *c++ = uint8_t(v);
    *c++ = 0xe9;                                                    // jmp common
    int32_t rel = int32_t(kCommon) - int32_t((c + 4) - page);
    memcpy(c, &rel, 4);
  }
  memcpy(page + kCommon, kCommonCode, sizeof kCommonCode);
  std::string err = mem.map_range(HL_IDT_ADDR, kPageSize, kMapExec);  // read-execute
  if (!err.empty()) return err;
  return mem.map_range(HL_RING0_STACK_ADDR, kPageSize, kMapWrite);
}

}  // namespace

uint64_t cpu_exception_report_out() { return HL_IDT_ADDR + kReportOutOffset; }

uint64_t cpu_exception_frame() { return HL_RING0_STACK_ADDR + kPageSize - kReportFrameBytes; }

std::string cpu_write_tables(GuestMemory& mem) {
  uint8_t* page = mem.checked(HL_GDT_ADDR, kPageSize);
  if (!page) return "guest memory too small for the GDT";
  memset(page, 0, kPageSize);
  uint64_t* gdt = reinterpret_cast<uint64_t*>(page);
  gdt[1] = segment_descriptor(true, 0);   // 0x08 kernel code (unused)
  gdt[2] = segment_descriptor(false, 0);  // 0x10 kernel data (unused)
  gdt[3] = segment_descriptor(true, 3);   // 0x18 user code
  gdt[4] = segment_descriptor(false, 3);  // 0x20 user data
  // 0x28: 16-byte available 64-bit TSS descriptor.
  uint64_t base = HL_TSS_ADDR, limit = kTssLimit;
  gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x9ull << 40) | (1ull << 47) |
           (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
  gdt[6] = base >> 32;

  uint8_t* tss = page + (HL_TSS_ADDR - HL_GDT_ADDR);
  // A fault at CPL3 switches to RSP0: the stubs' own page, out of the guest's reach.
  uint64_t rsp0 = HL_RING0_STACK_ADDR + kPageSize;
  memcpy(tss + 4, &rsp0, 8);
  uint16_t iomap = kTssIoMapBase;
  memcpy(tss + 102, &iomap, 2);
  // I/O bitmap: a set bit denies the port. Allow exactly the ABI ports.
  uint8_t* bitmap = tss + kTssIoMapBase;
  memset(bitmap, 0xff, kIoBitmapBytes + 1);
  for (unsigned port = HL_PORT_FIRST; port <= HL_PORT_LAST; port++) bitmap[port / 8] &= ~(1u << (port % 8));
  std::string err = mem.map_range(HL_GDT_ADDR, kPageSize, kMapWrite);
  return err.empty() ? write_idt(mem) : err;
}

void cpu_fill_sregs(kvm_sregs& s, bool osxsave) {
  s.cs = make_seg(kUserCs, true, 3);
  s.ss = make_seg(kUserSs, false, 3);
  s.ds = s.es = s.fs = s.gs = s.ss;
  kvm_segment tr{};
  tr.base = HL_TSS_ADDR;
  tr.limit = kTssLimit;
  tr.selector = kTssSel;
  tr.type = 0xb;  // busy 64-bit TSS
  tr.present = 1;
  s.tr = tr;
  kvm_segment ldt{};
  ldt.type = 2;
  ldt.present = 1;
  ldt.unusable = 1;
  s.ldt = ldt;
  s.gdt.base = HL_GDT_ADDR;
  s.gdt.limit = 7 * 8 - 1;
  s.idt.base = HL_IDT_ADDR;
  s.idt.limit = kVectors * 16 - 1;  // a vector past 31 (`int n`) is a #GP through gate 13
  s.cr0 = kCr0Pe | kCr0Mp | kCr0Et | kCr0Ne | kCr0Wp | kCr0Pg;
  s.cr3 = HL_PT_ADDR;
  s.cr4 = kCr4Pae | kCr4Osfxsr | kCr4Osxmmexcpt | (osxsave ? kCr4Osxsave : 0);
  s.efer = kEferLme | kEferLma | kEferNxe;
  s.cr2 = 0;
}

}  // namespace hl
