/* abi_flood: writes random bytes to the output buffer and random ABI ports,
 * forever, with a plausible header now and then. The host must refuse it. */
#include "chaos.h"

__attribute__((section(".text.entry"), noreturn)) void _start(void) {
  chaos_state = 0x2545f4914f6cdd1dull;
  const volatile struct hl_peb *peb = (const volatile struct hl_peb *)HL_PEB_ADDR;
  uint8_t *o = (uint8_t *)(uintptr_t)peb->output_addr;
  uint64_t size = peb->output_size;
  static const uint16_t ports[] = { HL_PORT_DONE, HL_PORT_HOSTCALL, HL_PORT_LOG, HL_PORT_ABORT };
  for (;;) {
    uint64_t n = next() % 256;
    for (uint64_t i = 0; i < n && i * 8 + 8 <= size; i++) *(uint64_t *)(o + i * 8) = next();
    struct hl_msg *m = (struct hl_msg *)o;
    m->kind = (uint32_t)(next() % 9);
    m->len = (uint32_t)(next() % (size + 64));
    out(ports[next() & 3], (uint32_t)next());
  }
}
__attribute__((noreturn)) void hl_dispatch_entry(void) __attribute__((alias("_start")));
