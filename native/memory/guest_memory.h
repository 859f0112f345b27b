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

  // Host writes go through here so snapshots know which pages hold data.
  bool write(gpa_t gpa, const uint8_t* data, uint64_t len);

  // Folds a KVM dirty log (one bit per page of all guest memory, cleared by
  // the read) into the snapshot bookkeeping.
  void note_dirty(const std::vector<uint64_t>& bitmap);

  // Saves the pages of [gpa, gpa+len) that hold data (written by the host or
  // the guest since creation); every other page is zero. Call note_dirty()
  // with a fresh log first.
  std::string snapshot(gpa_t gpa, uint64_t len);
  // Puts back the pages changed since the snapshot (note_dirty() first):
  // saved pages are copied back, the others zeroed. Returns pages restored, -1 without a snapshot.
  int64_t restore();

 private:
  uint64_t* table_at(gpa_t table_gpa) const;
  gpa_t alloc_table();

  uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  gpa_t next_table_ = HL_PT_ADDR;
  // Snapshot range, in pages, and per-page bookkeeping within it.
  uint64_t snap_first_ = 0, snap_pages_ = 0;
  bool has_snapshot_ = false;
  std::vector<bool> touched_;           // holds data (by page number, all memory)
  std::vector<bool> changed_;           // changed since the snapshot (all memory)
  std::vector<uint32_t> saved_index_;   // page in range -> index in saved_, or kNone
  std::vector<uint8_t> saved_;
  static constexpr uint32_t kNone = 0xffffffff;
  void mark(gpa_t gpa, uint64_t len);
};

}  // namespace hl
