/* hostile: a guest that breaks the ABI on purpose, as a test fixture.
 * Each function writes output the host must refuse without harm. */
#include <hl/hl.h>

#define PEB ((const volatile struct hl_peb *)HL_PEB_ADDR)
static inline void outl(uint16_t port, uint32_t v) {
  __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

/* A RESULT whose string is not UTF-8. */
static void bad_utf8(const hl_call *c) { (void)c; hl_return_strn("\xff\xfe\x80ok", 5); }

/* A RESULT message whose length claims more than the output buffer holds. */
static void length_beyond_buffer(const hl_call *c) {
  (void)c;
  struct hl_msg *m = (struct hl_msg *)(uintptr_t)PEB->output_addr;
  m->kind = HL_MSG_RESULT;
  m->len = 0xfffffff0u;
  outl(HL_PORT_DONE, 0);
}

/* A value whose length runs past its message. */
static void value_beyond_message(const hl_call *c) {
  (void)c;
  uint8_t *o = (uint8_t *)(uintptr_t)PEB->output_addr;
  struct hl_msg m = { HL_MSG_RESULT, 8 };
  struct hl_value v = { .type = HL_TYPE_STRING, .len = 4096 };
  memcpy(o, &m, sizeof m);
  memcpy(o + 8, &v, sizeof v);
  outl(HL_PORT_DONE, 0);
}

/* A result of another type than the declared one, written by hand. */
static void wrong_result_type(const hl_call *c) {
  (void)c;
  uint8_t *o = (uint8_t *)(uintptr_t)PEB->output_addr;
  struct hl_msg m = { HL_MSG_RESULT, HL_VALUE_SPAN(8) };
  struct hl_value v = { .type = HL_TYPE_F64, .len = 8 };
  double d = 1.5;
  memset(o, 0, 8 + HL_VALUE_SPAN(8));
  memcpy(o, &m, sizeof m);
  memcpy(o + 8, &v, sizeof v);
  memcpy(o + 16, &d, 8);
  outl(HL_PORT_DONE, 0);
}

/* A message kind that makes no sense on this port. */
static void unknown_kind(const hl_call *c) {
  (void)c;
  struct hl_msg *m = (struct hl_msg *)(uintptr_t)PEB->output_addr;
  m->kind = 0x77;
  m->len = 0;
  outl(HL_PORT_DONE, 0);
}

/* A write to a port the TSS bitmap denies: #GP in ring 3. */
static void denied_port(const hl_call *c) { (void)c; outl(0x80, 1); hl_return_i32(0); }

/* Jumps into data: the NX bit stops it. */
static void exec_data(const hl_call *c) {
  (void)c;
  static uint8_t code[16] = { 0xc3 };
  ((void (*)(void))(uintptr_t)code)();
  hl_return_i32(0);
}

/* An invalid opcode (#UD). */
static void invalid_opcode(const hl_call *c) { (void)c; __asm__ volatile("ud2"); hl_return_i32(0); }

/* An integer division by zero (#DE). */
static void divide_by_zero(const hl_call *c) {
  volatile int32_t zero = hl_arg_i32(c, 0) * 0;
  hl_return_i32(hl_arg_i32(c, 0) / zero);
}

/* An abort whose message is far longer than the ABI allows. */
static void long_abort(const hl_call *c) {
  (void)c;
  static char msg[8192];
  memset(msg, 'A', sizeof msg - 1);
  hl_abort(77, msg);
}

/* A host call to a function the host does not have. */
static void unknown_host_function(const hl_call *c) {
  (void)c;
  hl_val r; int32_t code;
  hl_host_begin("NoSuchHostFunction", HL_I32);
  if (!hl_host_call(&r, &code)) { hl_return_error(code, r.as.str); return; }
  hl_return_i32(r.as.i32);
}

/* Leaves a value at the bottom of the stack and in the output buffer's last
 * word; a restore must wipe both (no state survives a restore). */
static void stash(const hl_call *c) {
  uint64_t v = hl_arg_u64(c, 0);
  *(volatile uint64_t *)(uintptr_t)(PEB->stack_top - PEB->stack_size) = v;
  *(volatile uint64_t *)(uintptr_t)(PEB->output_addr + PEB->output_size - 8) = v;
}
static void peek(const hl_call *c) {
  (void)c;
  uint64_t a = *(volatile uint64_t *)(uintptr_t)(PEB->stack_top - PEB->stack_size);
  uint64_t b = *(volatile uint64_t *)(uintptr_t)(PEB->output_addr + PEB->output_size - 8);
  hl_return_u64(a | b);
}

/* From ring 3, the port of the host's exception stubs, with the registers of
 * a page-fault report: the bitmap denies the port, so this is a #GP at this
 * instruction, never a forged report. */
static void forge_exception_report(const hl_call *c) {
  (void)c;
  __asm__ volatile("mov $14, %%eax\n\tmov $6, %%ebx\n\tmov $0x1000, %%edi\n\tmov $0x120, %%dx\n\tout %%eax, %%dx"
                   ::: "rax", "rbx", "rdi", "rdx", "memory");
  hl_return_i32(0);
}

/* `int $14` from ring 3: the gate's DPL is 0, so the CPU refuses it. */
static void soft_page_fault(const hl_call *c) { (void)c; __asm__ volatile("int $14" ::: "memory"); hl_return_i32(0); }

/* A fault with RSP pointing at nothing: the stubs use their own stack, so the
 * #UD is reported like any other (a stub on the guest's stack would double-fault). */
static void fault_with_wild_stack(const hl_call *c) {
  (void)c;
  __asm__ volatile("mov $0x7f0000000000, %%rsp\n\tud2" ::: "memory");
  hl_return_i32(0);
}

/* Ignores the PEB's log level: one record, then n raw writes to the log port. */
static void raw_log_flood(const hl_call *c) {
  hl_log(HL_LOG_ERROR, "raw flood");
  for (int32_t i = 0; i < hl_arg_i32(c, 0); i++) outl(HL_PORT_LOG, 0);
}

/* Span records the host must not trust: a header claiming more than the
 * buffer, or records with lengths past it. Mode 0 / 1. */
/* A span, an attribute (key and value) and an event all named by the caller:
 * text with escape sequences and newlines that a terminal must not obey. */
static void hostile_trace(const hl_call *c) {
  const char *text = hl_arg_str(c, 0);
  uint32_t s = hl_span_begin(text);
  hl_span_attr(s, text, text);
  hl_span_event(s, text);
  hl_span_end(s);
  hl_return_i32(0);
}

static void bad_trace(const hl_call *c) {
  uint32_t s = hl_span_begin("legit");
  hl_span_end(s);
  struct hl_trace_header *h = (struct hl_trace_header *)(uintptr_t)PEB->trace_addr;
  if (hl_arg_i32(c, 0) == 0) {
    h->used = 0xfffffff0u;
  } else {
    struct hl_trace_record *r = (struct hl_trace_record *)((uint8_t *)(h + 1) + h->used);
    r->kind = HL_TRACE_BEGIN;
    r->len = 0xffff;
    h->used += sizeof *r;
  }
  hl_return_i32(0);
}

/* A log record flood: n records in one call. */
static void log_flood(const hl_call *c) {
  for (int32_t i = 0; i < hl_arg_i32(c, 0); i++) hl_log(HL_LOG_INFO, "flood");
}

/* ---- Framing the host must refuse: every byte of a message means one thing ---- */
/* Writes a RESULT message of `len` bytes (after its header) from `body`. */
static void raw_result(const void *body, uint32_t len) {
  uint8_t *o = (uint8_t *)(uintptr_t)PEB->output_addr;
  struct hl_msg m = { HL_MSG_RESULT, len };
  memcpy(o, &m, sizeof m);
  memcpy(o + sizeof m, body, len);
  outl(HL_PORT_DONE, 0);
}

/* A well-formed int32 result followed by 8 bytes the message should not have. */
static void trailing_bytes(const hl_call *c) {
  (void)c;
  uint8_t b[32] = { HL_TYPE_I32, 0, 0, 0, 4, 0, 0, 0, 7 };
  memset(b + 16, 0xee, 8);
  raw_result(b, 24);
}

/* A string whose message ends right after its payload: no NUL, no padding. */
static void unpadded_string(const hl_call *c) {
  (void)c;
  uint8_t b[16] = { HL_TYPE_STRING, 0, 0, 0, 2, 0, 0, 0, 'o', 'k' };
  raw_result(b, 10);
}

/* A string declared 2 bytes long whose "padding" holds more text. */
static void short_length(const hl_call *c) {
  (void)c;
  uint8_t b[16] = { HL_TYPE_STRING, 0, 0, 0, 2, 0, 0, 0, 'o', 'k', 'h', 'i', 'd', 'd', 'e', 'n' };
  raw_result(b, 16);
}

/* A VLA of n bytes, its lowest byte written. Past the stack and its one guard
 * page, an unprobed allocation lands in the trace buffer below; the SDK builds
 * with -fstack-clash-protection, which touches each page on the way down, so
 * the guard page stops it. Returns the address it wrote, if it got there. */
static void huge_alloca(const hl_call *c) {
  uint64_t n = hl_arg_u64(c, 0);
  volatile uint8_t buf[n];
  buf[0] = 0x5a;
  hl_return_u64((uint64_t)(uintptr_t)&buf[0]);
}

/* ---- Fuzz(seed): a valid message of a random kind, mutated, on a random port ---- */
static uint64_t rng;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static uint32_t put_value(uint8_t *o, uint32_t at, uint8_t type, const void *p, uint32_t len) {
  struct hl_value h = { .type = type, .len = len };
  memcpy(o + at, &h, sizeof h);
  memcpy(o + at + 8, p, len);
  memset(o + at + 8 + len, 0, HL_ALIGN8(len + 1) - len);
  return at + HL_VALUE_SPAN(len);
}
static void fuzz(const hl_call *c) {
  rng = hl_arg_u64(c, 0) * 2654435761u + 1;
  uint8_t *o = (uint8_t *)(uintptr_t)PEB->output_addr;
  uint32_t size = (uint32_t)PEB->output_size;
  uint32_t at = 8, kind;
  int32_t i32 = (int32_t)rnd();
  switch (rnd() % 6) {
    case 0: kind = HL_MSG_RESULT; at = put_value(o, at, HL_TYPE_I32, &i32, 4); break;
    case 1: kind = HL_MSG_RESULT; at = put_value(o, at, HL_TYPE_STRING, "fuzzed string", 13); break;
    case 2: kind = HL_MSG_ERROR; memcpy(o + at, &i32, 4); memset(o + at + 4, 0, 4); at = put_value(o, at + 8, HL_TYPE_STRING, "fuzz error", 10); break;
    case 3: kind = HL_MSG_LOG; memset(o + at, 0, 8); o[at] = (uint8_t)(rnd() % 6); at = put_value(o, at + 8, HL_TYPE_STRING, "fuzz log", 8); at = put_value(o, at, HL_TYPE_STRING, "fuzz.c", 6); break;
    case 4: kind = HL_MSG_HOSTCALL; memset(o + at, 0, 8); o[at] = 2; o[at + 4] = HL_TYPE_I32; at = put_value(o, at + 8, HL_TYPE_STRING, "HostAdd", 7);
            at = put_value(o, at, HL_TYPE_I32, &i32, 4); at = put_value(o, at, HL_TYPE_I32, &i32, 4); break;
    default: kind = HL_MSG_ABORT; memcpy(o + at, &i32, 4); memset(o + at + 4, 0, 4); at = put_value(o, at + 8, HL_TYPE_STRING, "fuzz abort", 10); break;
  }
  struct hl_msg m = { kind, at - 8 };
  memcpy(o, &m, sizeof m);
  uint32_t flips = rnd() % 6;
  for (uint32_t i = 0; i < flips; i++) o[rnd() % (at + 8)] ^= (uint8_t)(1u << (rnd() % 8));
  if (rnd() % 5 == 0) ((struct hl_msg *)o)->len = (uint32_t)rnd() % (size + 64);
  if (rnd() % 7 == 0) ((struct hl_msg *)o)->kind = (uint32_t)rnd() % 9;
  static const uint16_t ports[] = { HL_PORT_DONE, HL_PORT_HOSTCALL, HL_PORT_LOG, HL_PORT_ABORT };
  outl(ports[rnd() % 4], (uint32_t)rnd());
  hl_return_i32(0);
}

/* ---- Growth: what a guest can make the host keep (issue 10, item 4) ---- */

/* n log records of `size` bytes each (cut to fit the output buffer). */
static void big_log_flood(const hl_call *c) {
  static char msg[65536];
  int32_t size = hl_arg_i32(c, 1);
  if (size < 0 || size >= (int32_t)sizeof msg) size = (int32_t)sizeof msg - 1;
  memset(msg, 'L', (size_t)size);
  msg[size] = 0;
  for (int32_t i = 0; i < hl_arg_i32(c, 0); i++) hl_log(HL_LOG_INFO, msg);
}

/* Fills the trace buffer with empty BEGIN records written by hand: as many
 * spans as fit (1,364 in 32 KiB), more than the host keeps per call. */
static void span_flood(const hl_call *c) {
  (void)c;
  struct hl_trace_header *h = (struct hl_trace_header *)(uintptr_t)PEB->trace_addr;
  struct hl_trace_record *r = (struct hl_trace_record *)(h + 1);
  uint32_t n = (uint32_t)((PEB->trace_size - sizeof *h) / sizeof *r);
  for (uint32_t i = 0; i < n; i++) {
    memset(&r[i], 0, sizeof r[i]);
    r[i].kind = HL_TRACE_BEGIN;
    r[i].span = i + 1;
  }
  h->used = n * (uint32_t)sizeof *r;
  hl_return_i32((int32_t)n);
}

void hl_main(void) {
  hl_register("Fuzz", fuzz, HL_I32, 1, HL_U64);
  hl_register("BadUtf8", bad_utf8, HL_STRING, 0);
  hl_register("LengthBeyondBuffer", length_beyond_buffer, HL_STRING, 0);
  hl_register("ValueBeyondMessage", value_beyond_message, HL_STRING, 0);
  hl_register("WrongResultType", wrong_result_type, HL_I32, 0);
  hl_register("UnknownKind", unknown_kind, HL_I32, 0);
  hl_register("DeniedPort", denied_port, HL_I32, 0);
  hl_register("ExecData", exec_data, HL_I32, 0);
  hl_register("UnknownHostFunction", unknown_host_function, HL_I32, 0);
  hl_register("LogFlood", log_flood, HL_VOID, 1, HL_I32);
  hl_register("InvalidOpcode", invalid_opcode, HL_I32, 0);
  hl_register("Stash", stash, HL_VOID, 1, HL_U64);
  hl_register("BadTrace", bad_trace, HL_I32, 1, HL_I32);
  hl_register("HostileTrace", hostile_trace, HL_I32, 1, HL_STRING);
  hl_register("Peek", peek, HL_U64, 0);
  hl_register("RawLogFlood", raw_log_flood, HL_VOID, 1, HL_I32);
  hl_register("DivideByZero", divide_by_zero, HL_I32, 1, HL_I32);
  hl_register("LongAbort", long_abort, HL_VOID, 0);
  hl_register("BigLogFlood", big_log_flood, HL_VOID, 2, HL_I32, HL_I32);
  hl_register("SpanFlood", span_flood, HL_I32, 0);
  hl_register("TrailingBytes", trailing_bytes, HL_I32, 0);
  hl_register("UnpaddedString", unpadded_string, HL_STRING, 0);
  hl_register("ShortLength", short_length, HL_STRING, 0);
  hl_register("HugeAlloca", huge_alloca, HL_U64, 1, HL_U64);
  hl_register("ForgeExceptionReport", forge_exception_report, HL_I32, 0);
  hl_register("SoftPageFault", soft_page_fault, HL_I32, 0);
  hl_register("FaultWithWildStack", fault_with_wild_stack, HL_I32, 0);
}
