// kvm_c_ioctls.h: KVM ioctl numbers for the structs whose C++ size differs
// from C. An ioctl number encodes sizeof(its struct); <linux/kvm.h> declares
// kvm_cpuid2, kvm_msrs and kvm_xsave with __DECLARE_FLEX_ARRAY, which in C++
// (an empty struct has size 1) makes them 8, 8 and 4 bytes larger than in C,
// so the header's KVM_SET_CPUID2, KVM_GET_MSRS, KVM_GET_XSAVE, ... are numbers
// the kernel does not know (EINVAL). hl 0.1.0 never set the guest's CPUID
// because of this. Use these, with the C sizes, and never the header's.
// The entries of those structs also start at the C offset (8), not at
// `->entries` as C++ computes it: index them from the raw buffer.
#pragma once
#include <linux/kvm.h>
#include <sys/ioctl.h>

namespace hl {

constexpr unsigned kCFlexHeader = 8;   // sizeof(struct kvm_cpuid2) == sizeof(struct kvm_msrs) in C
constexpr unsigned kCXsaveSize = 4096;  // sizeof(struct kvm_xsave) in C

constexpr unsigned long kKvmGetSupportedCpuid = _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x05, kCFlexHeader);
constexpr unsigned long kKvmSetCpuid2 = _IOC(_IOC_WRITE, KVMIO, 0x90, kCFlexHeader);
constexpr unsigned long kKvmGetMsrs = _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x88, kCFlexHeader);
constexpr unsigned long kKvmSetMsrs = _IOC(_IOC_WRITE, KVMIO, 0x89, kCFlexHeader);
constexpr unsigned long kKvmGetXsave = _IOC(_IOC_READ, KVMIO, 0xa4, kCXsaveSize);
constexpr unsigned long kKvmSetXsave = _IOC(_IOC_WRITE, KVMIO, 0xa5, kCXsaveSize);
constexpr unsigned long kKvmGetXsave2 = _IOC(_IOC_READ, KVMIO, 0xcf, kCXsaveSize);

}  // namespace hl
