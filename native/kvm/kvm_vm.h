// kvm_vm.h: one KVM VM with one vCPU over a GuestMemory. The only place
// (with cpu_x86_64) that speaks KVM ioctls.
#pragma once
#include <linux/kvm.h>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <stdexcept>
#include <pthread.h>
#include <string>
#include <vector>
#include "../memory/guest_memory.h"
#include "vcpu_state.h"
#include "vm_exit.h"

namespace hl {

// Why KVM could not be used: kUnavailable is the user's environment
// (/dev/kvm missing, no permission), kFailed an ioctl that failed later.
struct KvmError : std::runtime_error {
  enum Kind { kUnavailable, kFailed } kind;
  KvmError(Kind k, const std::string& m) : std::runtime_error(m), kind(k) {}
};

class KvmVm {
 public:
  explicit KvmVm(std::shared_ptr<GuestMemory> mem);  // throws KvmError
  ~KvmVm();
  KvmVm(const KvmVm&) = delete;
  KvmVm& operator=(const KvmVm&) = delete;

  // Sets fresh registers (all zero but rip, rsp, rdi) and runs to the next exit
  // that needs the host. resume() continues after an I/O exit.
  VmExit run_from(uint64_t rip, uint64_t rsp, uint64_t rdi);
  VmExit resume();

  // The guest's registers now: after an exception report, the faulting
  // code's (rebuilt from the stubs' frame); otherwise the vCPU's. False if
  // KVM would not say.
  bool guest_registers(GuestRegs& out);
  // Sets the registers the next resume() runs with (a debugger's continue or
  // step), in ring 3 whatever the vCPU stopped in: segments are the boot
  // ones, and RFLAGS keeps only the arithmetic flags, TF, DF, AC and ID (no
  // IOPL, no IF). Finishes the stubs' half-done `out` first. `fresh`: a new
  // run, so an old cancel is forgotten. An error message, or "".
  std::string set_guest_registers(const GuestRegs& g, bool fresh);

  // The guest TSC rate in kHz (KVM_GET_TSC_KHZ), 0 if unknown.
  int64_t tsc_khz();

  // Reads and clears the dirty-page log of guest memory (one bit per page).
  bool fetch_dirty_log(std::vector<uint64_t>& bitmap);

  // Saves the whole vCPU state (with a memory snapshot), and puts it back
  // (every restore()). Throw KvmError.
  void save_state();
  void restore_state();
  bool has_saved_state() const { return saved_.valid; }

  // Stops a run in progress, from any thread. The request stays set until
  // clear_cancel(), so a kill during a host call stops the guest on resume.
  void request_cancel();
  void clear_cancel() { cancel_.store(false); }
  // Stops a run in progress with a kPaused exit, from any thread (gdb's
  // Ctrl-C); the guest resumes where it was. The request stays set until a
  // run returns kPaused, or set_guest_registers() (another stop came first).
  void request_pause();
  void set_runner_thread(pthread_t t) { runner_ = t; has_runner_.store(true); }
  void clear_runner_thread();

  static int kick_signal();

  // Sampling profiler (kvm_sampling.cc). While on, a ticker thread kicks the
  // vCPU `hz` times a second while it is inside KVM_RUN; the vCPU thread then
  // records the guest's RIP and its frame-pointer chain (read from guest
  // memory, bounded) and goes on. At most `max_samples` are kept (later ones
  // are counted as dropped). Start and stop only between runs.
  struct Samples {
    std::vector<uint64_t> frames;   // all samples' frames, innermost first
    std::vector<uint32_t> starts;   // where each sample begins in `frames`
    uint64_t dropped = 0;
  };
  static constexpr int kMaxSampleDepth = 128;
  // All samples' frames together: 64 MiB at most, whatever depth the guest fakes.
  static constexpr size_t kMaxSampleFrames = 8u << 20;
  // An error message (the ticker thread could not start), or "".
  std::string start_sampling(uint32_t hz, uint32_t max_samples);
  Samples stop_sampling();

  // A process-wide id for this VM, so any thread can cancel its run through
  // cancel_by_id() without holding a pointer that could dangle.
  uint64_t id() const { return id_; }
  // KVM_RUN returns so far (every exit, including those hl resumes at once).
  uint64_t exit_count() const { return exits_.load(std::memory_order_relaxed); }
  static bool cancel_by_id(uint64_t id);
  // Repeats the kick of a cancelled VM still inside KVM_RUN (called by the re-kicker).
  static void rekick_by_id(uint64_t id, bool* done);

 private:
  void close_all();
  void reset_cpu();  // the boot state: special registers, XCR0, x87/SSE control
  VmExit run_loop();
  bool take_sample();   // on the vCPU thread, after a kick interrupted KVM_RUN: true if it was a sample kick
  void sample_kick();   // on the ticker thread
  VmExit fault_exit(const char* reason);
  VmExit exception_exit();                     // a ring-0 stub reported a guest exception
  VmExit refused_io_exit(const char* reason);  // fault_exit + complete_pending_io
  // Lets KVM finish an exit it left half done (port input, MMIO, a string
  // I/O instruction) without running guest code, so the next run inherits
  // nothing. False if KVM kept asking for more.
  bool complete_pending_io();

  std::shared_ptr<GuestMemory> mem_;
  int kvm_fd_ = -1, vm_fd_ = -1, vcpu_fd_ = -1;
  kvm_run* run_ = nullptr;
  size_t run_size_ = 0;
  bool sync_regs_ = false, osxsave_ = false;
  std::atomic<bool> cancel_{false};
  std::atomic<bool> pause_{false};
  std::atomic<bool> has_runner_{false};
  // True while the vCPU thread is inside KVM_RUN (the re-kicker's test).
  std::atomic<bool> in_run_{false};
  pthread_t runner_{};
  uint64_t id_ = 0;
  std::atomic<uint64_t> exits_{0};
  VcpuState saved_;
  std::atomic<bool> sample_wanted_{false};
  std::atomic<bool> sampling_{false};
  std::mutex sample_mu_;  // samples_ and max_samples_: vCPU thread vs stop_sampling()
  Samples samples_;
  uint32_t max_samples_ = 0;
  std::thread ticker_;
  std::mutex ticker_mu_;  // with ticker_cv_: stop_sampling() wakes the ticker at once
  std::condition_variable ticker_cv_;
  // KVM would not finish a half-done I/O exit: no run may follow.
  bool wedged_ = false;
};

}  // namespace hl
