/* port_flood: writes random values to random I/O ports, then to the ABI's
 * ports with random bytes in the output buffer. Any denied port faults (#GP);
 * the ABI ports carry garbage the host must refuse. */
#include "chaos.h"

__attribute__((section(".text.entry"), noreturn)) void _start(void) {
  chaos_state = 0x9e3779b97f4a7c15ull;
  const volatile struct hl_peb *peb = (const volatile struct hl_peb *)HL_PEB_ADDR;
  uint8_t *o = (uint8_t *)(uintptr_t)peb->output_addr;
  uint64_t size = peb->output_size;
  int abi_only = (int)(peb->heap_size & 1); /* unused bit: 0, so the first loop runs */
  for (;;) {
    for (uint64_t i = 0; i < size; i += 8) *(uint64_t *)(o + i) = next();
    static const uint16_t ports[] = { HL_PORT_DONE, HL_PORT_HOSTCALL, HL_PORT_LOG, HL_PORT_ABORT };
    uint16_t port = abi_only ? ports[next() & 3] : (uint16_t)next();
    out(port, (uint32_t)next());
    abi_only = 1;
  }
}
__attribute__((noreturn)) void hl_dispatch_entry(void) __attribute__((alias("_start")));
