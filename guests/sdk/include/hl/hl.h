/*
 * hl.h: the guest SDK. A guest defines hl_main(), registers its functions
 * there, and each function reads its arguments and sets one result.
 * See guests/README.md for a complete guest.
 */
#ifndef HL_H
#define HL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "hl_abi.h"

typedef enum {
  HL_VOID = HL_TYPE_VOID, HL_I32 = HL_TYPE_I32, HL_U32 = HL_TYPE_U32,
  HL_I64 = HL_TYPE_I64, HL_U64 = HL_TYPE_U64, HL_F32 = HL_TYPE_F32,
  HL_F64 = HL_TYPE_F64, HL_BOOL = HL_TYPE_BOOL, HL_STRING = HL_TYPE_STRING,
  HL_BYTES = HL_TYPE_BYTES
} hl_type;

/* A decoded value: scalars in the union, strings and bytes by pointer. */
typedef struct {
  hl_type type;
  uint32_t len; /* strings and bytes */
  union {
    int32_t i32; uint32_t u32; int64_t i64; uint64_t u64;
    float f32; double f64; bool b;
    const char *str; /* NUL-terminated when it came from the host */
    const uint8_t *bytes;
  } as;
} hl_val;

/* The arguments of a call. */
typedef struct {
  int argc;
  hl_val argv[HL_MAX_ARGS];
} hl_call;

typedef void (*hl_fn)(const hl_call *call);

/* Called by the runtime once; register functions here. */
void hl_main(void);

/* Register `name` returning `ret` with `argc` parameters of the given types.
 * `name` must be an identifier ([A-Za-z_][A-Za-z0-9_]*, at most
 * HL_MAX_NAME_LEN bytes): any other name aborts the guest's init. */
void hl_register(const char *name, hl_fn fn, hl_type ret, int argc, ...);

/* Arguments, by index; the runtime checked the types before the call. */
static inline int32_t hl_arg_i32(const hl_call *c, int i) { return c->argv[i].as.i32; }
static inline uint32_t hl_arg_u32(const hl_call *c, int i) { return c->argv[i].as.u32; }
static inline int64_t hl_arg_i64(const hl_call *c, int i) { return c->argv[i].as.i64; }
static inline uint64_t hl_arg_u64(const hl_call *c, int i) { return c->argv[i].as.u64; }
static inline float hl_arg_f32(const hl_call *c, int i) { return c->argv[i].as.f32; }
static inline double hl_arg_f64(const hl_call *c, int i) { return c->argv[i].as.f64; }
static inline bool hl_arg_bool(const hl_call *c, int i) { return c->argv[i].as.b; }
static inline const char *hl_arg_str(const hl_call *c, int i) { return c->argv[i].as.str; }
static inline const uint8_t *hl_arg_bytes(const hl_call *c, int i, uint32_t *len) {
  *len = c->argv[i].len;
  return c->argv[i].as.bytes;
}

/* Results: call exactly one of these before returning (none for void). */
void hl_return_i32(int32_t v);
void hl_return_u32(uint32_t v);
void hl_return_i64(int64_t v);
void hl_return_u64(uint64_t v);
void hl_return_f32(float v);
void hl_return_f64(double v);
void hl_return_bool(bool v);
void hl_return_str(const char *s); /* NUL-terminated */
void hl_return_strn(const char *s, uint32_t len);
void hl_return_bytes(const void *p, uint32_t len);
/* A guest error: the host reports `code` and `message` to its caller. */
void hl_return_error(int32_t code, const char *message);

/* Host functions: hl_host_begin, push arguments, then hl_host_call. */
void hl_host_begin(const char *name, hl_type ret);
void hl_host_i32(int32_t v);
void hl_host_u32(uint32_t v);
void hl_host_i64(int64_t v);
void hl_host_u64(uint64_t v);
void hl_host_f64(double v);
void hl_host_bool(bool v);
void hl_host_str(const char *s);
void hl_host_bytes(const void *p, uint32_t len);
/* Returns true and fills *out on success; false with out->as.str set to the
 * host's error message (and *err_code to its code) on failure. */
bool hl_host_call(hl_val *out, int32_t *err_code);

/* Logging: records below the host's level never leave the VM. */
void hl_log_at(int level, const char *file, uint32_t line, const char *message);
#define hl_log(level, message) hl_log_at((level), __FILE__, __LINE__, (message))
int hl_log_enabled(int level);

/* Spans: timed regions of guest work that appear as child spans of the
 * host's `call` span. Free when the host is not tracing (nothing recorded,
 * no VM exit); when it is, recorded in guest memory and read at the end of
 * the call. hl_span_begin returns 0 when off; the others accept 0. */
uint32_t hl_span_begin(const char *name);
void hl_span_end(uint32_t span);
void hl_span_event(uint32_t span, const char *name);
void hl_span_attr(uint32_t span, const char *key, const char *value);
int hl_tracing_enabled(void);

/* Abort the call: the host reports `code` and `message`, the sandbox is poisoned. */
__attribute__((noreturn)) void hl_abort(int32_t code, const char *message);

/* Heap. */
void *hl_malloc(size_t n);
void *hl_calloc(size_t n, size_t size);
void hl_free(void *p);

/* Freestanding helpers the compiler may call. */
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

#endif /* HL_H */
