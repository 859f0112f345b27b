/* tss-shim.c: LD_PRELOADed by run.sh into the command it runs in the VM.
 * QEMU's TCG checks the TSS I/O bitmap for a ring-3 in/out only when the task
 * register's type is 9 (available) and raises #GP(0) otherwise; real CPUs
 * accept the busy type (0xb) hl loads. So KVM_SET_SREGS gets type 9 here.
 * HL_NESTED_KVM_TRACE=1 logs every KVM ioctl and each KVM_RUN's RIP. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>

int ioctl(int fd, unsigned long req, ...) {
  va_list ap;
  va_start(ap, req);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  static int (*real)(int, unsigned long, void *);
  if (!real) real = (int (*)(int, unsigned long, void *))dlsym(RTLD_NEXT, "ioctl");
  struct kvm_sregs copy;
  if (req == KVM_SET_SREGS && ((struct kvm_sregs *)arg)->tr.type == 0xb) {
    copy = *(struct kvm_sregs *)arg;
    copy.tr.type = 0x9;
    arg = &copy;
  }
  int r = real(fd, req, arg);
  if (getenv("HL_NESTED_KVM_TRACE") && _IOC_TYPE(req) == KVMIO) {
    int e = errno;
    if (req == KVM_RUN) {
      struct kvm_regs regs;
      real(fd, KVM_GET_REGS, &regs);
      fprintf(stderr, "[tss-shim] KVM_RUN rc=%d rip=%llx\n", r, (unsigned long long)regs.rip);
    } else {
      fprintf(stderr, "[tss-shim] ioctl req=0x%lx rc=%d errno=%d\n", req, r, r < 0 ? e : 0);
    }
    errno = e;
  }
  return r;
}
