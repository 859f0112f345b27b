/*
 * hl_abi.h: the host-guest ABI of hl, written once (docs/abi.md explains it).
 *
 * Self-contained C99. The guest SDK and the host addon (native/) include this
 * file; src/abi/constants.ts is generated from its #defines by
 * scripts/gen-abi.js. Change a value here, never in the generated file.
 *
 * Every field the guest writes is hostile input to the host: the host checks
 * each length and offset against the buffer it came from.
 */
#ifndef HL_ABI_H
#define HL_ABI_H

#include <stdint.h>

/* Bumped on any incompatible change; the host refuses other versions. */
#define HL_ABI_VERSION 1

/* ---- Guest identification: an ELF note (PT_NOTE) named "HL" ---- */
#define HL_NOTE_NAME "HL"
#define HL_NOTE_TYPE_GUEST 0x484c0001
#define HL_GUEST_MAGIC 0x545345554760484cULL /* "HL`GUEST" little-endian */

/* ---- Fixed guest-physical (= guest-virtual, identity mapped) addresses ---- */
#define HL_PAGE_SIZE 0x1000
#define HL_GDT_ADDR 0x1000   /* GDT, then the TSS, one supervisor page */
#define HL_TSS_ADDR 0x1080
#define HL_PEB_ADDR 0x2000   /* struct hl_peb, user read-only */
#define HL_IDT_ADDR 0x3000   /* IDT and the host's exception stubs, supervisor read-execute */
#define HL_RING0_STACK_ADDR 0x4000 /* the stubs' stack (TSS RSP0 = its top), supervisor RW */
#define HL_PT_ADDR 0x10000   /* page tables grow up from here, supervisor only */
#define HL_IMAGE_BASE 0x200000 /* the SDK's linker script links guests here */
#define HL_MAX_GUEST_MEMORY 0x20000000ULL /* 512 MiB: its 4 KiB page tables fit below HL_IMAGE_BASE */

/* ---- Ports a ring-3 guest may write with a 4-byte `out` (the TSS I/O bitmap
 * allows only these; a 4-byte access covers 4 port numbers, hence the spacing) ---- */
#define HL_PORT_DONE 0x100     /* the call or the init is over; output holds a message */
#define HL_PORT_HOSTCALL 0x104 /* output holds a host-call request; reply buffer gets the answer */
#define HL_PORT_LOG 0x108      /* output holds a log record */
#define HL_PORT_ABORT 0x10c    /* eax = abort code; output holds an abort message */
#define HL_PORT_FIRST HL_PORT_DONE
#define HL_PORT_LAST (HL_PORT_ABORT + 3) /* last port number the bitmap allows */
/* Written only by the host's ring-0 exception stubs (never allowed to ring 3):
 * rax = vector, rbx = error code (-1: none), rcx = RIP, rsi = RSP, rdi = CR2. */
#define HL_PORT_EXCEPTION 0x120

/* ---- Value types ---- */
#define HL_TYPE_VOID 0
#define HL_TYPE_I32 1
#define HL_TYPE_U32 2
#define HL_TYPE_I64 3
#define HL_TYPE_U64 4
#define HL_TYPE_F32 5
#define HL_TYPE_F64 6
#define HL_TYPE_BOOL 7
#define HL_TYPE_STRING 8
#define HL_TYPE_BYTES 9
#define HL_TYPE_MAX 9

/* ---- Message kinds (first field of every buffer) ---- */
#define HL_MSG_CALL 1      /* host -> guest, input buffer */
#define HL_MSG_RESULT 2    /* guest -> host (output) or host -> guest (reply) */
#define HL_MSG_ERROR 3     /* guest -> host (output) or host -> guest (reply) */
#define HL_MSG_LOG 4       /* guest -> host */
#define HL_MSG_HOSTCALL 5  /* guest -> host */
#define HL_MSG_ABORT 6     /* guest -> host */
#define HL_MSG_FUNCTIONS 7 /* guest -> host, once, at the end of init */

/* ---- Log levels (Hyperlight's guest levels) ---- */
#define HL_LOG_TRACE 0
#define HL_LOG_DEBUG 1
#define HL_LOG_INFO 2
#define HL_LOG_WARN 3
#define HL_LOG_ERROR 4
#define HL_LOG_CRITICAL 5
#define HL_LOG_OFF 6

/* ---- Bounds the SDK honours and the host enforces ---- */
#define HL_MAX_NAME_LEN 255     /* function names */
/* A function name is an identifier: ASCII letters, digits and '_', not
 * starting with a digit, 1..HL_MAX_NAME_LEN bytes. The host refuses an image
 * whose function table holds any other name (INVALID_GUEST). */
#define HL_MAX_ARGS 16          /* arguments of a guest or host function */
#define HL_MAX_FUNCTIONS 1024   /* functions a guest may register */
#define HL_MAX_ERROR_MSG_LEN 1024 /* error and abort messages (longer: cut) */

