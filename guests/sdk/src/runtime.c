/* runtime.c: the guest side of the ABI: init, dispatch, results, host calls,
 * logs and aborts, all encoded as hl_abi.h describes. Runs in ring 3. */
#include <stdarg.h>
#include "hl/hl.h"

#define PEB ((const volatile struct hl_peb *)HL_PEB_ADDR)

static inline void hl_outl(uint16_t port, uint32_t v) {
  __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

/* ---- function table ---- */
struct fn_entry {
  const char *name;
  hl_fn fn;
  uint8_t ret, argc;
  uint8_t params[HL_MAX_ARGS];
};
static struct fn_entry functions[HL_MAX_FUNCTIONS];
static int function_count;

/* ---- message writer over the output buffer ---- */
static uint8_t *out_base;
static uint32_t out_pos, out_cap;
static bool out_overflow;
static bool result_set;     /* the current call has written its result */
static bool result_clobbered;
static uint8_t current_ret; /* declared return type of the current call */

static void msg_begin(uint32_t kind) {
  out_base = (uint8_t *)(uintptr_t)PEB->output_addr;
  out_cap = (uint32_t)PEB->output_size;
  out_pos = sizeof(struct hl_msg);
  out_overflow = false;
  ((struct hl_msg *)out_base)->kind = kind;
  if (result_set && kind != HL_MSG_RESULT && kind != HL_MSG_ERROR) result_clobbered = true;
}

static void put(const void *p, uint32_t n) {
  if (out_overflow || n > out_cap || out_pos > out_cap - n) { out_overflow = true; return; }
  memcpy(out_base + out_pos, p, n);
  out_pos += n;
}

static void put_u32(uint32_t v) { put(&v, 4); }

static void put_value(uint8_t type, const void *p, uint32_t len) {
  struct hl_value h = { .type = type, .len = len };
  put(&h, sizeof h);
  put(p, len);
  static const uint8_t zeros[8];
  put(zeros, HL_ALIGN8(len + 1u) - len); /* at least one NUL */
}

static void put_string(const char *s) { put_value(HL_TYPE_STRING, s, (uint32_t)strlen(s)); }

static void msg_end(void) { ((struct hl_msg *)out_base)->len = out_pos - sizeof(struct hl_msg); }

/* ---- message reader over a host buffer (input or reply) ---- */
struct reader { const uint8_t *base; uint32_t pos, end; bool bad; };

static uint32_t get_u32(struct reader *r) {
  uint32_t v = 0;
  if (r->bad || r->end - r->pos < 4) { r->bad = true; return 0; }
  memcpy(&v, r->base + r->pos, 4);
  r->pos += 4;
  return v;
}

static void get_value(struct reader *r, hl_val *out) {
  struct hl_value h;
  if (r->bad || r->end - r->pos < sizeof h) { r->bad = true; return; }
  memcpy(&h, r->base + r->pos, sizeof h);
  r->pos += sizeof h;
  if (h.len > r->end - r->pos) { r->bad = true; return; }
  const uint8_t *p = r->base + r->pos;
  out->type = (hl_type)h.type;
  out->len = h.len;
  out->as.u64 = 0;
  switch (h.type) {
    case HL_TYPE_STRING: case HL_TYPE_BYTES: out->as.bytes = p; break;
    case HL_TYPE_VOID: break;
    default:
      if (h.len > 8) { r->bad = true; return; }
      memcpy(&out->as.u64, p, h.len);
  }
  uint32_t span = HL_ALIGN8(h.len + 1u);
  r->pos = span > r->end - r->pos ? r->end : r->pos + span;
}

static struct reader reader_for(uint64_t addr, uint64_t size, uint32_t expect_kind, uint32_t *kind) {
  struct reader r = { (const uint8_t *)(uintptr_t)addr, 0, 0, false };
  const struct hl_msg *m = (const struct hl_msg *)(uintptr_t)addr;
  if (size < sizeof *m || m->len > size - sizeof *m) { r.bad = true; return r; }
  if (kind) *kind = m->kind; else if (m->kind != expect_kind) r.bad = true;
  r.pos = sizeof *m;
  r.end = sizeof *m + m->len;
  return r;
}

/* ---- registration and init ---- */
/* The ABI's name rule (hl_abi.h): [A-Za-z_][A-Za-z0-9_]*, 1..HL_MAX_NAME_LEN
 * bytes. The host refuses any other name; failing here says why sooner. */
static int valid_name(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > HL_MAX_NAME_LEN || (name[0] >= '0' && name[0] <= '9')) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return 0;
  }
  return 1;
}

