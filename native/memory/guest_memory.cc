// guest_memory.cc: mmap-backed guest memory, bounds-checked access, page tables.
#include "guest_memory.h"

#include <sys/mman.h>
#include <cstring>
#include <stdexcept>

namespace hl {

GuestMemory::GuestMemory(uint64_t size) : size_(size) {
  if (size == 0 || size % kPageSize != 0 || size > HL_MAX_GUEST_MEMORY || size <= kPageTablesEnd)
    throw std::runtime_error("guest memory size out of range");
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::runtime_error(std::string("mmap guest memory: ") + strerror(errno));
  base_ = static_cast<uint8_t*>(p);
  // The PML4 is the first table.
  alloc_table();
}

GuestMemory::~GuestMemory() {
  if (base_) munmap(base_, size_);
}

uint8_t* GuestMemory::checked(gpa_t gpa, uint64_t len) const {
  if (gpa > size_ || len > size_ - gpa) return nullptr;
  return base_ + gpa;
}

uint64_t* GuestMemory::table_at(gpa_t table_gpa) const {
  return reinterpret_cast<uint64_t*>(checked(table_gpa, kPageSize));
}

gpa_t GuestMemory::alloc_table() {
  if (next_table_ + kPageSize > kPageTablesEnd) return 0;
  gpa_t t = next_table_;
  next_table_ += kPageSize;
  memset(base_ + t, 0, kPageSize);
  return t;
}

std::string GuestMemory::map_range(gpa_t gpa, uint64_t len, uint32_t flags) {
  if (gpa % kPageSize || len % kPageSize || !checked(gpa, len)) return "range outside guest memory or unaligned";
  if (gpa < HL_PAGE_SIZE) return "the null page is never mapped";
  uint64_t leaf = kPtePresent;
  if (flags & kMapUser) leaf |= kPteUser;
  if (flags & kMapWrite) leaf |= kPteWrite;
  if (!(flags & kMapExec)) leaf |= kPteNx;
  // Intermediate levels allow everything; the leaf decides.
  const uint64_t inner = kPtePresent | kPteWrite | kPteUser;
  for (gpa_t a = gpa; a < gpa + len; a += kPageSize) {
    gpa_t table = HL_PT_ADDR;
    for (int level = 3; level > 0; level--) {
      uint64_t* t = table_at(table);
      uint64_t& e = t[(a >> (12 + 9 * level)) & 511];
      if (!(e & kPtePresent)) {
        gpa_t next = alloc_table();
        if (!next) return "guest memory too large for the page-table area";
        e = next | inner;
      }
      table = e & kPteAddrMask;
    }
    table_at(table)[(a >> 12) & 511] = (a & kPteAddrMask) | leaf;
  }
  return "";
}

std::string GuestMemory::snapshot(gpa_t gpa, uint64_t len) {
  uint8_t* p = checked(gpa, len);
  if (!p || gpa < kPageTablesEnd) return "snapshot range outside guest memory";
  snap_gpa_ = gpa;
  snap_.assign(p, p + len);
  return "";
}

bool GuestMemory::restore() {
  if (snap_.empty()) return false;
  memcpy(base_ + snap_gpa_, snap_.data(), snap_.size());
  return true;
}

}  // namespace hl
