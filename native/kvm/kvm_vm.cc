// kvm_vm.cc: VM and vCPU creation, and the exit loop (one KVM_RUN to the next
// exit the host must see). Unknown exits are errors, never retried.
#include "kvm_vm.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>
#include "cpu_x86_64.h"
#include "kvm_c_ioctls.h"

namespace hl {
namespace {

std::string sys(const char* what) { return std::string(what) + ": " + strerror(errno); }

void on_kick(int) {}  // only interrupts KVM_RUN

// Live VMs by id. request_cancel() runs under the lock and a VM leaves the map
// (under the lock) before it is destroyed, so a cancel never touches a dead VM.
// Never destroyed either: threads still tearing VMs down at exit() use them.
std::mutex& registry_mu = *new std::mutex();
std::unordered_map<uint64_t, KvmVm*>& registry = *new std::unordered_map<uint64_t, KvmVm*>();
uint64_t next_id = 1;

// KVM_GET_SUPPORTED_CPUID does not change while the process lives: ask once.
const std::vector<uint8_t>& supported_cpuid(int kvm_fd) {
  static std::mutex mu;
  static std::vector<uint8_t> cached;
  static bool done = false;
  std::lock_guard<std::mutex> lock(mu);
  if (!done) {
    std::vector<uint8_t> buf(sizeof(kvm_cpuid2) + 256 * sizeof(kvm_cpuid_entry2));
    auto* cpuid = reinterpret_cast<kvm_cpuid2*>(buf.data());
    cpuid->nent = 256;
    if (ioctl(kvm_fd, kKvmGetSupportedCpuid, cpuid) == 0) {
      buf.resize(kCFlexHeader + cpuid->nent * sizeof(kvm_cpuid_entry2));
      cached = std::move(buf);
    }
    done = true;
  }
  return cached;
}

}  // namespace

int KvmVm::kick_signal() {
  static int sig = [] {
    int s = SIGRTMIN + 3;
    struct sigaction sa {};
    sa.sa_handler = on_kick;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: KVM_RUN must return EINTR
    sigaction(s, &sa, nullptr);
    return s;
  }();
  return sig;
}

// One kick can be lost: under QEMU's emulation of nested SVM a spinning
// guest sometimes never left KVM_RUN after its signal. So after a cancel, one
// process-wide thread repeats the kick every millisecond while the vCPU is
// still inside KVM_RUN, for at most 2 s per cancel. It costs nothing when
// the first kick lands (the usual case, and the only one seen on hardware).
//
// Its state lives on the heap and is never freed: the thread is detached and
// waits on the condition variable for the life of the process, and glibc's
// pthread_cond_destroy() blocks until every waiter has left. A static
// condition_variable is destroyed by exit(), so a process that had ever
// cancelled a call hung in exit() (seen in CI; test/23 checks it).
namespace {
struct RekickState {
  std::mutex mu;
  std::condition_variable cv;
  std::unordered_map<uint64_t, int> pending;  // VM id -> tries left
};
RekickState& rekick() {
  static RekickState* state = new RekickState();  // never destroyed, on purpose
  return *state;
}

void rekick_loop() {
  // Never holds the rekick lock while taking registry_mu: cancel_by_id() takes
  // them in the other order (registry_mu, then the rekick lock in schedule_rekick()).
  RekickState& st = rekick();
  for (;;) {
    std::vector<uint64_t> ids;
    {
      std::unique_lock<std::mutex> lock(st.mu);
      st.cv.wait(lock, [&st] { return !st.pending.empty(); });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    {
      std::lock_guard<std::mutex> lock(st.mu);
      for (auto& entry : st.pending) ids.push_back(entry.first);
    }
    for (uint64_t id : ids) {
      bool done = false;
      KvmVm::rekick_by_id(id, &done);
      std::lock_guard<std::mutex> lock(st.mu);
      auto it = st.pending.find(id);
      if (it != st.pending.end() && (done || --it->second <= 0)) st.pending.erase(it);
    }
  }
}

void schedule_rekick(uint64_t id) {
  static std::once_flag started;
  RekickState& st = rekick();
  std::call_once(started, [] { std::thread(rekick_loop).detach(); });
  std::lock_guard<std::mutex> lock(st.mu);
  st.pending[id] = 2000;
  st.cv.notify_one();
}
}  // namespace

void KvmVm::sample_kick() {
  // As rekick_by_id(): under the registry lock, so the runner cannot go away.
  std::lock_guard<std::mutex> lock(registry_mu);
  if (!has_runner_.load() || !in_run_.load()) return;
  sample_wanted_.store(true);
  pthread_kill(runner_, kick_signal());
}

void KvmVm::rekick_by_id(uint64_t id, bool* done) {
  std::lock_guard<std::mutex> lock(registry_mu);
  auto it = registry.find(id);
  KvmVm* vm = it == registry.end() ? nullptr : it->second;
  if (!vm || !(vm->cancel_.load() || vm->pause_.load()) || !vm->in_run_.load() || !vm->has_runner_.load()) {
    *done = true;  // gone, run ended or was restarted: nothing to repeat
    return;
  }
  pthread_kill(vm->runner_, kick_signal());
}

bool KvmVm::cancel_by_id(uint64_t id) {
  std::lock_guard<std::mutex> lock(registry_mu);
  auto it = registry.find(id);
  if (it == registry.end()) return false;
  it->second->request_cancel();
  return true;
}

KvmVm::KvmVm(std::shared_ptr<GuestMemory> mem) : mem_(std::move(mem)) {
  kick_signal();
  kvm_fd_ = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm_fd_ < 0) throw KvmError(KvmError::kUnavailable, sys("open /dev/kvm"));
  try {
    if (ioctl(kvm_fd_, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
      throw KvmError(KvmError::kUnavailable, "unsupported KVM API version");
    vm_fd_ = ioctl(kvm_fd_, KVM_CREATE_VM, 0);
    if (vm_fd_ < 0) throw KvmError(KvmError::kUnavailable, sys("KVM_CREATE_VM"));
    kvm_userspace_memory_region region{};
    region.slot = 0;
    region.flags = KVM_MEM_LOG_DIRTY_PAGES;  // restore() copies back only what the guest wrote
    region.guest_phys_addr = 0;
    region.memory_size = mem_->size();
    region.userspace_addr = reinterpret_cast<uint64_t>(mem_->host_base());
    if (ioctl(vm_fd_, KVM_SET_USER_MEMORY_REGION, &region) < 0) throw KvmError(KvmError::kFailed, sys("KVM_SET_USER_MEMORY_REGION"));
    vcpu_fd_ = ioctl(vm_fd_, KVM_CREATE_VCPU, 0);
    if (vcpu_fd_ < 0) throw KvmError(KvmError::kFailed, sys("KVM_CREATE_VCPU"));
    int mmap_size = ioctl(kvm_fd_, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (mmap_size < (int)sizeof(kvm_run)) throw KvmError(KvmError::kFailed, sys("KVM_GET_VCPU_MMAP_SIZE"));
    run_size_ = mmap_size;
    void* r = mmap(nullptr, run_size_, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd_, 0);
    if (r == MAP_FAILED) throw KvmError(KvmError::kFailed, sys("mmap kvm_run"));
    run_ = static_cast<kvm_run*>(r);
    sync_regs_ = (ioctl(kvm_fd_, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) & KVM_SYNC_X86_REGS) != 0;

    // Give the guest the host's CPUID, so the FPU/SSE/XSAVE features it uses are declared.
    const std::vector<uint8_t>& buf = supported_cpuid(kvm_fd_);
    if (!buf.empty()) {
      auto* cpuid = reinterpret_cast<const kvm_cpuid2*>(buf.data());
      // The entries start at the C offset (kvm_c_ioctls.h).
      auto* entries = reinterpret_cast<const kvm_cpuid_entry2*>(buf.data() + kCFlexHeader);
      for (uint32_t i = 0; i < cpuid->nent && kCFlexHeader + (i + 1) * sizeof(kvm_cpuid_entry2) <= buf.size(); i++)
        if (entries[i].function == 1) osxsave_ = (entries[i].ecx >> 26) & 1;  // XSAVE
      ioctl(vcpu_fd_, kKvmSetCpuid2, cpuid);
    }
    std::string err = cpu_write_tables(*mem_);
    if (!err.empty()) throw KvmError(KvmError::kFailed, err);
    reset_cpu();
    std::lock_guard<std::mutex> lock(registry_mu);
    id_ = next_id++;
    registry[id_] = this;
  } catch (...) {
    close_all();  // members are destroyed by the unwinding itself
    throw;
  }
}

KvmVm::~KvmVm() {
  stop_sampling();
  close_all();
}

void KvmVm::clear_runner_thread() {
  // Under the registry lock: cancel_by_id() reads has_runner_ holding it, so
  // once this returns no other thread can pthread_kill the runner.
  std::lock_guard<std::mutex> lock(registry_mu);
  has_runner_.store(false);
}

void KvmVm::close_all() {
  if (id_) {
    std::lock_guard<std::mutex> lock(registry_mu);
    registry.erase(id_);
    id_ = 0;
  }
  if (run_) munmap(run_, run_size_);
  run_ = nullptr;
  if (vcpu_fd_ >= 0) close(vcpu_fd_);
  if (vm_fd_ >= 0) close(vm_fd_);
  if (kvm_fd_ >= 0) close(kvm_fd_);
  vcpu_fd_ = vm_fd_ = kvm_fd_ = -1;
}

void KvmVm::reset_cpu() {
  kvm_sregs s{};
  if (ioctl(vcpu_fd_, KVM_GET_SREGS, &s) < 0) throw KvmError(KvmError::kFailed, sys("KVM_GET_SREGS"));
  cpu_fill_sregs(s, osxsave_);
  if (ioctl(vcpu_fd_, KVM_SET_SREGS, &s) < 0) {
    osxsave_ = false;  // some hosts refuse CR4.OSXSAVE: run without it
    cpu_fill_sregs(s, false);
    if (ioctl(vcpu_fd_, KVM_SET_SREGS, &s) < 0) throw KvmError(KvmError::kFailed, sys("KVM_SET_SREGS"));
  }
  if (osxsave_) {
    kvm_xcrs x{};
    x.nr_xcrs = 1;
    x.xcrs[0].xcr = 0;
    // x87 | SSE | AVX, and PKRU where the CPU has it: with PKRU in XCR0, KVM
    // swaps PKRU at every entry and exit and KVM_SET_XSAVE restores it (on
    // PVM, ring 3 runs wrpkru whatever CR4.PKE says).
    for (uint64_t xcr0 : {0x207ull, 0x7ull, 0x3ull}) {
      x.xcrs[0].value = xcr0;
      if (ioctl(vcpu_fd_, KVM_SET_XCRS, &x) == 0) break;
    }
  }
  kvm_fpu fpu{};
  fpu.fcw = 0x37f;
  fpu.mxcsr = 0x1f80;
  ioctl(vcpu_fd_, KVM_SET_FPU, &fpu);
}

void KvmVm::save_state() {
  std::string err = vcpu_state_save(kvm_fd_, vm_fd_, vcpu_fd_, saved_);
  if (!err.empty()) throw KvmError(KvmError::kFailed, err);
}

void KvmVm::restore_state() {
  if (!saved_.valid) return reset_cpu();
  std::string err = vcpu_state_restore(vcpu_fd_, saved_);
  if (!err.empty()) throw KvmError(KvmError::kFailed, err);
}

int64_t KvmVm::tsc_khz() {
  int r = ioctl(vcpu_fd_, KVM_GET_TSC_KHZ, 0);
  return r > 0 ? r : 0;
}

bool KvmVm::fetch_dirty_log(std::vector<uint64_t>& bitmap) {
  bitmap.assign((mem_->size() / kPageSize + 63) / 64, 0);
  kvm_dirty_log log{};
  log.slot = 0;
  log.dirty_bitmap = bitmap.data();
  return ioctl(vm_fd_, KVM_GET_DIRTY_LOG, &log) == 0;
}

void KvmVm::request_cancel() {
  cancel_.store(true);
  if (run_) __atomic_store_n(&run_->immediate_exit, 1, __ATOMIC_SEQ_CST);
  if (has_runner_.load()) {
    pthread_kill(runner_, kick_signal());
    if (in_run_.load() && id_ != 0) schedule_rekick(id_);
  }
}

void KvmVm::request_pause() {
  pause_.store(true);
  if (run_) __atomic_store_n(&run_->immediate_exit, 1, __ATOMIC_SEQ_CST);
  if (has_runner_.load()) {
    pthread_kill(runner_, kick_signal());
    if (in_run_.load() && id_ != 0) schedule_rekick(id_);  // a kick can be lost (see above)
  }
}

VmExit KvmVm::run_from(uint64_t rip, uint64_t rsp, uint64_t rdi) {
  pause_.store(false);  // a debugger's interrupt never reaches a later call
  if (wedged_) {
    VmExit e;
    e.reason = "the vCPU holds an I/O operation KVM would not complete; the sandbox cannot run again";
    return e;
  }
  kvm_regs regs{};
  regs.rip = rip;
  regs.rsp = rsp;
  regs.rdi = rdi;
  regs.rflags = 0x2;
  if (sync_regs_) {
    run_->s.regs.regs = regs;
    run_->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
  } else if (ioctl(vcpu_fd_, KVM_SET_REGS, &regs) < 0) {
    VmExit e;
    e.reason = "KVM_SET_REGS failed";
    e.sys_errno = errno;
    return e;
  }
  return run_loop();
}

VmExit KvmVm::resume() {
  if (wedged_) return run_from(0, 0, 0);  // the same error
  return run_loop();
}

VmExit KvmVm::run_loop() {
  // A pause is taken only after a KVM_RUN: KVM completes an I/O exit the host
  // has served (moving RIP past the `out`) at the start of the next KVM_RUN,
  // so pausing before it would show gdb, and later re-run, the same `out`.
  // And only in ring 3: a kick can land inside hl's ring-0 exception stubs,
  // whose registers are not the guest's; their report exit follows within a
  // few instructions and answers the pause (GdbStub.stopped).
  bool pause_waits_for_stubs = false;
  for (;;) {
    __atomic_store_n(&run_->immediate_exit, 0, __ATOMIC_SEQ_CST);
    if (cancel_.load()) {
      VmExit e;
      e.kind = ExitKind::kCancelled;
      return e;
    }
    if (pause_.load() && !pause_waits_for_stubs) __atomic_store_n(&run_->immediate_exit, 1, __ATOMIC_SEQ_CST);
    in_run_.store(true);
    int rc = ioctl(vcpu_fd_, KVM_RUN, 0);
    int err = errno;
    in_run_.store(false);
    errno = err;
    exits_.fetch_add(1, std::memory_order_relaxed);
    if (rc < 0) {
      if (errno == EINTR || errno == EAGAIN) {  // the loop head sees a cancel
        // A profiler's kick is not a VM exit the guest caused: not counted.
        if (sampling_.load(std::memory_order_relaxed) && take_sample()) exits_.fetch_sub(1, std::memory_order_relaxed);
        if (pause_.load() && !cancel_.load()) {
          kvm_sregs s{};
          bool ring3 = ioctl(vcpu_fd_, KVM_GET_SREGS, &s) == 0 && (s.cs.selector & 3) == 3;
          if (ring3 && pause_.exchange(false)) {
            VmExit e;
            e.kind = ExitKind::kPaused;
            return e;
          }
          pause_waits_for_stubs = !ring3;
        }
        continue;
      }
      VmExit e;
      e.reason = "KVM_RUN failed";
      e.sys_errno = errno;
      return e;
    }
    switch (run_->exit_reason) {
      case KVM_EXIT_IO: {
        // The ABI is one 32-bit `out` to an ABI port. An `in` (or a string
        // instruction) leaves KVM half done: it would finish the old
        // instruction on the next KVM_RUN, over the next call's registers.
        auto& io = run_->io;
        if (io.port == HL_PORT_EXCEPTION) return exception_exit();
        if (io.direction != KVM_EXIT_IO_OUT) return refused_io_exit("port input (in) is not part of the ABI");
        if (io.port < HL_PORT_FIRST || io.port > HL_PORT_LAST) return refused_io_exit("port I/O outside the ABI");
        if (io.size != 4 || io.count != 1) return refused_io_exit("port output other than one 32-bit out");
        VmExit e;
        e.kind = ExitKind::kIo;
        e.port = io.port;
        uint32_t v = 0;
        // io.data_offset points into the kvm_run page; bound it before reading.
        if (io.data_offset <= run_size_ - 4) memcpy(&v, reinterpret_cast<uint8_t*>(run_) + io.data_offset, 4);
        e.value = v;
        return e;
      }
      case KVM_EXIT_SHUTDOWN: return fault_exit("shutdown");
      case KVM_EXIT_HLT: return fault_exit("hlt");
      case KVM_EXIT_MMIO: {
        uint64_t addr = run_->mmio.phys_addr;
        VmExit e = refused_io_exit("access outside guest memory");
        e.cr2 = addr;
        return e;
      }
      case KVM_EXIT_FAIL_ENTRY: return fault_exit("VM entry failed");
      case KVM_EXIT_INTERNAL_ERROR: return refused_io_exit("KVM internal error");
      case KVM_EXIT_INTR:
        if (sampling_.load(std::memory_order_relaxed) && take_sample()) exits_.fetch_sub(1, std::memory_order_relaxed);
        continue;
      default: return fault_exit("unexpected KVM exit");
    }
  }
}

VmExit KvmVm::refused_io_exit(const char* reason) {
  VmExit e = fault_exit(reason);  // registers as the guest left them
  if (!complete_pending_io()) wedged_ = true;
  return e;
}

bool KvmVm::complete_pending_io() {
  // KVM finishes an I/O or MMIO exit at the start of the next KVM_RUN and
  // then, with immediate_exit set, returns EINTR before entering the guest.
  // A string instruction may need further exits (MMIO reads chain up to a
  // thousand: `rep lods`): bounded rounds, then give up.
  for (int round = 0; round < 2048; round++) {
    if (run_->exit_reason == KVM_EXIT_IO && run_->io.direction == KVM_EXIT_IO_IN) {
      uint64_t n = uint64_t(run_->io.size) * run_->io.count;  // the guest gets zeros, never stale bytes
      if (run_->io.data_offset < run_size_ && n <= run_size_ - run_->io.data_offset)
        memset(reinterpret_cast<uint8_t*>(run_) + run_->io.data_offset, 0, n);
    } else if (run_->exit_reason == KVM_EXIT_MMIO && !run_->mmio.is_write) {
      memset(run_->mmio.data, 0, sizeof run_->mmio.data);
    }
    __atomic_store_n(&run_->immediate_exit, 1, __ATOMIC_SEQ_CST);
    int rc = ioctl(vcpu_fd_, KVM_RUN, 0);
    int err = errno;
    __atomic_store_n(&run_->immediate_exit, 0, __ATOMIC_SEQ_CST);  // a cancel stays in cancel_
    exits_.fetch_add(1, std::memory_order_relaxed);
    if (rc < 0) return err == EINTR || err == EAGAIN;
  }
  return false;
}

VmExit KvmVm::exception_exit() {
  // Only the host's ring-0 stubs reach this port (the TSS bitmap denies it to
  // ring 3); they leave the exception's record in registers (hl_abi.h).
  kvm_regs regs{};
  if (ioctl(vcpu_fd_, KVM_GET_REGS, &regs) != 0) return fault_exit("exception (registers unreadable)");
  uint64_t out = cpu_exception_report_out();
  if ((regs.rip != out && regs.rip != out + 1) || regs.rax >= 32)
    return fault_exit("exception report from outside the stubs");
  VmExit e;
  e.kind = ExitKind::kFault;
  e.reason = "exception";
  e.vector = int32_t(regs.rax);
  e.error_code = int64_t(regs.rbx) < 0 ? -1 : int64_t(regs.rbx & 0xffffffff);
  e.rip = regs.rcx;
  e.rsp = regs.rsi;
  e.cr2 = e.vector == 14 ? regs.rdi : 0;  // CR2 is stale for other vectors
  return e;
}

bool KvmVm::guest_registers(GuestRegs& g) {
  kvm_regs r{};
  kvm_sregs s{};
  if (ioctl(vcpu_fd_, KVM_GET_REGS, &r) != 0 || ioctl(vcpu_fd_, KVM_GET_SREGS, &s) != 0) return false;
  g.rax = r.rax, g.rbx = r.rbx, g.rcx = r.rcx, g.rdx = r.rdx, g.rsi = r.rsi, g.rdi = r.rdi, g.rbp = r.rbp;
  g.rsp = r.rsp, g.r8 = r.r8, g.r9 = r.r9, g.r10 = r.r10, g.r11 = r.r11, g.r12 = r.r12, g.r13 = r.r13;
  g.r14 = r.r14, g.r15 = r.r15, g.rip = r.rip, g.rflags = r.rflags;
  g.cs = s.cs.selector, g.ss = s.ss.selector, g.ds = s.ds.selector, g.es = s.es.selector;
  g.fs = s.fs.selector, g.gs = s.gs.selector, g.fs_base = s.fs.base, g.gs_base = s.gs.base;
  uint64_t out = cpu_exception_report_out();
  bool at_report = (r.rip == out || r.rip == out + 1) && (s.cs.selector & 3) == 0 && r.rsp == cpu_exception_frame();
  if (!at_report) return true;
  // Stopped at the stubs' report: the faulting code's registers are in the
  // frame on the stubs' stack, which ring 3 cannot write.
  const uint8_t* p = mem_->checked(cpu_exception_frame(), 13 * 8);
  if (!p) return true;
  uint64_t f[13];
  memcpy(f, p, sizeof f);
  g.rax = f[0], g.rbx = f[1], g.rcx = f[2], g.rdx = f[3], g.rsi = f[4], g.rdi = f[5];
  g.rip = f[8], g.cs = f[9] & 0xffff, g.rflags = f[10], g.rsp = f[11], g.ss = f[12] & 0xffff;
  return true;
}

std::string KvmVm::set_guest_registers(const GuestRegs& g, bool fresh) {
  if (wedged_ || !complete_pending_io()) {
    wedged_ = true;
    return "the vCPU holds an I/O operation KVM would not complete";
  }
  kvm_sregs s{};
  if (ioctl(vcpu_fd_, KVM_GET_SREGS, &s) != 0) return sys("KVM_GET_SREGS");
  cpu_fill_sregs(s, osxsave_);
  s.fs.base = g.fs_base;
  s.gs.base = g.gs_base;
  if (ioctl(vcpu_fd_, KVM_SET_SREGS, &s) != 0) return sys("KVM_SET_SREGS");
  constexpr uint64_t kUserFlags = 0x0dd5 | 0x100 /* TF */ | 0x40000 /* AC */ | 0x200000 /* ID */;
  kvm_regs r{};
  r.rax = g.rax, r.rbx = g.rbx, r.rcx = g.rcx, r.rdx = g.rdx, r.rsi = g.rsi, r.rdi = g.rdi, r.rbp = g.rbp;
  r.rsp = g.rsp, r.r8 = g.r8, r.r9 = g.r9, r.r10 = g.r10, r.r11 = g.r11, r.r12 = g.r12, r.r13 = g.r13;
  r.r14 = g.r14, r.r15 = g.r15, r.rip = g.rip, r.rflags = (g.rflags & kUserFlags) | 0x2;
  if (ioctl(vcpu_fd_, KVM_SET_REGS, &r) != 0) return sys("KVM_SET_REGS");
  if (sync_regs_) run_->kvm_dirty_regs &= ~static_cast<uint64_t>(KVM_SYNC_X86_REGS);  // not the stale copy
  if (fresh) clear_cancel();
  pause_.store(false);  // the debugger stopped the guest some other way first
  return "";
}

VmExit KvmVm::fault_exit(const char* reason) {
  VmExit e;
  e.kind = ExitKind::kFault;
  e.reason = reason;
  kvm_regs regs{};
  if (ioctl(vcpu_fd_, KVM_GET_REGS, &regs) == 0) {
    e.rip = regs.rip;
    e.rsp = regs.rsp;
  }
  kvm_sregs s{};
  if (ioctl(vcpu_fd_, KVM_GET_SREGS, &s) == 0) e.cr2 = s.cr2;
  // The pending/injected exception is kept in the vCPU events after a shutdown
  // on the machines we measured; it is a best-effort detail, not a contract.
  kvm_vcpu_events ev{};
  if (ioctl(vcpu_fd_, KVM_GET_VCPU_EVENTS, &ev) == 0 && (ev.exception.injected || ev.exception.pending ||
                                                          ev.exception.nr != 0)) {
    e.vector = ev.exception.nr;
    if (ev.exception.has_error_code) e.error_code = ev.exception.error_code;
  }
  return e;
}

}  // namespace hl
