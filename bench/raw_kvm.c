/* raw_kvm.c: the baseline for bench/: the same KVM steps hl takes, in plain C
 * with nothing else. A ring-3 guest of three instructions (out to the DONE
 * port, then a jump back) in identity-mapped long mode.
 *   lifecycle: CREATE_VM, memory region of MEM bytes, CREATE_VCPU, sregs,
 *              run to the first exit, close
 *   call:      set RIP/RSP through sync_regs + KVM_RUN to the done-exit
 *   kill:      a guest spins (jmp .) on a thread; immediate_exit + pthread_kill
 *              until its KVM_RUN returns EINTR
 * Prints one JSON object of medians in microseconds.
 * Usage: raw_kvm [iterations] [memory-bytes] */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "hl/hl_abi.h"

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}
static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}
static double median(double *v, int n) { qsort(v, n, sizeof *v, cmp); return v[n / 2]; }
#define CHECK(x) do { if ((x) < 0) { perror(#x); exit(1); } } while (0)

struct vm { int vm, vcpu; struct kvm_run *run; size_t run_size; uint8_t *mem; size_t mem_size; };

static const uint64_t CODE = 0x200000, STACK_TOP = 0x300000;

static void seg(struct kvm_segment *s, uint16_t sel, int code) {
  memset(s, 0, sizeof *s);
  s->limit = 0xffffffff; s->selector = sel; s->present = 1; s->dpl = 3; s->s = 1; s->g = 1;
  s->type = code ? 0xb : 0x3; s->l = code; s->db = !code;
}

static void vm_create(int kvm, struct vm *v, size_t mem_size) {
  v->mem_size = mem_size;
  v->mem = mmap(0, mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  CHECK(v->vm = ioctl(kvm, KVM_CREATE_VM, 0));
  struct kvm_userspace_memory_region r = { .slot = 0, .memory_size = mem_size, .userspace_addr = (uint64_t)v->mem };
  CHECK(ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &r));
  CHECK(v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0));
  v->run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  v->run = mmap(0, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
  /* page tables at 0x10000: PML4 -> PDPT -> PD -> one PT covering 0x200000-0x3fffff */
  uint64_t *pml4 = (uint64_t *)(v->mem + 0x10000), *pdpt = pml4 + 512, *pd = pdpt + 512, *pt = pd + 512;
  pml4[0] = 0x11000 | 7; pdpt[0] = 0x12000 | 7; pd[1] = 0x13000 | 7;
  for (int i = 0; i < 512; i++) pt[i] = (CODE + i * 0x1000ull) | 7;
  /* GDT + TSS with an I/O bitmap allowing the DONE port */
  uint64_t *gdt = (uint64_t *)(v->mem + 0x1000);
  gdt[3] = 0x00affb000000ffffull; gdt[4] = 0x00cff3000000ffffull;
  uint64_t tss = 0x1080, lim = 104 + 34;
  gdt[5] = (lim & 0xffff) | ((tss & 0xffffff) << 16) | (0x89ull << 40);
  uint8_t *t = v->mem + tss;
  t[102] = 104;
  memset(t + 104, 0xff, 35);
  t[104 + HL_PORT_DONE / 8] = 0xf0;
  pd[0] = 0x14000 | 7; ((uint64_t *)(v->mem + 0x14000))[1] = 0x1000 | 3; /* GDT page, supervisor */
  /* mov $port,%dx; out %eax,%dx; jmp . (the kill scenario starts at the jmp) */
  uint8_t code[] = { 0x66, 0xba, HL_PORT_DONE & 0xff, HL_PORT_DONE >> 8, 0xef, 0xeb, 0xfe };
  memcpy(v->mem + CODE, code, sizeof code);
  struct kvm_sregs s;
  CHECK(ioctl(v->vcpu, KVM_GET_SREGS, &s));
  seg(&s.cs, 0x1b, 1); seg(&s.ss, 0x23, 0); s.ds = s.es = s.fs = s.gs = s.ss;
  memset(&s.tr, 0, sizeof s.tr); s.tr.base = tss; s.tr.limit = lim; s.tr.selector = 0x28; s.tr.type = 0xb; s.tr.present = 1;
  s.gdt.base = 0x1000; s.gdt.limit = 7 * 8 - 1; s.idt.base = 0; s.idt.limit = 0;
  s.cr0 = 0x80010033; s.cr3 = 0x10000; s.cr4 = 0x620; s.efer = 0xd00;
  CHECK(ioctl(v->vcpu, KVM_SET_SREGS, &s));
}

