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
  struct hl_msg m = { HL_MSG_RESULT, 16 };
  struct hl_value v = { .type = HL_TYPE_F64, .len = 8 };
  double d = 1.5;
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

/* A host call to a function the host does not have. */
static void unknown_host_function(const hl_call *c) {
  (void)c;
  hl_val r; int32_t code;
  hl_host_begin("NoSuchHostFunction", HL_I32);
  if (!hl_host_call(&r, &code)) { hl_return_error(code, r.as.str); return; }
  hl_return_i32(r.as.i32);
}

/* A log record flood: n records in one call. */
static void log_flood(const hl_call *c) {
  for (int32_t i = 0; i < hl_arg_i32(c, 0); i++) hl_log(HL_LOG_INFO, "flood");
}

void hl_main(void) {
  hl_register("BadUtf8", bad_utf8, HL_STRING, 0);
  hl_register("LengthBeyondBuffer", length_beyond_buffer, HL_STRING, 0);
  hl_register("ValueBeyondMessage", value_beyond_message, HL_STRING, 0);
  hl_register("WrongResultType", wrong_result_type, HL_I32, 0);
  hl_register("UnknownKind", unknown_kind, HL_I32, 0);
  hl_register("DeniedPort", denied_port, HL_I32, 0);
  hl_register("ExecData", exec_data, HL_I32, 0);
  hl_register("UnknownHostFunction", unknown_host_function, HL_I32, 0);
  hl_register("LogFlood", log_flood, HL_VOID, 1, HL_I32);
}
