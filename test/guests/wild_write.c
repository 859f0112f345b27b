/* wild_write: stores to pseudo-random 64-bit addresses from its entry point. */
#include <stdint.h>

static uint64_t state = 0xdeadbeefcafef00dull;
__attribute__((section(".text.entry"), noreturn)) void _start(void) {
  for (;;) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    *(volatile uint64_t *)(uintptr_t)(state & 0x0000fffffffffff8ull) = state;
  }
}
__attribute__((noreturn)) void hl_dispatch_entry(void) __attribute__((alias("_start")));
