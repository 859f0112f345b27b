/* chaos.h: what the ABI-ignoring test guests share: a xorshift generator
 * (seeded per guest, so each run is the same) and a raw port write. */
#ifndef CHAOS_H
#define CHAOS_H
#include <stdint.h>
#include "hl/hl_abi.h"

static uint64_t chaos_state;

static inline uint64_t next(void) {
  chaos_state ^= chaos_state << 13;
  chaos_state ^= chaos_state >> 7;
  chaos_state ^= chaos_state << 17;
  return chaos_state;
}

static inline void out(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory"); }

#endif
