// guest_memory.h: the host mapping of guest memory, checked access to it,
// the identity page tables, and snapshots.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>
#include "layout.h"

namespace hl {

class GuestMemory {
 public:
  // Maps `size` bytes (page multiple, <= HL_MAX_GUEST_MEMORY). Throws std::runtime_error.
  explicit GuestMemory(uint64_t size);
  ~GuestMemory();
  GuestMemory(const GuestMemory&) = delete;
  GuestMemory& operator=(const GuestMemory&) = delete;

  uint8_t* host_base() const { return base_; }
  uint64_t size() const { return size_; }

  // The only way to reach guest memory: nullptr unless [gpa, gpa+len) is inside.
  uint8_t* checked(gpa_t gpa, uint64_t len) const;

  // Adds identity mappings for [gpa, gpa+len) with kMap* flags. Must run before
  // the first KVM_RUN: shadow paging may not see later tightening. Returns "" or an error.
  std::string map_range(gpa_t gpa, uint64_t len, uint32_t flags);

  // Saves [gpa, gpa+len) so restore() can put it back.
  std::string snapshot(gpa_t gpa, uint64_t len);
  bool restore();

 private:
  uint64_t* table_at(gpa_t table_gpa) const;
  gpa_t alloc_table();

  uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  gpa_t next_table_ = HL_PT_ADDR;
  gpa_t snap_gpa_ = 0;
  std::vector<uint8_t> snap_;
};

}  // namespace hl
