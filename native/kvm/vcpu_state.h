// vcpu_state.h: the whole architectural state of hl's one vCPU, saved with a
// snapshot and put back by every restore(), so nothing a guest did to the CPU
// (vector registers, x87, MXCSR, PKRU, FS/GS base, segment selectors, pending
// events) reaches a later call. See docs/security.md, "State across restore".
#pragma once
#include <linux/kvm.h>
#include <cstdint>
#include <string>
#include <vector>

namespace hl {

// MSRs saved and restored: the ones ring 3 reaches. It writes FS/GS base on
// PVM (wrfsbase and wrgsbase run there even with CR4.FSGSBASE clear);
// kernel GS base is listed so the guarantee does not rest on swapgs being
// privileged. Every other MSR needs wrmsr, which ring 3 cannot execute (#GP).
constexpr uint32_t kMsrFsBase = 0xc0000100, kMsrGsBase = 0xc0000101, kMsrKernelGsBase = 0xc0000102;

struct VcpuState {
  bool valid = false;
  kvm_sregs sregs{};
  std::vector<uint8_t> xsave;  // KVM's standard-format XSAVE image (x87, SSE, AVX, PKRU...)
  kvm_xcrs xcrs{};
  bool has_xcrs = false;
  bool sregs_always = false;  // FS/GS base only through KVM_SET_SREGS
  kvm_debugregs debugregs{};
  bool has_debugregs = false, has_events = false;  // KVM accepted them at save time
  std::vector<uint32_t> msr_index;
  std::vector<uint64_t> msr_value;
};

// Reads the vCPU's state into `out`. Returns "" or what failed.
std::string vcpu_state_save(int kvm_fd, int vm_fd, int vcpu_fd, VcpuState& out);

// Puts `s` back whole: XSAVE image (with PKRU forced to 0), XCR0, MSRs, debug
// registers, vCPU events (no pending exception, interrupt or NMI)
// and, when they differ, the special registers (KVM_SET_SREGS resets the
// shadow MMU, so it is skipped when nothing changed). Returns "" or what failed.
std::string vcpu_state_restore(int vcpu_fd, const VcpuState& s);

// Offset of the PKRU component in a standard-format XSAVE image, 0 if the
// CPU has none.
uint32_t xsave_pkru_offset();

}  // namespace hl
