/* trace.c: guest spans, recorded into the trace buffer the PEB names. No VM
 * exit: the host reads the buffer when the call ends. */
#include "hl/hl.h"

#define PEB ((const volatile struct hl_peb *)HL_PEB_ADDR)

static uint32_t next_span;
static uint32_t stack[32];
static uint32_t depth;

static inline uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}

int hl_tracing_enabled(void) { return PEB->trace_enabled != 0 && PEB->trace_size > sizeof(struct hl_trace_header); }

/* Called by the dispatcher before each call. */
void hl_trace_reset(void) {
  next_span = 0;
  depth = 0;
  if (!hl_tracing_enabled()) return;
  struct hl_trace_header *h = (struct hl_trace_header *)(uintptr_t)PEB->trace_addr;
  h->used = 0;
  h->dropped = 0;
  h->start_tsc = rdtsc();
}

static void append(uint8_t kind, uint32_t span, uint32_t parent, const char *a, uint32_t alen, const char *b, uint32_t blen) {
  struct hl_trace_header *h = (struct hl_trace_header *)(uintptr_t)PEB->trace_addr;
  uint32_t cap = (uint32_t)PEB->trace_size - sizeof *h;
  uint32_t payload = alen + (b ? 1 + blen : 0);
  uint32_t need = sizeof(struct hl_trace_record) + HL_ALIGN8(payload);
  if (payload > 0xffff || h->used > cap || need > cap - h->used) {
    h->dropped++;
    return;
  }
  uint8_t *at = (uint8_t *)(h + 1) + h->used;
  struct hl_trace_record r = { .kind = kind, .len = (uint16_t)payload, .span = span, .parent = parent, .tsc = rdtsc() };
  memcpy(at, &r, sizeof r);
  memcpy(at + sizeof r, a, alen);
  if (b) {
    at[sizeof r + alen] = 0;
    memcpy(at + sizeof r + alen + 1, b, blen);
  }
  h->used += need;
}

static uint32_t cut(const char *s) {
  uint32_t n = (uint32_t)strlen(s);
  return n > HL_MAX_SPAN_NAME_LEN ? HL_MAX_SPAN_NAME_LEN : n;
}

uint32_t hl_span_begin(const char *name) {
  if (!hl_tracing_enabled()) return 0;
  uint32_t id = ++next_span;
  append(HL_TRACE_BEGIN, id, depth ? stack[depth - 1] : 0, name, cut(name), 0, 0);
  if (depth < sizeof stack / sizeof stack[0]) stack[depth++] = id;
  return id;
}

void hl_span_end(uint32_t span) {
  if (!span || !hl_tracing_enabled()) return;
  append(HL_TRACE_END, span, 0, "", 0, 0, 0);
  if (depth && stack[depth - 1] == span) depth--;
}

void hl_span_event(uint32_t span, const char *name) {
  if (!span || !hl_tracing_enabled()) return;
  append(HL_TRACE_EVENT, span, 0, name, cut(name), 0, 0);
}

void hl_span_attr(uint32_t span, const char *key, const char *value) {
  if (!span || !hl_tracing_enabled()) return;
  uint32_t v = (uint32_t)strlen(value);
  append(HL_TRACE_ATTR, span, 0, key, cut(key), value, v > 1024 ? 1024 : v);
}
