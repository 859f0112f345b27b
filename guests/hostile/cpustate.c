/* cpustate: a guest that dirties every piece of CPU state ring 3 can reach,
 * and one that reads it back, so tests can check that restore() puts the
 * whole vCPU back (docs/security.md, "State across restore"). Also: port
 * input on the ABI ports, which the host must refuse without leaving KVM a
 * half-done instruction. Instructions a CPU may lack (wrfsbase, wrpkru) are
 * separate functions: on a CPU without them they fault with #UD. */
#include <hl/hl.h>

#define PATTERN 0x5a5a5a5a5a5a5a5aull

/* Vector registers: xmm0-15 and the upper halves of ymm0-15. */
static void dirty_vectors(const hl_call *c) {
  (void)c;
  __asm__ volatile(
      "vpcmpeqb %%ymm0, %%ymm0, %%ymm0\n"
      "vmovdqa %%ymm0, %%ymm1\n vmovdqa %%ymm0, %%ymm2\n vmovdqa %%ymm0, %%ymm3\n"
      "vmovdqa %%ymm0, %%ymm4\n vmovdqa %%ymm0, %%ymm5\n vmovdqa %%ymm0, %%ymm6\n"
      "vmovdqa %%ymm0, %%ymm7\n vmovdqa %%ymm0, %%ymm8\n vmovdqa %%ymm0, %%ymm9\n"
      "vmovdqa %%ymm0, %%ymm10\n vmovdqa %%ymm0, %%ymm11\n vmovdqa %%ymm0, %%ymm12\n"
      "vmovdqa %%ymm0, %%ymm13\n vmovdqa %%ymm0, %%ymm14\n vmovdqa %%ymm0, %%ymm15\n" ::: "memory");
  hl_return_i32(0);
}

/* x87: values on the stack and a changed control word; MXCSR: round toward
 * zero with exceptions unmasked. */
static void dirty_fpu(const hl_call *c) {
  (void)c;
  static const double v = 12345.678;
  static const uint16_t fcw = 0x0c7f;  /* round toward zero, 64-bit precision */
  static const uint32_t mxcsr = 0x7f00 & ~0x1f80u;
  __asm__ volatile("fldl %0\n fldl %0\n fldl %0\n fldcw %1\n ldmxcsr %2" : : "m"(v), "m"(fcw), "m"(mxcsr) : "memory");
  hl_return_i32(0);
}

/* Data segment selectors: null instead of the user data selector. */
static void dirty_selectors(const hl_call *c) {
  (void)c;
  __asm__ volatile("xorl %%eax, %%eax\n movl %%eax, %%ds\n movl %%eax, %%es" ::: "eax", "memory");
  hl_return_i32(0);
}

static void dirty_fsgs(const hl_call *c) {
  (void)c;
  uint64_t v = 0x7fff12345000ull;
  __asm__ volatile("wrfsbase %0\n wrgsbase %0" : : "r"(v) : "memory");
  hl_return_i32(0);
}

static void write_pkru(const hl_call *c) {
  uint32_t v = hl_arg_u32(c, 0);
  __asm__ volatile("wrpkru" : : "a"(v), "c"(0), "d"(0) : "memory");
  hl_return_i32(0);
}

/* Everything above, then a crash: restore() must clean up after a fault too. */
static void dirty_all_then_crash(const hl_call *c) {
  dirty_vectors(c);
  dirty_fpu(c);
  dirty_selectors(c);
  __asm__ volatile("ud2");
}

/* What a later call sees: the XSAVE-independent FXSAVE image (x87 control,
 * status and tag, MXCSR, st0-7, xmm0-15), ymm upper halves, data selectors. */
