/* simpleguest: the sample guest; every function here is exercised by the tests. */
#include <hl/hl.h>

static void echo(const hl_call *c) { hl_return_strn(hl_arg_str(c, 0), c->argv[0].len); }
static void echo_i32(const hl_call *c) { hl_return_i32(hl_arg_i32(c, 0)); }
static void echo_u32(const hl_call *c) { hl_return_u32(hl_arg_u32(c, 0)); }
static void echo_i64(const hl_call *c) { hl_return_i64(hl_arg_i64(c, 0)); }
static void echo_u64(const hl_call *c) { hl_return_u64(hl_arg_u64(c, 0)); }
static void echo_float(const hl_call *c) { hl_return_f32(hl_arg_f32(c, 0)); }
static void echo_double(const hl_call *c) { hl_return_f64(hl_arg_f64(c, 0)); }
static void echo_bool(const hl_call *c) { hl_return_bool(hl_arg_bool(c, 0)); }
static void echo_bytes(const hl_call *c) {
  uint32_t n;
  const uint8_t *p = hl_arg_bytes(c, 0, &n);
  hl_return_bytes(p, n);
}

/* Add asks the host to add, to exercise host calls. */
static void add(const hl_call *c) {
  hl_val r;
  int32_t code;
  hl_host_begin("HostAdd", HL_I32);
  hl_host_i32(hl_arg_i32(c, 0));
  hl_host_i32(hl_arg_i32(c, 1));
  if (!hl_host_call(&r, &code)) { hl_return_error(code, r.as.str); return; }
  hl_return_i32(r.as.i32);
}

static void print_output(const hl_call *c) {
  hl_val r;
  int32_t code;
  hl_host_begin("HostPrint", HL_I32);
  hl_host_str(hl_arg_str(c, 0));
  if (!hl_host_call(&r, &code)) { hl_return_error(code, r.as.str); return; }
  hl_return_i32(r.as.i32);
}

static void log_message(const hl_call *c) { hl_log(hl_arg_i32(c, 1), hl_arg_str(c, 0)); }
static void guest_error(const hl_call *c) { hl_return_error(hl_arg_i32(c, 0), hl_arg_str(c, 1)); }
static void do_abort(const hl_call *c) { hl_abort(hl_arg_i32(c, 0), "guest called Abort"); }

static int32_t static_value;
static void set_static(const hl_call *c) { static_value = hl_arg_i32(c, 0); hl_return_i32(static_value); }
static void get_static(const hl_call *c) { (void)c; hl_return_i32(static_value); }

static int32_t counter;
static void increment(const hl_call *c) { (void)c; hl_return_i32(++counter); }

static void spin(const hl_call *c) { (void)c; for (;;) __asm__ volatile("pause"); }

static int32_t recurse(int32_t depth) {
  volatile uint8_t frame[4096];
  frame[0] = (uint8_t)depth;
  frame[4095] = frame[0];
  if (depth <= 0) return frame[4095];
  return recurse(depth - 1) + frame[0];
}
static void stack_overflow(const hl_call *c) { hl_return_i32(recurse(hl_arg_i32(c, 0))); }

static void read_null(const hl_call *c) {
  (void)c;
  hl_return_i32(*(volatile int32_t *)0);
}
static void write_unmapped(const hl_call *c) {
  (void)c;
  *(volatile int32_t *)0x7f0000000000ULL = 1;
  hl_return_i32(0);
}

static void do_malloc(const hl_call *c) {
  int32_t n = hl_arg_i32(c, 0);
  if (n < 0) { hl_return_error(HL_ERR_BAD_ARGUMENTS, "size must not be negative"); return; }
  volatile uint8_t *p = hl_malloc((size_t)n);
  if (!p) { hl_return_error(HL_ERR_OUT_OF_MEMORY, "out of memory"); return; }
  for (int32_t i = 0; i < n; i += 4096) p[i] = 1; /* touch every page */
  if (n) p[n - 1] = 1;
  hl_free((void *)p);
  hl_return_i32(n);
}

/* Traced(steps): guest spans, nested, with an attribute and an event. */
static void traced(const hl_call *c) {
  int32_t steps = hl_arg_i32(c, 0);
  uint32_t work = hl_span_begin("work");
  hl_span_attr(work, "steps", steps > 9 ? "many" : "few");
  volatile int32_t sum = 0;
  for (int32_t i = 0; i < steps; i++) {
    uint32_t step = hl_span_begin("step");
    for (int32_t j = 0; j < 1000; j++) sum += j;
    if (i == steps / 2) hl_span_event(step, "halfway");
    hl_span_end(step);
  }
  hl_span_end(work);
  hl_return_i32(steps);
}

void hl_main(void) {
  hl_register("Echo", echo, HL_STRING, 1, HL_STRING);
  hl_register("EchoI32", echo_i32, HL_I32, 1, HL_I32);
  hl_register("EchoU32", echo_u32, HL_U32, 1, HL_U32);
  hl_register("EchoI64", echo_i64, HL_I64, 1, HL_I64);
  hl_register("EchoU64", echo_u64, HL_U64, 1, HL_U64);
  hl_register("EchoFloat", echo_float, HL_F32, 1, HL_F32);
  hl_register("EchoDouble", echo_double, HL_F64, 1, HL_F64);
  hl_register("EchoBool", echo_bool, HL_BOOL, 1, HL_BOOL);
  hl_register("EchoBytes", echo_bytes, HL_BYTES, 1, HL_BYTES);
  hl_register("Add", add, HL_I32, 2, HL_I32, HL_I32);
  hl_register("PrintOutput", print_output, HL_I32, 1, HL_STRING);
  hl_register("LogMessage", log_message, HL_VOID, 2, HL_STRING, HL_I32);
  hl_register("GuestError", guest_error, HL_VOID, 2, HL_I32, HL_STRING);
  hl_register("Abort", do_abort, HL_VOID, 1, HL_I32);
  hl_register("SetStatic", set_static, HL_I32, 1, HL_I32);
  hl_register("GetStatic", get_static, HL_I32, 0);
  hl_register("Increment", increment, HL_I32, 0);
  hl_register("Traced", traced, HL_I32, 1, HL_I32);
  hl_register("Spin", spin, HL_VOID, 0);
  hl_register("StackOverflow", stack_overflow, HL_I32, 1, HL_I32);
  hl_register("ReadNull", read_null, HL_I32, 0);
  hl_register("WriteUnmapped", write_unmapped, HL_I32, 0);
  hl_register("Malloc", do_malloc, HL_I32, 1, HL_I32);
}
