/* note.c: the ELF note by which the host recognises an hl guest and its ABI. */
#include "hl/hl_abi.h"

extern void hl_dispatch_entry(void);

struct hl_note {
  uint32_t namesz, descsz, type;
  char name[4];
  struct hl_guest_note desc;
};

__attribute__((used, section(".note.hl"), aligned(4)))
static const struct hl_note hl_guest_note = {
  .namesz = 3, /* "HL\0" */
  .descsz = sizeof(struct hl_guest_note),
  .type = HL_NOTE_TYPE_GUEST,
  .name = HL_NOTE_NAME,
  .desc = {
    .magic = HL_GUEST_MAGIC,
    .abi_version = HL_ABI_VERSION,
    .flags = 0,
    .dispatch = (uint64_t)(uintptr_t)&hl_dispatch_entry,
  },
};
