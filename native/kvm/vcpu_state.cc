// vcpu_state.cc: save and restore of the whole vCPU state (see vcpu_state.h).
// Measured cost per restore is in docs/performance.md ("vCPU state reset").
#include "vcpu_state.h"

#include "kvm_c_ioctls.h"

#include <cpuid.h>
#include <sys/ioctl.h>
#include <cerrno>
#include <cstddef>
#include <cstring>

namespace hl {
namespace {

std::string sys(const char* what) { return std::string(what) + ": " + strerror(errno); }

const uint32_t kMsrs[] = {kMsrFsBase, kMsrGsBase, kMsrKernelGsBase};

// kvm_msrs (a header and a flexible array) with room for our list.
struct MsrBuf {
  uint32_t nmsrs;
  uint32_t pad;
  kvm_msr_entry entries[sizeof(kMsrs) / sizeof(kMsrs[0])];
};
static_assert(offsetof(MsrBuf, entries) == kCFlexHeader, "entries follow the C kvm_msrs header");

bool same_segment(const kvm_segment& a, const kvm_segment& b, bool ignore_base) {
  return (ignore_base || a.base == b.base) && a.limit == b.limit && a.selector == b.selector && a.type == b.type &&
         a.present == b.present && a.dpl == b.dpl && a.db == b.db && a.s == b.s && a.l == b.l && a.g == b.g &&
         a.avl == b.avl && a.unusable == b.unusable;
}

// FS and GS bases are compared apart: MSRs put them back without KVM_SET_SREGS.
bool same_sregs(const kvm_sregs& a, const kvm_sregs& b) {
  return same_segment(a.cs, b.cs, false) && same_segment(a.ds, b.ds, false) && same_segment(a.es, b.es, false) &&
         same_segment(a.fs, b.fs, true) && same_segment(a.gs, b.gs, true) && same_segment(a.ss, b.ss, false) &&
         same_segment(a.tr, b.tr, false) && same_segment(a.ldt, b.ldt, false) && a.gdt.base == b.gdt.base &&
         a.gdt.limit == b.gdt.limit && a.idt.base == b.idt.base && a.idt.limit == b.idt.limit && a.cr0 == b.cr0 &&
         a.cr2 == b.cr2 && a.cr3 == b.cr3 && a.cr4 == b.cr4 && a.cr8 == b.cr8 && a.efer == b.efer &&
         a.apic_base == b.apic_base && memcmp(a.interrupt_bitmap, b.interrupt_bitmap, sizeof a.interrupt_bitmap) == 0;
}

}  // namespace

uint32_t xsave_pkru_offset() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  // EAX is the component's size (8: PKRU and padding), EBX its offset.
  if (!__get_cpuid_count(0xd, 9, &a, &b, &c, &d) || a < 4 || b < 576) return 0;
  return b;
}