void hl_register(const char *name, hl_fn fn, hl_type ret, int argc, ...) {
  if (function_count >= HL_MAX_FUNCTIONS) hl_abort(HL_ERR_BAD_ARGUMENTS, "too many functions");
  if (argc < 0 || argc > HL_MAX_ARGS) hl_abort(HL_ERR_BAD_ARGUMENTS, "too many parameters");
  if (!valid_name(name)) hl_abort(HL_ERR_BAD_ARGUMENTS, "bad function name (the ABI allows [A-Za-z_][A-Za-z0-9_]*, at most 255 bytes)");
  struct fn_entry *e = &functions[function_count++];
  e->name = name; e->fn = fn; e->ret = (uint8_t)ret; e->argc = (uint8_t)argc;
  va_list ap;
  va_start(ap, argc);
  for (int i = 0; i < argc; i++) e->params[i] = (uint8_t)va_arg(ap, int);
  va_end(ap);
}

void hl_heap_init(uint64_t addr, uint64_t size);

void hl_start_c(void) {
  hl_heap_init(PEB->heap_addr, PEB->heap_size);
  hl_main();
  msg_begin(HL_MSG_FUNCTIONS);
  put_u32((uint32_t)function_count);
  put_u32(0);
  for (int i = 0; i < function_count; i++) {
    uint8_t sig[1 + HL_MAX_ARGS];
    sig[0] = functions[i].ret;
    memcpy(sig + 1, functions[i].params, functions[i].argc);
    put_string(functions[i].name);
    put_value(HL_TYPE_BYTES, sig, 1u + functions[i].argc);
  }
  if (out_overflow) hl_abort(HL_ERR_OUTPUT_FULL, "function table does not fit in the output buffer");
  msg_end();
  hl_outl(HL_PORT_DONE, 0);
  for (;;) __asm__ volatile("ud2");
}

/* ---- results ---- */
static void write_error(int32_t code, const char *message) {
  msg_begin(HL_MSG_ERROR);
  put_u32((uint32_t)code);
  put_u32(0);
  uint32_t n = (uint32_t)strlen(message);
  put_value(HL_TYPE_STRING, message, n > HL_MAX_ERROR_MSG_LEN ? HL_MAX_ERROR_MSG_LEN : n);
  msg_end();
  result_set = true;
}

static void write_result(uint8_t type, const void *p, uint32_t len) {
  if (type != current_ret) { write_error(HL_ERR_BAD_RESULT, "result type differs from the declared return type"); return; }
  msg_begin(HL_MSG_RESULT);
  put_value(type, p, len);
  if (out_overflow) { write_error(HL_ERR_OUTPUT_FULL, "result does not fit in the output buffer"); return; }
  msg_end();
  result_set = true;
}

void hl_return_i32(int32_t v) { write_result(HL_TYPE_I32, &v, 4); }
void hl_return_u32(uint32_t v) { write_result(HL_TYPE_U32, &v, 4); }
void hl_return_i64(int64_t v) { write_result(HL_TYPE_I64, &v, 8); }
void hl_return_u64(uint64_t v) { write_result(HL_TYPE_U64, &v, 8); }
void hl_return_f32(float v) { write_result(HL_TYPE_F32, &v, 4); }
void hl_return_f64(double v) { write_result(HL_TYPE_F64, &v, 8); }
void hl_return_bool(bool v) { uint8_t b = v ? 1 : 0; write_result(HL_TYPE_BOOL, &b, 1); }
void hl_return_str(const char *s) { write_result(HL_TYPE_STRING, s, (uint32_t)strlen(s)); }
void hl_return_strn(const char *s, uint32_t len) { write_result(HL_TYPE_STRING, s, len); }
void hl_return_bytes(const void *p, uint32_t len) { write_result(HL_TYPE_BYTES, p, len); }
void hl_return_error(int32_t code, const char *message) { write_error(code, message); }

/* ---- dispatch ---- */
void hl_trace_reset(void);

