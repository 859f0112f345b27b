// cpu_x86_64.cc: descriptor tables and control registers for ring-3 long mode.
// The guest never runs ring-0 code: on PVM that code is emulated (~1 us per
// instruction), so there is no IDT and every guest exception ends in a shutdown
// exit that the host reports as a fault.
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

}  // namespace

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
  // RSP0 is never used (no ring-0 code runs) but points at the top of this page.
  uint64_t rsp0 = HL_GDT_ADDR + kPageSize;
  memcpy(tss + 4, &rsp0, 8);
  uint16_t iomap = kTssIoMapBase;
  memcpy(tss + 102, &iomap, 2);
  // I/O bitmap: a set bit denies the port. Allow exactly the ABI ports.
  uint8_t* bitmap = tss + kTssIoMapBase;
  memset(bitmap, 0xff, kIoBitmapBytes + 1);
  for (unsigned port = HL_PORT_FIRST; port <= HL_PORT_LAST; port++) bitmap[port / 8] &= ~(1u << (port % 8));
  return mem.map_range(HL_GDT_ADDR, kPageSize, kMapWrite);
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
  s.idt.base = 0;
  s.idt.limit = 0;  // no IDT: any exception becomes a shutdown exit
  s.cr0 = kCr0Pe | kCr0Mp | kCr0Et | kCr0Ne | kCr0Wp | kCr0Pg;
  s.cr3 = HL_PT_ADDR;
  s.cr4 = kCr4Pae | kCr4Osfxsr | kCr4Osxmmexcpt | (osxsave ? kCr4Osxsave : 0);
  s.efer = kEferLme | kEferLma | kEferNxe;
  s.cr2 = 0;
}

}  // namespace hl