std::string vcpu_state_save(int kvm_fd, int vm_fd, int vcpu_fd, VcpuState& out) {
  VcpuState s;
  if (ioctl(vcpu_fd, KVM_GET_SREGS, &s.sregs) < 0) return sys("KVM_GET_SREGS");
  // KVM_CAP_XSAVE2 gives the size of the whole image (AMX and all); without
  // it, the 4 KiB struct kvm_xsave is the image.
  int size = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
  if (size < (int)kCXsaveSize) size = kCXsaveSize;
  if (size > (1 << 20)) return "KVM_CAP_XSAVE2: implausible XSAVE size";
  // Slack past the size KVM reported: were the process to gain AMX guest
  // permission between the two ioctls, KVM_GET_XSAVE2 would write more.
  s.xsave.assign(size + 8192, 0);
  unsigned long get = size > (int)kCXsaveSize ? kKvmGetXsave2 : kKvmGetXsave;
  if (ioctl(vcpu_fd, get, s.xsave.data()) < 0 && ioctl(vcpu_fd, kKvmGetXsave, s.xsave.data()) < 0)
    return sys("KVM_GET_XSAVE");
  // The sandbox's PKRU is 0 (every key allows access), whatever init left.
  // The image is tried here, while the vCPU is idle, so that restore() has
  // one path: if KVM refuses a PKRU component (a guest CPUID without PKU),
  // the image stays as KVM gave it, and PKRU is then not state KVM keeps for
  // this vCPU (on VMX/SVM, wrpkru with CR4.PKE clear is #UD).
  uint32_t pkru = xsave_pkru_offset();
  if (pkru && pkru + 4 <= s.xsave.size()) {
    std::vector<uint8_t> forced = s.xsave;
    memset(&forced[pkru], 0, 4);
    uint64_t bv;
    memcpy(&bv, &forced[512], 8);  // XSTATE_BV in the XSAVE header
    bv |= 1ull << 9;
    memcpy(&forced[512], &bv, 8);
    if (ioctl(vcpu_fd, kKvmSetXsave, forced.data()) == 0) s.xsave = std::move(forced);
  }
  if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) > 0 && ioctl(vcpu_fd, KVM_GET_XCRS, &s.xcrs) == 0)
    s.has_xcrs = true;
  MsrBuf m{};
  for (uint32_t i = 0; i < sizeof(kMsrs) / sizeof(kMsrs[0]); i++) m.entries[i].index = kMsrs[i];
  m.nmsrs = sizeof(kMsrs) / sizeof(kMsrs[0]);
  int got = ioctl(vcpu_fd, kKvmGetMsrs, &m);  // stops at the first MSR KVM does not know
  if (got < 0) return sys("KVM_GET_MSRS");
  // Each restore step is tried once here, on the idle vCPU with the values it
  // holds, so restore() never meets a refusal it could only report: what this
  // KVM will not set back is not state it keeps for the vCPU.
  m.nmsrs = got;
  int set = ioctl(vcpu_fd, kKvmSetMsrs, &m);  // also stops at the first refusal
  if (set > 0) got = set; else got = 0;
  // Without FS/GS base as MSRs, KVM_SET_SREGS (which holds them too) must run
  // at every restore.
  s.sregs_always = got < 2;
  for (int i = 0; i < got; i++) {
    s.msr_index.push_back(m.entries[i].index);
    s.msr_value.push_back(m.entries[i].data);
  }
  s.has_debugregs = ioctl(vcpu_fd, KVM_GET_DEBUGREGS, &s.debugregs) == 0 &&
                    ioctl(vcpu_fd, KVM_SET_DEBUGREGS, &s.debugregs) == 0;
  kvm_vcpu_events ev{};
  s.has_events = ioctl(vcpu_fd, KVM_GET_VCPU_EVENTS, &ev) == 0 && ioctl(vcpu_fd, KVM_SET_VCPU_EVENTS, &ev) == 0;
  s.valid = true;
  out = std::move(s);
  return "";
}

std::string vcpu_state_restore(int vcpu_fd, const VcpuState& s) {
  if (!s.valid) return "no vCPU state saved";
  kvm_sregs now{};
  if (ioctl(vcpu_fd, KVM_GET_SREGS, &now) < 0) return sys("KVM_GET_SREGS");
  if ((s.sregs_always || !same_sregs(now, s.sregs)) && ioctl(vcpu_fd, KVM_SET_SREGS, &s.sregs) < 0) return sys("KVM_SET_SREGS");
  if (s.has_xcrs && ioctl(vcpu_fd, KVM_SET_XCRS, &s.xcrs) < 0) return sys("KVM_SET_XCRS");
  // The image was accepted once at save time (vcpu_state_save): no fallback.
  if (ioctl(vcpu_fd, kKvmSetXsave, s.xsave.data()) < 0) return sys("KVM_SET_XSAVE");
  MsrBuf m{};
  m.nmsrs = static_cast<uint32_t>(s.msr_index.size());
  for (size_t i = 0; i < s.msr_index.size(); i++) {
    m.entries[i].index = s.msr_index[i];
    m.entries[i].data = s.msr_value[i];
  }
  if (ioctl(vcpu_fd, kKvmSetMsrs, &m) != (int)m.nmsrs) return sys("KVM_SET_MSRS");
  // The debug registers as at the snapshot (ring 3 cannot write them; a
  // future debugger stub might): DR0-3 zero, DR6/DR7 at their reset values.
  if (s.has_debugregs && ioctl(vcpu_fd, KVM_SET_DEBUGREGS, &s.debugregs) < 0) return sys("KVM_SET_DEBUGREGS");
  kvm_vcpu_events ev{};  // no exception, interrupt, NMI or SMI pending or injected
  ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW;
  if (s.has_events && ioctl(vcpu_fd, KVM_SET_VCPU_EVENTS, &ev) < 0) return sys("KVM_SET_VCPU_EVENTS");
  return "";
}

}  // namespace hl