/* Guest error codes the SDK itself reports (user codes start at 1000). */
#define HL_ERR_UNKNOWN_FUNCTION 1
#define HL_ERR_BAD_ARGUMENTS 2
#define HL_ERR_BAD_RESULT 3
#define HL_ERR_OUT_OF_MEMORY 4
#define HL_ERR_OUTPUT_FULL 5
#define HL_ERR_HOST_FUNCTION 6 /* a host function failed; in a host-call reply */
#define HL_ERR_USER 1000

/*
 * Descriptor in the HL note. The host reads it before running anything and
 * refuses a guest whose magic or abi_version differs.
 */
struct hl_guest_note {
  uint64_t magic;        /* HL_GUEST_MAGIC */
  uint32_t abi_version;  /* HL_ABI_VERSION the guest was built against */
  uint32_t flags;        /* feature bits, none yet */
  uint64_t dispatch;     /* entry for function calls (the ELF entry runs init) */
};

/*
 * The Process Environment Block at HL_PEB_ADDR. Written by the host (IN for
 * the guest); the guest may only read it. New fields are appended.
 */
struct hl_peb {
  uint64_t magic;         /* HL_GUEST_MAGIC */
  uint32_t abi_version;
  uint32_t max_log_level; /* records below this level never leave the guest */
  uint64_t input_addr;    /* HL_MSG_CALL from the host */
  uint64_t input_size;
  uint64_t output_addr;   /* messages from the guest */
  uint64_t output_size;
  uint64_t reply_addr;    /* host-call replies */
  uint64_t reply_size;
  uint64_t heap_addr;
  uint64_t heap_size;
  uint64_t stack_top;     /* the host sets RSP here on every entry */
  uint64_t stack_size;
  uint64_t trace_addr;    /* guest span records (struct hl_trace_header + records) */
  uint64_t trace_size;
  uint32_t trace_enabled; /* 0: guest spans are off, the SDK records nothing */
  uint32_t reserved;
};

/* Header of every message; `len` counts payload bytes after the header. */
struct hl_msg {
  uint32_t kind;
  uint32_t len;
};

/*
 * A value: header, `len` payload bytes, then at least one zero byte up to the
 * next multiple of 8: a value spans HL_VALUE_SPAN(len) bytes, so every string
 * arrives NUL-terminated. Scalars are little-endian with len = their size
 * (bool: 1 byte, 0 or 1). Strings are UTF-8, len excludes the NUL.
 */
struct hl_value {
  uint8_t type;
  uint8_t reserved[3];
  uint32_t len;
};

/*
 * Payloads, after struct hl_msg:
 *   CALL:      uint32 argc, uint32 0, value name (string), argc values
 *   RESULT:    one value (type VOID with len 0 for no value)
 *   ERROR:     uint32 code, uint32 0, value message (string)
 *   LOG:       uint32 level, uint32 line, value message, value file (strings)
 *   HOSTCALL:  uint32 argc, uint32 return type, value name, argc values
 *   ABORT:     uint32 code, uint32 0, value message (string)
 *   FUNCTIONS: uint32 count, uint32 0, then per function: value name
 *              (string), value signature (bytes: return type, parameter types)
 */

/*
 * Guest spans. While trace_enabled, the SDK appends records to the trace
 * buffer without leaving the VM; the host reads them when the call ends.
 * The SDK resets the header at every call and stamps start_tsc (rdtsc) so the
 * host can place the records in time. A full buffer counts `dropped`.
 */
#define HL_TRACE_BEGIN 1 /* span opens: payload = name */
#define HL_TRACE_END 2   /* span closes */
#define HL_TRACE_EVENT 3 /* event on the span: payload = name */
#define HL_TRACE_ATTR 4  /* attribute on the span: payload = key, NUL, value */
#define HL_MAX_SPAN_NAME_LEN 128

struct hl_trace_header {
  uint32_t used;    /* bytes of records after this header */
  uint32_t dropped; /* records that did not fit */
  uint64_t start_tsc;
};

/* A record, then `len` payload bytes padded to a multiple of 8. */
struct hl_trace_record {
  uint8_t kind;
  uint8_t reserved;
  uint16_t len;
  uint32_t span;   /* the guest's span id, from 1 */
  uint32_t parent; /* BEGIN: the enclosing span, 0 for the call itself */
  uint32_t reserved2;
  uint64_t tsc;
};

#define HL_ALIGN8(n) (((n) + 7u) & ~7u)
#define HL_VALUE_SPAN(len) (8u + HL_ALIGN8((len) + 1u))

#ifdef __cplusplus
#define HL_STATIC_ASSERT static_assert
#else
#define HL_STATIC_ASSERT _Static_assert
#endif
HL_STATIC_ASSERT(sizeof(struct hl_guest_note) == 24, "hl_guest_note layout");
HL_STATIC_ASSERT(sizeof(struct hl_peb) == 120, "hl_peb layout");
HL_STATIC_ASSERT(sizeof(struct hl_trace_header) == 16, "hl_trace_header layout");
HL_STATIC_ASSERT(sizeof(struct hl_trace_record) == 24, "hl_trace_record layout");
HL_STATIC_ASSERT(sizeof(struct hl_msg) == 8, "hl_msg layout");
HL_STATIC_ASSERT(sizeof(struct hl_value) == 8, "hl_value layout");

#endif /* HL_ABI_H */
