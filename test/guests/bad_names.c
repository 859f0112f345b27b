/* bad_names: a guest whose function table (written by hand, past the SDK's
 * own check) holds names that a shell would run and a terminal would obey:
 * command substitutions, backticks, a newline that forges an hl error line,
 * and OSC/CSI escape sequences. The host must refuse the image (exit 66). */
#include <stddef.h>
#include "chaos.h"

static const char *const names[] = {
  "Echo",
  "$(touch pwned-dollar)",
  "`touch pwned-tick`",
  "Forged\nhl: error: forged line",
  "\x1b]0;pwned\x07\x1b[2JClear",
};

static uint8_t *put_value(uint8_t *p, uint8_t type, const void *data, uint32_t len) {
  struct hl_value *v = (struct hl_value *)p;
  v->type = type;
  v->reserved[0] = v->reserved[1] = v->reserved[2] = 0;
  v->len = len;
  uint8_t *payload = p + sizeof *v;
  for (uint32_t i = 0; i < HL_VALUE_SPAN(len) - sizeof *v; i++) payload[i] = i < len ? ((const uint8_t *)data)[i] : 0;
  return p + HL_VALUE_SPAN(len);
}

static uint32_t length(const char *s) {
  uint32_t n = 0;
  while (s[n]) n++;
  return n;
}

__attribute__((section(".text.entry"), noreturn)) void _start(void) {
  const volatile struct hl_peb *peb = (const volatile struct hl_peb *)HL_PEB_ADDR;
  uint8_t *o = (uint8_t *)(uintptr_t)peb->output_addr;
  uint8_t *p = o + sizeof(struct hl_msg);
  uint32_t count = sizeof names / sizeof names[0];
  ((uint32_t *)p)[0] = count;
  ((uint32_t *)p)[1] = 0;
  p += 8;
  static const uint8_t sig[] = { HL_TYPE_STRING, HL_TYPE_STRING }; /* string f(string) */
  for (uint32_t i = 0; i < count; i++) {
    p = put_value(p, HL_TYPE_STRING, names[i], length(names[i]));
    p = put_value(p, HL_TYPE_BYTES, sig, sizeof sig);
  }
  struct hl_msg *m = (struct hl_msg *)o;
  m->kind = HL_MSG_FUNCTIONS;
  m->len = (uint32_t)(p - o - sizeof *m);
  for (;;) out(HL_PORT_DONE, 0);
}
__attribute__((noreturn)) void hl_dispatch_entry(void) __attribute__((alias("_start")));
