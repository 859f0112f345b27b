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
  touched_.assign(size / kPageSize, false);
  changed_.assign(size / kPageSize, false);
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

void GuestMemory::mark(gpa_t gpa, uint64_t len) {
  if (len == 0) return;
  for (uint64_t p = gpa / kPageSize; p <= (gpa + len - 1) / kPageSize; p++) {
    touched_[p] = true;
    changed_[p] = true;
  }
}

bool GuestMemory::write(gpa_t gpa, const uint8_t* data, uint64_t len) {
  uint8_t* p = checked(gpa, len);
  if (!p) return false;
  memcpy(p, data, len);
  mark(gpa, len);
  return true;
}

void GuestMemory::note_dirty(const std::vector<uint64_t>& bitmap) {
  uint64_t pages = size_ / kPageSize;
  for (uint64_t w = 0; w < bitmap.size() && w * 64 < pages; w++) {
    uint64_t bits = bitmap[w];
    while (bits) {
      uint64_t p = w * 64 + __builtin_ctzll(bits);
      bits &= bits - 1;
      if (p < pages) touched_[p] = changed_[p] = true;
    }
  }
}

std::string GuestMemory::snapshot(gpa_t gpa, uint64_t len) {
  if (gpa % kPageSize || len % kPageSize || !checked(gpa, len) || gpa < kPageTablesEnd)
    return "snapshot range outside guest memory";
  snap_first_ = gpa / kPageSize;
  snap_pages_ = len / kPageSize;
  saved_index_.assign(snap_pages_, kNone);
  saved_.clear();
  for (uint64_t i = 0; i < snap_pages_; i++) {
    uint64_t p = snap_first_ + i;
    if (!touched_[p]) continue;  // never written: zero
    saved_index_[i] = static_cast<uint32_t>(saved_.size() / kPageSize);
    saved_.insert(saved_.end(), base_ + p * kPageSize, base_ + (p + 1) * kPageSize);
  }
  for (uint64_t i = 0; i < snap_pages_; i++) changed_[snap_first_ + i] = false;
  has_snapshot_ = true;
  return "";
}

int64_t GuestMemory::restore() {
  if (!has_snapshot_) return -1;
  int64_t n = 0;
  for (uint64_t i = 0; i < snap_pages_; i++) {
    uint64_t p = snap_first_ + i;
    if (!changed_[p]) continue;
    changed_[p] = false;
    uint8_t* dst = base_ + p * kPageSize;
    if (saved_index_[i] == kNone) memset(dst, 0, kPageSize);
    else memcpy(dst, saved_.data() + uint64_t(saved_index_[i]) * kPageSize, kPageSize);
    n++;
  }
  return n;
}

}  // namespace hl