void hl_dispatch_c(void) {
  hl_trace_reset();
  result_set = false;
  result_clobbered = false;
  current_ret = HL_TYPE_VOID;
  struct reader r = reader_for(PEB->input_addr, PEB->input_size, HL_MSG_CALL, 0);
  uint32_t argc = get_u32(&r);
  get_u32(&r);
  hl_val name;
  get_value(&r, &name);
  if (r.bad || name.type != HL_TYPE_STRING || argc > HL_MAX_ARGS) {
    write_error(HL_ERR_BAD_ARGUMENTS, "malformed call message");
    hl_outl(HL_PORT_DONE, 0);
  }
  hl_call call;
  call.argc = (int)argc;
  for (uint32_t i = 0; i < argc; i++) get_value(&r, &call.argv[i]);
  struct fn_entry *e = 0;
  for (int i = 0; i < function_count; i++) {
    if (strlen(functions[i].name) == name.len && memcmp(functions[i].name, name.as.str, name.len) == 0) {
      e = &functions[i];
      break;
    }
  }
  if (!e) {
    write_error(HL_ERR_UNKNOWN_FUNCTION, "unknown function");
  } else if (r.bad || argc != e->argc) {
    write_error(HL_ERR_BAD_ARGUMENTS, "wrong number of arguments");
  } else {
    bool ok = true;
    for (uint32_t i = 0; i < argc; i++) ok = ok && call.argv[i].type == e->params[i];
    if (!ok) {
      write_error(HL_ERR_BAD_ARGUMENTS, "argument type differs from the declared parameter type");
    } else {
      current_ret = e->ret;
      e->fn(&call);
      if (result_clobbered) write_error(HL_ERR_BAD_RESULT, "a log or host call came after the result was set");
      else if (!result_set) {
        if (e->ret == HL_TYPE_VOID) write_result(HL_TYPE_VOID, 0, 0);
        else write_error(HL_ERR_BAD_RESULT, "function returned no value");
      }
    }
  }
  hl_outl(HL_PORT_DONE, 0);
  for (;;) __asm__ volatile("ud2");
}

/* ---- host calls ---- */
static uint32_t host_argc;
static uint32_t host_argc_pos;

void hl_host_begin(const char *name, hl_type ret) {
  msg_begin(HL_MSG_HOSTCALL);
  host_argc = 0;
  host_argc_pos = out_pos;
  put_u32(0);
  put_u32((uint32_t)ret);
  put_string(name);
}

static void host_arg(uint8_t type, const void *p, uint32_t len) { host_argc++; put_value(type, p, len); }
void hl_host_i32(int32_t v) { host_arg(HL_TYPE_I32, &v, 4); }
void hl_host_u32(uint32_t v) { host_arg(HL_TYPE_U32, &v, 4); }
void hl_host_i64(int64_t v) { host_arg(HL_TYPE_I64, &v, 8); }
void hl_host_u64(uint64_t v) { host_arg(HL_TYPE_U64, &v, 8); }
void hl_host_f64(double v) { host_arg(HL_TYPE_F64, &v, 8); }
void hl_host_bool(bool v) { uint8_t b = v; host_arg(HL_TYPE_BOOL, &b, 1); }
void hl_host_str(const char *s) { host_arg(HL_TYPE_STRING, s, (uint32_t)strlen(s)); }
void hl_host_bytes(const void *p, uint32_t len) { host_arg(HL_TYPE_BYTES, p, len); }

bool hl_host_call(hl_val *out, int32_t *err_code) {
  if (out_overflow) {
    out->type = HL_STRING;
    out->as.str = "host call arguments do not fit in the output buffer";
    if (err_code) *err_code = HL_ERR_OUTPUT_FULL;
    return false;
  }
  memcpy(out_base + host_argc_pos, &host_argc, 4);
  msg_end();
  hl_outl(HL_PORT_HOSTCALL, 0);
  uint32_t kind = 0;
  struct reader r = reader_for(PEB->reply_addr, PEB->reply_size, 0, &kind);
  if (kind == HL_MSG_RESULT) {
    get_value(&r, out);
    if (!r.bad) return true;
  } else if (kind == HL_MSG_ERROR) {
    int32_t code = (int32_t)get_u32(&r);
    get_u32(&r);
    get_value(&r, out);
    if (!r.bad) { if (err_code) *err_code = code; return false; }
  }
  out->type = HL_STRING;
  out->as.str = "malformed host reply";
  if (err_code) *err_code = HL_ERR_HOST_FUNCTION;
  return false;
}

/* ---- logs and aborts ---- */
int hl_log_enabled(int level) { return level >= (int)PEB->max_log_level; }

void hl_log_at(int level, const char *file, uint32_t line, const char *message) {
  if (!hl_log_enabled(level)) return; /* no VM exit for a disabled level */
  msg_begin(HL_MSG_LOG);
  put_u32((uint32_t)level);
  put_u32(line);
  uint32_t n = (uint32_t)strlen(message);
  uint32_t room = out_cap > 256 ? out_cap - 256 : 0; /* keep room for the file name */
  put_value(HL_TYPE_STRING, message, n > room ? room : n);
  put_string(file);
  if (out_overflow) return;
  msg_end();
  hl_outl(HL_PORT_LOG, 0);
}

void hl_abort(int32_t code, const char *message) {
  msg_begin(HL_MSG_ABORT);
  put_u32((uint32_t)code);
  put_u32(0);
  uint32_t n = (uint32_t)strlen(message);
  put_value(HL_TYPE_STRING, message, n > HL_MAX_ERROR_MSG_LEN ? HL_MAX_ERROR_MSG_LEN : n);
  msg_end();
  hl_outl(HL_PORT_ABORT, (uint32_t)code);
  for (;;) __asm__ volatile("ud2");
}