static void vm_call(struct vm *v) {
  struct kvm_regs r = { .rip = CODE, .rsp = STACK_TOP, .rflags = 2 };
  v->run->s.regs.regs = r;
  v->run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
  CHECK(ioctl(v->vcpu, KVM_RUN, 0));
  if (v->run->exit_reason != KVM_EXIT_IO || v->run->io.port != HL_PORT_DONE) {
    fprintf(stderr, "unexpected exit %d\n", v->run->exit_reason);
    exit(1);
  }
}

static volatile double kill_returned;
static void on_kick(int sig) { (void)sig; }
static void *spin_thread(void *arg) {
  struct vm *v = arg;
  struct kvm_regs r = { .rip = CODE + 5, .rsp = STACK_TOP, .rflags = 2 }; /* the jmp */
  v->run->s.regs.regs = r;
  v->run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
  /* immediate_exit was cleared before this thread started: a kick that comes
   * before KVM_RUN is entered still stops it. */
  ioctl(v->vcpu, KVM_RUN, 0); /* returns EINTR when kicked */
  kill_returned = now_us();
  return 0;
}

/* Median microseconds from the kick to KVM_RUN's return in the spinning thread. */
static double kill_latency(struct vm *v, int n) {
  struct sigaction sa = { .sa_handler = on_kick };
  sigaction(SIGRTMIN + 3, &sa, 0);
  double *lat = calloc(n, sizeof *lat);
  for (int i = 0; i < n; i++) {
    pthread_t t;
    v->run->immediate_exit = 0;
    pthread_create(&t, 0, spin_thread, v);
    struct timespec ms = { 0, 1000000 };
    nanosleep(&ms, 0);
    double t0 = now_us();
    __atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    pthread_kill(t, SIGRTMIN + 3);
    pthread_join(t, 0);
    lat[i] = kill_returned - t0;
  }
  double m = median(lat, n);
  free(lat);
  return m;
}

static void vm_destroy(struct vm *v) {
  munmap(v->run, v->run_size);
  close(v->vcpu);
  close(v->vm);
  munmap(v->mem, v->mem_size);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 2000;
  size_t mem = argc > 2 ? strtoull(argv[2], 0, 0) : 4 << 20;
  int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  CHECK(kvm);
  double *lc = calloc(n, sizeof *lc), *call = calloc(n * 10, sizeof *call);
  /* an idle VM stays alive, as in a process that keeps one sandbox */
  struct vm keep;
  vm_create(kvm, &keep, mem);
  for (int i = 0; i < n; i++) {
    double t = now_us();
    struct vm v;
    vm_create(kvm, &v, mem);
    vm_call(&v);
    vm_destroy(&v);
    lc[i] = now_us() - t;
  }
  for (int i = 0; i < n * 10; i++) {
    double t = now_us();
    vm_call(&keep);
    call[i] = now_us() - t;
  }
  double kill = kill_latency(&keep, n / 5 > 20 ? n / 5 : 20);
  printf("{\"lifecycleUs\": %.1f, \"callUs\": %.2f, \"killUs\": %.1f, \"iterations\": %d, \"memBytes\": %zu}\n", median(lc, n), median(call, n * 10), kill, n, mem);
  vm_destroy(&keep);
  return 0;
}
