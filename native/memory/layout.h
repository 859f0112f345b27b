// layout.h: the fixed part of the guest memory map, and the page-table bits.
//
//   0x000000 +------------------------------+
//            | null page (never mapped)     |
//   0x001000 | GDT + TSS (supervisor)       |  HL_GDT_ADDR / HL_TSS_ADDR
//   0x002000 | PEB (user, read-only)        |  HL_PEB_ADDR
//   0x003000 | IDT + exception stubs (sup.) |  HL_IDT_ADDR, read-execute
//   0x004000 | stubs' stack (supervisor)    |  HL_RING0_STACK_ADDR
//   0x005000 | (unmapped)                   |
//   0x010000 | page tables (not mapped)     |  HL_PT_ADDR, grow up
//   0x200000 | guest ELF image              |  HL_IMAGE_BASE (text R-X, rodata R, data RW-NX)
//            | heap                         |  user RW-NX, sizes from src/sandbox/layout.ts
//            | input | output | reply       |  user RW-NX
//            | guard page (never mapped)    |
//            | stack                        |  user RW-NX, grows down
//            | guard page (never mapped)    |
//   memSize  +------------------------------+
//
// Addresses above HL_IMAGE_BASE are chosen by TypeScript (policy); the addon
// only checks that each range lies inside guest memory.
#pragma once
#include <cstdint>
#include "hl/hl_abi.h"

namespace hl {

using gpa_t = uint64_t;  // a guest-physical (= guest-virtual) address

constexpr uint64_t kPageSize = HL_PAGE_SIZE;
constexpr gpa_t kPageTablesEnd = HL_IMAGE_BASE;  // page tables must stay below

// x86-64 page-table entry bits.
constexpr uint64_t kPtePresent = 1ull << 0;
constexpr uint64_t kPteWrite = 1ull << 1;
constexpr uint64_t kPteUser = 1ull << 2;
constexpr uint64_t kPteNx = 1ull << 63;
constexpr uint64_t kPteAddrMask = 0x000ffffffffff000ull;

// Flags of mapRange(), as TypeScript passes them.
constexpr uint32_t kMapUser = 1, kMapWrite = 2, kMapExec = 4;

}  // namespace hl