static void read_state(const hl_call *c) {
  (void)c;
  static uint8_t out[512 + 256 + 8] __attribute__((aligned(64)));
  memset(out, 0, sizeof out);
  __asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t(*)[512])out) : : "memory");
  /* fxsave's x87 FOP/FIP/FDP say where the last x87 instruction ran: not state. */
  memset(out + 6, 0, 18);
  uint8_t *hi = out + 512;
  __asm__ volatile(
      "vextracti128 $1, %%ymm0, 0(%0)\n vextracti128 $1, %%ymm1, 16(%0)\n vextracti128 $1, %%ymm2, 32(%0)\n"
      "vextracti128 $1, %%ymm3, 48(%0)\n vextracti128 $1, %%ymm4, 64(%0)\n vextracti128 $1, %%ymm5, 80(%0)\n"
      "vextracti128 $1, %%ymm6, 96(%0)\n vextracti128 $1, %%ymm7, 112(%0)\n vextracti128 $1, %%ymm8, 128(%0)\n"
      "vextracti128 $1, %%ymm9, 144(%0)\n vextracti128 $1, %%ymm10, 160(%0)\n vextracti128 $1, %%ymm11, 176(%0)\n"
      "vextracti128 $1, %%ymm12, 192(%0)\n vextracti128 $1, %%ymm13, 208(%0)\n vextracti128 $1, %%ymm14, 224(%0)\n"
      "vextracti128 $1, %%ymm15, 240(%0)\n"
      : : "r"(hi) : "memory");
  uint16_t ds, es;
  __asm__ volatile("movw %%ds, %0\n movw %%es, %1" : "=r"(ds), "=r"(es));
  memcpy(out + 768, &ds, 2);
  memcpy(out + 770, &es, 2);
  hl_return_bytes(out, sizeof out);
}

static void read_fsgs(const hl_call *c) {
  (void)c;
  uint64_t fs, gs;
  __asm__ volatile("rdfsbase %0\n rdgsbase %1" : "=r"(fs), "=r"(gs));
  hl_return_u64(fs ^ (gs << 1));
}

static void read_pkru(const hl_call *c) {
  (void)c;
  uint32_t v;
  __asm__ volatile("rdpkru" : "=a"(v) : "c"(0) : "edx");
  hl_return_u32(v);
}

/* Port input on an ABI port. Before the fix, KVM finished this `in` on the
 * next KVM_RUN, over the next call's registers: that call then resumed here
 * and returned 0x41414141. */
static void in_on_abi_port(const hl_call *c) {
  (void)c;
  uint32_t v;
  __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"((uint16_t)HL_PORT_DONE));
  hl_return_u32(0x41414141u + 0 * v);
}

/* `rep insb` into the heap: one exit that asks KVM for 4096 bytes. */
static void rep_insb_on_abi_port(const hl_call *c) {
  (void)c;
  static uint8_t buf[4096];
  void *d = buf;
  uint64_t n = sizeof buf;
  __asm__ volatile("rep insb" : "+D"(d), "+c"(n) : "d"((uint16_t)HL_PORT_LOG) : "memory");
  hl_return_u32(0x42424242u);
}

/* `rep outsb` of 64 bytes to the done port: string output is refused too. */
static void rep_outsb_on_abi_port(const hl_call *c) {
  (void)c;
  static const uint8_t buf[64] = { 1 };
  const void *s = buf;
  uint64_t n = sizeof buf;
  __asm__ volatile("rep outsb" : "+S"(s), "+c"(n) : "d"((uint16_t)HL_PORT_DONE) : "memory");
  hl_return_u32(0x43434343u);
}

/* An 8-bit `out` to the done port: not the ABI's 32-bit out. */
static void byte_out_on_abi_port(const hl_call *c) {
  (void)c;
  __asm__ volatile("outb %%al, %%dx" : : "a"(1), "d"((uint16_t)HL_PORT_DONE));
  hl_return_u32(0x44444444u);
}

void hl_main(void) {
  hl_register("DirtyVectors", dirty_vectors, HL_I32, 0);
  hl_register("DirtyFpu", dirty_fpu, HL_I32, 0);
  hl_register("DirtySelectors", dirty_selectors, HL_I32, 0);
  hl_register("DirtyFsGs", dirty_fsgs, HL_I32, 0);
  hl_register("WritePkru", write_pkru, HL_I32, 1, HL_U32);
  hl_register("DirtyAllThenCrash", dirty_all_then_crash, HL_I32, 0);
  hl_register("ReadState", read_state, HL_BYTES, 0);
  hl_register("ReadFsGs", read_fsgs, HL_U64, 0);
  hl_register("ReadPkru", read_pkru, HL_U32, 0);
  hl_register("InOnAbiPort", in_on_abi_port, HL_U32, 0);
  hl_register("RepInsbOnAbiPort", rep_insb_on_abi_port, HL_U32, 0);
  hl_register("RepOutsbOnAbiPort", rep_outsb_on_abi_port, HL_U32, 0);
  hl_register("ByteOutOnAbiPort", byte_out_on_abi_port, HL_U32, 0);
}
